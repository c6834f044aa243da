//! Fuzz target `password_verify`: see `tenxyte_fuzz::password_verify` for the oracles.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tenxyte_fuzz::password_verify::check(data));
