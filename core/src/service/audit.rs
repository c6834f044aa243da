//! The audit trail: every security event appended with its actor, agent, organization,
//! trace id and redacted details, and queried by user, organization, agent or time range.
//!
//! An event is written once to `audit` (all events, time-ordered) and once to each index
//! it belongs to (`audit_by_user`, `audit_by_org`, `audit_by_agent`), each copy carrying
//! the whole event so a page of results is one `list`. Every copy expires after
//! `audit.retention_secs`; the maintenance flow purges what a store's TTL did not.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::users::{decode, encode};
use super::{Engine, RequestContext};
use crate::agent::redact::{default_pii_keys, redact};
use crate::drive::StorePort;
use crate::error::{err, ErrorCode, Result};
use crate::store::{keys, Expect};

/// One audit event.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditEntry {
    /// Event id.
    pub id: String,
    /// Unix seconds.
    pub at: i64,
    /// What happened: `login`, `login_failed`, `logout`, `refresh_token_reuse`, …
    pub action: String,
    /// `success` or `failure`.
    pub outcome: String,
    /// The user the event is about (the account, or the human behind an agent).
    pub user_id: Option<String>,
    /// Who did it, when not the user themself (an admin, an agent token id).
    pub actor: Option<String>,
    /// The organization, when the event is scoped to one.
    pub org_id: Option<String>,
    /// The agent token, for AIRS events.
    pub agent_id: Option<String>,
    /// Client IP.
    pub ip: Option<String>,
    /// Application id.
    pub app_id: Option<String>,
    /// `X-Prompt-Trace-ID`.
    pub trace_id: Option<String>,
    /// The error code of a refusal.
    pub code: Option<String>,
    /// Redacted, size-capped details.
    pub details: Value,
}

impl AuditEntry {
    /// A successful event about `user_id` (or nobody).
    pub fn success(action: &str, user_id: Option<&str>) -> AuditEntry {
        AuditEntry {
            action: action.to_owned(),
            outcome: "success".to_owned(),
            user_id: user_id.map(str::to_owned),
            ..AuditEntry::default()
        }
    }

    /// A refused event with its error code.
    pub fn failure(action: &str, user_id: Option<&str>, code: ErrorCode) -> AuditEntry {
        AuditEntry {
            action: action.to_owned(),
            outcome: "failure".to_owned(),
            user_id: user_id.map(str::to_owned),
            code: Some(code.as_str().to_owned()),
            ..AuditEntry::default()
        }
    }

    /// Sets the details (redacted and capped when written).
    pub fn details(mut self, details: Value) -> AuditEntry {
        self.details = details;
        self
    }

    /// Sets the organization.
    pub fn org(mut self, org_id: Option<&str>) -> AuditEntry {
        self.org_id = org_id.map(str::to_owned);
        self
    }

    /// Sets the agent token.
    pub fn agent(mut self, agent_id: Option<&str>) -> AuditEntry {
        self.agent_id = agent_id.map(str::to_owned);
        self
    }

    /// Sets the actor.
    pub fn actor(mut self, actor: Option<&str>) -> AuditEntry {
        self.actor = actor.map(str::to_owned);
        self
    }
}

/// Appends an event (a no-op when `audit.enabled` is off). Fills id, time, IP, app and
/// trace id from the context, redacts PII keys and caps the details.
pub async fn append(
    port: &StorePort,
    engine: &Engine,
    ctx: &RequestContext,
    mut entry: AuditEntry,
) -> Result<()> {
    let settings = &engine.settings().audit;
    if !settings.enabled {
        return Ok(());
    }
    entry.id = engine.next_event_id()?;
    entry.at = ctx.now;
    entry.ip = entry.ip.or_else(|| ctx.ip.clone());
    entry.app_id = entry.app_id.or_else(|| ctx.app_id.clone());
    entry.trace_id = entry.trace_id.or_else(|| ctx.trace_id.clone());
    entry.details = cap(
        redact(&entry.details, &default_pii_keys()),
        settings.details_max_bytes,
    );
    let ttl = (settings.retention_secs > 0).then_some(settings.retention_secs);
    let value = encode(&entry)?;
    let main = keys::audit_event(entry.at, &entry.id);
    port.put(keys::AUDIT, &main, value.clone(), ttl, Expect::Any)
        .await?;
    for (ns, owner) in [
        (keys::AUDIT_BY_USER, &entry.user_id),
        (keys::AUDIT_BY_ORG, &entry.org_id),
        (keys::AUDIT_BY_AGENT, &entry.agent_id),
    ] {
        if let Some(owner) = owner {
            let key = keys::audit_index(owner, entry.at, &entry.id);
            port.put(ns, &key, value.clone(), ttl, Expect::Any).await?;
        }
    }
    Ok(())
}

fn cap(details: Value, max_bytes: u64) -> Value {
    let size = serde_json::to_vec(&details).map_or(usize::MAX, |v| v.len());
    if u64::try_from(size).unwrap_or(u64::MAX) <= max_bytes {
        details
    } else {
        serde_json::json!({ "truncated": true, "bytes": size })
    }
}

/// Which events to list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuditQuery {
    /// Only this user's events.
    pub user_id: Option<String>,
    /// Only this organization's events.
    pub org_id: Option<String>,
    /// Only this agent token's events.
    pub agent_id: Option<String>,
    /// Events at or after this time.
    pub since: Option<i64>,
    /// Events at or before this time.
    pub until: Option<i64>,
    /// Only this action.
    pub action: Option<String>,
    /// Page size (1–200; default 50).
    pub limit: Option<u32>,
    /// The previous page's `next_cursor`.
    pub cursor: Option<String>,
}

/// One page of events, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditPage {
    /// The events.
    pub items: Vec<AuditEntry>,
    /// Pass back as `cursor` for the next page; `None` at the end.
    pub next_cursor: Option<String>,
}

impl Engine {
    /// Lists audit events (see [`query`]). Who may see what is the caller's decision (the
    /// HTTP layer lets users see their own events and audit-permission holders all).
    pub fn audit_query(
        &self,
        q: AuditQuery,
        _ctx: RequestContext,
    ) -> crate::drive::Flow<AuditPage> {
        self.flow(move |_, port| async move { query(&port, &q).await })
    }
}

/// Lists events matching `q`. At most one filter among user, organization and agent may
/// be given (each is its own index).
pub async fn query(port: &StorePort, q: &AuditQuery) -> Result<AuditPage> {
    let (ns, prefix) = match (&q.user_id, &q.org_id, &q.agent_id) {
        (None, None, None) => (keys::AUDIT, String::new()),
        (Some(u), None, None) => (keys::AUDIT_BY_USER, keys::owner_prefix(u)),
        (None, Some(o), None) => (keys::AUDIT_BY_ORG, keys::owner_prefix(o)),
        (None, None, Some(a)) => (keys::AUDIT_BY_AGENT, keys::owner_prefix(a)),
        _ => {
            return Err(err(
                ErrorCode::InvalidInput,
                "filter the audit log by at most one of user_id, org_id, agent_id",
            ))
        }
    };
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(err(ErrorCode::InvalidInput, "limit must lie in 1..=200"));
    }
    let mut cursor = match &q.cursor {
        Some(c) if !c.starts_with(&prefix) => {
            return Err(err(
                ErrorCode::InvalidInput,
                "the cursor belongs to another query",
            ))
        }
        Some(c) => Some(c.clone()),
        None => q.since.and_then(|s| keys::audit_cursor_before(&prefix, s)),
    };
    let mut items = Vec::new();
    // Action filtering can leave pages short; keep scanning until the page is full or the
    // range ends, so a caller never sees an empty page with more to come.
    loop {
        let page = port.list(ns, &prefix, limit, cursor.as_deref()).await?;
        let more = page.next_cursor.is_some();
        for (key, record) in page.items {
            let entry: AuditEntry = decode(ns, record)?.value;
            if q.until.is_some_and(|u| entry.at > u) {
                return Ok(AuditPage {
                    items,
                    next_cursor: None,
                });
            }
            cursor = Some(key);
            if q.action.as_ref().is_none_or(|a| *a == entry.action) {
                items.push(entry);
                if items.len() >= usize::try_from(limit).unwrap_or(usize::MAX) {
                    return Ok(AuditPage {
                        items,
                        // Items may remain after this key (in this page or the next).
                        next_cursor: cursor,
                    });
                }
            }
        }
        if !more {
            return Ok(AuditPage {
                items,
                next_cursor: None,
            });
        }
    }
}
