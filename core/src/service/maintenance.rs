//! The periodic tasks as one flow a host schedules (cron, Celery beat, a Worker cron
//! trigger): purge what the store's TTL did not already drop, clean index entries that
//! point at nothing, suspend agent tokens whose heartbeat is overdue (even when they make
//! no request), and rotate the audit log past its retention.
//!
//! Every step is idempotent and only removes records that are terminal (expired, orphaned,
//! past retention), so two runs at once are safe: both may delete the same key, which the
//! store answers `false` the second time. A run is bounded by `max_scan` records per
//! namespace and says whether work remains.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::audit::AuditEntry;
use super::users::decode;
use super::{Engine, RequestContext};
use crate::drive::{Flow, StorePort};
use crate::error::Result;
use crate::store::{keys, Record};

/// Options of one maintenance run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MaintenanceRequest {
    /// At most this many records are examined per namespace (default 10 000).
    pub max_scan: u32,
}

impl Default for MaintenanceRequest {
    fn default() -> Self {
        MaintenanceRequest { max_scan: 10_000 }
    }
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaintenanceReport {
    /// Records examined.
    pub scanned: u64,
    /// Expired records removed (refresh tokens, blacklist entries, challenges, links,
    /// pending actions, invitations).
    pub expired_removed: u64,
    /// Index entries removed because their record is gone.
    pub orphans_removed: u64,
    /// Audit events (and their index copies) removed past retention.
    pub audit_removed: u64,
    /// Agent tokens suspended because their heartbeat is overdue.
    pub agents_suspended: u64,
    /// True when a namespace hit `max_scan`: run again.
    pub more: bool,
}

/// Records that carry their own logical expiry (`expires_at`, or `exp` for the
/// blacklist), with extra seconds they are kept past it.
fn expiring(e: &Engine) -> [(&'static str, &'static str, i64); 6] {
    let keep_actions = i64::try_from(e.settings().agents.action_retention_secs).unwrap_or(i64::MAX);
    [
        (keys::REFRESH_TOKENS, "expires_at", 0),
        (keys::JWT_BLACKLIST, "exp", 0),
        (keys::OTP_CHALLENGES, "expires_at", 0),
        (keys::MAGIC_LINKS, "expires_at", 0),
        (keys::AGENT_PENDING_ACTIONS, "expires_at", keep_actions),
        (keys::ORG_INVITATIONS, "expires_at", 0),
    ]
}

/// Index namespaces whose entries name a record in another namespace: `(index, target,
/// how the target key is derived from the entry key's item segment)`.
const INDEXES: [(&str, &str); 4] = [
    (keys::USER_SESSIONS, keys::SESSIONS),
    (keys::USER_REFRESH_TOKENS, keys::REFRESH_TOKENS),
    (keys::USER_MAGIC_LINKS, keys::MAGIC_LINKS),
    (keys::ORG_INVITATIONS_BY_ORG, keys::ORG_INVITATIONS),
];

impl Engine {
    /// Runs the maintenance tasks once.
    pub fn maintenance(
        &self,
        req: MaintenanceRequest,
        ctx: RequestContext,
    ) -> Flow<MaintenanceReport> {
        self.flow(move |e, port| async move { run(&port, &e, &req, &ctx).await })
    }
}

async fn run(
    port: &StorePort,
    e: &Engine,
    req: &MaintenanceRequest,
    ctx: &RequestContext,
) -> Result<MaintenanceReport> {
    let mut report = MaintenanceReport::default();
    let max = req.max_scan.max(1);
    for (ns, field, keep) in expiring(e) {
        let (partial, expired) = scan(port, ns, "", max, &mut report, |_, record| {
            let expiry = record.value.get(field).and_then(Value::as_i64);
            Ok(expiry.is_some_and(|t| t.saturating_add(keep) <= ctx.now))
        })
        .await?;
        report.more |= partial;
        for key in expired {
            if port.delete(ns, &key).await? {
                report.expired_removed += 1;
            }
        }
    }
    for (index, target) in INDEXES {
        let (more, candidates) = scan(port, index, "", max, &mut report, |_, _| Ok(true)).await?;
        report.more |= more;
        for key in candidates {
            // `<owner>/<item>`: the item segment is the target's key as written.
            let Some((_, item)) = key.split_once(keys::SEP) else {
                continue;
            };
            if port.get(target, item).await?.is_none() && port.delete(index, &key).await? {
                report.orphans_removed += 1;
            }
        }
    }
    let suspended = super::agents::sweep_overdue_heartbeats(port, e, ctx).await?;
    report.agents_suspended = u64::try_from(suspended).unwrap_or(u64::MAX);
    rotate_audit(port, e, ctx, max, &mut report).await?;
    Ok(report)
}

/// Scans `ns` under `prefix` (at most `max` records) and returns the keys `pick` selects,
/// plus whether the scan stopped early.
async fn scan<F>(
    port: &StorePort,
    ns: &str,
    prefix: &str,
    max: u32,
    report: &mut MaintenanceReport,
    mut pick: F,
) -> Result<(bool, Vec<String>)>
where
    F: FnMut(&str, &Record) -> Result<bool>,
{
    let mut picked = Vec::new();
    let mut cursor: Option<String> = None;
    let mut seen: u32 = 0;
    loop {
        let page = port
            .list(
                ns,
                prefix,
                200.min(max.saturating_sub(seen)).max(1),
                cursor.as_deref(),
            )
            .await?;
        for (key, record) in &page.items {
            seen = seen.saturating_add(1);
            report.scanned += 1;
            if pick(key, record)? {
                picked.push(key.clone());
            }
        }
        match page.next_cursor {
            Some(c) if seen < max => cursor = Some(c),
            Some(_) => return Ok((true, picked)),
            None => return Ok((false, picked)),
        }
    }
}

/// Deletes audit events older than the retention, oldest first (key order is time
/// order, so the scan stops at the first event still inside the window).
async fn rotate_audit(
    port: &StorePort,
    e: &Engine,
    ctx: &RequestContext,
    max: u32,
    report: &mut MaintenanceReport,
) -> Result<()> {
    let retention = e.settings().audit.retention_secs;
    if retention == 0 {
        return Ok(());
    }
    let cutoff = ctx
        .now
        .saturating_sub(i64::try_from(retention).unwrap_or(i64::MAX));
    let mut seen: u32 = 0;
    loop {
        // Always from the start: deleted keys no longer appear.
        let page = port
            .list(
                keys::AUDIT,
                "",
                200.min(max.saturating_sub(seen)).max(1),
                None,
            )
            .await?;
        let mut stopped = page.next_cursor.is_none();
        for (key, record) in page.items {
            seen = seen.saturating_add(1);
            report.scanned += 1;
            let entry: AuditEntry = decode(keys::AUDIT, record)?.value;
            if entry.at > cutoff {
                return Ok(());
            }
            // Index copies first: the main entry is how the next run finds them.
            for (ns, owner) in [
                (keys::AUDIT_BY_USER, &entry.user_id),
                (keys::AUDIT_BY_ORG, &entry.org_id),
                (keys::AUDIT_BY_AGENT, &entry.agent_id),
            ] {
                if let Some(owner) = owner {
                    port.delete(ns, &keys::audit_index(owner, entry.at, &entry.id))
                        .await?;
                }
            }
            if port.delete(keys::AUDIT, &key).await? {
                report.audit_removed += 1;
            }
        }
        if seen >= max {
            report.more = !stopped;
            stopped = true;
        }
        if stopped {
            return Ok(());
        }
    }
}
