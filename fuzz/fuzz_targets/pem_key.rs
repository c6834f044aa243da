//! Fuzz target `pem_key`: see `tenxyte_fuzz::pem_key` for the oracles.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tenxyte_fuzz::pem_key::check(data));
