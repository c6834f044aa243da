//! Fuzz target `jwk_parse`: see `tenxyte_fuzz::jwk_parse` for the oracles.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tenxyte_fuzz::jwk_parse::check(data));
