//! Fuzz target `config_json`: see `tenxyte_fuzz::config_json` for the oracles.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tenxyte_fuzz::config_json::check(data));
