//! Fuzz target `jwt_verify`: see `tenxyte_fuzz::jwt_verify` for the oracles.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tenxyte_fuzz::jwt_verify::check(data));
