//! Human in the loop: pending actions bound to the exact request, approved only by the
//! delegating human, redeemed once by the same agent token.
//!
//! States: `pending` → `confirmed` → `consumed`; `pending` → `denied` (final);
//! `pending`/`confirmed` → `expired` once `now ≥ expires_at` (evaluated lazily).

use ring::digest;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::decision::{AuditEvent, EventKind, OnConflict, RawSecret, StateChange};
use super::token::AgentToken;
use crate::encoding;
use crate::error::{err, ErrorCode, Result};
use crate::secret::{self, SecretKind, SECRET_BYTES};

/// State of a pending action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    /// Waiting for the human.
    Pending,
    /// Approved; the agent may redeem it once.
    Confirmed,
    /// Refused by the human (final).
    Denied,
    /// Redeemed by the agent (final).
    Consumed,
    /// Lifetime over before it was used (final).
    Expired,
}

/// A request held for human approval (Tenxyte's `agent_pending_actions` row, bound to the
/// request's fingerprint and single-use).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PendingAction {
    /// Identifier shown to the human (derived one-way from the confirmation randomness).
    pub id: String,
    /// Lowercase hex SHA-256 of the raw `txp_…` confirmation token: the lookup key.
    pub confirmation_hash: String,
    /// The agent token that asked.
    pub agent_token_id: String,
    /// The only user who may confirm or deny.
    pub delegated_by: String,
    /// Permission the action needs (`None` when the route named none).
    pub permission: Option<String>,
    /// HTTP method, upper-cased.
    pub method: String,
    /// Canonical request path (query included).
    pub path: String,
    /// Lowercase hex SHA-256 of the body bytes.
    pub body_sha256: String,
    /// Lowercase hex [`fingerprint`] of the action.
    pub fingerprint: String,
    /// The body as JSON for the consent screen (redacted when `agents.redact_pii`), or null.
    pub payload: Value,
    /// State.
    pub status: ActionStatus,
    /// Creation time.
    pub created_at: i64,
    /// First instant at which it can no longer be confirmed or redeemed.
    pub expires_at: i64,
    /// When the human confirmed or denied.
    pub decided_at: Option<i64>,
    /// Who decided.
    pub decided_by: Option<String>,
    /// When the agent redeemed it.
    pub consumed_at: Option<i64>,
    /// The validated `X-Prompt-Trace-ID` of the request that asked.
    pub trace_id: Option<String>,
}

impl PendingAction {
    /// The status at `now`: a pending or confirmed action past its expiry is expired.
    pub fn status_at(&self, now: i64) -> ActionStatus {
        match self.status {
            ActionStatus::Pending | ActionStatus::Confirmed if now >= self.expires_at => {
                ActionStatus::Expired
            }
            s => s,
        }
    }
}

/// Normalises a request path as RFC 3986 §6.2.2 allows without changing its meaning:
/// percent-escapes get upper-case hex, and escapes of unreserved characters are decoded.
/// The path must start with `/` and hold no whitespace or control characters; the query
/// is kept (it is part of what is approved).
pub fn canonical_path(path: &str) -> Result<String> {
    if !path.starts_with('/') {
        return Err(err(
            ErrorCode::InvalidInput,
            "request path must start with '/'",
        ));
    }
    let bytes = path.as_bytes();
    let mut out = String::with_capacity(path.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b.is_ascii_control() || b == b' ' || b == b'#' {
            return Err(err(
                ErrorCode::InvalidInput,
                "request path holds whitespace, a control character or a fragment",
            ));
        }
        if b == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok().map(|v| (h, v)));
            let Some((_, v)) = hex else {
                return Err(err(
                    ErrorCode::InvalidInput,
                    "request path has a malformed percent-escape",
                ));
            };
            if v.is_ascii_alphanumeric() || matches!(v, b'-' | b'.' | b'_' | b'~') {
                out.push(char::from(v));
            } else {
                out.push_str(&format!("%{v:02X}"));
            }
            i += 3;
            continue;
        }
        // Multi-byte UTF-8 is copied through unchanged, byte by byte via the char.
        let ch_len = path
            .get(i..)
            .and_then(|s| s.chars().next())
            .map_or(1, char::len_utf8);
        if let Some(s) = path.get(i..i + ch_len) {
            out.push_str(s);
        }
        i += ch_len;
    }
    Ok(out)
}

/// Upper-cases and checks an HTTP method (an RFC 9110 token of letters).
pub fn canonical_method(method: &str) -> Result<String> {
    if method.is_empty() || method.len() > 32 || !method.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(err(
            ErrorCode::InvalidInput,
            "request method must be letters only",
        ));
    }
    Ok(method.to_ascii_uppercase())
}

fn put_field(buf: &mut Vec<u8>, field: &[u8]) {
    buf.extend_from_slice(&(field.len() as u64).to_be_bytes());
    buf.extend_from_slice(field);
}

/// Lowercase hex SHA-256 of `body`.
pub fn body_sha256(body: &[u8]) -> String {
    encoding::hex_encode(digest::digest(&digest::SHA256, body).as_ref())
}

/// The action fingerprint: lowercase hex SHA-256 over the length-prefixed (u64
/// big-endian) fields `"tenxyte-hitl-v1"`, agent token id, upper-cased method, canonical
/// path, SHA-256 of the body bytes, and the permission (a presence byte `0`/`1`, then
/// the code). Length prefixes make the encoding injective: no two different actions
/// produce the same input.
pub fn fingerprint(
    agent_token_id: &str,
    method: &str,
    path: &str,
    body: &[u8],
    permission: Option<&str>,
) -> Result<String> {
    let method = canonical_method(method)?;
    let path = canonical_path(path)?;
    let body_hash = digest::digest(&digest::SHA256, body);
    let mut buf = Vec::with_capacity(128 + path.len());
    put_field(&mut buf, b"tenxyte-hitl-v1");
    put_field(&mut buf, agent_token_id.as_bytes());
    put_field(&mut buf, method.as_bytes());
    put_field(&mut buf, path.as_bytes());
    put_field(&mut buf, body_hash.as_ref());
    match permission {
        None => put_field(&mut buf, &[0]),
        Some(p) => {
            put_field(&mut buf, &[1]);
            put_field(&mut buf, p.as_bytes());
        }
    }
    Ok(encoding::hex_encode(
        digest::digest(&digest::SHA256, &buf).as_ref(),
    ))
}

/// What a new pending action is about.
#[derive(Debug, Clone)]
pub struct ActionRequest<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// Request path (query included).
    pub path: &'a str,
    /// Body bytes.
    pub body: &'a [u8],
    /// Permission the route needs.
    pub permission: Option<&'a str>,
    /// Validated trace id.
    pub trace_id: Option<&'a str>,
}

/// Creates a pending action for `token` at `now` with the 32 confirmation random bytes
/// supplied. `payload` is what the consent screen shows.
pub fn new_pending_action(
    token: &AgentToken,
    request: &ActionRequest<'_>,
    payload: Value,
    lifetime_secs: u64,
    now: i64,
    random: &[u8; SECRET_BYTES],
) -> Result<(PendingAction, RawSecret)> {
    let fp = fingerprint(
        &token.id,
        request.method,
        request.path,
        request.body,
        request.permission,
    )?;
    let secret = secret::generate_with_random(SecretKind::Approval, random);
    let mut id_input = b"tenxyte pending action id\0".to_vec();
    id_input.extend_from_slice(random);
    let id_hash = encoding::hex_encode(digest::digest(&digest::SHA256, &id_input).as_ref());
    let id = format!("pa_{}", id_hash.get(..24).unwrap_or(&id_hash));
    let (raw, hash) = secret.into_parts();
    let lifetime = i64::try_from(lifetime_secs).unwrap_or(i64::MAX);
    let action = PendingAction {
        id,
        confirmation_hash: hash,
        agent_token_id: token.id.clone(),
        delegated_by: token.delegated_by.clone(),
        permission: request.permission.map(str::to_owned),
        method: canonical_method(request.method)?,
        path: canonical_path(request.path)?,
        body_sha256: body_sha256(request.body),
        fingerprint: fp,
        payload,
        status: ActionStatus::Pending,
        created_at: now,
        expires_at: now.saturating_add(lifetime),
        decided_at: None,
        decided_by: None,
        consumed_at: None,
        trace_id: request.trace_id.map(str::to_owned),
    };
    Ok((action, RawSecret(raw)))
}

/// Checks that `actor` may decide `action` at `now`. The ownership check comes first,
/// before any state is looked at or changed (Tenxyte persisted the decision first).
fn check_decidable(action: &PendingAction, actor_user_id: &str, now: i64) -> Result<()> {
    if action.delegated_by != actor_user_id {
        return Err(err(
            ErrorCode::NotDelegatingUser,
            "only the human who delegated the agent token may decide its actions",
        ));
    }
    match action.status_at(now) {
        ActionStatus::Pending => Ok(()),
        ActionStatus::Denied => Err(err(
            ErrorCode::ConfirmationDenied,
            "the action was already denied",
        )),
        ActionStatus::Confirmed | ActionStatus::Consumed => Err(err(
            ErrorCode::ConfirmationUsed,
            "the action was already decided",
        )),
        ActionStatus::Expired => Err(err(
            ErrorCode::ConfirmationExpired,
            "the pending action has expired",
        )),
    }
}

/// The result of a human decision on a pending action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionTransition {
    /// The updated action.
    pub action: PendingAction,
    /// What to persist (the action write, compare-and-swap, then the audit event).
    pub changes: Vec<StateChange>,
}

fn decide_action(
    action: &PendingAction,
    token: &AgentToken,
    actor_user_id: &str,
    now: i64,
    status: ActionStatus,
    kind: EventKind,
    pii_keys: &[String],
) -> Result<ActionTransition> {
    check_decidable(action, actor_user_id, now)?;
    if token.id != action.agent_token_id {
        return Err(err(
            ErrorCode::InvalidInput,
            "the agent token given is not the one that asked for this action",
        ));
    }
    let mut updated = action.clone();
    updated.status = status;
    updated.decided_at = Some(now);
    updated.decided_by = Some(actor_user_id.to_owned());
    let event = AuditEvent::new(
        kind,
        token,
        now,
        &serde_json::json!({"pending_action_id": action.id, "method": action.method, "path": action.path}),
        pii_keys,
    )
    .with_actor(actor_user_id)
    .with_permission(action.permission.as_deref())
    .with_trace_id(action.trace_id.as_deref());
    Ok(ActionTransition {
        changes: vec![
            StateChange::PutPendingAction {
                action: Box::new(updated.clone()),
                on_conflict: OnConflict::Redecide,
            },
            event.into_change(),
        ],
        action: updated,
    })
}

/// The delegating human approves `action` (requested by `token`). Errors:
/// `not_delegating_user` (checked first), `confirmation_used`, `confirmation_denied`,
/// `confirmation_expired`.
pub fn confirm(
    action: &PendingAction,
    token: &AgentToken,
    actor_user_id: &str,
    now: i64,
    pii_keys: &[String],
) -> Result<ActionTransition> {
    decide_action(
        action,
        token,
        actor_user_id,
        now,
        ActionStatus::Confirmed,
        EventKind::ApprovalConfirmed,
        pii_keys,
    )
}

/// The delegating human refuses `action`; same checks as [`confirm`].
pub fn deny(
    action: &PendingAction,
    token: &AgentToken,
    actor_user_id: &str,
    now: i64,
    pii_keys: &[String],
) -> Result<ActionTransition> {
    decide_action(
        action,
        token,
        actor_user_id,
        now,
        ActionStatus::Denied,
        EventKind::ApprovalDenied,
        pii_keys,
    )
}

/// The agent's retry with `X-Action-Confirmation: raw_confirmation`: succeeds once, for
/// the identical action, by the same agent token, and returns the consumed action (write
/// it compare-and-swap; a conflict means another request redeemed it first).
///
/// Checks, in order: the confirmation hashes to this action and the agent token is the
/// one that asked (`confirmation_mismatch`); the action is not denied
/// (`confirmation_denied`), consumed (`confirmation_used`) or expired
/// (`confirmation_expired`); it is confirmed (`approval_required` while pending); the
/// request's fingerprint equals the approved one (`confirmation_mismatch`).
pub fn redeem(
    action: &PendingAction,
    raw_confirmation: &str,
    request_fingerprint: &str,
    agent_token_id: &str,
    now: i64,
) -> Result<PendingAction> {
    let same_token = crate::ct::eq(action.agent_token_id.as_bytes(), agent_token_id.as_bytes());
    if !secret::verify(raw_confirmation, &action.confirmation_hash) || !same_token {
        return Err(err(
            ErrorCode::ConfirmationMismatch,
            "the confirmation does not belong to this agent token",
        ));
    }
    match action.status_at(now) {
        ActionStatus::Denied => {
            return Err(err(
                ErrorCode::ConfirmationDenied,
                "the human denied this action",
            ))
        }
        ActionStatus::Consumed => {
            return Err(err(
                ErrorCode::ConfirmationUsed,
                "the confirmation was already used",
            ))
        }
        ActionStatus::Expired => {
            return Err(err(
                ErrorCode::ConfirmationExpired,
                "the pending action has expired",
            ))
        }
        ActionStatus::Pending => {
            return Err(err(
                ErrorCode::ApprovalRequired,
                "the human has not approved this action yet",
            ))
        }
        ActionStatus::Confirmed => {}
    }
    if !crate::ct::eq(
        action.fingerprint.as_bytes(),
        request_fingerprint.as_bytes(),
    ) {
        return Err(err(
            ErrorCode::ConfirmationMismatch,
            "the request differs from the approved action (method, path, body or permission)",
        ));
    }
    let mut consumed = action.clone();
    consumed.status = ActionStatus::Consumed;
    consumed.consumed_at = Some(now);
    Ok(consumed)
}
