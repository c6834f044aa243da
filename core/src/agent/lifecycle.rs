//! Human-driven lifecycle: reactivate, suspend, revoke; and the agent's heartbeat.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::counters::{failures_key, COUNTER_NS};
use super::decision::{AuditEvent, EventKind, OnConflict, StateChange};
use super::token::{effective_status, AgentToken, Effective, SuspendReason, TokenStatus};
use crate::error::{err, ErrorCode, Result};

/// A lifecycle change: the new record and what to persist (record write first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    /// The updated record.
    pub token: AgentToken,
    /// The audit event (also among `changes`).
    pub event: AuditEvent,
    /// What to persist, in order.
    pub changes: Vec<StateChange>,
}

fn only_delegator(token: &AgentToken, actor: &str) -> Result<()> {
    if token.delegated_by != actor {
        return Err(err(
            ErrorCode::NotDelegatingUser,
            "only the human who delegated the agent token may do this",
        ));
    }
    Ok(())
}

fn transition(token: AgentToken, event: AuditEvent, mut extra: Vec<StateChange>) -> Transition {
    let mut changes = vec![StateChange::PutToken {
        token: Box::new(token.clone()),
        on_conflict: OnConflict::Redecide,
    }];
    changes.append(&mut extra);
    changes.push(event.clone().into_change());
    Transition {
        token,
        event,
        changes,
    }
}

/// The delegating human reactivates a suspended token. Only from `suspended` (a revoked
/// or expired token stays dead); the reason is cleared. After a failure-limit suspension
/// the failure counter is deleted, after a missed heartbeat the heartbeat clock restarts
/// at `now` (otherwise the next request would suspend again). Counter-based caps (total,
/// budget) are not reset: a token whose cap is used up suspends again on its next request.
pub fn reactivate(
    token: &AgentToken,
    actor_user_id: &str,
    now: i64,
    pii_keys: &[String],
) -> Result<Transition> {
    only_delegator(token, actor_user_id)?;
    match token.status {
        TokenStatus::Suspended => {}
        TokenStatus::Active => {
            return Err(err(
                ErrorCode::InvalidInput,
                "the agent token is not suspended",
            ))
        }
        TokenStatus::Revoked => {
            return Err(err(
                ErrorCode::AgentTokenRevoked,
                "a revoked token cannot be reactivated",
            ))
        }
        TokenStatus::Expired => {
            return Err(err(
                ErrorCode::AgentTokenExpired,
                "an expired token cannot be reactivated",
            ))
        }
    }
    if token.is_expired_at(now) {
        return Err(err(
            ErrorCode::AgentTokenExpired,
            "an expired token cannot be reactivated",
        ));
    }
    let previous = token.suspended_reason;
    let mut updated = AgentToken {
        status: TokenStatus::Active,
        suspended_reason: None,
        suspended_at: None,
        ..token.clone()
    };
    let mut extra = Vec::new();
    match previous {
        Some(SuspendReason::FailureLimit) => extra.push(StateChange::DeleteCounter {
            ns: COUNTER_NS.to_owned(),
            key: failures_key(&token.id),
        }),
        Some(SuspendReason::HeartbeatMissing) => updated.last_heartbeat_at = Some(now),
        _ => {}
    }
    let event = AuditEvent::new(
        EventKind::TokenReactivated,
        &updated,
        now,
        &json!({ "previous_reason": previous }),
        pii_keys,
    )
    .with_actor(actor_user_id);
    Ok(transition(updated, event, extra))
}

/// The delegating human suspends an active token (reason `manual`).
pub fn suspend(
    token: &AgentToken,
    actor_user_id: &str,
    now: i64,
    pii_keys: &[String],
) -> Result<Transition> {
    only_delegator(token, actor_user_id)?;
    if let Some(code) = token.status.deny_code() {
        return Err(err(code, "only an active token can be suspended"));
    }
    let updated = token.suspended(SuspendReason::Manual, now);
    let event = AuditEvent::new(
        EventKind::TokenSuspended,
        &updated,
        now,
        &json!({ "reason": SuspendReason::Manual }),
        pii_keys,
    )
    .with_actor(actor_user_id);
    Ok(transition(updated, event, Vec::new()))
}

/// The delegating human revokes a token (from any state but revoked). Its descendants
/// stop working on their next request (lazy cascade).
pub fn revoke(
    token: &AgentToken,
    actor_user_id: &str,
    now: i64,
    pii_keys: &[String],
) -> Result<Transition> {
    only_delegator(token, actor_user_id)?;
    if token.status == TokenStatus::Revoked {
        return Err(err(
            ErrorCode::AgentTokenRevoked,
            "the agent token is already revoked",
        ));
    }
    let updated = AgentToken {
        status: TokenStatus::Revoked,
        revoked_at: Some(now),
        revoked_by: Some(actor_user_id.to_owned()),
        ..token.clone()
    };
    let event = AuditEvent::new(EventKind::TokenRevoked, &updated, now, &json!({}), pii_keys)
        .with_actor(actor_user_id);
    Ok(transition(updated, event, Vec::new()))
}

/// The agent's heartbeat: only an effectively active token may send one (a late heartbeat
/// does not undo a missed one; its human must reactivate).
pub fn heartbeat(token: &AgentToken, now: i64, pii_keys: &[String]) -> Result<Transition> {
    if let Effective::Inactive { code, .. } = effective_status(token, now) {
        return Err(err(code, "the agent token is not active"));
    }
    let updated = AgentToken {
        last_heartbeat_at: Some(now),
        ..token.clone()
    };
    let event = AuditEvent::new(EventKind::Heartbeat, &updated, now, &json!({}), pii_keys);
    Ok(transition(updated, event, Vec::new()))
}
