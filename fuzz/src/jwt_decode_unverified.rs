//! `jwt_decode_unverified`: the debugging decoder (`tenxyte jwt inspect`).
//!
//! Oracles: errors are `malformed` or `token_too_large` (the latter exactly when the
//! token is over the default cap); an `Ok` has exactly three segments whose header and
//! payload, decoded by an independent base64url decoder and parsed by plain `serde_json`,
//! equal what the core returned (strict parsing accepts a subset of what `serde_json`
//! does and must agree on it); both objects nest no deeper than the verifier's cap and
//! round-trip through serialisation.

use serde_json::{Map, Value};
use tenxyte_core::jwt::{self, DEFAULT_MAX_TOKEN_BYTES};
use tenxyte_core::{json, ErrorCode};

use crate::common::{assert_code, b64url, depth};

/// The nesting cap `verify` applies to headers and claims (`MAX_JSON_DEPTH` in
/// `core/src/jwt/verify.rs`).
pub const JWT_MAX_DEPTH: usize = 16;

/// The libFuzzer entry point.
pub fn check(data: &[u8]) {
    if let Ok(token) = std::str::from_utf8(data) {
        check_token(token);
    }
}

/// Decodes `token` and asserts the oracles.
pub fn check_token(token: &str) {
    match jwt::decode_unverified(token) {
        Err(e) => {
            assert_code(
                &e,
                &[ErrorCode::Malformed, ErrorCode::TokenTooLarge],
                "decode_unverified",
            );
            assert_eq!(
                e.code() == ErrorCode::TokenTooLarge,
                token.len() > DEFAULT_MAX_TOKEN_BYTES
            );
        }
        Ok((header, claims)) => {
            assert!(token.len() <= DEFAULT_MAX_TOKEN_BYTES);
            let segments: Vec<&str> = token.split('.').collect();
            let [h, p, s] = segments.as_slice() else {
                panic!("decoded a token with {} segments", segments.len());
            };
            assert!(b64url(s).is_some(), "signature segment is not base64url");
            for (segment, decoded, what) in [(h, &header, "header"), (p, &claims, "claims")] {
                let bytes = b64url(segment).expect("segment base64url");
                let lenient: Value = serde_json::from_slice(&bytes).expect("serde_json parses");
                assert_eq!(lenient, Value::Object(decoded.clone()), "{what} differs");
                check_object(decoded, what);
            }
        }
    }
}

fn check_object(map: &Map<String, Value>, what: &str) {
    let value = Value::Object(map.clone());
    assert!(
        depth(&value) <= JWT_MAX_DEPTH,
        "{what} nests deeper than the cap"
    );
    let text = serde_json::to_vec(&value).expect("serialise");
    let back = json::parse_strict_object(&text, JWT_MAX_DEPTH).expect("reparse");
    assert_eq!(&back, map, "{what} does not round-trip");
}
