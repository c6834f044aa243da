//! Reading and writing user records, identifiers, and the public view of a user.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::records::User;
use crate::drive::StorePort;
use crate::error::{err, ErrorCode, Result};
use crate::rbac::Subject;
use crate::store::{keys, Expect, PutOutcome, Record};

/// How often a read-modify-write of one record is retried on a version conflict before
/// the flow gives up with `store_unavailable` (sustained contention on one key).
pub(crate) const CAS_ATTEMPTS: usize = 8;

/// A record decoded from the store, with the version for compare-and-swap.
#[derive(Debug, Clone)]
pub struct Versioned<T> {
    /// The decoded document.
    pub value: T,
    /// Its store version.
    pub version: u64,
}

/// Decodes a stored document. A record that no longer parses is corrupt: fail closed.
pub(crate) fn decode<T: for<'de> Deserialize<'de>>(
    ns: &str,
    record: Record,
) -> Result<Versioned<T>> {
    let value = serde_json::from_value(record.value).map_err(|e| {
        err(
            ErrorCode::StoreUnavailable,
            format!("a stored {ns} record does not parse: {e}"),
        )
    })?;
    Ok(Versioned {
        value,
        version: record.version,
    })
}

/// Encodes a document for the store.
pub(crate) fn encode<T: Serialize>(value: &T) -> Result<Value> {
    serde_json::to_value(value).map_err(|e| err(ErrorCode::Internal, format!("encode: {e}")))
}

/// `get` + decode.
pub(crate) async fn load<T: for<'de> Deserialize<'de>>(
    port: &StorePort,
    ns: &str,
    key: &str,
) -> Result<Option<Versioned<T>>> {
    match port.get(ns, key).await? {
        None => Ok(None),
        Some(record) => decode(ns, record).map(Some),
    }
}

/// Writes `value` under `expect`; `Ok(false)` on a conflict.
pub(crate) async fn store<T: Serialize>(
    port: &StorePort,
    ns: &str,
    key: &str,
    value: &T,
    ttl_secs: Option<u64>,
    expect: Expect,
) -> Result<bool> {
    let outcome = port.put(ns, key, encode(value)?, ttl_secs, expect).await?;
    Ok(matches!(outcome, PutOutcome::Written { .. }))
}

/// The error for a read-modify-write that kept losing races.
pub(crate) fn contention(what: &str) -> crate::error::Error {
    err(
        ErrorCode::StoreUnavailable,
        format!("the {what} record kept changing under concurrent updates; try again"),
    )
}

/// Loads a user by id.
pub async fn load_user(port: &StorePort, user_id: &str) -> Result<Option<Versioned<User>>> {
    load(port, keys::USERS, &keys::user(user_id)).await
}

/// Read-modify-write of a user with compare-and-swap, retried on conflict. `change`
/// may refuse (its error ends the flow, nothing written). Returns the written user.
pub async fn update_user<F>(port: &StorePort, user_id: &str, mut change: F) -> Result<User>
where
    F: FnMut(&mut User) -> Result<()>,
{
    for _ in 0..CAS_ATTEMPTS {
        let Some(mut current) = load_user(port, user_id).await? else {
            return Err(err(ErrorCode::UserNotFound, "no such user"));
        };
        change(&mut current.value)?;
        if store(
            port,
            keys::USERS,
            &keys::user(user_id),
            &current.value,
            None,
            Expect::Version(current.version),
        )
        .await?
        {
            return Ok(current.value);
        }
    }
    Err(contention("user"))
}

/// Looks a user up by e-mail (normalised here).
pub async fn find_by_email(port: &StorePort, email: &str) -> Result<Option<Versioned<User>>> {
    let Some(email) = normalize_email(email) else {
        return Ok(None);
    };
    find_by_index(port, keys::USERS_BY_EMAIL, &keys::user_by_email(&email)).await
}

/// Looks a user up by E.164 phone number.
pub async fn find_by_phone(port: &StorePort, phone: &str) -> Result<Option<Versioned<User>>> {
    let Some(phone) = normalize_phone(phone) else {
        return Ok(None);
    };
    find_by_index(port, keys::USERS_BY_PHONE, &keys::user_by_phone(&phone)).await
}

#[derive(Serialize, Deserialize)]
struct IndexEntry {
    user_id: String,
}

async fn find_by_index(port: &StorePort, ns: &str, key: &str) -> Result<Option<Versioned<User>>> {
    let Some(entry) = load::<IndexEntry>(port, ns, key).await? else {
        return Ok(None);
    };
    // A dangling index entry (a crash between writes) is treated as absent.
    load_user(port, &entry.value.user_id).await
}

/// Claims an identifier for `user_id` (create-once). `Ok(false)`: someone holds it.
pub(crate) async fn claim_index(
    port: &StorePort,
    ns: &str,
    key: &str,
    user_id: &str,
) -> Result<bool> {
    let entry = IndexEntry {
        user_id: user_id.to_owned(),
    };
    if store(port, ns, key, &entry, None, Expect::Absent).await? {
        return Ok(true);
    }
    // Held: by a live user, or dangling after a registration that stopped half-way.
    match load::<IndexEntry>(port, ns, key).await? {
        Some(held) if load_user(port, &held.value.user_id).await?.is_none() => {
            Ok(store(port, ns, key, &entry, None, Expect::Version(held.version)).await?)
        }
        _ => Ok(false),
    }
}

/// Trims and lower-cases an e-mail address; `None` when it is not one (`local@domain`,
/// no whitespace or control characters, at most 254 bytes).
pub fn normalize_email(raw: &str) -> Option<String> {
    let email = raw.trim().to_lowercase();
    let (local, domain) = email.split_once('@')?;
    let ok = !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    ok.then_some(email)
}

/// An E.164 number: `+` then 8 to 15 digits (spaces, dashes, dots and parentheses are
/// dropped first).
pub fn normalize_phone(raw: &str) -> Option<String> {
    let compact: String = raw
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
        .collect();
    let digits = compact.strip_prefix('+')?;
    let ok = (8..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    ok.then_some(compact)
}

/// A new random id (UUID v4).
pub fn new_id() -> Result<String> {
    crate::jwt::profile::new_jti()
}

/// The RBAC subject of a user.
pub fn subject(user: &User) -> Subject {
    Subject {
        roles: user.roles.clone(),
        permissions: user.permissions.clone(),
        is_superuser: user.is_superuser,
    }
}

/// What the API shows of a user: never a hash or a secret.
pub fn public_view(user: &User) -> Value {
    json!({
        "id": user.id,
        "email": user.email,
        "phone": user.phone,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "email_verified": user.email_verified,
        "phone_verified": user.phone_verified,
        "roles": user.roles,
        "mfa_enabled": user.mfa.enabled,
        "created_at": user.created_at,
        "last_login": user.last_login,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_normalise_or_are_refused() {
        assert_eq!(
            normalize_email("  Ann@Example.COM "),
            Some("ann@example.com".into())
        );
        for bad in [
            "", "ann", "@x.io", "ann@", "a@b@c.io", "a b@c.io", "a@nodot", "a@.x.io",
        ] {
            assert_eq!(normalize_email(bad), None, "{bad:?}");
        }
        assert_eq!(
            normalize_phone("+33 6 12-34.56(78)"),
            Some("+3361234 5678".replace(' ', ""))
        );
        for bad in [
            "0612345678",
            "+0612345678",
            "+1234",
            "+1234567890123456",
            "+33a12345678",
        ] {
            assert_eq!(normalize_phone(bad), None, "{bad:?}");
        }
    }
}
