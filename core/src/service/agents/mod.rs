//! AI-agent token (AIRS) flows over the Store port, built on the pure decisions of
//! [`crate::agent`].
//!
//! - Human side (bearer access token): create a token (double RBAC against the human's
//!   current permissions), list / get / suspend / reactivate / revoke / revoke all, list
//!   pending actions, confirm or deny one.
//! - Agent side (raw `txa_…` token): authorize a request end to end (lookup by hash,
//!   the engine's decision order, counters through atomic `incr`, state changes with
//!   compare-and-swap), retry with `X-Action-Confirmation`, heartbeat, report usage,
//!   delegate a sub-token.
//! - Maintenance: [`sweep_overdue_heartbeats`].
//!
//! `docs/flows.md` (section Agents) lists inputs, outputs, codes and store writes.

mod human;
mod persist;
mod request;
mod sweep;

use serde::{Deserialize, Serialize};

pub use sweep::sweep_overdue_heartbeats;

use super::{Engine, RequestContext};
use crate::agent::decision::code_serde;
use crate::agent::{
    AgentDecision, AgentRequest, AgentToken, BudgetParams, CircuitBreakerParams, Cost,
    DeadMansSwitchParams, PendingAction, RawSecret, SubTokenRequest, SuspendReason,
};
use crate::drive::Flow;
use crate::error::{Error, ErrorCode};

/// A human's request for a new agent token. The delegating user and the application are
/// the access token's; everything else is as in [`crate::agent::CreateRequest`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CreateAgentTokenRequest {
    /// Label naming the agent (default `"unknown"`).
    pub agent_id: Option<String>,
    /// Organization scope (organization-scoped permissions are not wired in yet: such a
    /// request is refused with `scope_exceeds_delegator`).
    pub organization_id: Option<String>,
    /// Exact permission codes to delegate; each must be held by the human now.
    pub permissions: Vec<String>,
    /// Lifetime in seconds (default and cap from `agents`).
    pub expires_in_secs: Option<i64>,
    /// Circuit-breaker limits.
    pub circuit_breaker: Option<CircuitBreakerParams>,
    /// Dead man's switch.
    pub dead_mans_switch: Option<DeadMansSwitchParams>,
    /// Spend budget.
    pub budget: Option<BudgetParams>,
}

/// A new agent token: the record (without its hash) and the raw token, shown once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreatedAgentToken {
    /// The stored record (`token_hash` blanked).
    pub token: AgentToken,
    /// The raw `txa_…` token for the agent's `Authorization: AgentBearer` header.
    pub raw_token: RawSecret,
}

/// The answer to an agent request (or a usage report).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum AgentOutcome {
    /// Serve the request as `user_id`, through agent token `token_id`.
    Allowed {
        /// The agent token.
        token_id: String,
        /// The agent's label.
        agent_id: String,
        /// The delegating human the request acts for.
        user_id: String,
        /// The permission checked, if the route named one.
        permission: Option<String>,
    },
    /// Refuse (403, or 429 with `retry_after` for `rate_limited`).
    Denied {
        /// Stable code.
        #[serde(with = "code_serde")]
        code: ErrorCode,
        /// Explanation for logs.
        reason: String,
        /// Seconds before a retry can succeed (throttles only).
        retry_after: Option<u64>,
        /// Set when this request suspended the token.
        suspended: Option<SuspendReason>,
    },
    /// Answer 202: the delegating human must approve; retry with
    /// `X-Action-Confirmation: <confirmation_token>` once they have.
    PendingApproval {
        /// The pending action (what the human confirms or denies).
        pending_action_id: String,
        /// The raw `txp_…` confirmation token, shown once to the agent.
        confirmation_token: RawSecret,
        /// When the pending action expires.
        expires_at: i64,
    },
}

impl AgentOutcome {
    /// True for [`AgentOutcome::Allowed`].
    pub fn is_allowed(&self) -> bool {
        matches!(self, AgentOutcome::Allowed { .. })
    }

    /// The refusal code (`approval_required` for a pending approval), `None` when allowed.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            AgentOutcome::Allowed { .. } => None,
            AgentOutcome::Denied { code, .. } => Some(*code),
            AgentOutcome::PendingApproval { .. } => Some(ErrorCode::ApprovalRequired),
        }
    }

    pub(crate) fn denied(error: &Error) -> AgentOutcome {
        AgentOutcome::Denied {
            code: error.code(),
            reason: error.message().to_owned(),
            retry_after: None,
            suspended: None,
        }
    }

    pub(crate) fn from_decision(decision: AgentDecision, token: &AgentToken) -> AgentOutcome {
        match decision {
            AgentDecision::Allow {
                token_id,
                on_behalf_of,
                permission,
                ..
            } => AgentOutcome::Allowed {
                token_id,
                agent_id: token.agent_id.clone(),
                user_id: on_behalf_of,
                permission,
            },
            AgentDecision::Deny {
                code,
                reason,
                retry_after,
                ..
            } => AgentOutcome::Denied {
                code,
                reason,
                retry_after,
                suspended: None,
            },
            AgentDecision::Suspend {
                reason,
                code,
                message,
                ..
            } => AgentOutcome::Denied {
                code,
                reason: message,
                retry_after: None,
                suspended: Some(reason),
            },
            AgentDecision::NeedsApproval {
                pending_action,
                raw_confirmation,
                expires_at,
                ..
            } => AgentOutcome::PendingApproval {
                pending_action_id: pending_action.id,
                confirmation_token: raw_confirmation,
                expires_at,
            },
        }
    }
}

/// One page of a human's agent tokens (records without their hash).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentTokenPage {
    /// The tokens, in key order.
    pub items: Vec<AgentToken>,
    /// Pass back as `cursor` for the next page; `None` at the end.
    pub next_cursor: Option<String>,
}

/// The answer to a heartbeat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeartbeatAck {
    /// The agent token.
    pub token_id: String,
    /// The heartbeat just recorded.
    pub last_heartbeat_at: i64,
    /// The instant after which the dead man's switch fires, if the token has one.
    pub next_due_at: Option<i64>,
}

impl Engine {
    /// A human delegates part of their permissions to an agent (double RBAC: every
    /// requested code must be held by the human now). Returns the raw token once.
    pub fn create_agent_token(
        &self,
        access_token: String,
        req: CreateAgentTokenRequest,
        ctx: RequestContext,
    ) -> Flow<CreatedAgentToken> {
        self.flow(move |e, port| async move {
            human::create(&port, &e, &access_token, &req, &ctx).await
        })
    }

    /// An agent delegates a narrower part of its token onward (permissions, lifetime,
    /// limits and budget can only shrink; depth ≤ 3).
    pub fn create_agent_sub_token(
        &self,
        raw_parent_token: String,
        req: SubTokenRequest,
        ctx: RequestContext,
    ) -> Flow<CreatedAgentToken> {
        self.flow(move |e, port| async move {
            request::create_sub(&port, &e, &raw_parent_token, &req, &ctx).await
        })
    }

    /// Authorizes one agent request end to end (the raw `AgentBearer` token, the request
    /// with its permission, body, `X-Action-Confirmation` and trace id).
    pub fn authorize_agent(
        &self,
        raw_token: String,
        req: AgentRequest,
        ctx: RequestContext,
    ) -> Flow<AgentOutcome> {
        self.flow(move |e, port| async move {
            request::authorize(&port, &e, &raw_token, &req, &ctx).await
        })
    }

    /// The agent's retry of a held request with the confirmation it was given: the same
    /// request with `X-Action-Confirmation` set (single use, expiry-checked, bound to the
    /// request's fingerprint).
    pub fn retry_agent_action(
        &self,
        raw_token: String,
        mut req: AgentRequest,
        confirmation: String,
        ctx: RequestContext,
    ) -> Flow<AgentOutcome> {
        req.confirmation = Some(confirmation);
        self.authorize_agent(raw_token, req, ctx)
    }

    /// The agent's heartbeat (dead man's switch).
    pub fn agent_heartbeat(&self, raw_token: String, ctx: RequestContext) -> Flow<HeartbeatAck> {
        self.flow(
            move |e, port| async move { request::heartbeat(&port, &e, &raw_token, &ctx).await },
        )
    }

    /// The agent reports spend; admitted only if every budget in its chain still covers
    /// it, otherwise refused and the token suspended.
    pub fn report_agent_usage(
        &self,
        raw_token: String,
        cost: Cost,
        ctx: RequestContext,
    ) -> Flow<AgentOutcome> {
        self.flow(move |e, port| async move {
            request::report_usage(&port, &e, &raw_token, &cost, &ctx).await
        })
    }

    /// The delegating human suspends a token (reason `manual`).
    pub fn suspend_agent_token(
        &self,
        access_token: String,
        token_id: String,
        ctx: RequestContext,
    ) -> Flow<AgentToken> {
        self.flow(move |e, port| async move {
            human::lifecycle(
                &port,
                &e,
                &access_token,
                &token_id,
                human::Life::Suspend,
                &ctx,
            )
            .await
        })
    }

    /// The delegating human reactivates a suspended token.
    pub fn reactivate_agent_token(
        &self,
        access_token: String,
        token_id: String,
        ctx: RequestContext,
    ) -> Flow<AgentToken> {
        self.flow(move |e, port| async move {
            human::lifecycle(
                &port,
                &e,
                &access_token,
                &token_id,
                human::Life::Reactivate,
                &ctx,
            )
            .await
        })
    }

    /// The delegating human revokes a token (its sub-tokens stop with it).
    pub fn revoke_agent_token(
        &self,
        access_token: String,
        token_id: String,
        ctx: RequestContext,
    ) -> Flow<AgentToken> {
        self.flow(move |e, port| async move {
            human::lifecycle(
                &port,
                &e,
                &access_token,
                &token_id,
                human::Life::Revoke,
                &ctx,
            )
            .await
        })
    }

    /// Revokes every agent token the human delegated; returns how many were revoked.
    pub fn revoke_all_agent_tokens(
        &self,
        access_token: String,
        ctx: RequestContext,
    ) -> Flow<usize> {
        self.flow(
            move |e, port| async move { human::revoke_all(&port, &e, &access_token, &ctx).await },
        )
    }

    /// One page of the human's agent tokens (`limit` 1–200, default 50).
    pub fn list_agent_tokens(
        &self,
        access_token: String,
        cursor: Option<String>,
        limit: Option<u32>,
        ctx: RequestContext,
    ) -> Flow<AgentTokenPage> {
        self.flow(move |e, port| async move {
            human::list_tokens(&port, &e, &access_token, cursor.as_deref(), limit, &ctx).await
        })
    }

    /// One of the human's agent tokens.
    pub fn get_agent_token(
        &self,
        access_token: String,
        token_id: String,
        ctx: RequestContext,
    ) -> Flow<AgentToken> {
        self.flow(move |e, port| async move {
            human::get_token(&port, &e, &access_token, &token_id, &ctx).await
        })
    }

    /// The pending actions awaiting the human, with their status at `ctx.now`, oldest
    /// first.
    pub fn list_pending_actions(
        &self,
        access_token: String,
        ctx: RequestContext,
    ) -> Flow<Vec<PendingAction>> {
        self.flow(move |e, port| async move {
            human::list_pending(&port, &e, &access_token, &ctx).await
        })
    }

    /// The delegating human approves a pending action (ownership checked first).
    pub fn confirm_pending_action(
        &self,
        access_token: String,
        pending_action_id: String,
        ctx: RequestContext,
    ) -> Flow<PendingAction> {
        self.flow(move |e, port| async move {
            human::decide(&port, &e, &access_token, &pending_action_id, true, &ctx).await
        })
    }

    /// The delegating human refuses a pending action (ownership checked first).
    pub fn deny_pending_action(
        &self,
        access_token: String,
        pending_action_id: String,
        ctx: RequestContext,
    ) -> Flow<PendingAction> {
        self.flow(move |e, port| async move {
            human::decide(&port, &e, &access_token, &pending_action_id, false, &ctx).await
        })
    }

    /// Maintenance: [`sweep_overdue_heartbeats`] as a flow.
    pub fn sweep_agents(&self, ctx: RequestContext) -> Flow<usize> {
        self.flow(move |e, port| async move { sweep_overdue_heartbeats(&port, &e, &ctx).await })
    }
}
