//! The three settings errors, each carrying the dotted path(s) in `details`.

use crate::error::{err, Error, ErrorCode};
use serde_json::json;

/// `unknown_setting`: the key does not exist; names the nearest valid one.
pub(super) fn unknown(path: &str, suggestion: Option<&str>) -> Error {
    let message = match suggestion {
        Some(s) => format!("unknown setting \"{path}\"; did you mean \"{s}\"?"),
        None => format!("unknown setting \"{path}\""),
    };
    err(ErrorCode::UnknownSetting, message)
        .with_details(json!({ "path": path, "suggestion": suggestion }))
}

/// `invalid_setting`: wrong type or out of range; `expected` says what would be accepted.
pub(super) fn invalid(path: &str, expected: &str) -> Error {
    err(
        ErrorCode::InvalidSetting,
        format!("invalid setting \"{path}\": {expected}"),
    )
    .with_details(json!({ "path": path, "expected": expected }))
}

/// `conflicting_settings`: two settings contradict each other; `why` explains the rule.
pub(super) fn conflict(a: &str, b: &str, why: &str) -> Error {
    err(
        ErrorCode::ConflictingSettings,
        format!("conflicting settings \"{a}\" and \"{b}\": {why}"),
    )
    .with_details(json!({ "paths": [a, b], "rule": why }))
}
