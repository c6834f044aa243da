//! Maintenance: the dead man's switch for tokens that make no request, and purging
//! pending actions a store's TTL did not remove.

use serde_json::json;

use super::super::users::{decode, CAS_ATTEMPTS};
use super::super::{Engine, RequestContext};
use super::persist::{append_event, load_token, pii_keys};
use crate::agent::{AgentToken, AuditEvent, EventKind, PendingAction, SuspendReason, TokenStatus};
use crate::drive::StorePort;
use crate::error::{ErrorCode, Result};
use crate::store::{keys, Expect, PutOutcome};

const SCAN_PAGE: u32 = 100;

fn overdue(t: &AgentToken, now: i64) -> bool {
    t.status == TokenStatus::Active && !t.is_expired_at(now) && t.heartbeat_missed_at(now)
}

/// Suspends (reason `heartbeat_missing`) every active, unexpired token whose heartbeat is
/// overdue at `ctx.now`, even one that makes no request (requests find it lazily anyway),
/// and deletes pending actions past their expiry plus `agents.action_retention_secs`
/// with their index entries. Returns how many tokens this run suspended.
///
/// Idempotent and safe to run concurrently with itself and with request flows: each
/// suspension is a compare-and-swap on the version read; a lost race re-reads the record
/// and suspends only if it is still overdue, so one suspension is counted and audited once.
pub async fn sweep_overdue_heartbeats(
    port: &StorePort,
    engine: &Engine,
    ctx: &RequestContext,
) -> Result<usize> {
    let mut suspended = 0;
    let mut cursor: Option<String> = None;
    loop {
        let page = port
            .list(keys::AGENT_TOKENS, "", SCAN_PAGE, cursor.as_deref())
            .await?;
        for (_, record) in page.items {
            let t: AgentToken = decode(keys::AGENT_TOKENS, record)?.value;
            if overdue(&t, ctx.now) && suspend_overdue(port, engine, ctx, &t.id).await? {
                suspended += 1;
            }
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    purge_pending(port, engine, ctx.now).await?;
    Ok(suspended)
}

/// `true` when this call wrote the suspension.
async fn suspend_overdue(
    port: &StorePort,
    e: &Engine,
    ctx: &RequestContext,
    token_id: &str,
) -> Result<bool> {
    for _ in 0..CAS_ATTEMPTS {
        let Some(current) = load_token(port, token_id).await? else {
            return Ok(false);
        };
        if !overdue(&current.value, ctx.now) {
            return Ok(false);
        }
        let next = current
            .value
            .suspended(SuspendReason::HeartbeatMissing, ctx.now);
        let outcome = port
            .put(
                keys::AGENT_TOKENS,
                &keys::agent_token(token_id),
                super::super::users::encode(&next)?,
                None,
                Expect::Version(current.version),
            )
            .await?;
        if matches!(outcome, PutOutcome::Written { .. }) {
            let event = AuditEvent::new(
                EventKind::TokenSuspended,
                &next,
                ctx.now,
                &json!({ "reason": SuspendReason::HeartbeatMissing, "by": "sweep" }),
                &pii_keys(),
            )
            .with_code(ErrorCode::HeartbeatMissing);
            append_event(port, e, ctx, &event).await?;
            return Ok(true);
        }
    }
    // Sustained contention: another writer keeps changing the record; the next request
    // or sweep will judge it again.
    Ok(false)
}

async fn purge_pending(port: &StorePort, e: &Engine, now: i64) -> Result<()> {
    let retention = i64::try_from(e.settings().agents.action_retention_secs).unwrap_or(i64::MAX);
    let mut cursor: Option<String> = None;
    loop {
        let page = port
            .list(
                keys::AGENT_PENDING_ACTIONS,
                "",
                SCAN_PAGE,
                cursor.as_deref(),
            )
            .await?;
        for (key, record) in page.items {
            let a: PendingAction = decode(keys::AGENT_PENDING_ACTIONS, record)?.value;
            if now >= a.expires_at.saturating_add(retention) {
                // Indexes first: a crash leaves the action, which the next sweep finds.
                port.delete(
                    keys::AGENT_PENDING_BY_USER,
                    &keys::user_pending_action(&a.delegated_by, &a.confirmation_hash),
                )
                .await?;
                port.delete(
                    keys::AGENT_PENDING_BY_ID,
                    &keys::pending_action_by_id(&a.id),
                )
                .await?;
                port.delete(keys::AGENT_PENDING_ACTIONS, &key).await?;
            }
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(()),
        }
    }
}
