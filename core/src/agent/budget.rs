//! Usage reports against spend budgets, decided on the values `incr` returned.
//!
//! Protocol: [`charge_begin`] returns one `incr(+cost)` per token in the chain (the
//! reporting token and each ancestor: a parent's budget covers its descendants). The host
//! runs them and passes the new values to [`charge_decide`]. A report is admitted iff
//! every new value with a limit is ≤ that limit. Otherwise the decision takes the cost
//! back (`incr(-cost)` on each counter) and suspends the reporting token with reason
//! `budget`.
//!
//! Why the admitted spend never exceeds a cap, for any interleaving: at every instant a
//! counter equals the admitted charges so far plus the refused charges not yet taken
//! back, so it is never below the admitted total. Each admitted report saw a value ≤ cap
//! that included itself and every report admitted before it; the last admitted report
//! therefore bounds the admitted total by the cap. (A host that dies between the
//! increment and the take-back leaves the counter too high, never too low: fail closed.)
//!
//! Why suspend on a refused report: a report describes money the agent already spent
//! upstream; refusing to book it keeps the ledger within the cap, and suspending stops
//! the agent from spending more until its human looks.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::check_chain;
use super::counters::{spend_key, CounterIncrement, CounterValues};
use super::decision::{AgentDecision, AuditEvent, EventKind, OnConflict, StateChange};
use super::money::{format_usd, Cost};
use super::token::{effective_status, AgentToken, Effective, SuspendReason};
use crate::config::AgentSettings;
use crate::error::{err, ErrorCode, Result};

/// Phase-one output of a usage report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChargePlan {
    /// The instant of the report.
    pub now: i64,
    /// The validated cost in micro-USD.
    pub cost_micro_usd: u64,
    /// One `incr(+cost)` per token of the chain, reporting token first.
    pub increments: Vec<CounterIncrement>,
}

/// Phase one's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum ChargeBegin {
    /// Decided without counters (tracking off, zero cost, inactive token).
    Decided {
        /// The decision.
        decision: AgentDecision,
    },
    /// Run these increments, then call [`charge_decide`].
    Count {
        /// The plan.
        plan: ChargePlan,
    },
}

fn allow(token: &AgentToken, changes: Vec<StateChange>) -> AgentDecision {
    AgentDecision::Allow {
        token_id: token.id.clone(),
        on_behalf_of: token.delegated_by.clone(),
        permission: None,
        changes,
    }
}

/// Phase one of a usage report of `cost` by `token` (chain `ancestors`, parent first).
/// Refuses a malformed or negative cost with `invalid_cost`. A zero cost, or budget
/// tracking switched off, is admitted without touching a counter.
pub fn charge_begin(
    token: &AgentToken,
    ancestors: &[AgentToken],
    cost: &Cost,
    settings: &AgentSettings,
    now: i64,
) -> Result<ChargeBegin> {
    let cost = cost.micro_usd()?;
    if !settings.enabled {
        return Err(err(ErrorCode::AirsDisabled, "AI-agent tokens are disabled"));
    }
    check_chain(token, ancestors)?;
    for t in std::iter::once(token).chain(ancestors) {
        if let Effective::Inactive { code, .. } = effective_status(t, now) {
            return Ok(ChargeBegin::Decided {
                decision: AgentDecision::Deny {
                    code,
                    reason: format!("token {} is not active", t.id),
                    retry_after: None,
                    changes: Vec::new(),
                },
            });
        }
    }
    if !settings.budget_tracking_enabled || cost == 0 {
        return Ok(ChargeBegin::Decided {
            decision: allow(token, Vec::new()),
        });
    }
    let delta =
        i64::try_from(cost).map_err(|_| err(ErrorCode::InvalidCost, "cost is out of range"))?;
    let increments = std::iter::once(token)
        .chain(ancestors)
        .map(|t| CounterIncrement::new(spend_key(&t.id), delta, None))
        .collect();
    Ok(ChargeBegin::Count {
        plan: ChargePlan {
            now,
            cost_micro_usd: cost,
            increments,
        },
    })
}

/// Phase two: admit the report iff every new spend value is within its token's limit.
pub fn charge_decide(
    token: &AgentToken,
    ancestors: &[AgentToken],
    plan: &ChargePlan,
    values: &CounterValues,
    pii_keys: &[String],
) -> Result<AgentDecision> {
    let now = plan.now;
    let mut over = None;
    let mut own_spend = 0u64;
    for t in std::iter::once(token).chain(ancestors) {
        let key = spend_key(&t.id);
        if !plan.increments.iter().any(|i| i.key == key) {
            return Err(err(
                ErrorCode::InvalidInput,
                "the charge plan does not match the chain",
            ));
        }
        let v = values.get(&key).ok_or_else(|| {
            err(
                ErrorCode::InvalidInput,
                format!("no value for counter {key}"),
            )
        })?;
        let v = u64::try_from(*v).map_err(|_| {
            err(
                ErrorCode::InvalidInput,
                format!("counter {key} is negative"),
            )
        })?;
        if t.id == token.id {
            own_spend = v;
        }
        if let Some(limit) = t.budget_limit_micro_usd {
            if v > limit && over.is_none() {
                over = Some((t.id.clone(), limit, v));
            }
        }
    }
    let cost_usd = format_usd(plan.cost_micro_usd);
    match over {
        None => {
            let event = AuditEvent::new(
                EventKind::UsageCharged,
                token,
                now,
                &json!({ "cost_micro_usd": plan.cost_micro_usd, "cost_usd": cost_usd, "spent_micro_usd": own_spend }),
                pii_keys,
            )
            .with_chain(ancestors);
            Ok(allow(token, vec![event.into_change()]))
        }
        Some((over_id, limit, seen)) => {
            let mut changes: Vec<StateChange> = plan
                .increments
                .iter()
                .map(|i| {
                    StateChange::Increment(CounterIncrement {
                        delta: -i.delta,
                        ..i.clone()
                    })
                })
                .collect();
            changes.push(StateChange::PutToken {
                token: Box::new(token.suspended(SuspendReason::Budget, now)),
                on_conflict: OnConflict::Redecide,
            });
            let message = format!(
                "charge of {cost_usd} USD would bring token {over_id} to {seen} µUSD, over its {limit} µUSD budget"
            );
            changes.push(
                AuditEvent::new(
                    EventKind::UsageRefused,
                    token,
                    now,
                    &json!({ "cost_micro_usd": plan.cost_micro_usd, "budget_token_id": over_id, "limit_micro_usd": limit }),
                    pii_keys,
                )
                .with_chain(ancestors)
                .with_code(ErrorCode::BudgetExceeded)
                .into_change(),
            );
            Ok(AgentDecision::Suspend {
                reason: SuspendReason::Budget,
                code: ErrorCode::BudgetExceeded,
                message,
                changes,
            })
        }
    }
}
