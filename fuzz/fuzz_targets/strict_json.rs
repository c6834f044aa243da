//! Fuzz target `strict_json`: see `tenxyte_fuzz::strict_json` for the oracles.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tenxyte_fuzz::strict_json::check(data));
