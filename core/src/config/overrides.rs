//! Applying a partial JSON document onto full settings.
//!
//! Serde's `deny_unknown_fields` names neither the full path nor a likely fix, so overrides
//! are first walked against the serialized shape of the settings they modify: every valid
//! path is a key there (optional settings appear as `null`). Objects merge member by
//! member; scalars, `null` and arrays replace the old value whole. The merged document is
//! then deserialized, and a serde error becomes `invalid_setting` with the path serde
//! reached. Elements of an array of objects are checked against a prototype element.

use super::errors::{invalid, unknown};
use super::lockout::PathRateRule;
use super::suggest::nearest;
use super::Settings;
use crate::error::{Error, Result};
use serde_json::{Map, Value};

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

/// Every leaf path of `shape` (dotted), for "this key lives in another section" hints.
fn leaf_paths(shape: &Map<String, Value>, prefix: &str, out: &mut Vec<String>) {
    for (k, v) in shape {
        let path = join(prefix, k);
        match v {
            Value::Object(inner) => leaf_paths(inner, &path, out),
            _ => out.push(path),
        }
    }
}

/// The suggestion for an unknown `key` under `prefix`: the same name in another section if
/// exactly one section has such a key (`{"leeway_secs": 5}` → `jwt.leeway_secs`), else the
/// nearest sibling.
fn suggest(
    key: &str,
    prefix: &str,
    siblings: &Map<String, Value>,
    root: &Map<String, Value>,
) -> Option<String> {
    let wanted = key.to_lowercase().replace('-', "_");
    let mut all = Vec::new();
    leaf_paths(root, "", &mut all);
    let here = join(prefix, key);
    let elsewhere: Vec<String> = all
        .into_iter()
        .filter(|p| p.rsplit('.').next().is_some_and(|last| last == wanted) && *p != here)
        .collect();
    // Only an unambiguous match is a good hint ("enabled" exists in a dozen sections).
    if let [path] = elsewhere.as_slice() {
        if !siblings.contains_key(&wanted) {
            return Some(path.clone());
        }
    }
    nearest(key, siblings.keys().map(String::as_str)).map(|k| join(prefix, k))
}

/// A prototype element for arrays whose elements are objects but may be empty by default.
fn array_prototype(path: &str, current: &[Value]) -> Option<Value> {
    if let Some(first @ Value::Object(_)) = current.first() {
        return Some(first.clone());
    }
    match path {
        "rate_limit.path_rules" => serde_json::to_value(PathRateRule {
            path: String::new(),
            max_requests: 0,
            window_secs: 0,
        })
        .ok(),
        _ => None,
    }
}

fn check_array_elements(path: &str, prototype: &Value, items: &[Value]) -> Result<()> {
    let Value::Object(proto) = prototype else {
        return Ok(());
    };
    for (i, item) in items.iter().enumerate() {
        let item_path = format!("{path}[{i}]");
        let Value::Object(fields) = item else {
            return Err(invalid(&item_path, "expected an object"));
        };
        for key in fields.keys() {
            if !proto.contains_key(key) {
                let hint = nearest(key, proto.keys().map(String::as_str))
                    .map(|k| format!("{item_path}.{k}"));
                return Err(unknown(&join(&item_path, key), hint.as_deref()));
            }
        }
    }
    Ok(())
}

fn merge_object(
    base: &mut Map<String, Value>,
    overrides: &Map<String, Value>,
    prefix: &str,
    root: &Map<String, Value>,
) -> Result<()> {
    for (key, value) in overrides {
        let path = join(prefix, key);
        let Some(slot) = base.get_mut(key) else {
            let hint = suggest(key, prefix, base, root);
            return Err(unknown(&path, hint.as_deref()));
        };
        match (slot, value) {
            (Value::Object(section), Value::Object(inner)) => {
                merge_object(section, inner, &path, root)?;
            }
            (Value::Object(_), _) => {
                return Err(invalid(
                    &path,
                    "expected an object (this is a settings section)",
                ));
            }
            (slot, new) => {
                if let (Value::Array(current), Value::Array(items)) = (&*slot, new) {
                    if let Some(proto) = array_prototype(&path, current) {
                        check_array_elements(&path, &proto, items)?;
                    }
                }
                *slot = new.clone();
            }
        }
    }
    Ok(())
}

fn internal(e: impl std::fmt::Display) -> Error {
    crate::error::err(
        crate::error::ErrorCode::Internal,
        format!("settings serialization failed: {e}"),
    )
}

/// `settings` with `overrides` (already stripped of `preset`) merged in, not yet validated.
pub(super) fn apply(settings: &Settings, overrides: &Map<String, Value>) -> Result<Settings> {
    let Value::Object(mut merged) = serde_json::to_value(settings).map_err(internal)? else {
        return Err(internal("settings did not serialize to an object"));
    };
    let root = merged.clone();
    merge_object(&mut merged, overrides, "", &root)?;
    serde_path_to_error::deserialize::<_, Settings>(Value::Object(merged)).map_err(|e| {
        let path = e.path().to_string();
        invalid(&path, &plain_types(&e.into_inner().to_string()))
    })
}

/// Serde names Rust types ("expected u64"); settings users think in JSON.
fn plain_types(message: &str) -> String {
    message
        .replace("expected u64", "expected a non-negative integer")
        .replace(
            "expected u32",
            "expected a non-negative integer up to 4294967295",
        )
}

/// Serialization failures are impossible for these types; still no panic.
pub(super) fn to_value(settings: &Settings) -> Result<Value> {
    serde_json::to_value(settings).map_err(internal)
}
