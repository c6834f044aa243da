//! `pem_key`: `Key::from_pem` on arbitrary text.
//!
//! Oracles: errors are `invalid_key` or `weak_key`; an imported key passes every
//! per-key oracle of [`crate::jwk_parse::check_key`] (support of its own algorithm,
//! public JWK and PEM exports that re-import to themselves, sign/verify round trip);
//! HMAC secrets never come out of PEM.

use tenxyte_core::jwt::{Family, Key};

use crate::common::assert_code;
use crate::jwk_parse::{check_key, KEY_CODES};

/// The libFuzzer entry point.
pub fn check(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = check_text(text);
    }
}

/// Imports `text` as PEM, asserts the oracles and returns the key when it imported.
pub fn check_text(text: &str) -> Option<Key> {
    match Key::from_pem(text) {
        Ok(key) => {
            assert_ne!(key.family(), Family::Hmac, "an HMAC secret came out of PEM");
            check_key(&key);
            Some(key)
        }
        Err(e) => {
            assert_code(&e, KEY_CODES, "Key::from_pem");
            None
        }
    }
}
