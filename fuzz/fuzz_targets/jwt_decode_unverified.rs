//! Fuzz target `jwt_decode_unverified`: see `tenxyte_fuzz::jwt_decode_unverified` for the oracles.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tenxyte_fuzz::jwt_decode_unverified::check(data));
