//! `strict_json`: `json::parse_strict` with a depth cap taken from the input.
//!
//! Input: one byte whose low 6 bits are the depth cap (0–63), then the JSON text.
//!
//! Oracles: a successful parse never nests deeper than the cap ([`depth`]); plain
//! `serde_json` parses the same text to the same value (strict accepts a subset and must
//! agree on it); the value serialises and parses back strictly unchanged; and
//! `parse_strict_object` succeeds exactly when the value is an object.

use serde_json::Value;
use tenxyte_core::json;

use crate::common::depth;

/// The libFuzzer entry point.
pub fn check(data: &[u8]) {
    if let Some((&first, text)) = data.split_first() {
        check_text(usize::from(first & 0x3f), text);
    }
}

/// Parses `text` with `max_depth` and asserts the oracles; returns whether it parsed.
pub fn check_text(max_depth: usize, text: &[u8]) -> bool {
    let strict = json::parse_strict(text, max_depth);
    let object = json::parse_strict_object(text, max_depth);
    let Ok(value) = strict else {
        assert!(object.is_err(), "object parse succeeded where parse failed");
        return false;
    };
    let found = depth(&value);
    assert!(
        found <= max_depth,
        "parse_strict accepted nesting depth {found} with a cap of {max_depth}"
    );
    let lenient: Value =
        serde_json::from_slice(text).expect("serde_json rejects what strict accepted");
    assert_eq!(lenient, value, "strict and serde_json disagree");
    let again = serde_json::to_vec(&value).expect("serialise");
    assert_eq!(
        json::parse_strict(&again, max_depth).as_ref(),
        Ok(&value),
        "value does not round-trip"
    );
    assert_eq!(object.is_ok(), value.is_object());
    true
}
