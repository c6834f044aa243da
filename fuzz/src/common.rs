//! Helpers shared by the oracles.

use base64::Engine as _;
use serde_json::Value;
use tenxyte_core::{Error, ErrorCode};

/// The public error-code table. An error a target sees must be listed there: the codes
/// are public contract, and an undocumented one would be a binding-visible surprise.
const ERROR_CODES_DOC: &str = include_str!("../../docs/error-codes.md");

/// Asserts that `e` carries one of `allowed` and that its code is documented.
pub fn assert_code(e: &Error, allowed: &[ErrorCode], context: &str) {
    let code = e.code();
    assert!(
        allowed.contains(&code),
        "{context}: unexpected error code {code} ({})",
        e.message()
    );
    assert_eq!(
        ErrorCode::parse(code.as_str()),
        Some(code),
        "{context}: code {code} does not round-trip through its string"
    );
    assert!(
        ERROR_CODES_DOC.contains(&format!("| `{code}` |")),
        "{context}: code {code} is missing from docs/error-codes.md"
    );
}

/// Nesting depth of a JSON value: scalars 0, a container 1 + its deepest member (an empty
/// container counts 1, since it was still opened).
pub fn depth(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// Unpadded base64url as RFC 7515 §2 defines it, decoded by the `base64` crate (an
/// implementation independent of the core's), rejecting non-zero trailing bits.
pub fn b64url(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .ok()
}

/// Splits `data` into its first byte and the rest as UTF-8; `None` when either is missing.
pub fn selector_and_str(data: &[u8]) -> Option<(u8, &str)> {
    let (&selector, rest) = data.split_first()?;
    Some((selector, std::str::from_utf8(rest).ok()?))
}
