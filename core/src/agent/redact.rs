//! PII redaction for audit payloads, and `X-Prompt-Trace-ID` validation.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What replaces a redacted value.
pub const REDACTED: &str = "***REDACTED***";

/// Tenxyte's key list (`email, phone, ssn, date_of_birth, address, credit_card, password,
/// totp_secret, backup_codes`) plus keys it misses that carry PII or credentials.
pub const DEFAULT_PII_KEYS: &[&str] = &[
    "email",
    "phone",
    "ssn",
    "date_of_birth",
    "address",
    "credit_card",
    "password",
    "totp_secret",
    "backup_codes",
    "phone_number",
    "token",
    "secret",
    "authorization",
];

/// [`DEFAULT_PII_KEYS`] as owned strings (what the decision contexts take).
pub fn default_pii_keys() -> Vec<String> {
    DEFAULT_PII_KEYS.iter().map(|k| (*k).to_owned()).collect()
}

/// A copy of `value` where the value of every object member whose name equals one of
/// `keys` (ASCII case-insensitively) is replaced by [`REDACTED`], through nested objects
/// and arrays. A redacted member's value is dropped whole, whatever its type.
pub fn redact(value: &Value, keys: &[String]) -> Value {
    match value {
        Value::Object(map) => {
            let mut out = Map::with_capacity(map.len());
            for (k, v) in map {
                let hit = keys.iter().any(|p| p.eq_ignore_ascii_case(k));
                let nv = if hit {
                    Value::String(REDACTED.to_owned())
                } else {
                    redact(v, keys)
                };
                out.insert(k.clone(), nv);
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| redact(v, keys)).collect()),
        other => other.clone(),
    }
}

/// The longest accepted trace id.
pub const MAX_TRACE_ID_LEN: usize = 128;

/// A validated `X-Prompt-Trace-ID`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TraceId {
    /// The id when it matched `^[A-Za-z0-9_-]{1,128}$`.
    pub value: Option<String>,
    /// True when a header was present but invalid and was dropped.
    pub dropped: bool,
}

/// Validates a trace id: 1–128 ASCII letters, digits, `_` or `-`. An invalid one is
/// dropped with `dropped: true` rather than failing the request (it is an audit aid,
/// and refusing would let a bad header take down an agent).
pub fn parse_trace_id(raw: Option<&str>) -> TraceId {
    match raw {
        None => TraceId::default(),
        Some(s) => {
            let ok = !s.is_empty()
                && s.len() <= MAX_TRACE_ID_LEN
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if ok {
                TraceId {
                    value: Some(s.to_owned()),
                    dropped: false,
                }
            } else {
                TraceId {
                    value: None,
                    dropped: true,
                }
            }
        }
    }
}
