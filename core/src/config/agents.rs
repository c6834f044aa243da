//! `agents` (AIRS) and `organizations` sections.

use serde::{Deserialize, Serialize};

/// AI-agent delegated tokens: lifetimes, circuit-breaker defaults, HITL, budgets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentSettings {
    /// Allow users to delegate agent tokens.
    pub enabled: bool,
    /// Lifetime when the request does not ask for one.
    pub default_expiry_secs: u64,
    /// Upper bound of a requested lifetime (longer requests are refused, not clamped silently).
    pub max_expiry_secs: u64,
    /// An agent token must list the permissions it carries (no "empty = everything").
    pub require_explicit_permissions: bool,
    /// Apply the per-token limits below.
    pub circuit_breaker_enabled: bool,
    /// Default requests per minute before the breaker trips; 0 disables the check.
    pub default_max_requests_per_minute: u32,
    /// Default lifetime request cap; 0 disables the check.
    pub default_max_requests_total: u64,
    /// Default failed (denied) requests before the breaker trips; 0 disables the check.
    pub default_max_failed_requests: u32,
    /// What exceeding `max_requests_per_minute` does: `throttle` (deny `rate_limited` with a
    /// retry delay; the token stays active) or `suspend` (Tenxyte's behaviour: the token is
    /// suspended until its human reactivates it).
    pub rate_limit_breach: RateLimitBreach,
    /// Dead man's switch interval for new tokens; `null` means no heartbeat required.
    pub default_heartbeat_interval_secs: Option<u64>,
    /// Shortest heartbeat interval a token may ask for.
    pub min_heartbeat_interval_secs: u64,
    /// Permission codes that always need human approval (HITL).
    pub confirmation_required: Vec<String>,
    /// Lifetime of a pending human-approval request and its confirmation token.
    pub pending_action_lifetime_secs: u64,
    /// Accumulate reported spend and suspend on exhaustion.
    pub budget_tracking_enabled: bool,
    /// Budget for tokens created without one, in micro-USD; `null` means unlimited.
    pub default_budget_limit_micro_usd: Option<u64>,
    /// Largest budget a token may be given, in micro-USD; `null` means no cap.
    pub max_budget_limit_micro_usd: Option<u64>,
    /// Redact PII members of agent request bodies before they reach the view and the audit log.
    pub redact_pii: bool,
    /// How long decided or expired pending actions are kept.
    pub action_retention_secs: u64,
}

/// What a breach of an agent token's requests-per-minute limit does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateLimitBreach {
    /// Deny the request with `rate_limited` and a `retry_after`; the token stays active.
    Throttle,
    /// Suspend the token (reason `rate_limit`) until its human reactivates it.
    Suspend,
}

/// Hierarchical organizations (B2B tenancy).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationSettings {
    /// Enable organizations, memberships and org roles.
    pub enabled: bool,
    /// Levels in the tree, root included (5 means depths 0..=4).
    pub max_depth: u32,
    /// Default member cap for new organizations; 0 means unlimited.
    pub max_members: u32,
    /// Org roles held on an ancestor apply to its descendants.
    pub role_inheritance: bool,
    /// Lifetime of an invitation.
    pub invitation_lifetime_secs: u64,
}
