//! AI-agent delegated tokens (AIRS) as pure decisions.
//!
//! A human delegates a subset of their permissions to an agent as an opaque `txa_…`
//! token ([`create`]); an agent may delegate a narrower part onward ([`create_sub_token`]).
//! On every agent request the core decides — allow, deny, suspend, or hold for human
//! approval — from the records, the store counters' values and `now`, and returns the
//! state changes for the host to persist ([`begin`] / [`decide`], or [`authorize`] with
//! an in-process counter). Nothing here does I/O or reads a clock.
//!
//! `docs/agents.md` describes the decision order, the counter protocol, the RPM window,
//! what each breach does, the approval state machine and every difference from Tenxyte.
//!
//! Submodules:
//! - [`token`]: the record, statuses, suspension reasons, lazily evaluated status.
//! - [`create`]: creation and delegation (narrowing only).
//! - [`authorize`]: the two-phase per-request decision.
//! - [`budget`]: usage reports against budgets.
//! - [`hitl`]: pending actions, fingerprints, confirm / deny / redeem.
//! - [`lifecycle`]: reactivate, suspend, revoke, heartbeat.
//! - [`counters`]: counter keys and the RPM arithmetic.
//! - [`money`]: micro-USD parsing.
//! - [`redact`]: PII redaction and trace ids.
//! - [`decision`]: decisions, state changes, audit events.

pub mod authorize;
pub mod budget;
pub mod counters;
pub mod create;
pub mod decision;
pub mod hitl;
pub mod human;
pub mod lifecycle;
pub mod money;
pub mod redact;
pub mod token;

#[cfg(test)]
mod tests;

pub use authorize::{authorize, begin, decide, AgentRequest, AuthorizeContext, Begin, RequestPlan};
pub use budget::{charge_begin, charge_decide, ChargeBegin, ChargePlan};
pub use counters::{CounterIncrement, CounterValues, COUNTER_NS};
pub use create::{
    create, create_sub_token, BudgetParams, CircuitBreakerParams, CreateRequest, Created,
    DeadMansSwitchParams, SubTokenRequest, MAX_DELEGATION_DEPTH,
};
pub use decision::{AgentDecision, AuditEvent, EventKind, OnConflict, RawSecret, StateChange};
pub use hitl::{confirm, deny, fingerprint, redeem, ActionStatus, PendingAction};
pub use human::DelegatingHuman;
pub use lifecycle::{heartbeat, reactivate, revoke, suspend, Transition};
pub use money::{parse_usd, usd_from_f64, Cost};
pub use redact::{default_pii_keys, parse_trace_id, redact, TraceId, DEFAULT_PII_KEYS};
pub use token::{effective_status, AgentToken, Effective, Limits, SuspendReason, TokenStatus};

/// The delegating human's *current* permissions, answered by the RBAC and organization
/// modules (or by a closure in tests). Double RBAC = the agent's grant ∧ this.
pub trait HumanPermissions {
    /// True when the human holds `permission` now: globally when `org_id` is `None`,
    /// in that organization (with its inheritance rules) otherwise.
    fn holds(&self, permission: &str, org_id: Option<&str>) -> bool;
}

impl<F> HumanPermissions for F
where
    F: Fn(&str, Option<&str>) -> bool,
{
    fn holds(&self, permission: &str, org_id: Option<&str>) -> bool {
        self(permission, org_id)
    }
}

/// Checks that `ancestors` is `token`'s delegation chain, parent first.
pub(crate) fn check_chain(token: &AgentToken, ancestors: &[AgentToken]) -> crate::Result<()> {
    authorize::check_chain_impl(token, ancestors)
}
