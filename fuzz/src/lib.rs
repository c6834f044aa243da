//! Oracles for the tenxyte-core fuzz targets.
//!
//! Each module holds one target's `check(data: &[u8])`: it feeds the input to the core and
//! asserts properties that must hold for *every* input, not only "does not crash". The
//! libFuzzer binaries in `fuzz_targets/` and the stable replay test in
//! `tests/replay_seeds.rs` call the same functions, so CI exercises the oracles on the
//! committed seeds without libFuzzer.
//!
//! A failed oracle panics with a message naming the property; libFuzzer then saves the
//! input under `artifacts/<target>/`.

pub mod common;
pub mod keys;

pub mod config_json;
pub mod jwk_parse;
pub mod jwt_decode_unverified;
pub mod jwt_verify;
pub mod otp_uri;
pub mod password_verify;
pub mod pem_key;
pub mod strict_json;
