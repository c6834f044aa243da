//! Agent-side flows: authorize a request, heartbeat, report usage, delegate onward.

use super::super::users::{contention, load_user, Versioned, CAS_ATTEMPTS};
use super::super::{Engine, RequestContext};
use super::persist::{
    apply, audit_refusal, find_by_raw, human_of, load_chain, load_pending_by_raw, load_token,
    persist_new_token, pii_keys, view, Applied, Human, Read,
};
use super::{AgentOutcome, CreatedAgentToken, HeartbeatAck};
use crate::agent::counters::spend_key;
use crate::agent::{
    self, AgentDecision, AgentRequest, AgentToken, AuthorizeContext, Begin, ChargeBegin, Cost,
    CounterValues, SubTokenRequest, SuspendReason, TokenStatus, COUNTER_NS,
};
use crate::drive::StorePort;
use crate::error::{err, ErrorCode, Result};
use crate::secret::SECRET_BYTES;
use crate::store::{keys, Expect, PutOutcome};

/// A token with its chain, as loaded for one attempt.
struct Loaded {
    token: Versioned<AgentToken>,
    chain: Vec<Versioned<AgentToken>>,
}

impl Loaded {
    fn ancestors(&self) -> Vec<AgentToken> {
        self.chain.iter().map(|v| v.value.clone()).collect()
    }

    fn read(&self) -> Read {
        self.chain
            .iter()
            .fold(Read::default().token(&self.token), Read::token)
    }
}

/// Looks the raw token and its chain up; `Err(outcome)` is the (audited) refusal.
async fn lookup(
    port: &StorePort,
    e: &Engine,
    raw: &str,
    ctx: &RequestContext,
    action: &str,
) -> Result<std::result::Result<Loaded, crate::error::Error>> {
    let Some(token) = find_by_raw(port, raw).await? else {
        let error = err(
            ErrorCode::AgentTokenInvalid,
            "no agent token matches the presented token",
        );
        audit_refusal(port, e, ctx, action, None, None, &error).await?;
        return Ok(Err(error));
    };
    let Some(chain) = load_chain(port, &token.value).await? else {
        let error = err(
            ErrorCode::AgentTokenInvalid,
            "a token of the delegation chain is missing",
        );
        let t = &token.value;
        audit_refusal(
            port,
            e,
            ctx,
            action,
            Some(&t.delegated_by),
            Some(&t.id),
            &error,
        )
        .await?;
        return Ok(Err(error));
    };
    Ok(Ok(Loaded { token, chain }))
}

fn context<'a>(
    l: &'a Loaded,
    ancestors: &'a [AgentToken],
    human: &'a Human<'a>,
    e: &'a Engine,
    pii: &'a [String],
    req: &'a AgentRequest,
    pending: Option<&'a crate::agent::PendingAction>,
) -> AuthorizeContext<'a> {
    AuthorizeContext {
        token: &l.token.value,
        ancestors,
        human,
        settings: &e.settings().agents,
        pii_keys: pii,
        request: req,
        pending_action: pending,
    }
}

/// The end-to-end decision for one agent request.
///
/// Per attempt: hash lookup, chain, the human's user record, the pending action named by
/// `X-Action-Confirmation`; `begin`; every planned `incr`; `decide`; then the changes in
/// order. A lost compare-and-swap on a re-decide write (suspension, expiry, consumption
/// of an approval) starts a new attempt on fresh records. The counters of the abandoned
/// attempt stay counted: over-counting can only refuse earlier, never admit past a cap.
pub(super) async fn authorize(
    port: &StorePort,
    e: &Engine,
    raw: &str,
    req: &AgentRequest,
    ctx: &RequestContext,
) -> Result<AgentOutcome> {
    let pii = pii_keys();
    for _ in 0..CAS_ATTEMPTS {
        let l = match lookup(port, e, raw, ctx, "agent_request_denied").await? {
            Ok(l) => l,
            Err(error) => return Ok(AgentOutcome::denied(&error)),
        };
        let ancestors = l.ancestors();
        let user = load_user(port, &l.token.value.delegated_by).await?;
        let pending = match req.confirmation.as_deref() {
            Some(c) => load_pending_by_raw(port, c).await?,
            None => None,
        };
        let pending_value = pending.as_ref().map(|p| &p.value);
        // The context borrows a `dyn` trait object that is not `Sync`: build it afresh on
        // each side of the awaits instead of holding it across them.
        let step = {
            let human = human_of(e.policy(), user.as_ref().map(|u| &u.value));
            let c = context(&l, &ancestors, &human, e, &pii, req, pending_value);
            agent::begin(&c, ctx.now)?
        };
        let decision = match step {
            Begin::Decided { decision } => decision,
            Begin::Count { plan } => {
                let mut values = CounterValues::new();
                for op in &plan.increments {
                    let v = port.incr(&op.ns, &op.key, op.delta, op.ttl_secs).await?;
                    values.insert(op.key.clone(), v);
                }
                let random = crate::random::bytes::<SECRET_BYTES>()?;
                let human = human_of(e.policy(), user.as_ref().map(|u| &u.value));
                let c = context(&l, &ancestors, &human, e, &pii, req, pending_value);
                agent::decide(&c, &plan, &values, &random)?
            }
        };
        let mut read = l.read().action(pending.as_ref());
        match apply(port, e, ctx, decision.changes(), &mut read).await? {
            Applied::Done => return Ok(AgentOutcome::from_decision(decision, &l.token.value)),
            Applied::Conflict { .. } => continue,
        }
    }
    Err(contention("agent token"))
}

/// The agent's heartbeat: only an effectively active token may send one.
pub(super) async fn heartbeat(
    port: &StorePort,
    e: &Engine,
    raw: &str,
    ctx: &RequestContext,
) -> Result<HeartbeatAck> {
    let pii = pii_keys();
    for _ in 0..CAS_ATTEMPTS {
        let l = lookup(port, e, raw, ctx, "agent_heartbeat_refused").await??;
        let t = &l.token.value;
        let transition = match agent::heartbeat(t, ctx.now, &pii) {
            Ok(tr) => tr,
            Err(error) => {
                let (user, id) = (Some(t.delegated_by.as_str()), Some(t.id.as_str()));
                audit_refusal(port, e, ctx, "agent_heartbeat_refused", user, id, &error).await?;
                return Err(error);
            }
        };
        let mut read = l.read();
        if apply(port, e, ctx, &transition.changes, &mut read).await? == Applied::Done {
            let every = transition.token.heartbeat_every_secs;
            return Ok(HeartbeatAck {
                token_id: transition.token.id.clone(),
                last_heartbeat_at: ctx.now,
                next_due_at: every
                    .and_then(|s| i64::try_from(s).ok())
                    .map(|s| ctx.now.saturating_add(s)),
            });
        }
    }
    Err(contention("agent token"))
}

/// A usage report: `incr(+cost)` on the spend counter of the token and every ancestor,
/// admitted iff every new value is within its budget; otherwise the cost is taken back
/// and the token suspended. Never re-run after the increments (that would charge twice):
/// a lost suspension write is re-applied on the fresh record instead.
pub(super) async fn report_usage(
    port: &StorePort,
    e: &Engine,
    raw: &str,
    cost: &Cost,
    ctx: &RequestContext,
) -> Result<AgentOutcome> {
    let s = &e.settings().agents;
    let pii = pii_keys();
    let l = match lookup(port, e, raw, ctx, "agent_usage_refused").await? {
        Ok(l) => l,
        Err(error) => return Ok(AgentOutcome::denied(&error)),
    };
    let ancestors = l.ancestors();
    let t = &l.token.value;
    let decision = match agent::charge_begin(t, &ancestors, cost, s, ctx.now)? {
        ChargeBegin::Decided { decision } => {
            if let AgentDecision::Deny { code, reason, .. } = &decision {
                let error = err(*code, reason.clone());
                let (user, id) = (Some(t.delegated_by.as_str()), Some(t.id.as_str()));
                audit_refusal(port, e, ctx, "agent_usage_refused", user, id, &error).await?;
            }
            decision
        }
        ChargeBegin::Count { plan } => {
            let mut values = CounterValues::new();
            for op in &plan.increments {
                let v = port.incr(&op.ns, &op.key, op.delta, op.ttl_secs).await?;
                values.insert(op.key.clone(), v);
            }
            agent::charge_decide(t, &ancestors, &plan, &values, &pii)?
        }
    };
    let changes = decision.changes();
    let mut read = l.read();
    if let Applied::Conflict { at } = apply(port, e, ctx, changes, &mut read).await? {
        // The only re-decide write of a charge is the budget suspension.
        suspend_fresh(port, &t.id, SuspendReason::Budget, ctx.now).await?;
        let rest = changes.get(at + 1..).unwrap_or(&[]);
        apply(port, e, ctx, rest, &mut read).await?;
    }
    Ok(AgentOutcome::from_decision(decision, t))
}

/// Suspends the current record of `token_id` unless it is already inactive.
async fn suspend_fresh(
    port: &StorePort,
    token_id: &str,
    reason: SuspendReason,
    now: i64,
) -> Result<()> {
    for _ in 0..CAS_ATTEMPTS {
        let Some(current) = load_token(port, token_id).await? else {
            return Ok(());
        };
        if current.value.status != TokenStatus::Active {
            return Ok(());
        }
        let next = current.value.suspended(reason, now);
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
            return Ok(());
        }
    }
    Err(contention("agent token"))
}

/// An agent delegates onward: the parent (raw token) and its chain must be active, the
/// request may only narrow, and the human must still hold every permission.
pub(super) async fn create_sub(
    port: &StorePort,
    e: &Engine,
    raw_parent: &str,
    req: &SubTokenRequest,
    ctx: &RequestContext,
) -> Result<CreatedAgentToken> {
    let s = &e.settings().agents;
    let pii = pii_keys();
    let l = lookup(port, e, raw_parent, ctx, "agent_sub_token_refused").await??;
    let ancestors = l.ancestors();
    let parent = &l.token.value;
    let user = load_user(port, &parent.delegated_by).await?;
    let spend = if s.budget_tracking_enabled && parent.budget_limit_micro_usd.is_some() {
        // `incr` by 0 is the atomic read of a counter.
        let v = port
            .incr(COUNTER_NS, &spend_key(&parent.id), 0, None)
            .await?;
        u64::try_from(v).unwrap_or(0)
    } else {
        0
    };
    let random = crate::random::bytes::<SECRET_BYTES>()?;
    let created = {
        let human = human_of(e.policy(), user.as_ref().map(|u| &u.value));
        agent::create_sub_token(
            parent, &ancestors, req, &human, s, spend, &pii, ctx.now, &random,
        )
    };
    let created = match created {
        Ok(c) => c,
        Err(error) => {
            let (user, id) = (Some(parent.delegated_by.as_str()), Some(parent.id.as_str()));
            audit_refusal(port, e, ctx, "agent_sub_token_refused", user, id, &error).await?;
            return Err(error);
        }
    };
    persist_new_token(port, e, ctx, &created.token, &created.event).await?;
    Ok(CreatedAgentToken {
        token: view(created.token),
        raw_token: created.raw_token,
    })
}
