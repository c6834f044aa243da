//! Fuzz target `otp_uri`: see `tenxyte_fuzz::otp_uri` for the oracles.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tenxyte_fuzz::otp_uri::check(data));
