//! Decisions as values, the state changes they ask the host to persist, and audit events.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::counters::CounterIncrement;
use super::hitl::PendingAction;
use super::redact::redact;
use super::token::{AgentToken, SuspendReason};
use crate::error::ErrorCode;

/// A raw secret handed out once (an agent token or a confirmation token). Serialises as
/// the plain string; `Debug` redacts it so logging a decision leaks nothing usable.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RawSecret(pub String);

impl RawSecret {
    /// The raw value, to return to its owner.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for RawSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = self.0.get(..4).unwrap_or("");
        write!(f, "RawSecret({prefix}<redacted>)")
    }
}

/// Serde for [`ErrorCode`] as its stable string.
pub(crate) mod code_serde {
    use crate::error::ErrorCode;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(code: &ErrorCode, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(code.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<ErrorCode, D::Error> {
        let name = String::deserialize(d)?;
        ErrorCode::parse(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown code {name:?}")))
    }
}

/// What the host does when a conditional write finds the record changed since it was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnConflict {
    /// Drop the write: it only refreshes display data (`last_used_at`), and writing it over
    /// a concurrent change (say, a suspension) would undo that change.
    Skip,
    /// Re-read the records and run the decision again: the write carries a security state
    /// change (suspension, expiry, consumption of an approval) decided on stale data.
    Redecide,
}

/// One thing the host must persist for a decision, in the order given. Record writes are
/// compare-and-swap against the version the host read (new records: expect absent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum StateChange {
    /// Write the agent-token record.
    PutToken {
        /// The new record.
        token: Box<AgentToken>,
        /// What a version conflict means.
        on_conflict: OnConflict,
    },
    /// Write a pending action (new, decided or consumed).
    PutPendingAction {
        /// The new record.
        action: Box<PendingAction>,
        /// What a version conflict means.
        on_conflict: OnConflict,
    },
    /// Atomically add `delta` to a counter (`incr`); the result is not needed.
    Increment(CounterIncrement),
    /// Delete a counter (reactivation after a failure-limit suspension).
    DeleteCounter {
        /// Namespace.
        ns: String,
        /// Key.
        key: String,
    },
    /// Append an audit event.
    AppendEvent {
        /// The event (its details are already redacted).
        event: Box<AuditEvent>,
    },
}

/// The outcome of an agent request, a usage report or another agent operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum AgentDecision {
    /// Let the request through, acting as `on_behalf_of` through agent `token_id`.
    Allow {
        /// The agent token.
        token_id: String,
        /// The delegating human (the user the request acts for).
        on_behalf_of: String,
        /// The permission checked, if the route named one.
        permission: Option<String>,
        /// What to persist.
        changes: Vec<StateChange>,
    },
    /// Refuse the request; the token's state is unchanged apart from `changes`.
    Deny {
        /// Stable decision code.
        #[serde(with = "code_serde")]
        code: ErrorCode,
        /// Explanation for logs (never shown to the agent unless the host chooses to).
        reason: String,
        /// Seconds after which a retry can succeed (throttles only).
        retry_after: Option<u64>,
        /// What to persist.
        changes: Vec<StateChange>,
    },
    /// Refuse until the delegating human approves; answer 202 with the confirmation token.
    NeedsApproval {
        /// The pending action to store (keyed by its `confirmation_hash`).
        pending_action: Box<PendingAction>,
        /// The raw `txp_…` confirmation token, shown once to the agent.
        raw_confirmation: RawSecret,
        /// When the pending action expires.
        expires_at: i64,
        /// What to persist (the pending action write is among them).
        changes: Vec<StateChange>,
    },
    /// Refuse and suspend the token (a breaker tripped, budget gone, heartbeat missed).
    Suspend {
        /// Why.
        reason: SuspendReason,
        /// Stable decision code.
        #[serde(with = "code_serde")]
        code: ErrorCode,
        /// Explanation for logs.
        message: String,
        /// What to persist (the suspended record is among them).
        changes: Vec<StateChange>,
    },
}

impl AgentDecision {
    /// The state changes to persist, in order.
    pub fn changes(&self) -> &[StateChange] {
        match self {
            AgentDecision::Allow { changes, .. }
            | AgentDecision::Deny { changes, .. }
            | AgentDecision::NeedsApproval { changes, .. }
            | AgentDecision::Suspend { changes, .. } => changes,
        }
    }

    /// The decision code: `None` for allow, `approval_required` for needs-approval.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            AgentDecision::Allow { .. } => None,
            AgentDecision::Deny { code, .. } | AgentDecision::Suspend { code, .. } => Some(*code),
            AgentDecision::NeedsApproval { .. } => Some(ErrorCode::ApprovalRequired),
        }
    }

    /// True for [`AgentDecision::Allow`].
    pub fn is_allow(&self) -> bool {
        matches!(self, AgentDecision::Allow { .. })
    }

    /// The decision as JSON (what bindings and vectors exchange).
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// What an audit event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A human created an agent token (or an agent a sub-token).
    TokenCreated,
    /// An agent request was allowed.
    RequestAllowed,
    /// An agent request was denied.
    RequestDenied,
    /// An agent request was held for human approval.
    ApprovalRequested,
    /// The human confirmed a pending action.
    ApprovalConfirmed,
    /// The human denied a pending action.
    ApprovalDenied,
    /// The agent redeemed a confirmed action.
    ApprovalRedeemed,
    /// A token was suspended.
    TokenSuspended,
    /// A token was found expired.
    TokenExpired,
    /// The delegating human reactivated a suspended token.
    TokenReactivated,
    /// A token was revoked.
    TokenRevoked,
    /// The agent sent a heartbeat.
    Heartbeat,
    /// A usage report was charged to the budget.
    UsageCharged,
    /// A usage report was refused (it would have exceeded a budget).
    UsageRefused,
}

/// One audit record with dual attribution: the human (`on_behalf_of`) and the agent
/// (`agent_token_id`, `agent_id`, and the delegation chain above it).
///
/// The details are redacted by the constructor, so PII never reaches an event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditEvent {
    /// What happened.
    pub kind: EventKind,
    /// When (Unix seconds).
    pub at: i64,
    /// The agent token acting.
    pub agent_token_id: String,
    /// The agent's label.
    pub agent_id: String,
    /// The human the agent acts for.
    pub on_behalf_of: String,
    /// Ids of the tokens this one was delegated from, parent first.
    pub delegation_chain: Vec<String>,
    /// The human who performed the operation (confirm, deny, reactivate, revoke), if any.
    pub actor_user_id: Option<String>,
    /// The permission concerned.
    pub permission: Option<String>,
    /// The decision code, if the event is a refusal.
    pub code: Option<String>,
    /// The validated `X-Prompt-Trace-ID`.
    pub trace_id: Option<String>,
    details: Value,
}

impl AuditEvent {
    /// An event about `token` at `now`; `details` are redacted with `pii_keys` here.
    pub fn new(
        kind: EventKind,
        token: &AgentToken,
        now: i64,
        details: &Value,
        pii_keys: &[String],
    ) -> AuditEvent {
        AuditEvent {
            kind,
            at: now,
            agent_token_id: token.id.clone(),
            agent_id: token.agent_id.clone(),
            on_behalf_of: token.delegated_by.clone(),
            delegation_chain: Vec::new(),
            actor_user_id: None,
            permission: None,
            code: None,
            trace_id: None,
            details: redact(details, pii_keys),
        }
    }

    /// Sets the delegation chain (ancestor ids, parent first).
    pub fn with_chain(mut self, ancestors: &[AgentToken]) -> Self {
        self.delegation_chain = ancestors.iter().map(|t| t.id.clone()).collect();
        self
    }

    /// Sets the human actor.
    pub fn with_actor(mut self, actor: &str) -> Self {
        self.actor_user_id = Some(actor.to_owned());
        self
    }

    /// Sets the permission.
    pub fn with_permission(mut self, permission: Option<&str>) -> Self {
        self.permission = permission.map(str::to_owned);
        self
    }

    /// Sets the code.
    pub fn with_code(mut self, code: ErrorCode) -> Self {
        self.code = Some(code.as_str().to_owned());
        self
    }

    /// Sets the trace id (already validated).
    pub fn with_trace_id(mut self, trace_id: Option<&str>) -> Self {
        self.trace_id = trace_id.map(str::to_owned);
        self
    }

    /// The redacted details.
    pub fn details(&self) -> &Value {
        &self.details
    }

    /// Wraps the event as a state change.
    pub fn into_change(self) -> StateChange {
        StateChange::AppendEvent {
            event: Box::new(self),
        }
    }
}
