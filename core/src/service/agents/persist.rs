//! Loading agent records and persisting an [`AgentDecision`]'s state changes.
//!
//! Every record write is a compare-and-swap against the version this flow read; the
//! caller learns about a conflict that means "re-decide" and starts over on fresh records.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::super::audit::{self, AuditEntry};
use super::super::records::User;
use super::super::users::{self, load, store, Versioned};
use super::super::{Engine, RequestContext};
use crate::agent::{
    AgentToken, AuditEvent, DelegatingHuman, EventKind, OnConflict, PendingAction, StateChange,
    MAX_DELEGATION_DEPTH,
};
use crate::config::AgentSettings;
use crate::drive::StorePort;
use crate::error::{err, ErrorCode, Result};
use crate::rbac::Snapshot;
use crate::secret;
use crate::store::{keys, Expect};

/// `last_used_at` is display data; refreshing it at most once a minute spares a record
/// write per request (the engine asks for it with skip-on-conflict, so it is optional).
const TOUCH_EVERY_SECS: i64 = 60;

/// `agent_tokens_by_hash` entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct HashEntry {
    pub token_id: String,
}

/// `agent_tokens_by_user` entry.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub(super) struct UserTokenEntry {
    pub token_id: String,
}

/// `agent_pending_by_user` entry.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub(super) struct UserPendingEntry {
    pub confirmation_hash: String,
    pub action_id: String,
}

/// `agent_pending_by_id` entry.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub(super) struct PendingIdEntry {
    pub confirmation_hash: String,
}

/// The PII keys agent audit details and pending-action payloads are redacted with.
pub(super) fn pii_keys() -> Vec<String> {
    crate::agent::default_pii_keys()
}

pub(super) async fn load_token(
    port: &StorePort,
    id: &str,
) -> Result<Option<Versioned<AgentToken>>> {
    load(port, keys::AGENT_TOKENS, &keys::agent_token(id)).await
}

/// The record of a presented raw `txa_…` token: hash index, then the record, which must
/// carry the same hash (a dangling or stale index entry is treated as absent).
pub(super) async fn find_by_raw(
    port: &StorePort,
    raw: &str,
) -> Result<Option<Versioned<AgentToken>>> {
    if raw.is_empty() || raw.len() > secret::MAX_RAW_LEN {
        return Ok(None);
    }
    let hash = secret::hash(raw);
    let Some(entry) = load::<HashEntry>(
        port,
        keys::AGENT_TOKENS_BY_HASH,
        &keys::agent_token_by_hash(&hash),
    )
    .await?
    else {
        return Ok(None);
    };
    let Some(token) = load_token(port, &entry.value.token_id).await? else {
        return Ok(None);
    };
    Ok(secret::verify(raw, &token.value.token_hash).then_some(token))
}

/// The delegation chain of `token`, parent first. `None` when an ancestor is missing
/// (tokens are never deleted, so that is corruption: the caller refuses).
pub(super) async fn load_chain(
    port: &StorePort,
    token: &AgentToken,
) -> Result<Option<Vec<Versioned<AgentToken>>>> {
    let mut chain = Vec::new();
    let mut next = token.parent_token_id.clone();
    while let Some(id) = next {
        if chain.len() > usize::from(MAX_DELEGATION_DEPTH) {
            return Err(err(
                ErrorCode::InvalidInput,
                "delegation chain: longer than the maximum depth",
            ));
        }
        let Some(parent) = load_token(port, &id).await? else {
            return Ok(None);
        };
        next = parent.value.parent_token_id.clone();
        chain.push(parent);
    }
    Ok(Some(chain))
}

/// The pending action a raw `X-Action-Confirmation` hashes to, if any.
pub(super) async fn load_pending_by_raw(
    port: &StorePort,
    raw: &str,
) -> Result<Option<Versioned<PendingAction>>> {
    if raw.is_empty() || raw.len() > secret::MAX_RAW_LEN {
        return Ok(None);
    }
    load_pending(port, &secret::hash(raw)).await
}

pub(super) async fn load_pending(
    port: &StorePort,
    confirmation_hash: &str,
) -> Result<Option<Versioned<PendingAction>>> {
    load(
        port,
        keys::AGENT_PENDING_ACTIONS,
        &keys::pending_action(confirmation_hash),
    )
    .await
}

/// The delegating human of a token, from their user record (the core's one rule:
/// [`DelegatingHuman`]).
pub(super) type Human<'a> = DelegatingHuman<&'a Snapshot>;

pub(super) fn human_of<'a>(policy: &'a Snapshot, user: Option<&User>) -> Human<'a> {
    DelegatingHuman::new(
        policy,
        user.map(users::subject),
        user.is_some_and(|u| u.is_active),
    )
}

/// Store TTL of a pending action: until its expiry, plus the retention of decided and
/// expired actions (so a replay still answers `confirmation_used`, not "unknown").
pub(super) fn pending_ttl(action: &PendingAction, now: i64, s: &AgentSettings) -> u64 {
    let left = u64::try_from(action.expires_at.saturating_sub(now)).unwrap_or(0);
    left.saturating_add(s.action_retention_secs).max(1)
}

/// Versions read by the flow, keyed by token id and by confirmation hash.
#[derive(Debug, Default)]
pub(super) struct Read {
    pub tokens: BTreeMap<String, Versioned<AgentToken>>,
    pub actions: BTreeMap<String, u64>,
}

impl Read {
    pub fn token(mut self, t: &Versioned<AgentToken>) -> Self {
        self.tokens.insert(t.value.id.clone(), t.clone());
        self
    }

    pub fn action(mut self, a: Option<&Versioned<PendingAction>>) -> Self {
        if let Some(a) = a {
            self.actions
                .insert(a.value.confirmation_hash.clone(), a.version);
        }
        self
    }
}

/// How applying a decision's changes ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Applied {
    /// Every change is persisted.
    Done,
    /// Change number `at` (a re-decide write) lost a race; the changes after it were not
    /// applied.
    Conflict { at: usize },
}

/// Persists `changes` in order. Record writes are CAS against `read`; a lost
/// skip-on-conflict write is dropped, a lost re-decide write stops here.
pub(super) async fn apply(
    port: &StorePort,
    e: &Engine,
    ctx: &RequestContext,
    changes: &[StateChange],
    read: &mut Read,
) -> Result<Applied> {
    let s = &e.settings().agents;
    for (at, change) in changes.iter().enumerate() {
        match change {
            StateChange::PutToken { token, on_conflict } => {
                let current = read.tokens.get(&token.id);
                if *on_conflict == OnConflict::Skip && fresh_touch(current, token) {
                    continue;
                }
                let expect = current.map_or(Expect::Absent, |c| Expect::Version(c.version));
                let outcome = port
                    .put(
                        keys::AGENT_TOKENS,
                        &keys::agent_token(&token.id),
                        users::encode(token.as_ref())?,
                        None,
                        expect,
                    )
                    .await?;
                match outcome {
                    crate::store::PutOutcome::Written { version } => {
                        read.tokens.insert(
                            token.id.clone(),
                            Versioned {
                                value: token.as_ref().clone(),
                                version,
                            },
                        );
                    }
                    _ if *on_conflict == OnConflict::Skip => {}
                    _ => return Ok(Applied::Conflict { at }),
                }
            }
            StateChange::PutPendingAction {
                action,
                on_conflict,
            } => {
                let known = read.actions.get(&action.confirmation_hash).copied();
                let expect = known.map_or(Expect::Absent, Expect::Version);
                let ttl = pending_ttl(action, ctx.now, s);
                let outcome = port
                    .put(
                        keys::AGENT_PENDING_ACTIONS,
                        &keys::pending_action(&action.confirmation_hash),
                        users::encode(action.as_ref())?,
                        Some(ttl),
                        expect,
                    )
                    .await?;
                match outcome {
                    crate::store::PutOutcome::Written { version } => {
                        read.actions
                            .insert(action.confirmation_hash.clone(), version);
                        if known.is_none() {
                            index_pending(port, action, ttl).await?;
                        }
                    }
                    _ if *on_conflict == OnConflict::Skip => {}
                    _ => return Ok(Applied::Conflict { at }),
                }
            }
            StateChange::Increment(i) => {
                port.incr(&i.ns, &i.key, i.delta, i.ttl_secs).await?;
            }
            StateChange::DeleteCounter { ns, key } => {
                port.delete(ns, key).await?;
            }
            StateChange::AppendEvent { event } => append_event(port, e, ctx, event).await?,
        }
    }
    Ok(Applied::Done)
}

/// True when a skip-on-conflict touch would only move `last_used_at` by less than a
/// minute (and change nothing else).
fn fresh_touch(current: Option<&Versioned<AgentToken>>, next: &AgentToken) -> bool {
    let Some(current) = current else {
        return false;
    };
    let (Some(before), Some(after)) = (current.value.last_used_at, next.last_used_at) else {
        return false;
    };
    let same_otherwise = AgentToken {
        last_used_at: current.value.last_used_at,
        ..next.clone()
    } == current.value;
    same_otherwise && after.saturating_sub(before) < TOUCH_EVERY_SECS
}

/// The two indexes of a new pending action, written after it (a dangling entry reads as
/// absent).
async fn index_pending(port: &StorePort, action: &PendingAction, ttl: u64) -> Result<()> {
    let by_user = UserPendingEntry {
        confirmation_hash: action.confirmation_hash.clone(),
        action_id: action.id.clone(),
    };
    store(
        port,
        keys::AGENT_PENDING_BY_USER,
        &keys::user_pending_action(&action.delegated_by, &action.confirmation_hash),
        &by_user,
        Some(ttl),
        Expect::Any,
    )
    .await?;
    let by_id = PendingIdEntry {
        confirmation_hash: action.confirmation_hash.clone(),
    };
    store(
        port,
        keys::AGENT_PENDING_BY_ID,
        &keys::pending_action_by_id(&action.id),
        &by_id,
        Some(ttl),
        Expect::Any,
    )
    .await?;
    Ok(())
}

fn kind_name(kind: EventKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "event".to_owned())
}

/// Appends an engine audit event to the audit trail: the user is the human the agent
/// acts for, the agent index is the agent token, the actor the human operator or else
/// the agent token. The trace id is the one the engine validated (an invalid header is
/// dropped, never stored), so the context's raw header is not used.
pub(super) async fn append_event(
    port: &StorePort,
    e: &Engine,
    ctx: &RequestContext,
    event: &AuditEvent,
) -> Result<()> {
    // `audit::append` checks this too; checking first skips building the entry.
    if !e.settings().audit.enabled {
        return Ok(());
    }
    let outcome = match (event.kind, &event.code) {
        (EventKind::ApprovalRequested, _) => "pending",
        (_, Some(_)) => "failure",
        (_, None) => "success",
    };
    let entry = AuditEntry {
        action: format!("agent_{}", kind_name(event.kind)),
        outcome: outcome.to_owned(),
        user_id: Some(event.on_behalf_of.clone()),
        actor: Some(
            event
                .actor_user_id
                .clone()
                .unwrap_or_else(|| event.agent_token_id.clone()),
        ),
        agent_id: Some(event.agent_token_id.clone()),
        trace_id: event.trace_id.clone(),
        code: event.code.clone(),
        details: json!({
            "agent_label": event.agent_id,
            "delegation_chain": event.delegation_chain,
            "permission": event.permission,
            "event": event.details(),
        }),
        ..AuditEntry::default()
    };
    let ctx = RequestContext {
        trace_id: None,
        ..ctx.clone()
    };
    audit::append(port, e, &ctx, entry).await
}

/// Audits a refused human or agent operation (no engine event exists for it).
pub(super) async fn audit_refusal(
    port: &StorePort,
    e: &Engine,
    ctx: &RequestContext,
    action: &str,
    user_id: Option<&str>,
    agent_token_id: Option<&str>,
    error: &crate::error::Error,
) -> Result<()> {
    let entry = AuditEntry::failure(action, user_id, error.code())
        .agent(agent_token_id)
        .details(json!({ "reason": error.message() }));
    audit::append(port, e, ctx, entry).await
}

/// Writes a new token (sub-token or root): the user index first (so revoke-all and the
/// token list always see a usable token), then the record, then the hash index that
/// makes the raw token usable, then the audit event.
pub(super) async fn persist_new_token(
    port: &StorePort,
    e: &Engine,
    ctx: &RequestContext,
    token: &AgentToken,
    event: &AuditEvent,
) -> Result<()> {
    let entry = UserTokenEntry {
        token_id: token.id.clone(),
    };
    store(
        port,
        keys::AGENT_TOKENS_BY_USER,
        &keys::user_agent_token(&token.delegated_by, &token.id),
        &entry,
        None,
        Expect::Any,
    )
    .await?;
    let created = store(
        port,
        keys::AGENT_TOKENS,
        &keys::agent_token(&token.id),
        token,
        None,
        Expect::Absent,
    )
    .await?;
    if !created {
        return Err(err(
            ErrorCode::Internal,
            "an agent token with this id already exists",
        ));
    }
    let by_hash = HashEntry {
        token_id: token.id.clone(),
    };
    let indexed = store(
        port,
        keys::AGENT_TOKENS_BY_HASH,
        &keys::agent_token_by_hash(&token.token_hash),
        &by_hash,
        None,
        Expect::Absent,
    )
    .await?;
    if !indexed {
        return Err(err(
            ErrorCode::Internal,
            "an agent token with this hash already exists",
        ));
    }
    append_event(port, e, ctx, event).await
}

/// The record as shown to its human: everything but the lookup hash.
pub(super) fn view(mut token: AgentToken) -> AgentToken {
    token.token_hash = String::new();
    token
}
