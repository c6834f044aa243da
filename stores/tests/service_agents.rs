#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! AIRS agent-token flows end to end: the story (delegate, allowed call, HITL 202,
//! confirm, single-use retry, breaker, budget), ownership, delegation, heartbeats, and
//! caps under concurrency (threads on one MemoryStore, processes on one SQLite file).

mod common;

use std::path::PathBuf;
use std::process::{Command, Stdio};

use common::{login, register, Host, T0};
use serde_json::{json, Value};
use tenxyte_core::agent::{
    AgentRequest, BudgetParams, CircuitBreakerParams, Cost, DeadMansSwitchParams, SubTokenRequest,
    SuspendReason, TokenStatus,
};
use tenxyte_core::service::agents::{AgentOutcome, CreateAgentTokenRequest, CreatedAgentToken};
use tenxyte_core::service::{Engine, RequestContext};
use tenxyte_core::store::{keys, Expect, Op, OpResult, SyncStore};
use tenxyte_core::ErrorCode;
use tenxyte_stores::SqliteStore;

/// Gives `user_id` roles and direct permissions by rewriting its record.
fn grant(store: &mut impl SyncStore, user_id: &str, roles: &[&str], perms: &[&str]) {
    let key = keys::user(user_id);
    let OpResult::Got(Some(record)) = store.execute(&Op::Get {
        ns: keys::USERS.into(),
        key: key.clone(),
    }) else {
        panic!("no user {user_id}");
    };
    let mut value = record.value;
    value["roles"] = json!(roles);
    value["permissions"] = json!(perms);
    let put = store.execute(&Op::Put {
        ns: keys::USERS.into(),
        key,
        value,
        ttl_secs: None,
        expect: Expect::Any,
    });
    assert!(matches!(put, OpResult::Put(_)), "{put:?}");
}

fn counter(store: &mut impl SyncStore, key: &str) -> i64 {
    match store.execute(&Op::Incr {
        ns: keys::AGENT_COUNTERS.into(),
        key: key.into(),
        delta: 0,
        ttl_secs: None,
    }) {
        OpResult::Incremented(v) => v,
        other => panic!("{other:?}"),
    }
}

fn listed(store: &mut impl SyncStore, ns: &str, prefix: &str) -> Vec<Value> {
    match store.execute(&Op::List {
        ns: ns.into(),
        prefix: prefix.into(),
        limit: 1000,
        cursor: None,
    }) {
        OpResult::Listed { items, .. } => items.into_iter().map(|(_, r)| r.value).collect(),
        other => panic!("{other:?}"),
    }
}

fn breaker(rpm: u64, total: u64, failures: u64) -> Option<CircuitBreakerParams> {
    Some(CircuitBreakerParams {
        max_requests_per_minute: Some(rpm),
        max_requests_total: Some(total),
        max_failed_requests: Some(failures),
    })
}

fn get(permission: &str) -> AgentRequest {
    AgentRequest {
        method: "GET".into(),
        path: "/api/content".into(),
        permission: Some(permission.into()),
        trace_id: Some("trace-1".into()),
        ..AgentRequest::default()
    }
}

fn publish(body: &str) -> AgentRequest {
    AgentRequest {
        method: "POST".into(),
        path: "/api/content/7/publish".into(),
        body: body.into(),
        permission: Some("content.publish".into()),
        trace_id: Some("trace-publish".into()),
        ..AgentRequest::default()
    }
}

/// A registered, logged-in human holding `editor` plus `content.publish`.
struct Human {
    id: String,
    access: String,
}

fn human(host: &mut Host, email: &str) -> Human {
    let id = register(host, email);
    grant(&mut host.store, &id, &["editor"], &["content.publish"]);
    let access = login(host, email).access_token;
    Human { id, access }
}

fn create(host: &mut Host, h: &Human, req: CreateAgentTokenRequest) -> CreatedAgentToken {
    let flow = host
        .engine
        .create_agent_token(h.access.clone(), req, host.ctx());
    host.run(flow).expect("create agent token")
}

fn authorize(host: &mut Host, raw: &str, req: AgentRequest) -> AgentOutcome {
    let flow = host.engine.authorize_agent(raw.into(), req, host.ctx());
    host.run(flow).expect("authorize flow")
}

const HITL: &str =
    r#"{"agents": {"confirmation_required": ["content.publish"]}, "audit": {"enabled": true}}"#;

fn hitl_host() -> Host {
    Host::new(serde_json::from_str(HITL).unwrap())
}

#[test]
fn the_airs_story_end_to_end() {
    let mut host = hitl_host();
    let ann = human(&mut host, "ann@example.com");
    let bob = human(&mut host, "bob@example.com");

    // Double RBAC at creation: a code the human does not hold is refused.
    let e = host
        .run(host.engine.create_agent_token(
            ann.access.clone(),
            CreateAgentTokenRequest {
                permissions: vec!["content.view".into(), "users.delete".into()],
                ..CreateAgentTokenRequest::default()
            },
            host.ctx(),
        ))
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::ScopeExceedsDelegator, "{e}");

    let created = create(
        &mut host,
        &ann,
        CreateAgentTokenRequest {
            agent_id: Some("writer-bot".into()),
            permissions: vec!["content.view".into(), "content.publish".into()],
            circuit_breaker: breaker(0, 10, 0),
            ..CreateAgentTokenRequest::default()
        },
    );
    let raw = created.raw_token.expose().to_owned();
    assert!(raw.starts_with("txa_"));
    assert!(created.token.token_hash.is_empty(), "the hash is not shown");
    let token_id = created.token.id.clone();

    // 1. An allowed call acts for Ann through the agent.
    let out = authorize(&mut host, &raw, get("content.view"));
    assert_eq!(
        out,
        AgentOutcome::Allowed {
            token_id: token_id.clone(),
            agent_id: "writer-bot".into(),
            user_id: ann.id.clone(),
            permission: Some("content.view".into()),
        }
    );
    // A permission not delegated is denied.
    let out = authorize(&mut host, &raw, get("content.edit"));
    assert_eq!(out.code(), Some(ErrorCode::AgentPermissionDenied));
    // An unknown token is denied.
    let out = authorize(&mut host, "txa_nope", get("content.view"));
    assert_eq!(out.code(), Some(ErrorCode::AgentTokenInvalid));

    // 2. HITL: 202 with a confirmation token; the action waits for Ann.
    let AgentOutcome::PendingApproval {
        pending_action_id,
        confirmation_token,
        ..
    } = authorize(&mut host, &raw, publish(r#"{"title":"t"}"#))
    else {
        panic!("expected a pending approval");
    };
    let confirmation = confirmation_token.expose().to_owned();
    let pending = host
        .run(
            host.engine
                .list_pending_actions(ann.access.clone(), host.ctx()),
        )
        .unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].id, pending_action_id);
    assert_eq!(pending[0].trace_id.as_deref(), Some("trace-publish"));
    assert!(host
        .run(
            host.engine
                .list_pending_actions(bob.access.clone(), host.ctx())
        )
        .unwrap()
        .is_empty());

    // Retrying before approval: still waiting.
    let retry = |host: &mut Host, body: &str| {
        let flow = host.engine.retry_agent_action(
            raw.clone(),
            publish(body),
            confirmation.clone(),
            host.ctx(),
        );
        host.run(flow).unwrap()
    };
    assert_eq!(
        retry(&mut host, r#"{"title":"t"}"#).code(),
        Some(ErrorCode::ApprovalRequired)
    );

    // 3. Bob can neither confirm, deny nor revoke Ann's agent; nothing changes.
    for confirm in [true, false] {
        let flow = if confirm {
            host.engine.confirm_pending_action(
                bob.access.clone(),
                pending_action_id.clone(),
                host.ctx(),
            )
        } else {
            host.engine.deny_pending_action(
                bob.access.clone(),
                pending_action_id.clone(),
                host.ctx(),
            )
        };
        let e = host.run(flow).unwrap_err();
        assert_eq!(e.code(), ErrorCode::NotDelegatingUser, "{e}");
    }
    let e = host
        .run(
            host.engine
                .revoke_agent_token(bob.access.clone(), token_id.clone(), host.ctx()),
        )
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotDelegatingUser);
    let e = host
        .run(
            host.engine
                .get_agent_token(bob.access.clone(), token_id.clone(), host.ctx()),
        )
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotDelegatingUser);
    let still = host
        .run(
            host.engine
                .list_pending_actions(ann.access.clone(), host.ctx()),
        )
        .unwrap();
    assert_eq!(
        still[0].status,
        tenxyte_core::agent::ActionStatus::Pending,
        "a refused decision persisted nothing"
    );

    // 4. Ann confirms; a changed request does not match; the exact one passes once.
    let confirmed = host
        .run(host.engine.confirm_pending_action(
            ann.access.clone(),
            pending_action_id.clone(),
            host.ctx(),
        ))
        .unwrap();
    assert_eq!(confirmed.decided_by.as_deref(), Some(ann.id.as_str()));
    assert_eq!(
        retry(&mut host, r#"{"title":"other"}"#).code(),
        Some(ErrorCode::ConfirmationMismatch)
    );
    assert!(retry(&mut host, r#"{"title":"t"}"#).is_allowed());
    // 5. Replay refused.
    assert_eq!(
        retry(&mut host, r#"{"title":"t"}"#).code(),
        Some(ErrorCode::ConfirmationUsed)
    );
    // A second decision on the used action is refused too.
    let e = host
        .run(host.engine.deny_pending_action(
            ann.access.clone(),
            pending_action_id.clone(),
            host.ctx(),
        ))
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::ConfirmationUsed);

    // 6. The breaker trips on the total limit: 10 requests are admitted over the token's
    // life; 7 were counted so far (allowed, denied, pending and retries alike).
    assert_eq!(counter(&mut host.store, &keys::requests_key(&token_id)), 7);
    let mut allowed = 0;
    let last = loop {
        let out = authorize(&mut host, &raw, get("content.view"));
        if !out.is_allowed() {
            break out;
        }
        allowed += 1;
    };
    assert_eq!(allowed, 3);
    assert!(
        matches!(
            last,
            AgentOutcome::Denied {
                code: ErrorCode::RequestLimitReached,
                suspended: Some(SuspendReason::TotalLimit),
                ..
            }
        ),
        "{last:?}"
    );
    let out = authorize(&mut host, &raw, get("content.view"));
    assert_eq!(out.code(), Some(ErrorCode::AgentTokenSuspended));
    let t = host
        .run(
            host.engine
                .get_agent_token(ann.access.clone(), token_id.clone(), host.ctx()),
        )
        .unwrap();
    assert_eq!(t.status, TokenStatus::Suspended);
    assert_eq!(t.suspended_reason, Some(SuspendReason::TotalLimit));

    // Every decision is audited with the agent, the human and the trace id.
    let events = listed(
        &mut host.store,
        keys::AUDIT_BY_AGENT,
        &keys::owner_prefix(&token_id),
    );
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for want in [
        "agent_token_created",
        "agent_request_allowed",
        "agent_request_denied",
        "agent_approval_requested",
        "agent_approval_confirmed",
        "agent_approval_redeemed",
        "agent_token_suspended",
    ] {
        assert!(actions.contains(&want), "{want} missing from {actions:?}");
    }
    assert!(events
        .iter()
        .all(|e| e["user_id"] == json!(ann.id) || e["user_id"] == json!(bob.id)));
    let redeemed = events
        .iter()
        .find(|e| e["action"] == "agent_approval_redeemed")
        .unwrap();
    assert_eq!(redeemed["trace_id"], json!("trace-publish"));
    assert_eq!(redeemed["agent_id"], json!(token_id));
    let refused = events
        .iter()
        .filter(|e| e["code"] == json!("not_delegating_user"))
        .count();
    assert_eq!(refused, 3, "bob's confirm, deny and revoke are audited");
}

#[test]
fn budget_stops_the_agent_and_keeps_the_ledger_within_the_cap() {
    let mut host = Host::new(json!({}));
    let ann = human(&mut host, "ann@example.com");
    let created = create(
        &mut host,
        &ann,
        CreateAgentTokenRequest {
            permissions: vec!["content.view".into()],
            budget: Some(BudgetParams {
                limit_micro_usd: Some(100),
                limit_usd: None,
            }),
            ..CreateAgentTokenRequest::default()
        },
    );
    let raw = created.raw_token.expose().to_owned();
    let report = |host: &mut Host, cost: Cost| {
        let flow = host
            .engine
            .report_agent_usage(raw.clone(), cost, host.ctx());
        host.run(flow)
    };
    assert!(report(&mut host, Cost::Micro(60)).unwrap().is_allowed());
    let e = report(&mut host, Cost::Micro(-5)).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidCost);
    let out = report(&mut host, Cost::Usd("0.000060".into())).unwrap();
    assert!(
        matches!(
            out,
            AgentOutcome::Denied {
                code: ErrorCode::BudgetExceeded,
                suspended: Some(SuspendReason::Budget),
                ..
            }
        ),
        "{out:?}"
    );
    // The refused charge was taken back: the ledger holds only what was admitted.
    assert_eq!(
        counter(&mut host.store, &keys::spend_key(&created.token.id)),
        60
    );
    assert_eq!(
        authorize(&mut host, &raw, get("content.view")).code(),
        Some(ErrorCode::AgentTokenSuspended)
    );
    // Reactivation does not refill a budget: the next exhausted check suspends again
    // only once spend reaches the cap, so a small charge still fits.
    let flow = host.engine.reactivate_agent_token(
        ann.access.clone(),
        created.token.id.clone(),
        host.ctx(),
    );
    assert_eq!(host.run(flow).unwrap().status, TokenStatus::Active);
    assert!(report(&mut host, Cost::Micro(40)).unwrap().is_allowed());
    let out = authorize(&mut host, &raw, get("content.view"));
    assert_eq!(out.code(), Some(ErrorCode::BudgetExceeded), "{out:?}");
}

#[test]
fn a_sub_token_only_narrows_and_dies_with_its_parent() {
    let mut host = Host::new(json!({}));
    let ann = human(&mut host, "ann@example.com");
    let parent = create(
        &mut host,
        &ann,
        CreateAgentTokenRequest {
            permissions: vec!["content.view".into(), "content.edit".into()],
            expires_in_secs: Some(1800),
            budget: Some(BudgetParams {
                limit_micro_usd: Some(1000),
                limit_usd: None,
            }),
            ..CreateAgentTokenRequest::default()
        },
    );
    let raw_parent = parent.raw_token.expose().to_owned();
    let sub = |host: &mut Host, req: SubTokenRequest| {
        let flow = host
            .engine
            .create_agent_sub_token(raw_parent.clone(), req, host.ctx());
        host.run(flow)
    };
    for (req, what) in [
        (
            SubTokenRequest {
                permissions: vec!["content.view".into(), "content.publish".into()],
                ..SubTokenRequest::default()
            },
            "a permission the parent lacks (even one the human holds)",
        ),
        (
            SubTokenRequest {
                permissions: vec!["content.view".into()],
                expires_in_secs: Some(3600),
                ..SubTokenRequest::default()
            },
            "a longer life",
        ),
        (
            SubTokenRequest {
                permissions: vec!["content.view".into()],
                budget: Some(BudgetParams {
                    limit_micro_usd: Some(1001),
                    limit_usd: None,
                }),
                ..SubTokenRequest::default()
            },
            "a bigger budget",
        ),
    ] {
        let e = sub(&mut host, req).unwrap_err();
        assert_eq!(e.code(), ErrorCode::ScopeExceedsDelegator, "{what}: {e}");
    }
    let child = sub(
        &mut host,
        SubTokenRequest {
            agent_id: Some("helper".into()),
            permissions: vec!["content.view".into()],
            ..SubTokenRequest::default()
        },
    )
    .unwrap();
    assert_eq!(child.token.depth, 1);
    assert_eq!(
        child.token.parent_token_id.as_deref(),
        Some(parent.token.id.as_str())
    );
    let raw_child = child.raw_token.expose().to_owned();
    let out = authorize(&mut host, &raw_child, get("content.view"));
    assert!(out.is_allowed(), "{out:?}");
    assert_eq!(
        authorize(&mut host, &raw_child, get("content.edit")).code(),
        Some(ErrorCode::AgentPermissionDenied)
    );
    // The child's spend is charged to the parent's budget as well.
    let flow = host
        .engine
        .report_agent_usage(raw_child.clone(), Cost::Micro(300), host.ctx());
    assert!(host.run(flow).unwrap().is_allowed());
    assert_eq!(
        counter(&mut host.store, &keys::spend_key(&parent.token.id)),
        300
    );
    // Revoking the parent stops the child (lazy cascade).
    let flow =
        host.engine
            .revoke_agent_token(ann.access.clone(), parent.token.id.clone(), host.ctx());
    assert_eq!(host.run(flow).unwrap().status, TokenStatus::Revoked);
    assert_eq!(
        authorize(&mut host, &raw_child, get("content.view")).code(),
        Some(ErrorCode::AgentTokenRevoked)
    );
    // Revoke-all revokes the rest; the list shows every token revoked.
    let flow = host
        .engine
        .revoke_all_agent_tokens(ann.access.clone(), host.ctx());
    assert_eq!(host.run(flow).unwrap(), 1);
    let page = host
        .run(
            host.engine
                .list_agent_tokens(ann.access.clone(), None, None, host.ctx()),
        )
        .unwrap();
    assert_eq!(page.items.len(), 2);
    assert!(page
        .items
        .iter()
        .all(|t| t.status == TokenStatus::Revoked && t.token_hash.is_empty()));
}

#[test]
fn heartbeats_the_sweep_and_reactivation() {
    let mut host = Host::new(json!({}));
    let ann = human(&mut host, "ann@example.com");
    let created = create(
        &mut host,
        &ann,
        CreateAgentTokenRequest {
            permissions: vec!["content.view".into()],
            dead_mans_switch: Some(DeadMansSwitchParams {
                heartbeat_every_secs: Some(30),
            }),
            ..CreateAgentTokenRequest::default()
        },
    );
    let raw = created.raw_token.expose().to_owned();
    let id = created.token.id.clone();
    host.advance(20);
    let ack = host
        .run(host.engine.agent_heartbeat(raw.clone(), host.ctx()))
        .unwrap();
    assert_eq!(ack.next_due_at, Some(host.clock.now() + 30));
    host.advance(30);
    assert_eq!(host.run(host.engine.sweep_agents(host.ctx())).unwrap(), 0);
    host.advance(1);
    assert_eq!(host.run(host.engine.sweep_agents(host.ctx())).unwrap(), 1);
    // Idempotent: a second sweep finds nothing to do.
    assert_eq!(host.run(host.engine.sweep_agents(host.ctx())).unwrap(), 0);
    let t = host
        .run(
            host.engine
                .get_agent_token(ann.access.clone(), id.clone(), host.ctx()),
        )
        .unwrap();
    assert_eq!(t.suspended_reason, Some(SuspendReason::HeartbeatMissing));
    let e = host
        .run(host.engine.agent_heartbeat(raw.clone(), host.ctx()))
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::AgentTokenSuspended);
    assert_eq!(
        authorize(&mut host, &raw, get("content.view")).code(),
        Some(ErrorCode::AgentTokenSuspended)
    );
    // Ann reactivates: the heartbeat clock restarts.
    let flow = host
        .engine
        .reactivate_agent_token(ann.access.clone(), id.clone(), host.ctx());
    host.run(flow).unwrap();
    assert!(authorize(&mut host, &raw, get("content.view")).is_allowed());
}

#[test]
fn sweeping_concurrently_suspends_each_token_once() {
    let mut host = Host::new(json!({}));
    let ann = human(&mut host, "ann@example.com");
    for _ in 0..5 {
        create(
            &mut host,
            &ann,
            CreateAgentTokenRequest {
                permissions: vec!["content.view".into()],
                dead_mans_switch: Some(DeadMansSwitchParams {
                    heartbeat_every_secs: Some(10),
                }),
                ..CreateAgentTokenRequest::default()
            },
        );
    }
    host.advance(11);
    let ctx = host.ctx();
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let (engine, mut store, ctx) = (host.engine.clone(), host.memory.clone(), ctx.clone());
            std::thread::spawn(move || engine.sweep_agents(ctx).run(&mut store).unwrap())
        })
        .collect();
    let total: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(total, 5);
}

// ---- concurrency: N threads × M requests on one MemoryStore ----

const THREADS: usize = 4;
const PER_THREAD: usize = 40;

/// A fresh host (clock at a minute boundary, so the RPM window is one bucket) with one
/// token created by `req`; returns the host and the raw token.
fn one_token(req: CreateAgentTokenRequest) -> (Host, String, String) {
    let mut host = Host::new(json!({}));
    assert_eq!(T0 % 60, 0);
    let ann = human(&mut host, "ann@example.com");
    let created = create(&mut host, &ann, req);
    (
        host,
        created.raw_token.expose().to_owned(),
        created.token.id.clone(),
    )
}

/// Runs `THREADS × PER_THREAD` calls of `call` concurrently, each thread on its own
/// clone of the store; returns every outcome.
fn hammer<F>(host: &Host, call: F) -> Vec<AgentOutcome>
where
    F: Fn(&Engine, RequestContext) -> tenxyte_core::drive::Flow<AgentOutcome>
        + Send
        + Sync
        + Clone
        + 'static,
{
    let ctx = host.ctx();
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let (engine, mut store, ctx) = (host.engine.clone(), host.memory.clone(), ctx.clone());
            let (call, barrier) = (call.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                (0..PER_THREAD)
                    .map(|_| call(&engine, ctx.clone()).run(&mut store).unwrap())
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect()
}

fn allowed(outcomes: &[AgentOutcome]) -> usize {
    outcomes.iter().filter(|o| o.is_allowed()).count()
}

#[test]
fn concurrent_requests_never_pass_the_rpm_limit() {
    const RPM: u64 = 37;
    let (host, raw, _) = one_token(CreateAgentTokenRequest {
        permissions: vec!["content.view".into()],
        circuit_breaker: breaker(RPM, 0, 0),
        ..CreateAgentTokenRequest::default()
    });
    let out = hammer(&host, move |e, ctx| {
        e.authorize_agent(raw.clone(), get("content.view"), ctx)
    });
    assert_eq!(allowed(&out), RPM as usize, "exactly the cap is admitted");
    assert!(out
        .iter()
        .filter(|o| !o.is_allowed())
        .all(|o| o.code() == Some(ErrorCode::RateLimited)));
}

#[test]
fn concurrent_requests_never_pass_the_total_limit() {
    const TOTAL: u64 = 53;
    let (mut host, raw, id) = one_token(CreateAgentTokenRequest {
        permissions: vec!["content.view".into()],
        circuit_breaker: breaker(0, TOTAL, 0),
        ..CreateAgentTokenRequest::default()
    });
    let out = hammer(&host, move |e, ctx| {
        e.authorize_agent(raw.clone(), get("content.view"), ctx)
    });
    assert_eq!(allowed(&out), TOTAL as usize, "exactly the cap is admitted");
    assert!(out
        .iter()
        .any(|o| o.code() == Some(ErrorCode::RequestLimitReached)));
    assert!(counter(&mut host.store, &keys::requests_key(&id)) > TOTAL as i64);
}

#[test]
fn concurrent_usage_reports_never_pass_the_budget() {
    const BUDGET: u64 = 1_000;
    const COST: i64 = 7;
    let (mut host, raw, id) = one_token(CreateAgentTokenRequest {
        permissions: vec!["content.view".into()],
        budget: Some(BudgetParams {
            limit_micro_usd: Some(BUDGET),
            limit_usd: None,
        }),
        ..CreateAgentTokenRequest::default()
    });
    let out = hammer(&host, move |e, ctx| {
        e.report_agent_usage(raw.clone(), Cost::Micro(COST), ctx)
    });
    let admitted = i64::try_from(allowed(&out)).unwrap();
    assert!(admitted >= 1);
    assert!(
        admitted * COST <= BUDGET as i64,
        "{admitted} × {COST} > {BUDGET}"
    );
    // Refused charges were all taken back: the ledger is exactly the admitted spend.
    assert_eq!(
        counter(&mut host.store, &keys::spend_key(&id)),
        admitted * COST
    );
    assert!(out
        .iter()
        .any(|o| o.code() == Some(ErrorCode::BudgetExceeded)));
}

// ---- two processes on one SQLite file ----

const CHILD_DB: &str = "TENXYTE_AGENTS_CHILD_DB";
const CHILD_TOKEN: &str = "TENXYTE_AGENTS_CHILD_TOKEN";
const PROC_REQUESTS: usize = 100;
const PROC_TOTAL: u64 = 150;

fn fixed_clock() -> impl Fn() -> i64 + Send + Sync + 'static {
    || T0
}

/// Runs [`PROC_REQUESTS`] authorize flows on `store`; returns how many were admitted.
fn drive_requests(store: &SqliteStore, engine: &Engine, raw: &str) -> usize {
    let mut store = store;
    (0..PROC_REQUESTS)
        .filter(|_| {
            engine
                .authorize_agent(raw.into(), get("content.view"), RequestContext::at(T0))
                .run(&mut store)
                .unwrap()
                .is_allowed()
        })
        .count()
}

struct TempDb(PathBuf);

impl Drop for TempDb {
    fn drop(&mut self) {
        let dir = self.0.parent().map(PathBuf::from).unwrap_or_default();
        let name = self
            .0
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let other = entry.file_name().to_string_lossy().into_owned();
            if other.starts_with(&format!("{name}.ready.")) || other == format!("{name}.go") {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        for suffix in ["", "-wal", "-shm"] {
            let mut p = self.0.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }
}

#[test]
fn two_processes_on_one_sqlite_file_never_pass_the_total_limit() {
    let engine = common::engine(json!({}));
    if let (Ok(path), Ok(raw)) = (std::env::var(CHILD_DB), std::env::var(CHILD_TOKEN)) {
        // Child mode: report the admitted count on stdout.
        // Start together with the parent: announce readiness, wait for the go file.
        let store = SqliteStore::open(&path, fixed_clock()).unwrap();
        std::fs::write(format!("{path}.ready.{}", std::process::id()), b"").unwrap();
        let go = PathBuf::from(format!("{path}.go"));
        while !go.exists() {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        println!("\nADMITTED={}", drive_requests(&store, &engine, &raw));
        return;
    }
    let db = TempDb(std::env::temp_dir().join(format!(
        "tenxyte-agents-{}-{}.db",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    )));
    let store = SqliteStore::open(&db.0, fixed_clock()).unwrap();
    let mut s = &store;
    use tenxyte_core::service::auth::{LoginRequest, RegisterRequest};
    let reg = engine
        .register(
            RegisterRequest {
                email: Some("ann@example.com".into()),
                password: common::PASSWORD.into(),
                ..RegisterRequest::default()
            },
            RequestContext::at(T0),
        )
        .run(&mut s)
        .unwrap();
    let id = reg.user["id"].as_str().unwrap().to_owned();
    grant(&mut s, &id, &["editor"], &[]);
    let access = engine
        .login(
            LoginRequest {
                email: Some("ann@example.com".into()),
                password: common::PASSWORD.into(),
                ..LoginRequest::default()
            },
            RequestContext::at(T0),
        )
        .run(&mut s)
        .unwrap()
        .access_token;
    let created = engine
        .create_agent_token(
            access,
            CreateAgentTokenRequest {
                permissions: vec!["content.view".into()],
                circuit_breaker: breaker(0, PROC_TOTAL, 0),
                ..CreateAgentTokenRequest::default()
            },
            RequestContext::at(T0),
        )
        .run(&mut s)
        .unwrap();
    let raw = created.raw_token.expose().to_owned();
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..2)
        .map(|_| {
            Command::new(&exe)
                .args([
                    "--exact",
                    "two_processes_on_one_sqlite_file_never_pass_the_total_limit",
                    "--test-threads=1",
                    "--nocapture",
                ])
                .env(CHILD_DB, &db.0)
                .env(CHILD_TOKEN, &raw)
                .stdout(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let ready = || {
        let dir = db.0.parent().unwrap();
        let stem = format!("{}.ready.", db.0.file_name().unwrap().to_string_lossy());
        std::fs::read_dir(dir)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with(&stem)
            })
            .count()
    };
    while ready() < 2 {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    std::fs::write(format!("{}.go", db.0.display()), b"").unwrap();
    let mut admitted = drive_requests(&store, &engine, &raw);
    let mut per_process = vec![admitted];
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "a child process failed");
        let text = String::from_utf8(out.stdout).unwrap();
        let n: usize = text
            .lines()
            .find_map(|l| l.split("ADMITTED=").nth(1))
            .expect("child count")
            .trim()
            .parse()
            .unwrap();
        admitted += n;
        per_process.push(n);
    }
    eprintln!("admitted per process: {per_process:?}");
    assert_eq!(
        admitted, PROC_TOTAL as usize,
        "exactly the cap, across processes"
    );
    assert!(counter(&mut s, &keys::requests_key(&created.token.id)) > PROC_TOTAL as i64);
}

// ---- fail closed ----

/// A fresh host where Ann has approved a held `publish`; returns what the agent retries
/// with.
fn approved_action() -> (Host, String, String) {
    let mut host = hitl_host();
    let ann = human(&mut host, "ann@example.com");
    let created = create(
        &mut host,
        &ann,
        CreateAgentTokenRequest {
            permissions: vec!["content.publish".into()],
            ..CreateAgentTokenRequest::default()
        },
    );
    let raw = created.raw_token.expose().to_owned();
    let AgentOutcome::PendingApproval {
        pending_action_id,
        confirmation_token,
        ..
    } = authorize(&mut host, &raw, publish("{}"))
    else {
        panic!("expected a pending approval");
    };
    let flow =
        host.engine
            .confirm_pending_action(ann.access.clone(), pending_action_id, host.ctx());
    host.run(flow).unwrap();
    (host, raw, confirmation_token.expose().to_owned())
}

/// Fails each operation of the redeeming retry in turn (before it runs, and after it ran
/// with its answer lost): the flow errs with `store_unavailable`, never allows, and the
/// confirmation can still be redeemed at most once afterwards.
#[test]
fn a_store_failure_never_allows_and_never_lets_a_confirmation_pass_twice() {
    use tenxyte_stores::FaultStore;
    for after in [false, true] {
        for n in 0.. {
            let (mut host, raw, conf) = approved_action();
            let mut faulty = FaultStore::fail_nth(host.memory.clone(), n);
            if after {
                faulty = faulty.after_applying();
            }
            let mut flow = host.engine.retry_agent_action(
                raw.clone(),
                publish("{}"),
                conf.clone(),
                host.ctx(),
            );
            let result = flow.run(&mut faulty);
            if faulty.seen() <= n {
                // The flow finished before operation n: every position was covered.
                assert!(result.unwrap().is_allowed());
                assert!(n > 8, "the retry runs more than 8 operations");
                break;
            }
            let e = result.expect_err("a failed operation must fail the flow");
            assert_eq!(e.code(), ErrorCode::StoreUnavailable, "op {n}: {e}");
            let retry = |host: &mut Host| {
                let flow = host.engine.retry_agent_action(
                    raw.clone(),
                    publish("{}"),
                    conf.clone(),
                    host.ctx(),
                );
                host.run(flow).unwrap()
            };
            let again = retry(&mut host);
            if !again.is_allowed() {
                assert_eq!(again.code(), Some(ErrorCode::ConfirmationUsed), "op {n}");
            }
            assert_eq!(
                retry(&mut host).code(),
                Some(ErrorCode::ConfirmationUsed),
                "op {n} (after={after}): redeemed twice"
            );
        }
    }
}

#[test]
fn the_humans_current_permissions_bound_the_agent_on_every_request() {
    let mut host = Host::new(json!({"audit": {"enabled": true}}));
    let ann = human(&mut host, "ann@example.com");
    let created = create(
        &mut host,
        &ann,
        CreateAgentTokenRequest {
            permissions: vec!["content.edit".into()],
            ..CreateAgentTokenRequest::default()
        },
    );
    let raw = created.raw_token.expose().to_owned();
    let mut req = get("content.edit");
    req.trace_id = Some("not a valid trace id!".into());
    assert!(authorize(&mut host, &raw, req).is_allowed());
    // Ann loses the editor role: her agent loses content.edit with it, at once.
    grant(&mut host.store, &ann.id, &["viewer"], &[]);
    let out = authorize(&mut host, &raw, get("content.edit"));
    assert_eq!(
        out.code(),
        Some(ErrorCode::AgentPermissionDenied),
        "{out:?}"
    );
    // An invalid trace id is dropped (flagged), never stored.
    let events = listed(
        &mut host.store,
        keys::AUDIT_BY_AGENT,
        &keys::owner_prefix(&created.token.id),
    );
    let allowed = events
        .iter()
        .find(|e| e["action"] == "agent_request_allowed")
        .unwrap();
    assert_eq!(allowed["trace_id"], Value::Null);
    assert_eq!(allowed["details"]["event"]["trace_id_dropped"], json!(true));
    let denied = events
        .iter()
        .find(|e| e["action"] == "agent_request_denied")
        .unwrap();
    assert_eq!(denied["trace_id"], json!("trace-1"));
    assert_eq!(denied["code"], json!("agent_permission_denied"));
}

#[test]
fn the_maintenance_flow_suspends_overdue_agents_that_make_no_request() {
    use tenxyte_core::service::maintenance::MaintenanceRequest;
    let mut host = Host::new(json!({}));
    let ann = human(&mut host, "ann@example.com");
    create(
        &mut host,
        &ann,
        CreateAgentTokenRequest {
            permissions: vec!["content.view".into()],
            dead_mans_switch: Some(DeadMansSwitchParams {
                heartbeat_every_secs: Some(10),
            }),
            ..CreateAgentTokenRequest::default()
        },
    );
    let run = |host: &mut Host| {
        let flow = host
            .engine
            .maintenance(MaintenanceRequest::default(), host.ctx());
        host.run(flow).unwrap()
    };
    assert_eq!(run(&mut host).agents_suspended, 0);
    host.advance(11);
    assert_eq!(run(&mut host).agents_suspended, 1);
    assert_eq!(run(&mut host).agents_suspended, 0);
}

// ---- the RPM limit and the budget across processes ----

/// What a child process hammers.
#[derive(Clone, Copy)]
enum Cap {
    /// Requests per minute (the clock is fixed, so every request falls in one window).
    Rpm,
    /// Usage reports of 1 000 µUSD against a budget.
    Budget,
}

const CHILD_CAP: &str = "TENXYTE_AGENTS_CHILD_CAP";
const PROC_RPM: u64 = 70;
const PROC_BUDGET_MICRO: u64 = 90_000;
const CHARGE_MICRO: i64 = 1_000;

fn drive(store: &SqliteStore, engine: &Engine, raw: &str, cap: Cap) -> usize {
    let mut store = store;
    (0..PROC_REQUESTS)
        .filter(|_| {
            let mut flow = match cap {
                Cap::Rpm => {
                    engine.authorize_agent(raw.into(), get("content.view"), RequestContext::at(T0))
                }
                Cap::Budget => engine.report_agent_usage(
                    raw.into(),
                    Cost::Micro(CHARGE_MICRO),
                    RequestContext::at(T0),
                ),
            };
            flow.run(&mut store).unwrap().is_allowed()
        })
        .count()
}

/// Three processes (this one and two children re-running `test_name`) start together on
/// one SQLite file and hammer one agent token; returns the admissions of each.
fn across_processes(test_name: &str, cap: Cap) -> Vec<usize> {
    let engine = common::engine(json!({}));
    if let (Ok(path), Ok(raw), Ok(_)) = (
        std::env::var(CHILD_DB),
        std::env::var(CHILD_TOKEN),
        std::env::var(CHILD_CAP),
    ) {
        let store = SqliteStore::open(&path, fixed_clock()).unwrap();
        std::fs::write(format!("{path}.ready.{}", std::process::id()), b"").unwrap();
        let go = PathBuf::from(format!("{path}.go"));
        while !go.exists() {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        println!("\nADMITTED={}", drive(&store, &engine, &raw, cap));
        return Vec::new();
    }
    let db = TempDb(
        std::env::temp_dir().join(format!("tenxyte-cap-{}-{test_name}.db", std::process::id())),
    );
    let store = SqliteStore::open(&db.0, fixed_clock()).unwrap();
    let mut s = &store;
    use tenxyte_core::service::auth::{LoginRequest, RegisterRequest};
    let reg = engine
        .register(
            RegisterRequest {
                email: Some("ann@example.com".into()),
                password: common::PASSWORD.into(),
                ..RegisterRequest::default()
            },
            RequestContext::at(T0),
        )
        .run(&mut s)
        .unwrap();
    grant(&mut s, reg.user["id"].as_str().unwrap(), &["editor"], &[]);
    let access = engine
        .login(
            LoginRequest {
                email: Some("ann@example.com".into()),
                password: common::PASSWORD.into(),
                ..LoginRequest::default()
            },
            RequestContext::at(T0),
        )
        .run(&mut s)
        .unwrap()
        .access_token;
    let req = match cap {
        Cap::Rpm => CreateAgentTokenRequest {
            permissions: vec!["content.view".into()],
            circuit_breaker: breaker(PROC_RPM, 0, 0),
            ..CreateAgentTokenRequest::default()
        },
        Cap::Budget => CreateAgentTokenRequest {
            permissions: vec!["content.view".into()],
            budget: Some(BudgetParams {
                limit_micro_usd: Some(PROC_BUDGET_MICRO),
                limit_usd: None,
            }),
            ..CreateAgentTokenRequest::default()
        },
    };
    let created = engine
        .create_agent_token(access, req, RequestContext::at(T0))
        .run(&mut s)
        .unwrap();
    let raw = created.raw_token.expose().to_owned();
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..2)
        .map(|_| {
            Command::new(&exe)
                .args(["--exact", test_name, "--test-threads=1", "--nocapture"])
                .env(CHILD_DB, &db.0)
                .env(CHILD_TOKEN, &raw)
                .env(CHILD_CAP, "1")
                .stdout(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let stem = format!("{}.ready.", db.0.file_name().unwrap().to_string_lossy());
    let dir = db.0.parent().unwrap().to_owned();
    while std::fs::read_dir(&dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with(&stem)
        })
        .count()
        < 2
    {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    std::fs::write(format!("{}.go", db.0.display()), b"").unwrap();
    let mut per_process = vec![drive(&store, &engine, &raw, cap)];
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "a child process failed");
        let text = String::from_utf8(out.stdout).unwrap();
        let n: usize = text
            .lines()
            .find_map(|l| l.split("ADMITTED=").nth(1))
            .expect("child count")
            .trim()
            .parse()
            .unwrap();
        per_process.push(n);
    }
    eprintln!("{test_name}: admitted per process {per_process:?}");
    per_process
}

#[test]
fn two_processes_on_one_sqlite_file_never_pass_the_rpm_limit() {
    let per = across_processes(
        "two_processes_on_one_sqlite_file_never_pass_the_rpm_limit",
        Cap::Rpm,
    );
    if !per.is_empty() {
        assert_eq!(
            per.iter().sum::<usize>(),
            PROC_RPM as usize,
            "exactly the RPM cap: {per:?}"
        );
    }
}

#[test]
fn two_processes_on_one_sqlite_file_never_pass_the_budget() {
    let per = across_processes(
        "two_processes_on_one_sqlite_file_never_pass_the_budget",
        Cap::Budget,
    );
    if !per.is_empty() {
        let admitted = per.iter().sum::<usize>();
        assert_eq!(
            admitted as u64 * CHARGE_MICRO as u64,
            PROC_BUDGET_MICRO,
            "spend equals the budget exactly: {per:?}"
        );
    }
}
