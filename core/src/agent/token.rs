//! The agent-token record and its lazily evaluated status.
//!
//! The record holds what changes rarely (grant, limits, status). What changes on every
//! request — request, failure, spend and per-minute counts — lives in store counters named
//! by [`super::counters`], so concurrent app servers can bump them atomically without
//! rewriting (and racing on) the record.

use serde::{Deserialize, Serialize};

use crate::error::ErrorCode;

/// Lifecycle state of an agent token as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenStatus {
    /// Usable, subject to the per-request checks.
    Active,
    /// Stopped by a breaker, the dead man's switch or a human; the delegating human may
    /// reactivate it.
    Suspended,
    /// Stopped for good by a human.
    Revoked,
    /// Past `expires_at` (set lazily by the first request after expiry).
    Expired,
}

impl TokenStatus {
    /// The decision code a request on a token in this state is denied with.
    pub fn deny_code(self) -> Option<ErrorCode> {
        match self {
            TokenStatus::Active => None,
            TokenStatus::Suspended => Some(ErrorCode::AgentTokenSuspended),
            TokenStatus::Revoked => Some(ErrorCode::AgentTokenRevoked),
            TokenStatus::Expired => Some(ErrorCode::AgentTokenExpired),
        }
    }
}

/// Why a token was suspended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuspendReason {
    /// Requests-per-minute limit exceeded while `agents.rate_limit_breach` is `suspend`.
    RateLimit,
    /// Lifetime request cap reached.
    TotalLimit,
    /// Denied-request cap reached.
    FailureLimit,
    /// Spend budget exhausted, or a usage report would have exceeded it.
    Budget,
    /// No heartbeat within the dead man's switch interval.
    HeartbeatMissing,
    /// Suspended by a human.
    Manual,
    /// Suspended because a token it was delegated from was (set by bulk operations; the
    /// per-request check cascades lazily without writing this).
    ParentRevoked,
}

impl SuspendReason {
    /// The decision code of a request that trips this reason.
    pub fn code(self) -> ErrorCode {
        match self {
            SuspendReason::RateLimit => ErrorCode::RateLimited,
            SuspendReason::TotalLimit => ErrorCode::RequestLimitReached,
            SuspendReason::FailureLimit => ErrorCode::FailureLimitReached,
            SuspendReason::Budget => ErrorCode::BudgetExceeded,
            SuspendReason::HeartbeatMissing => ErrorCode::HeartbeatMissing,
            SuspendReason::Manual | SuspendReason::ParentRevoked => ErrorCode::AgentTokenSuspended,
        }
    }
}

/// Per-token circuit-breaker limits. `None` means "no limit" (Tenxyte's 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Requests admitted per sliding minute (see `docs/agents.md` for the window).
    pub max_requests_per_minute: Option<u64>,
    /// Requests over the token's whole life.
    pub max_requests_total: Option<u64>,
    /// Denied requests tolerated; the next request after this many denials suspends.
    pub max_failed_requests: Option<u64>,
}

/// An AI agent's delegated token (Tenxyte's `agent_tokens` row, with the fixes listed in
/// `docs/agents.md`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentToken {
    /// Stable identifier (also the counter-key prefix).
    pub id: String,
    /// Lowercase hex SHA-256 of the raw `txa_…` token: the lookup key. The raw token is
    /// shown once at creation and never stored.
    pub token_hash: String,
    /// Free label naming the agent (for audit and the human's token list).
    pub agent_id: String,
    /// The delegating human's user id (`on_behalf_of` in audit events).
    pub delegated_by: String,
    /// The application the token was issued through.
    pub application_id: String,
    /// Organization scope: permissions are checked in this organization when set.
    pub organization_id: Option<String>,
    /// Exact permission codes delegated (no wildcards, no hierarchy).
    pub granted_permissions: Vec<String>,
    /// Stored status; see [`crate::agent::effective_status`] for the lazily evaluated one.
    pub status: TokenStatus,
    /// Why the token is suspended (or was revoked in bulk), when it is.
    pub suspended_reason: Option<SuspendReason>,
    /// Creation time (Unix seconds).
    pub created_at: i64,
    /// First instant at which the token is no longer valid (Unix seconds, exclusive).
    pub expires_at: i64,
    /// When a human revoked it.
    pub revoked_at: Option<i64>,
    /// Who revoked it.
    pub revoked_by: Option<String>,
    /// When it was last suspended.
    pub suspended_at: Option<i64>,
    /// Circuit-breaker limits.
    pub limits: Limits,
    /// Dead man's switch: a heartbeat is required at least this often (seconds).
    pub heartbeat_every_secs: Option<u64>,
    /// Last heartbeat (creation counts as one).
    pub last_heartbeat_at: Option<i64>,
    /// Spend cap in integer micro-USD (1 USD = 1 000 000), counted over this token and
    /// every token delegated from it.
    pub budget_limit_micro_usd: Option<u64>,
    /// The token this one was delegated from, if any.
    pub parent_token_id: Option<String>,
    /// Position in the delegation chain: 0 for a token a human created.
    pub depth: u8,
    /// Last admitted request (display only; written with skip-on-conflict).
    pub last_used_at: Option<i64>,
}

impl AgentToken {
    /// True when `now` is at or past `expires_at`.
    pub fn is_expired_at(&self, now: i64) -> bool {
        now >= self.expires_at
    }

    /// True when the dead man's switch has fired at `now`: strictly more than the interval
    /// since the last heartbeat (or creation, when none was ever sent).
    pub fn heartbeat_missed_at(&self, now: i64) -> bool {
        let Some(every) = self.heartbeat_every_secs else {
            return false;
        };
        let last = self.last_heartbeat_at.unwrap_or(self.created_at);
        let every = i64::try_from(every).unwrap_or(i64::MAX);
        now.saturating_sub(last) > every
    }

    /// A copy suspended at `now` for `reason`.
    pub fn suspended(&self, reason: SuspendReason, now: i64) -> AgentToken {
        AgentToken {
            status: TokenStatus::Suspended,
            suspended_reason: Some(reason),
            suspended_at: Some(now),
            ..self.clone()
        }
    }
}

/// Whether a token can act at `now`, evaluated lazily from the clock (no scheduler).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effective {
    /// Active, unexpired, heartbeat in time.
    Active,
    /// Not usable: the code to deny with and, when the stored record must change (it
    /// just expired or its heartbeat just went missing), the record to persist.
    Inactive {
        /// The deny code.
        code: ErrorCode,
        /// The updated record, when the state changed at `now`.
        update: Option<Box<AgentToken>>,
        /// The suspension reason, when `update` suspends the token.
        suspended: Option<SuspendReason>,
    },
}

/// The status of `token` at `now`, in the documented order: stored status, then expiry
/// (lazily marks `Expired`), then the dead man's switch (lazily suspends).
pub fn effective_status(token: &AgentToken, now: i64) -> Effective {
    if let Some(code) = token.status.deny_code() {
        return Effective::Inactive {
            code,
            update: None,
            suspended: None,
        };
    }
    if token.is_expired_at(now) {
        let mut expired = token.clone();
        expired.status = TokenStatus::Expired;
        return Effective::Inactive {
            code: ErrorCode::AgentTokenExpired,
            update: Some(Box::new(expired)),
            suspended: None,
        };
    }
    if token.heartbeat_missed_at(now) {
        return Effective::Inactive {
            code: ErrorCode::HeartbeatMissing,
            update: Some(Box::new(
                token.suspended(SuspendReason::HeartbeatMissing, now),
            )),
            suspended: Some(SuspendReason::HeartbeatMissing),
        };
    }
    Effective::Active
}
