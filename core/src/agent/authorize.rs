//! The per-request decision, in two phases around the store's atomic counters.
//!
//! 1. [`begin`] runs the checks that need no counter (AIRS on, chain integrity, status,
//!    expiry, heartbeat of the token and every ancestor). It either decides (deny or
//!    suspend, no counter touched) or returns a [`RequestPlan`]: the `incr` operations to
//!    run, `delta` 1 for this request's request and RPM counters and `delta` 0 (a read)
//!    for the others.
//! 2. The host runs every `incr` of the plan, in any order, and collects the returned
//!    values by key.
//! 3. [`decide`] decides on those values: circuit breaker, budget, double RBAC, HITL.
//!    It never re-reads or re-increments; a count is checked on the value `incr`
//!    returned for this very request, so N app servers racing on one token admit at most
//!    the cap, whatever the interleaving.
//! 4. The host applies the decision's [`StateChange`]s in order.
//!
//! [`authorize`] drives the three steps with a closure for hosts (and tests) whose store
//! is in-process.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::counters::{
    failures_key, requests_key, rpm_admits, rpm_key, rpm_position, rpm_retry_after, spend_key,
    CounterIncrement, CounterValues, RPM_BUCKET_TTL_SECS,
};
use super::decision::{AgentDecision, AuditEvent, EventKind, OnConflict, StateChange};
use super::hitl::{fingerprint, new_pending_action, redeem, ActionRequest, PendingAction};
use super::redact::{parse_trace_id, redact, TraceId};
use super::token::{effective_status, AgentToken, Effective, SuspendReason};
use super::{check_chain, HumanPermissions};
use crate::config::{AgentSettings, RateLimitBreach};
use crate::encoding;
use crate::error::{err, ErrorCode, Result};
use crate::secret::SECRET_BYTES;

/// The parts of an agent's HTTP request the decision needs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentRequest {
    /// HTTP method.
    pub method: String,
    /// Request path with its query string.
    pub path: String,
    /// Body as UTF-8 text (empty for none).
    #[serde(default)]
    pub body: String,
    /// Body as base64url, for binary bodies (takes precedence over `body`).
    #[serde(default)]
    pub body_b64: Option<String>,
    /// Permission the route requires (`None`: the route only needs a valid agent token).
    #[serde(default)]
    pub permission: Option<String>,
    /// The route always requires human approval.
    #[serde(default)]
    pub requires_approval: bool,
    /// Raw `X-Prompt-Trace-ID` header.
    #[serde(default)]
    pub trace_id: Option<String>,
    /// Raw `X-Action-Confirmation` header.
    #[serde(default)]
    pub confirmation: Option<String>,
}

impl AgentRequest {
    /// The body bytes.
    pub fn body_bytes(&self) -> Result<Vec<u8>> {
        match &self.body_b64 {
            Some(b) => encoding::b64url_decode(b)
                .ok_or_else(|| err(ErrorCode::InvalidInput, "body_b64 is not base64url")),
            None => Ok(self.body.as_bytes().to_vec()),
        }
    }
}

/// Everything the decision reads: records as the host loaded them, the human's current
/// permissions, settings.
pub struct AuthorizeContext<'a> {
    /// The presented token's record (looked up by the hash of the raw token).
    pub token: &'a AgentToken,
    /// Its delegation chain, parent first (empty for a human's token).
    pub ancestors: &'a [AgentToken],
    /// The delegating human's current permissions.
    pub human: &'a dyn HumanPermissions,
    /// The `agents` settings.
    pub settings: &'a AgentSettings,
    /// Keys redacted from audit details and (with `redact_pii`) pending-action payloads.
    pub pii_keys: &'a [String],
    /// The request.
    pub request: &'a AgentRequest,
    /// The pending action whose `confirmation_hash` is the hash of
    /// `request.confirmation`, if the host found one.
    pub pending_action: Option<&'a PendingAction>,
}

/// Phase-one output: the counters to `incr`, pinned to the `now` they were computed for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestPlan {
    /// The instant of the decision.
    pub now: i64,
    /// The operations to run; feed every returned value to [`decide`] by key.
    pub increments: Vec<CounterIncrement>,
}

/// Phase one's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Begin {
    /// Decided without counters.
    Decided {
        /// The decision.
        decision: AgentDecision,
    },
    /// Run these increments, then call [`decide`].
    Count {
        /// The plan.
        plan: RequestPlan,
    },
}

struct Ctx<'c, 'a> {
    c: &'c AuthorizeContext<'a>,
    trace: TraceId,
    now: i64,
}

impl Ctx<'_, '_> {
    fn event(&self, kind: EventKind, details: Value) -> AuditEvent {
        let mut details = details;
        if let Value::Object(m) = &mut details {
            m.insert("method".into(), self.c.request.method.clone().into());
            m.insert("path".into(), self.c.request.path.clone().into());
            if self.trace.dropped {
                m.insert("trace_id_dropped".into(), true.into());
            }
        }
        AuditEvent::new(kind, self.c.token, self.now, &details, self.c.pii_keys)
            .with_chain(self.c.ancestors)
            .with_permission(self.c.request.permission.as_deref())
            .with_trace_id(self.trace.value.as_deref())
    }

    /// Every deny after lookup counts as a failure, except a throttle (back-pressure, not
    /// misbehaviour: counting it would turn an RPM spike into a failure-limit suspension).
    /// The denied-request count, for the failure breaker. Not counted: a throttle, AIRS
    /// being off, and a refusal because the token is already out of service (suspended,
    /// revoked, expired). Counting those would let a token re-trip the failure breaker the
    /// moment a human reactivates it, and would let calls racing a suspension push a
    /// concurrent call that is within every cap over the failure limit.
    fn failure_increment(&self, code: ErrorCode) -> Option<StateChange> {
        let counted = !matches!(
            code,
            ErrorCode::RateLimited
                | ErrorCode::AirsDisabled
                | ErrorCode::AgentTokenSuspended
                | ErrorCode::AgentTokenRevoked
                | ErrorCode::AgentTokenExpired
        );
        counted.then(|| {
            StateChange::Increment(CounterIncrement::new(
                failures_key(&self.c.token.id),
                1,
                None,
            ))
        })
    }

    fn deny(
        &self,
        code: ErrorCode,
        reason: impl Into<String>,
        retry_after: Option<u64>,
        mut changes: Vec<StateChange>,
    ) -> AgentDecision {
        let reason = reason.into();
        changes.extend(self.failure_increment(code));
        let mut details = json!({ "reason": reason });
        if let (Some(r), Value::Object(m)) = (retry_after, &mut details) {
            m.insert("retry_after".into(), r.into());
        }
        changes.push(
            self.event(EventKind::RequestDenied, details)
                .with_code(code)
                .into_change(),
        );
        AgentDecision::Deny {
            code,
            reason,
            retry_after,
            changes,
        }
    }

    fn suspend(&self, reason: SuspendReason, message: impl Into<String>) -> AgentDecision {
        let message = message.into();
        let code = reason.code();
        let mut changes = vec![StateChange::PutToken {
            token: Box::new(self.c.token.suspended(reason, self.now)),
            on_conflict: OnConflict::Redecide,
        }];
        changes.extend(self.failure_increment(code));
        changes.push(
            self.event(
                EventKind::TokenSuspended,
                json!({ "reason": reason, "message": message }),
            )
            .with_code(code)
            .into_change(),
        );
        AgentDecision::Suspend {
            reason,
            code,
            message,
            changes,
        }
    }
}

/// Checks that `ancestors` is `token`'s chain, parent first: linked ids, depths counting
/// down to a root of depth 0, one delegating human. A broken chain is a host bug and an
/// error (fail closed), never a silent allow.
pub(crate) fn check_chain_impl(token: &AgentToken, ancestors: &[AgentToken]) -> Result<()> {
    let broken = |m: &str| err(ErrorCode::InvalidInput, format!("delegation chain: {m}"));
    if ancestors.len() != usize::from(token.depth) {
        return Err(broken("its length differs from the token's depth"));
    }
    let mut child = token;
    for parent in ancestors {
        if child.parent_token_id.as_deref() != Some(parent.id.as_str()) {
            return Err(broken(
                "an ancestor is not the parent of the token below it",
            ));
        }
        if parent.depth.checked_add(1) != Some(child.depth) {
            return Err(broken("depths are not consecutive"));
        }
        if parent.delegated_by != token.delegated_by {
            return Err(broken("ancestors belong to another user"));
        }
        child = parent;
    }
    if child.parent_token_id.is_some() || child.depth != 0 {
        return Err(broken("the chain does not end at a root token"));
    }
    Ok(())
}

/// The counter-free checks, shared by [`begin`] and [`decide`].
fn pre_checks(x: &Ctx<'_, '_>) -> Result<Option<AgentDecision>> {
    let c = x.c;
    if !c.settings.enabled {
        return Ok(Some(x.deny(
            ErrorCode::AirsDisabled,
            "AI-agent tokens are disabled",
            None,
            Vec::new(),
        )));
    }
    check_chain(c.token, c.ancestors)?;
    match effective_status(c.token, x.now) {
        Effective::Active => {}
        Effective::Inactive {
            suspended: Some(reason),
            ..
        } => return Ok(Some(x.suspend(reason, "no heartbeat within the interval"))),
        Effective::Inactive { code, update, .. } => {
            let changes = redecide_put(update);
            return Ok(Some(x.deny(
                code,
                "the agent token is not active",
                None,
                changes,
            )));
        }
    }
    // A sub-token is only as good as every ancestor (lazy cascade: nothing is written to
    // the child, so reactivating a suspended parent revives its children).
    for a in c.ancestors {
        if let Effective::Inactive { code, update, .. } = effective_status(a, x.now) {
            let changes = redecide_put(update);
            return Ok(Some(x.deny(
                code,
                format!("ancestor token {} is not active", a.id),
                None,
                changes,
            )));
        }
    }
    Ok(None)
}

fn plan(c: &AuthorizeContext<'_>, now: i64) -> RequestPlan {
    let t = c.token;
    let mut inc = vec![CounterIncrement::new(requests_key(&t.id), 1, None)];
    let breaker = c.settings.circuit_breaker_enabled;
    if breaker && t.limits.max_requests_per_minute.is_some() {
        let (minute, _) = rpm_position(now);
        inc.push(CounterIncrement::new(
            rpm_key(&t.id, minute),
            1,
            Some(RPM_BUCKET_TTL_SECS),
        ));
        inc.push(CounterIncrement::new(
            rpm_key(&t.id, minute - 1),
            0,
            Some(RPM_BUCKET_TTL_SECS),
        ));
    }
    if breaker && t.limits.max_failed_requests.is_some() {
        inc.push(CounterIncrement::new(failures_key(&t.id), 0, None));
    }
    if c.settings.budget_tracking_enabled {
        for tok in std::iter::once(t).chain(c.ancestors) {
            if tok.budget_limit_micro_usd.is_some() {
                inc.push(CounterIncrement::new(spend_key(&tok.id), 0, None));
            }
        }
    }
    RequestPlan {
        now,
        increments: inc,
    }
}

/// Phase one: decide what needs no counter, or say which counters to `incr`.
pub fn begin(c: &AuthorizeContext<'_>, now: i64) -> Result<Begin> {
    let x = Ctx {
        c,
        trace: parse_trace_id(c.request.trace_id.as_deref()),
        now,
    };
    if let Some(decision) = pre_checks(&x)? {
        return Ok(Begin::Decided { decision });
    }
    Ok(Begin::Count { plan: plan(c, now) })
}

fn value(values: &CounterValues, key: &str) -> Result<u64> {
    let v = values.get(key).ok_or_else(|| {
        err(
            ErrorCode::InvalidInput,
            format!("counter {key} was planned but no value was given"),
        )
    })?;
    u64::try_from(*v).map_err(|_| {
        err(
            ErrorCode::InvalidInput,
            format!("counter {key} is negative"),
        )
    })
}

/// Phase two: decide on the values `incr` returned for `plan` (keyed by counter key).
/// `random` is used only when a pending action is created (its confirmation token).
pub fn decide(
    c: &AuthorizeContext<'_>,
    plan_in: &RequestPlan,
    values: &CounterValues,
    random: &[u8; SECRET_BYTES],
) -> Result<AgentDecision> {
    let now = plan_in.now;
    let x = Ctx {
        c,
        trace: parse_trace_id(c.request.trace_id.as_deref()),
        now,
    };
    if let Some(d) = pre_checks(&x)? {
        return Ok(d);
    }
    // The plan is a function of the records and `now`; recomputing it makes sure every
    // counter the rules need was incremented and reported.
    if plan(c, now) != *plan_in {
        return Err(err(
            ErrorCode::InvalidInput,
            "the request plan does not match the records it is decided on",
        ));
    }
    let t = c.token;
    let s = c.settings;

    // Circuit breaker: total, RPM, failures.
    if s.circuit_breaker_enabled {
        let total = value(values, &requests_key(&t.id))?;
        if let Some(max) = t.limits.max_requests_total {
            if total > max {
                return Ok(x.suspend(
                    SuspendReason::TotalLimit,
                    format!("lifetime request cap of {max} reached"),
                ));
            }
        }
        if let Some(limit) = t.limits.max_requests_per_minute {
            let (minute, elapsed) = rpm_position(now);
            let cur = value(values, &rpm_key(&t.id, minute))?;
            let prev = value(values, &rpm_key(&t.id, minute - 1))?;
            if !rpm_admits(prev, cur, elapsed, limit) {
                return Ok(match s.rate_limit_breach {
                    RateLimitBreach::Throttle => {
                        let retry = rpm_retry_after(prev, cur, elapsed, limit);
                        x.deny(
                            ErrorCode::RateLimited,
                            format!("more than {limit} requests in the sliding minute"),
                            Some(retry),
                            Vec::new(),
                        )
                    }
                    RateLimitBreach::Suspend => x.suspend(
                        SuspendReason::RateLimit,
                        format!("more than {limit} requests in the sliding minute"),
                    ),
                });
            }
        }
        if let Some(max) = t.limits.max_failed_requests {
            let failed = value(values, &failures_key(&t.id))?;
            if failed >= max {
                return Ok(x.suspend(
                    SuspendReason::FailureLimit,
                    format!("{failed} denied requests (limit {max})"),
                ));
            }
        }
    }

    // Budget: the token's own, then every ancestor's (a tree budget).
    if s.budget_tracking_enabled {
        if let Some(limit) = t.budget_limit_micro_usd {
            if value(values, &spend_key(&t.id))? >= limit {
                return Ok(x.suspend(SuspendReason::Budget, "spend budget exhausted"));
            }
        }
        for a in c.ancestors {
            if let Some(limit) = a.budget_limit_micro_usd {
                if value(values, &spend_key(&a.id))? >= limit {
                    return Ok(x.deny(
                        ErrorCode::BudgetExceeded,
                        format!("ancestor token {} has exhausted its budget", a.id),
                        None,
                        Vec::new(),
                    ));
                }
            }
        }
    }

    // Double RBAC: exact code in this token's grant and every ancestor's, and held by the
    // human now (in the token's organization when it has one).
    let permission = c.request.permission.as_deref();
    if let Some(p) = permission {
        let granted = std::iter::once(t)
            .chain(c.ancestors)
            .all(|tok| tok.granted_permissions.iter().any(|g| g == p));
        if !granted {
            return Ok(x.deny(
                ErrorCode::AgentPermissionDenied,
                format!("permission {p} was not delegated to this agent"),
                None,
                Vec::new(),
            ));
        }
        if !c.human.holds(p, t.organization_id.as_deref()) {
            return Ok(x.deny(
                ErrorCode::AgentPermissionDenied,
                format!("the delegating user no longer holds {p}"),
                None,
                Vec::new(),
            ));
        }
    }

    let touch = StateChange::PutToken {
        token: Box::new(AgentToken {
            last_used_at: Some(now),
            ..t.clone()
        }),
        on_conflict: OnConflict::Skip,
    };

    // Human in the loop.
    let hitl = c.request.requires_approval
        || permission.is_some_and(|p| s.confirmation_required.iter().any(|q| q == p));
    if hitl {
        let body = c.request.body_bytes()?;
        let fp = fingerprint(&t.id, &c.request.method, &c.request.path, &body, permission)?;
        match (&c.request.confirmation, c.pending_action) {
            (None, _) => {
                let payload = serde_json::from_slice::<Value>(&body).unwrap_or(Value::Null);
                let payload = if s.redact_pii {
                    redact(&payload, c.pii_keys)
                } else {
                    payload
                };
                let (action, raw) = new_pending_action(
                    t,
                    &ActionRequest {
                        method: &c.request.method,
                        path: &c.request.path,
                        body: &body,
                        permission,
                        trace_id: x.trace.value.as_deref(),
                    },
                    payload,
                    s.pending_action_lifetime_secs,
                    now,
                    random,
                )?;
                let event = x
                    .event(
                        EventKind::ApprovalRequested,
                        json!({ "pending_action_id": action.id }),
                    )
                    .with_code(ErrorCode::ApprovalRequired);
                let expires_at = action.expires_at;
                let changes = vec![
                    StateChange::PutPendingAction {
                        action: Box::new(action.clone()),
                        on_conflict: OnConflict::Redecide,
                    },
                    event.into_change(),
                ];
                return Ok(AgentDecision::NeedsApproval {
                    pending_action: Box::new(action),
                    raw_confirmation: raw,
                    expires_at,
                    changes,
                });
            }
            (Some(_), None) => {
                return Ok(x.deny(
                    ErrorCode::ConfirmationMismatch,
                    "no pending action matches the confirmation",
                    None,
                    Vec::new(),
                ))
            }
            (Some(raw), Some(action)) => match redeem(action, raw, &fp, &t.id, now) {
                Ok(consumed) => {
                    let event = x.event(
                        EventKind::ApprovalRedeemed,
                        json!({ "pending_action_id": consumed.id, "approved_by": consumed.decided_by }),
                    );
                    return Ok(AgentDecision::Allow {
                        token_id: t.id.clone(),
                        on_behalf_of: t.delegated_by.clone(),
                        permission: permission.map(str::to_owned),
                        changes: vec![
                            StateChange::PutPendingAction {
                                action: Box::new(consumed),
                                on_conflict: OnConflict::Redecide,
                            },
                            touch,
                            event.into_change(),
                        ],
                    });
                }
                Err(e) => return Ok(x.deny(e.code(), e.message().to_owned(), None, Vec::new())),
            },
        }
    }

    Ok(AgentDecision::Allow {
        token_id: t.id.clone(),
        on_behalf_of: t.delegated_by.clone(),
        permission: permission.map(str::to_owned),
        changes: vec![
            touch,
            x.event(EventKind::RequestAllowed, json!({})).into_change(),
        ],
    })
}

/// Runs both phases with `incr` executing each counter operation (atomically, returning
/// the new value); for in-process stores and tests.
pub fn authorize(
    c: &AuthorizeContext<'_>,
    now: i64,
    mut incr: impl FnMut(&CounterIncrement) -> Result<i64>,
    random: &[u8; SECRET_BYTES],
) -> Result<AgentDecision> {
    match begin(c, now)? {
        Begin::Decided { decision } => Ok(decision),
        Begin::Count { plan } => {
            let mut values = CounterValues::new();
            for op in &plan.increments {
                values.insert(op.key.clone(), incr(op)?);
            }
            decide(c, &plan, &values, random)
        }
    }
}

/// The record write for a lazily changed status (expired, suspended), if any: conflicts
/// re-decide, so a concurrent change on another server is never overwritten blindly.
fn redecide_put(update: Option<Box<AgentToken>>) -> Vec<StateChange> {
    update
        .map(|t| StateChange::PutToken {
            token: t,
            on_conflict: OnConflict::Redecide,
        })
        .into_iter()
        .collect()
}
