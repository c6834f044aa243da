//! Table-driven tests of every AIRS rule. Expected values are worked out by hand from the
//! rules in `docs/agents.md` (and Tenxyte's behaviour where we keep it), never read back
//! from the code under test.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::*;
use crate::config::{AgentSettings, Preset, RateLimitBreach, Settings};
use crate::error::ErrorCode;
use crate::secret;

const NOW: i64 = 1_700_000_000; // 1_700_000_000 = minute 28_333_333 + 20 s
const R1: [u8; 32] = [1; 32];
const R2: [u8; 32] = [2; 32];
const R3: [u8; 32] = [3; 32];

fn settings() -> AgentSettings {
    Settings::preset(Preset::Medium).agents
}

fn keys() -> Vec<String> {
    default_pii_keys()
}

/// A human holding `global` everywhere and `org` only in organization "acme".
fn human<'a>(
    global: &'a [&'a str],
    org: &'a [&'a str],
) -> impl Fn(&str, Option<&str>) -> bool + 'a {
    move |p: &str, o: Option<&str>| global.contains(&p) || (o == Some("acme") && org.contains(&p))
}

fn request(perms: &[&str]) -> CreateRequest {
    CreateRequest {
        agent_id: Some("bot".into()),
        delegated_by: "u1".into(),
        application_id: "app1".into(),
        permissions: perms.iter().map(|s| (*s).to_owned()).collect(),
        ..CreateRequest::default()
    }
}

fn token_with(perms: &[&str], f: impl FnOnce(&mut AgentToken)) -> AgentToken {
    let h = human(
        &["posts.read", "posts.write", "posts.delete", "users.read"],
        &[],
    );
    let mut t = create(&request(perms), &h, &settings(), &keys(), NOW - 100, &R1)
        .unwrap()
        .token;
    f(&mut t);
    t
}

fn code_of(r: crate::Result<impl std::fmt::Debug>) -> &'static str {
    r.unwrap_err().code().as_str()
}

/// An in-memory atomic counter store.
#[derive(Default)]
struct Counters(BTreeMap<String, i64>);

impl Counters {
    fn incr(&mut self, op: &CounterIncrement) -> crate::Result<i64> {
        assert_eq!(op.ns, COUNTER_NS);
        let v = self.0.entry(op.key.clone()).or_insert(0);
        *v += op.delta;
        Ok(*v)
    }
    fn get(&self, key: &str) -> i64 {
        self.0.get(key).copied().unwrap_or(0)
    }
    /// Applies the counter changes of a decision (what the host does after deciding).
    fn apply(&mut self, d: &AgentDecision) {
        for c in d.changes() {
            match c {
                StateChange::Increment(op) => {
                    self.incr(op).unwrap();
                }
                StateChange::DeleteCounter { key, .. } => {
                    self.0.remove(key);
                }
                _ => {}
            }
        }
    }
}

#[derive(Clone)]
struct Case<'a> {
    token: &'a AgentToken,
    ancestors: &'a [AgentToken],
    human: &'a dyn HumanPermissions,
    settings: &'a AgentSettings,
    req: AgentRequest,
    pending: Option<&'a PendingAction>,
}

fn get_req(perm: Option<&str>) -> AgentRequest {
    AgentRequest {
        method: "POST".into(),
        path: "/api/posts".into(),
        body: r#"{"title":"hi","email":"alice@example.com"}"#.into(),
        permission: perm.map(str::to_owned),
        ..AgentRequest::default()
    }
}

fn run(case: &Case<'_>, counters: &mut Counters, now: i64) -> AgentDecision {
    let keys = keys();
    let ctx = AuthorizeContext {
        token: case.token,
        ancestors: case.ancestors,
        human: case.human,
        settings: case.settings,
        pii_keys: &keys,
        request: &case.req,
        pending_action: case.pending,
    };
    let d = authorize(&ctx, now, |op| counters.incr(op), &R3).unwrap();
    counters.apply(&d);
    d
}

fn code(d: &AgentDecision) -> Option<&'static str> {
    d.code().map(ErrorCode::as_str)
}

fn put_token(d: &AgentDecision) -> Option<&AgentToken> {
    d.changes().iter().find_map(|c| match c {
        StateChange::PutToken {
            token,
            on_conflict: OnConflict::Redecide,
        } => Some(&**token),
        _ => None,
    })
}

fn events(d: &AgentDecision) -> Vec<&AuditEvent> {
    d.changes()
        .iter()
        .filter_map(|c| match c {
            StateChange::AppendEvent { event } => Some(&**event),
            _ => None,
        })
        .collect()
}

// ---------------------------------------------------------------- money

#[test]
fn usd_strings_parse_to_micro_usd() {
    let ok: &[(&str, u64)] = &[
        ("0.0123", 12_300),
        ("1", 1_000_000),
        ("12.50", 12_500_000),
        (".5", 500_000),
        ("0.000001", 1),
        ("0", 0),
        ("007.1", 7_100_000),
        ("1000000000", 1_000_000_000_000_000),
    ];
    for (s, want) in ok {
        assert_eq!(parse_usd(s).unwrap(), *want, "{s}");
    }
    for bad in [
        "",
        "-1",
        "+1",
        "1e3",
        "1E3",
        "NaN",
        "nan",
        "inf",
        "Infinity",
        "0.0000001",
        "1.",
        ".",
        " 1",
        "1 ",
        "1,5",
        "0x10",
        "99999999999",
        "1000000000.000001",
        "١",
    ] {
        assert_eq!(code_of(parse_usd(bad)), "invalid_cost", "{bad:?}");
    }
}

#[test]
fn float_and_integer_costs() {
    assert_eq!(usd_from_f64(0.1).unwrap(), 100_000);
    assert_eq!(usd_from_f64(0.0123).unwrap(), 12_300);
    for bad in [
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        -0.5,
        -0.0,
        1e-7,
        1e300,
    ] {
        assert_eq!(code_of(usd_from_f64(bad)), "invalid_cost", "{bad}");
    }
    assert_eq!(code_of(Cost::Micro(-1).micro_usd()), "invalid_cost");
    assert_eq!(Cost::Micro(5).micro_usd().unwrap(), 5);
    // JSON forms: integer = micro-USD, string = USD, float = USD.
    let c: Cost = serde_json::from_value(json!("0.25")).unwrap();
    assert_eq!(c.micro_usd().unwrap(), 250_000);
    let c: Cost = serde_json::from_value(json!(0.25)).unwrap();
    assert_eq!(c.micro_usd().unwrap(), 250_000);
    let c: Cost = serde_json::from_value(json!(250)).unwrap();
    assert_eq!(c.micro_usd().unwrap(), 250);
}

// ---------------------------------------------------------------- redaction, trace id

#[test]
fn redaction_is_recursive_and_case_insensitive() {
    let v = json!({
        "Email": "a@b.c",
        "name": "Al",
        "profile": {"phone_number": "+331", "address": {"city": "Paris"}, "first_name": "Al"},
        "items": [{"password": "x"}, {"ok": 1}, ["nested", {"TOKEN": "t"}]],
        "authorization": "Bearer x",
        "secret": 5,
    });
    let r = redact(&v, &keys());
    assert_eq!(
        r,
        json!({
            "Email": "***REDACTED***",
            "name": "Al",
            "profile": {"phone_number": "***REDACTED***", "address": "***REDACTED***", "first_name": "Al"},
            "items": [{"password": "***REDACTED***"}, {"ok": 1}, ["nested", {"TOKEN": "***REDACTED***"}]],
            "authorization": "***REDACTED***",
            "secret": "***REDACTED***",
        })
    );
    // Configurable: a custom list redacts only its keys.
    assert_eq!(
        redact(&json!({"iban": "FR76", "email": "x"}), &["IBAN".to_owned()]),
        json!({"iban": "***REDACTED***", "email": "x"})
    );
}

#[test]
fn trace_ids() {
    let max = "a".repeat(128);
    let over = "a".repeat(129);
    let cases: &[(Option<&str>, Option<&str>, bool)] = &[
        (None, None, false),
        (Some("run_42-abc"), Some("run_42-abc"), false),
        (Some(&max), Some(&max), false),
        (Some(&over), None, true),
        (Some(""), None, true),
        (Some("a b"), None, true),
        (Some("a/b"), None, true),
        (Some("é"), None, true),
        (Some("abc\n"), None, true),
    ];
    for (raw, value, dropped) in cases {
        let t = parse_trace_id(*raw);
        assert_eq!(t.value.as_deref(), *value, "{raw:?}");
        assert_eq!(t.dropped, *dropped, "{raw:?}");
    }
}

// ---------------------------------------------------------------- creation

#[test]
fn create_issues_a_prefixed_hashed_token() {
    let h = human(&["posts.read"], &[]);
    let c = create(
        &request(&["posts.read"]),
        &h,
        &settings(),
        &keys(),
        NOW,
        &R1,
    )
    .unwrap();
    let raw = c.raw_token.expose();
    assert_eq!(secret::kind_of(raw), Some(secret::SecretKind::Agent));
    assert!(secret::verify(raw, &c.token.token_hash));
    assert!(!serde_json::to_string(&c.token).unwrap().contains(raw));
    assert!(!format!("{:?}", c.raw_token).contains(&raw[4..]));
    let t = &c.token;
    assert_eq!(t.status, TokenStatus::Active);
    assert_eq!(t.expires_at, NOW + 3600); // agents.default_expiry_secs
                                          // Settings defaults (Tenxyte left AIRS_DEFAULT_MAX_* unread): 60 / 1000 / 10.
    assert_eq!(t.limits.max_requests_per_minute, Some(60));
    assert_eq!(t.limits.max_requests_total, Some(1000));
    assert_eq!(t.limits.max_failed_requests, Some(10));
    assert_eq!((t.depth, t.parent_token_id.as_deref()), (0, None));
    assert_eq!(c.event.kind, EventKind::TokenCreated);
}

#[test]
fn create_rules() {
    let h = human(&["posts.read", "posts.write"], &["org.members.invite"]);
    let s = settings();
    let with = |f: &dyn Fn(&mut CreateRequest)| {
        let mut r = request(&["posts.read"]);
        f(&mut r);
        r
    };
    let table: Vec<(&str, CreateRequest, AgentSettings, &str)> = vec![
        (
            "disabled",
            request(&["posts.read"]),
            AgentSettings {
                enabled: false,
                ..s.clone()
            },
            "airs_disabled",
        ),
        ("no permissions", request(&[]), s.clone(), "invalid_input"),
        (
            "wildcard",
            request(&["posts.*"]),
            s.clone(),
            "invalid_input",
        ),
        ("star", request(&["*"]), s.clone(), "invalid_input"),
        (
            "not held",
            request(&["posts.read", "users.delete"]),
            s.clone(),
            "scope_exceeds_delegator",
        ),
        (
            "org code without org",
            request(&["org.members.invite"]),
            s.clone(),
            "scope_exceeds_delegator",
        ),
        (
            "zero lifetime",
            with(&|r| r.expires_in_secs = Some(0)),
            s.clone(),
            "invalid_input",
        ),
        (
            "negative lifetime",
            with(&|r| r.expires_in_secs = Some(-5)),
            s.clone(),
            "invalid_input",
        ),
        (
            "over max lifetime",
            with(&|r| r.expires_in_secs = Some(86_401)),
            s.clone(),
            "invalid_input",
        ),
        (
            "heartbeat below min",
            with(&|r| {
                r.dead_mans_switch = Some(DeadMansSwitchParams {
                    heartbeat_every_secs: Some(9),
                })
            }),
            s.clone(),
            "invalid_input",
        ),
        (
            "zero budget",
            with(&|r| {
                r.budget = Some(BudgetParams {
                    limit_micro_usd: Some(0),
                    limit_usd: None,
                })
            }),
            s.clone(),
            "invalid_input",
        ),
        (
            "both budget forms",
            with(&|r| {
                r.budget = Some(BudgetParams {
                    limit_micro_usd: Some(5),
                    limit_usd: Some("1".into()),
                })
            }),
            s.clone(),
            "invalid_input",
        ),
        (
            "bad usd",
            with(&|r| {
                r.budget = Some(BudgetParams {
                    limit_micro_usd: None,
                    limit_usd: Some("-1".into()),
                })
            }),
            s.clone(),
            "invalid_cost",
        ),
        (
            "budget over cap",
            with(&|r| {
                r.budget = Some(BudgetParams {
                    limit_micro_usd: Some(2_000_001),
                    limit_usd: None,
                })
            }),
            AgentSettings {
                max_budget_limit_micro_usd: Some(2_000_000),
                ..s.clone()
            },
            "invalid_input",
        ),
        (
            "empty user",
            with(&|r| r.delegated_by = String::new()),
            s.clone(),
            "invalid_input",
        ),
    ];
    for (name, req, st, want) in table {
        assert_eq!(
            code_of(create(&req, &h, &st, &keys(), NOW, &R1)),
            want,
            "{name}"
        );
    }
    // Org-scoped: the org-only code is held in "acme".
    let mut r = request(&["org.members.invite", "posts.read"]);
    r.organization_id = Some("acme".into());
    assert!(create(&r, &h, &s, &keys(), NOW, &R1).is_ok());
    // Exact lifetime at the cap, explicit 0 = no limit, USD budget, heartbeat at the minimum.
    let mut r = request(&["posts.read", "posts.read"]);
    r.expires_in_secs = Some(86_400);
    r.circuit_breaker = Some(CircuitBreakerParams {
        max_requests_per_minute: Some(0),
        max_requests_total: Some(5),
        max_failed_requests: None,
    });
    r.budget = Some(BudgetParams {
        limit_micro_usd: None,
        limit_usd: Some("1.5".into()),
    });
    r.dead_mans_switch = Some(DeadMansSwitchParams {
        heartbeat_every_secs: Some(10),
    });
    let t = create(&r, &h, &s, &keys(), NOW, &R1).unwrap().token;
    assert_eq!(t.granted_permissions, vec!["posts.read"]);
    assert_eq!(t.expires_at, NOW + 86_400);
    assert_eq!(
        t.limits,
        Limits {
            max_requests_per_minute: None,
            max_requests_total: Some(5),
            max_failed_requests: Some(10)
        }
    );
    assert_eq!(t.budget_limit_micro_usd, Some(1_500_000));
    assert_eq!(
        (t.heartbeat_every_secs, t.last_heartbeat_at),
        (Some(10), Some(NOW))
    );
    // A budget cap also caps tokens created without a budget.
    let capped = AgentSettings {
        max_budget_limit_micro_usd: Some(7),
        ..s.clone()
    };
    let t = create(&request(&["posts.read"]), &h, &capped, &keys(), NOW, &R1)
        .unwrap()
        .token;
    assert_eq!(t.budget_limit_micro_usd, Some(7));
}

#[test]
fn create_request_json_refuses_unknown_keys() {
    // Tenxyte's own doc/SDK example keys, which it silently ignored.
    for doc in [
        json!({"delegated_by": "u1", "application_id": "a", "permissions": ["p"], "circuit_breaker": {"max_requests": 5, "window_seconds": 60}}),
        json!({"delegated_by": "u1", "application_id": "a", "permissions": ["p"], "dead_mans_switch": {"interval": 5}}),
        json!({"delegated_by": "u1", "application_id": "a", "permissions": ["p"], "budget": {"usd": "1"}}),
        json!({"delegated_by": "u1", "application_id": "a", "permission": ["p"]}),
    ] {
        let e = CreateRequest::from_json(&doc).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidInput, "{doc}");
        assert!(e.message().contains("unknown field"), "{}", e.message());
    }
    let ok = CreateRequest::from_json(&json!({
        "delegated_by": "u1", "application_id": "a", "permissions": ["p"],
        "dead_mans_switch": {"heartbeat_required_every": 30},
        "circuit_breaker": {"max_requests_per_minute": 5}
    }))
    .unwrap();
    assert_eq!(ok.dead_mans_switch.unwrap().heartbeat_every_secs, Some(30));
}

// ---------------------------------------------------------------- delegation

fn parent() -> AgentToken {
    token_with(&["posts.read", "posts.write"], |t| {
        t.budget_limit_micro_usd = Some(1_000);
        t.limits = Limits {
            max_requests_per_minute: Some(30),
            max_requests_total: Some(100),
            max_failed_requests: None,
        };
        t.heartbeat_every_secs = Some(600);
        t.last_heartbeat_at = Some(NOW - 10);
    })
}

fn sub(perms: &[&str]) -> SubTokenRequest {
    SubTokenRequest {
        permissions: perms.iter().map(|s| (*s).to_owned()).collect(),
        ..SubTokenRequest::default()
    }
}

#[test]
fn sub_tokens_only_narrow() {
    let p = parent();
    let h = human(&["posts.read", "posts.write", "posts.delete"], &[]);
    let s = settings();
    let mk = |r: &SubTokenRequest, spend: u64| {
        create_sub_token(&p, &[], r, &h, &s, spend, &keys(), NOW, &R2)
    };
    let c = mk(&sub(&["posts.read"]), 300).unwrap().token;
    assert_eq!(c.parent_token_id.as_deref(), Some(p.id.as_str()));
    assert_eq!(c.depth, 1);
    assert_eq!(c.delegated_by, p.delegated_by);
    // Lifetime: the default hour, but never past the parent (which expires at NOW + 3500).
    assert_eq!(c.expires_at, p.expires_at);
    assert_eq!(c.budget_limit_micro_usd, Some(700)); // parent's remaining
    assert_eq!(c.limits, p.limits);
    assert_eq!(c.heartbeat_every_secs, Some(600));

    let with = |f: &dyn Fn(&mut SubTokenRequest)| {
        let mut r = sub(&["posts.read"]);
        f(&mut r);
        r
    };
    let table: Vec<(&str, SubTokenRequest, u64, &str)> = vec![
        (
            "wider scope",
            sub(&["posts.read", "posts.delete"]),
            0,
            "scope_exceeds_delegator",
        ),
        ("empty scope", sub(&[]), 0, "invalid_input"),
        ("wildcard", sub(&["posts.*"]), 0, "invalid_input"),
        (
            "outlives parent",
            with(&|r| r.expires_in_secs = Some(3501)),
            0,
            "scope_exceeds_delegator",
        ),
        (
            "budget over remaining",
            with(&|r| {
                r.budget = Some(BudgetParams {
                    limit_micro_usd: Some(701),
                    limit_usd: None,
                })
            }),
            300,
            "scope_exceeds_delegator",
        ),
        (
            "no budget left",
            sub(&["posts.read"]),
            1_000,
            "budget_exceeded",
        ),
        (
            "higher rpm",
            with(&|r| {
                r.circuit_breaker = Some(CircuitBreakerParams {
                    max_requests_per_minute: Some(31),
                    ..Default::default()
                })
            }),
            0,
            "scope_exceeds_delegator",
        ),
        (
            "lift total",
            with(&|r| {
                r.circuit_breaker = Some(CircuitBreakerParams {
                    max_requests_total: Some(0),
                    ..Default::default()
                })
            }),
            0,
            "scope_exceeds_delegator",
        ),
        (
            "longer heartbeat",
            with(&|r| {
                r.dead_mans_switch = Some(DeadMansSwitchParams {
                    heartbeat_every_secs: Some(601),
                })
            }),
            0,
            "scope_exceeds_delegator",
        ),
    ];
    for (name, r, spend, want) in table {
        assert_eq!(code_of(mk(&r, spend)), want, "{name}");
    }
    assert_eq!(
        mk(&with(&|r| r.expires_in_secs = Some(3500)), 0)
            .unwrap()
            .token
            .expires_at,
        p.expires_at
    );
    assert_eq!(
        mk(
            &with(&|r| r.budget = Some(BudgetParams {
                limit_micro_usd: Some(700),
                limit_usd: None
            })),
            300
        )
        .unwrap()
        .token
        .budget_limit_micro_usd,
        Some(700)
    );

    // The human lost posts.write since delegating: it can no longer be passed on.
    let h2 = human(&["posts.read"], &[]);
    assert_eq!(
        code_of(create_sub_token(
            &p,
            &[],
            &sub(&["posts.write"]),
            &h2,
            &s,
            0,
            &keys(),
            NOW,
            &R2
        )),
        "scope_exceeds_delegator"
    );
    // Inactive parent.
    let susp = p.suspended(SuspendReason::Manual, NOW);
    assert_eq!(
        code_of(create_sub_token(
            &susp,
            &[],
            &sub(&["posts.read"]),
            &h,
            &s,
            0,
            &keys(),
            NOW,
            &R2
        )),
        "agent_token_suspended"
    );
    assert_eq!(
        code_of(create_sub_token(
            &p,
            &[],
            &sub(&["posts.read"]),
            &h,
            &s,
            0,
            &keys(),
            p.expires_at,
            &R2
        )),
        "agent_token_expired"
    );
}

#[test]
fn delegation_depth_is_capped() {
    let h = human(&["posts.read", "posts.write"], &[]);
    let s = settings();
    let mut chain: Vec<AgentToken> = vec![parent()]; // parent first once reversed
    for depth in 1..=3u8 {
        let p = chain.last().unwrap().clone();
        let ancestors: Vec<AgentToken> = chain[..chain.len() - 1].iter().rev().cloned().collect();
        let c = create_sub_token(
            &p,
            &ancestors,
            &sub(&["posts.read"]),
            &h,
            &s,
            0,
            &keys(),
            NOW,
            &[depth; 32],
        )
        .unwrap();
        assert_eq!(c.token.depth, depth);
        chain.push(c.token);
    }
    let p = chain.last().unwrap().clone();
    let ancestors: Vec<AgentToken> = chain[..chain.len() - 1].iter().rev().cloned().collect();
    assert_eq!(
        code_of(create_sub_token(
            &p,
            &ancestors,
            &sub(&["posts.read"]),
            &h,
            &s,
            0,
            &keys(),
            NOW,
            &R3
        )),
        "delegation_too_deep"
    );
    // The chain must be given whole and in order.
    assert_eq!(
        code_of(create_sub_token(
            &p,
            &[],
            &sub(&["posts.read"]),
            &h,
            &s,
            0,
            &keys(),
            NOW,
            &R3
        )),
        "invalid_input"
    );
}

// ---------------------------------------------------------------- per-request decision

#[test]
fn status_expiry_and_heartbeat_come_first_and_touch_no_counter() {
    let h = human(&["posts.read"], &[]);
    let s = settings();
    let table: Vec<(&str, AgentToken, i64, &str)> = vec![
        (
            "revoked",
            token_with(&["posts.read"], |t| t.status = TokenStatus::Revoked),
            NOW,
            "agent_token_revoked",
        ),
        (
            "suspended",
            token_with(&["posts.read"], |t| t.status = TokenStatus::Suspended),
            NOW,
            "agent_token_suspended",
        ),
        (
            "stored expired",
            token_with(&["posts.read"], |t| t.status = TokenStatus::Expired),
            NOW,
            "agent_token_expired",
        ),
        // Status before expiry (as in Tenxyte): a suspended token past expiry says suspended.
        (
            "suspended and past expiry",
            token_with(&["posts.read"], |t| t.status = TokenStatus::Suspended),
            NOW + 10_000,
            "agent_token_suspended",
        ),
        (
            "at expiry",
            token_with(&["posts.read"], |_| {}),
            NOW - 100 + 3600,
            "agent_token_expired",
        ),
        (
            "heartbeat missed by 1 s",
            token_with(&["posts.read"], |t| {
                t.heartbeat_every_secs = Some(60);
                t.last_heartbeat_at = Some(NOW - 61);
            }),
            NOW,
            "heartbeat_missing",
        ),
        (
            "never beat, counted from creation",
            token_with(&["posts.read"], |t| {
                t.heartbeat_every_secs = Some(60);
                t.last_heartbeat_at = None;
            }),
            NOW,
            "heartbeat_missing",
        ),
    ];
    for (name, t, now, want) in table {
        let mut ctr = Counters::default();
        let case = Case {
            token: &t,
            ancestors: &[],
            human: &h,
            settings: &s,
            req: get_req(Some("posts.read")),
            pending: None,
        };
        let d = run(&case, &mut ctr, now);
        assert_eq!(code(&d), Some(want), "{name}");
        assert_eq!(
            ctr.get(&counters::requests_key(&t.id)),
            0,
            "{name}: no request counted"
        );
    }
    // Lazy state changes: expiry marks the record Expired; a missed heartbeat suspends it.
    let t = token_with(&["posts.read"], |_| {});
    let case = Case {
        token: &t,
        ancestors: &[],
        human: &h,
        settings: &s,
        req: get_req(Some("posts.read")),
        pending: None,
    };
    let d = run(&case, &mut Counters::default(), t.expires_at);
    assert_eq!(put_token(&d).unwrap().status, TokenStatus::Expired);
    let t = token_with(&["posts.read"], |t| {
        t.heartbeat_every_secs = Some(60);
        t.last_heartbeat_at = Some(NOW - 60);
    });
    let case = Case {
        token: &t,
        ancestors: &[],
        human: &h,
        settings: &s,
        req: get_req(Some("posts.read")),
        pending: None,
    };
    assert!(
        run(&case, &mut Counters::default(), NOW).is_allow(),
        "exactly the interval is still in time"
    );
    let d = run(&case, &mut Counters::default(), NOW + 1);
    assert!(matches!(
        d,
        AgentDecision::Suspend {
            reason: SuspendReason::HeartbeatMissing,
            ..
        }
    ));
    let p = put_token(&d).unwrap();
    assert_eq!(
        (p.status, p.suspended_reason, p.suspended_at),
        (
            TokenStatus::Suspended,
            Some(SuspendReason::HeartbeatMissing),
            Some(NOW + 1)
        )
    );
    // AIRS off.
    let off = AgentSettings {
        enabled: false,
        ..s.clone()
    };
    let case = Case {
        token: &t,
        ancestors: &[],
        human: &h,
        settings: &off,
        req: get_req(None),
        pending: None,
    };
    assert_eq!(
        code(&run(&case, &mut Counters::default(), NOW)),
        Some("airs_disabled")
    );
}

#[test]
fn total_cap_admits_exactly_max_then_suspends() {
    let h = human(&["posts.read"], &[]);
    let s = settings();
    let t = token_with(&["posts.read"], |t| {
        t.limits = Limits {
            max_requests_total: Some(3),
            ..Limits::default()
        }
    });
    let case = Case {
        token: &t,
        ancestors: &[],
        human: &h,
        settings: &s,
        req: get_req(Some("posts.read")),
        pending: None,
    };
    let mut ctr = Counters::default();
    let got: Vec<Option<&str>> = (0..4)
        .map(|i| code(&run(&case, &mut ctr, NOW + i)))
        .collect();
    assert_eq!(got, vec![None, None, None, Some("request_limit_reached")]);
    assert_eq!(
        put_token(&run(&case, &mut ctr, NOW))
            .unwrap()
            .suspended_reason,
        Some(SuspendReason::TotalLimit)
    );
    // Breaker off: no cap.
    let off = AgentSettings {
        circuit_breaker_enabled: false,
        ..s.clone()
    };
    let case = Case {
        settings: &off,
        ..case
    };
    assert!(run(&case, &mut ctr, NOW).is_allow());
}

#[test]
fn rpm_throttles_on_a_sliding_window() {
    let h = human(&["posts.read"], &[]);
    let s = settings();
    let t = token_with(&["posts.read"], |t| {
        t.limits = Limits {
            max_requests_per_minute: Some(5),
            ..Limits::default()
        }
    });
    let case = Case {
        token: &t,
        ancestors: &[],
        human: &h,
        settings: &s,
        req: get_req(Some("posts.read")),
        pending: None,
    };
    // A fresh minute (second 0, nothing before): 5 admitted, the 6th throttled.
    let start = (NOW / 60 + 1) * 60;
    let mut ctr = Counters::default();
    let got: Vec<Option<&str>> = (0..6).map(|_| code(&run(&case, &mut ctr, start))).collect();
    assert_eq!(
        got,
        vec![None, None, None, None, None, Some("rate_limited")]
    );
    let d = run(&case, &mut ctr, start);
    // By hand: cur = 7 after this request. Same minute never frees up (prev 0, cur+1 > 5);
    // next minute at second e: prev = 7, weight (60 − e)/60: 7(60 − e) + 60 ≤ 300 ⇔ e ≥ 26
    // (7·34 = 238 ≤ 240), so t = 60 + 26 = 86.
    match &d {
        AgentDecision::Deny {
            code,
            retry_after,
            changes,
            ..
        } => {
            assert_eq!(*code, ErrorCode::RateLimited);
            assert_eq!(*retry_after, Some(86));
            // A throttle neither suspends nor counts as a failure.
            assert!(!changes
                .iter()
                .any(|c| matches!(c, StateChange::PutToken { .. })));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(ctr.get(&counters::failures_key(&t.id)), 0);
    // Sliding: 30 s into the next minute the previous 7 weigh 3.5, so 5·60 − 7·30 = 90
    // leaves room for one request (60), not two (120).
    let mid = start + 90;
    assert!(run(&case, &mut ctr, mid).is_allow());
    assert_eq!(code(&run(&case, &mut ctr, mid)), Some("rate_limited"));
    // Two minutes later everything is forgotten.
    assert!(run(&case, &mut ctr, start + 180).is_allow());

    // With `rate_limit_breach = suspend` (Tenxyte's behaviour) the breach suspends.
    let sus = AgentSettings {
        rate_limit_breach: RateLimitBreach::Suspend,
        ..s.clone()
    };
    let case = Case {
        settings: &sus,
        ..case
    };
    let mut ctr = Counters::default();
    for _ in 0..5 {
        assert!(run(&case, &mut ctr, start).is_allow());
    }
    let d = run(&case, &mut ctr, start);
    assert!(
        matches!(
            d,
            AgentDecision::Suspend {
                reason: SuspendReason::RateLimit,
                ..
            }
        ),
        "{d:?}"
    );
}

#[test]
fn every_deny_after_lookup_counts_and_the_failure_cap_suspends() {
    let h = human(&["posts.read"], &[]);
    let s = settings();
    let t = token_with(&["posts.read"], |t| {
        t.limits = Limits {
            max_failed_requests: Some(2),
            ..Limits::default()
        }
    });
    let bad = Case {
        token: &t,
        ancestors: &[],
        human: &h,
        settings: &s,
        req: get_req(Some("posts.write")),
        pending: None,
    };
    let good = Case {
        req: get_req(Some("posts.read")),
        ..bad
    };
    let mut ctr = Counters::default();
    assert!(run(&good, &mut ctr, NOW).is_allow());
    assert_eq!(
        code(&run(&bad, &mut ctr, NOW)),
        Some("agent_permission_denied")
    );
    assert_eq!(ctr.get(&counters::failures_key(&t.id)), 1);
    assert!(run(&good, &mut ctr, NOW).is_allow());
    assert_eq!(
        code(&run(&bad, &mut ctr, NOW)),
        Some("agent_permission_denied")
    );
    let d = run(&good, &mut ctr, NOW);
    assert!(
        matches!(
            d,
            AgentDecision::Suspend {
                reason: SuspendReason::FailureLimit,
                ..
            }
        ),
        "{d:?}"
    );
    // Refusals because the token is out of service are not failures of the agent's
    // calls: counting them would re-trip the breaker as soon as a human reactivates it.
    let revoked = token_with(&["posts.read"], |t| t.status = TokenStatus::Revoked);
    let suspended = token_with(&["posts.read"], |t| t.limits.max_failed_requests = Some(2))
        .suspended(SuspendReason::Manual, NOW);
    let expired = token_with(&["posts.read"], |t| t.expires_at = NOW - 1);
    for (out, expected) in [
        (&revoked, "agent_token_revoked"),
        (&suspended, "agent_token_suspended"),
        (&expired, "agent_token_expired"),
    ] {
        let case = Case {
            token: out,
            req: get_req(Some("posts.read")),
            ..bad
        };
        let mut ctr = Counters::default();
        for _ in 0..3 {
            assert_eq!(code(&run(&case, &mut ctr, NOW)), Some(expected));
        }
        assert_eq!(ctr.get(&counters::failures_key(&out.id)), 0, "{expected}");
    }
}

#[test]
fn exhausted_budget_suspends_on_the_next_request() {
    let h = human(&["posts.read"], &[]);
    let s = settings();
    let t = token_with(&["posts.read"], |t| t.budget_limit_micro_usd = Some(500));
    let case = Case {
        token: &t,
        ancestors: &[],
        human: &h,
        settings: &s,
        req: get_req(Some("posts.read")),
        pending: None,
    };
    let mut ctr = Counters::default();
    ctr.0.insert(counters::spend_key(&t.id), 499);
    assert!(run(&case, &mut ctr, NOW).is_allow());
    ctr.0.insert(counters::spend_key(&t.id), 500);
    let d = run(&case, &mut ctr, NOW);
    assert!(matches!(
        d,
        AgentDecision::Suspend {
            reason: SuspendReason::Budget,
            code: ErrorCode::BudgetExceeded,
            ..
        }
    ));
    let off = AgentSettings {
        budget_tracking_enabled: false,
        ..s.clone()
    };
    assert!(run(
        &Case {
            settings: &off,
            ..case
        },
        &mut ctr,
        NOW
    )
    .is_allow());
}

#[test]
fn double_rbac_is_live_and_org_aware() {
    let s = settings();
    let t = token_with(&["posts.read", "posts.write"], |_| {});
    let org = token_with(&["posts.read"], |t| t.organization_id = Some("acme".into()));
    // (name, token, human's global permissions, human's "acme" permissions, route
    // permission, expected code)
    type Row<'a> = (
        &'a str,
        &'a AgentToken,
        &'a [&'a str],
        &'a [&'a str],
        Option<&'a str>,
        Option<&'a str>,
    );
    let table: Vec<Row<'_>> = vec![
        (
            "granted and held",
            &t,
            &["posts.read"],
            &[],
            Some("posts.read"),
            None,
        ),
        (
            "not granted",
            &t,
            &["posts.delete"],
            &[],
            Some("posts.delete"),
            Some("agent_permission_denied"),
        ),
        (
            "human lost it",
            &t,
            &["posts.read"],
            &[],
            Some("posts.write"),
            Some("agent_permission_denied"),
        ),
        ("no permission on route", &t, &[], &[], None, None),
        (
            "held in the token's org",
            &org,
            &[],
            &["posts.read"],
            Some("posts.read"),
            None,
        ),
        (
            "org token, held only globally elsewhere",
            &org,
            &[],
            &[],
            Some("posts.read"),
            Some("agent_permission_denied"),
        ),
        (
            "global token, held only in an org",
            &t,
            &[],
            &["posts.read"],
            Some("posts.read"),
            Some("agent_permission_denied"),
        ),
        (
            "case-sensitive",
            &t,
            &["Posts.Read"],
            &[],
            Some("Posts.Read"),
            Some("agent_permission_denied"),
        ),
    ];
    for (name, tok, global, in_org, perm, want) in table {
        let h = human(global, in_org);
        let case = Case {
            token: tok,
            ancestors: &[],
            human: &h,
            settings: &s,
            req: get_req(perm),
            pending: None,
        };
        let d = run(&case, &mut Counters::default(), NOW);
        assert_eq!(code(&d), want, "{name}");
        if want.is_none() {
            match d {
                AgentDecision::Allow {
                    on_behalf_of,
                    token_id,
                    ..
                } => {
                    assert_eq!(on_behalf_of, "u1");
                    assert_eq!(token_id, tok.id);
                }
                other => panic!("{other:?}"),
            }
        }
    }
}

#[test]
fn a_sub_token_is_only_as_good_as_its_ancestors() {
    let h = human(&["posts.read", "posts.write"], &[]);
    let s = settings();
    let p = parent();
    let c = create_sub_token(&p, &[], &sub(&["posts.read"]), &h, &s, 0, &keys(), NOW, &R2)
        .unwrap()
        .token;
    let chain = [p.clone()];
    let case = Case {
        token: &c,
        ancestors: &chain,
        human: &h,
        settings: &s,
        req: get_req(Some("posts.read")),
        pending: None,
    };
    let d = run(&case, &mut Counters::default(), NOW);
    assert!(d.is_allow());
    assert_eq!(events(&d)[0].delegation_chain, vec![p.id.clone()]);
    // Revoke, suspend or expire the parent: the child is denied without being written.
    for (parent_state, want) in [
        (
            AgentToken {
                status: TokenStatus::Revoked,
                ..p.clone()
            },
            "agent_token_revoked",
        ),
        (
            p.suspended(SuspendReason::Manual, NOW),
            "agent_token_suspended",
        ),
        (
            AgentToken {
                expires_at: NOW,
                ..p.clone()
            },
            "agent_token_expired",
        ),
        (
            AgentToken {
                last_heartbeat_at: Some(NOW - 601),
                ..p.clone()
            },
            "heartbeat_missing",
        ),
    ] {
        let chain = [parent_state];
        let case = Case {
            ancestors: &chain,
            ..case.clone()
        };
        let d = run(&case, &mut Counters::default(), NOW);
        assert_eq!(code(&d), Some(want));
        assert!(!d
            .changes()
            .iter()
            .any(|ch| matches!(ch, StateChange::PutToken { token, .. } if token.id == c.id)));
    }
    // A forged child grant wider than the parent's does not pass.
    let forged = AgentToken {
        granted_permissions: vec!["posts.read".into(), "posts.delete".into()],
        ..c.clone()
    };
    let h_all = human(&["posts.read", "posts.write", "posts.delete"], &[]);
    let case2 = Case {
        token: &forged,
        ancestors: &chain,
        human: &h_all,
        settings: &s,
        req: get_req(Some("posts.delete")),
        pending: None,
    };
    assert_eq!(
        code(&run(&case2, &mut Counters::default(), NOW)),
        Some("agent_permission_denied")
    );
    // The parent's exhausted budget stops the child too.
    let mut ctr = Counters::default();
    ctr.0.insert(counters::spend_key(&p.id), 1_000);
    assert_eq!(code(&run(&case, &mut ctr, NOW)), Some("budget_exceeded"));
    // A broken chain is an error, not a decision.
    let keys = keys();
    let req = get_req(Some("posts.read"));
    let ctx = AuthorizeContext {
        token: &c,
        ancestors: &[],
        human: &h,
        settings: &s,
        pii_keys: &keys,
        request: &req,
        pending_action: None,
    };
    assert_eq!(code_of(begin(&ctx, NOW)), "invalid_input");
}

#[test]
fn decide_refuses_missing_or_foreign_counter_values() {
    let h = human(&["posts.read"], &[]);
    let s = settings();
    let t = token_with(&["posts.read"], |_| {});
    let keys = keys();
    let req = get_req(Some("posts.read"));
    let ctx = AuthorizeContext {
        token: &t,
        ancestors: &[],
        human: &h,
        settings: &s,
        pii_keys: &keys,
        request: &req,
        pending_action: None,
    };
    let Begin::Count { plan } = begin(&ctx, NOW).unwrap() else {
        panic!()
    };
    assert_eq!(
        code_of(decide(&ctx, &plan, &CounterValues::new(), &R3)),
        "invalid_input"
    );
    let mut other = plan.clone();
    other.now += 60;
    let vals: CounterValues = plan.increments.iter().map(|i| (i.key.clone(), 1)).collect();
    assert_eq!(code_of(decide(&ctx, &other, &vals, &R3)), "invalid_input");
    let neg: CounterValues = plan
        .increments
        .iter()
        .map(|i| (i.key.clone(), -1))
        .collect();
    assert_eq!(code_of(decide(&ctx, &plan, &neg, &R3)), "invalid_input");
    assert!(decide(&ctx, &plan, &vals, &R3).unwrap().is_allow());
}

// ---------------------------------------------------------------- HITL

fn hitl_setup() -> (AgentToken, AgentSettings) {
    let t = token_with(&["posts.read", "posts.delete"], |_| {});
    let s = AgentSettings {
        confirmation_required: vec!["posts.delete".into()],
        ..settings()
    };
    (t, s)
}

fn needs_approval(d: AgentDecision) -> (PendingAction, String) {
    match d {
        AgentDecision::NeedsApproval {
            pending_action,
            raw_confirmation,
            ..
        } => (*pending_action, raw_confirmation.expose().to_owned()),
        other => panic!("expected needs_approval, got {other:?}"),
    }
}

#[test]
fn approval_is_bound_single_use_and_owner_only() {
    let (t, s) = hitl_setup();
    let h = human(&["posts.read", "posts.delete"], &[]);
    let mut req = get_req(Some("posts.delete"));
    req.trace_id = Some("run-7".into());
    let base = Case {
        token: &t,
        ancestors: &[],
        human: &h,
        settings: &s,
        req: req.clone(),
        pending: None,
    };
    let d = run(&base, &mut Counters::default(), NOW);
    assert_eq!(code(&d), Some("approval_required"));
    let ev = events(&d);
    assert_eq!(ev[0].trace_id.as_deref(), Some("run-7"));
    let (action, raw) = needs_approval(d);
    assert_eq!(secret::kind_of(&raw), Some(secret::SecretKind::Approval));
    assert!(secret::verify(&raw, &action.confirmation_hash));
    assert_eq!(action.status, ActionStatus::Pending);
    assert_eq!(action.expires_at, NOW + 600);
    assert_eq!(action.trace_id.as_deref(), Some("run-7"));
    assert_eq!(
        (action.method.as_str(), action.path.as_str()),
        ("POST", "/api/posts")
    );

    // Another user cannot decide, and gets an error before any state exists to persist.
    assert_eq!(
        code_of(confirm(&action, &t, "u2", NOW, &keys())),
        "not_delegating_user"
    );
    assert_eq!(
        code_of(deny(&action, &t, "u2", NOW, &keys())),
        "not_delegating_user"
    );

    // Retrying before the human decides.
    let mut retry = req.clone();
    retry.confirmation = Some(raw.clone());
    let pending_case = Case {
        req: retry.clone(),
        pending: Some(&action),
        ..base
    };
    assert_eq!(
        code(&run(&pending_case, &mut Counters::default(), NOW)),
        Some("approval_required")
    );

    let confirmed = confirm(&action, &t, "u1", NOW + 5, &keys()).unwrap().action;
    assert_eq!(
        (confirmed.status, confirmed.decided_by.as_deref()),
        (ActionStatus::Confirmed, Some("u1"))
    );
    assert_eq!(
        code_of(confirm(&confirmed, &t, "u1", NOW + 6, &keys())),
        "confirmation_used"
    );
    assert_eq!(
        code_of(deny(&confirmed, &t, "u1", NOW + 6, &keys())),
        "confirmation_used"
    );

    // Any change of the action breaks the binding.
    let mut changed: Vec<(&str, AgentRequest)> = Vec::new();
    let mut r = retry.clone();
    r.body = r#"{"title":"bye","email":"alice@example.com"}"#.into();
    changed.push(("body", r));
    let mut r = retry.clone();
    r.path = "/api/posts/2".into();
    changed.push(("path", r));
    let mut r = retry.clone();
    r.method = "PUT".into();
    changed.push(("method", r));
    let mut r = retry.clone();
    r.path = "/api/posts?force=1".into();
    changed.push(("query", r));
    for (name, r) in changed {
        let c = Case {
            req: r,
            pending: Some(&confirmed),
            ..base
        };
        assert_eq!(
            code(&run(&c, &mut Counters::default(), NOW + 10)),
            Some("confirmation_mismatch"),
            "{name}"
        );
    }
    // Same action, other permission on a route that requires approval itself.
    let mut r = retry.clone();
    r.permission = Some("posts.read".into());
    r.requires_approval = true;
    assert_eq!(
        code(&run(
            &Case {
                req: r,
                pending: Some(&confirmed),
                ..base
            },
            &mut Counters::default(),
            NOW + 10
        )),
        Some("confirmation_mismatch")
    );
    // Another agent token of the same human cannot use it.
    let other = token_with(&["posts.read", "posts.delete"], |t| {
        t.id = "agt_other".into()
    });
    assert_eq!(
        code(&run(
            &Case {
                token: &other,
                req: retry.clone(),
                pending: Some(&confirmed),
                ..base
            },
            &mut Counters::default(),
            NOW + 10
        )),
        Some("confirmation_mismatch")
    );
    // A wrong confirmation string.
    let mut r = retry.clone();
    r.confirmation = Some(
        secret::generate_with_random(secret::SecretKind::Approval, &[9; 32])
            .raw()
            .to_owned(),
    );
    assert_eq!(
        code(&run(
            &Case {
                req: r.clone(),
                pending: Some(&confirmed),
                ..base
            },
            &mut Counters::default(),
            NOW + 10
        )),
        Some("confirmation_mismatch")
    );
    assert_eq!(
        code(&run(
            &Case {
                req: r,
                pending: None,
                ..base
            },
            &mut Counters::default(),
            NOW + 10
        )),
        Some("confirmation_mismatch")
    );
    // Method case and percent-escapes of unreserved characters do not matter.
    let mut r = retry.clone();
    r.method = "post".into();
    r.path = "/api/%70osts".into();
    let d = run(
        &Case {
            req: r,
            pending: Some(&confirmed),
            ..base
        },
        &mut Counters::default(),
        NOW + 10,
    );
    assert!(d.is_allow(), "{d:?}");
    let consumed = d
        .changes()
        .iter()
        .find_map(|c| match c {
            StateChange::PutPendingAction {
                action,
                on_conflict: OnConflict::Redecide,
            } => Some((**action).clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        (consumed.status, consumed.consumed_at),
        (ActionStatus::Consumed, Some(NOW + 10))
    );
    assert_eq!(events(&d)[0].kind, EventKind::ApprovalRedeemed);
    // Replay.
    assert_eq!(
        code(&run(
            &Case {
                req: retry.clone(),
                pending: Some(&consumed),
                ..base
            },
            &mut Counters::default(),
            NOW + 11
        )),
        Some("confirmation_used")
    );
    // Expiry: at expires_at a confirmed but unredeemed action is dead.
    assert_eq!(
        code(&run(
            &Case {
                req: retry.clone(),
                pending: Some(&confirmed),
                ..base
            },
            &mut Counters::default(),
            NOW + 600
        )),
        Some("confirmation_expired")
    );
    assert_eq!(
        code_of(confirm(&action, &t, "u1", NOW + 600, &keys())),
        "confirmation_expired"
    );
    // Denied.
    let denied = deny(&action, &t, "u1", NOW + 5, &keys()).unwrap().action;
    assert_eq!(denied.status, ActionStatus::Denied);
    assert_eq!(
        code(&run(
            &Case {
                req: retry.clone(),
                pending: Some(&denied),
                ..base
            },
            &mut Counters::default(),
            NOW + 10
        )),
        Some("confirmation_denied")
    );
    assert_eq!(
        code_of(confirm(&denied, &t, "u1", NOW + 6, &keys())),
        "confirmation_denied"
    );
    // HITL also when the route says so; not for permissions outside the list.
    let mut r = get_req(Some("posts.read"));
    assert!(run(
        &Case {
            req: r.clone(),
            ..base
        },
        &mut Counters::default(),
        NOW
    )
    .is_allow());
    r.requires_approval = true;
    assert_eq!(
        code(&run(
            &Case { req: r, ..base },
            &mut Counters::default(),
            NOW
        )),
        Some("approval_required")
    );
    // RBAC comes before HITL: an ungranted permission is denied, not queued for approval.
    let h2 = human(&["posts.read"], &[]);
    assert_eq!(
        code(&run(
            &Case { human: &h2, ..base },
            &mut Counters::default(),
            NOW
        )),
        Some("agent_permission_denied")
    );
}

#[test]
fn fingerprint_binds_every_field() {
    let base = fingerprint("agt_1", "POST", "/a", b"{}", Some("p")).unwrap();
    // Independent computation of the documented encoding.
    let mut buf = Vec::new();
    let body = ring::digest::digest(&ring::digest::SHA256, b"{}");
    for f in [
        &b"tenxyte-hitl-v1"[..],
        b"agt_1",
        b"POST",
        b"/a",
        body.as_ref(),
        &[1],
        b"p",
    ] {
        buf.extend_from_slice(&(f.len() as u64).to_be_bytes());
        buf.extend_from_slice(f);
    }
    assert_eq!(
        base,
        crate::encoding::hex_encode(ring::digest::digest(&ring::digest::SHA256, &buf).as_ref())
    );
    for other in [
        fingerprint("agt_2", "POST", "/a", b"{}", Some("p")),
        fingerprint("agt_1", "PUT", "/a", b"{}", Some("p")),
        fingerprint("agt_1", "POST", "/a/", b"{}", Some("p")),
        fingerprint("agt_1", "POST", "/a", b"{ }", Some("p")),
        fingerprint("agt_1", "POST", "/a", b"{}", Some("q")),
        fingerprint("agt_1", "POST", "/a", b"{}", None),
        fingerprint("agt_1", "POST", "/a", b"{}", Some("")),
        fingerprint("agt_1", "POST", "/%2Fa", b"{}", Some("p")),
    ] {
        assert_ne!(other.unwrap(), base);
    }
    assert_eq!(
        fingerprint("agt_1", "post", "/%61", b"{}", Some("p")).unwrap(),
        base
    );
    for bad in ["", "a", "/a b", "/a\n", "/%zz", "/%4", "/a#frag"] {
        assert!(
            fingerprint("agt_1", "GET", bad, b"", None).is_err(),
            "{bad:?}"
        );
    }
    assert!(fingerprint("agt_1", "GE T", "/", b"", None).is_err());
    assert_eq!(
        hitl::canonical_path("/%7e%2f%C3%A9").unwrap(),
        "/~%2F%C3%A9"
    );
}

#[test]
fn pii_never_reaches_audit_events() {
    let (t, s) = hitl_setup();
    let s = AgentSettings {
        redact_pii: true,
        ..s
    };
    let h = human(&["posts.read", "posts.delete"], &[]);
    let mut req = get_req(Some("posts.delete"));
    req.path = "/api/posts".into();
    req.trace_id = Some("bad trace id!".into());
    let case = Case {
        token: &t,
        ancestors: &[],
        human: &h,
        settings: &s,
        req,
        pending: None,
    };
    let d = run(&case, &mut Counters::default(), NOW);
    for e in events(&d) {
        let text = serde_json::to_string(e).unwrap();
        assert!(!text.contains("alice@example.com"), "{text}");
        assert_eq!(e.trace_id, None);
        assert_eq!(e.details()["trace_id_dropped"], json!(true));
    }
    let (action, _) = needs_approval(d);
    assert_eq!(
        action.payload,
        json!({"title": "hi", "email": "***REDACTED***"})
    );
    // An event built with PII in its details is redacted by construction.
    let e = AuditEvent::new(
        EventKind::RequestAllowed,
        &t,
        NOW,
        &json!({"user": {"Email": "x@y"}}),
        &keys(),
    );
    assert_eq!(e.details(), &json!({"user": {"Email": "***REDACTED***"}}));
}

// ---------------------------------------------------------------- budget

fn charge(
    t: &AgentToken,
    anc: &[AgentToken],
    cost: Cost,
    ctr: &mut Counters,
    s: &AgentSettings,
) -> crate::Result<AgentDecision> {
    match charge_begin(t, anc, &cost, s, NOW)? {
        ChargeBegin::Decided { decision } => Ok(decision),
        ChargeBegin::Count { plan } => {
            let mut vals = CounterValues::new();
            for op in &plan.increments {
                vals.insert(op.key.clone(), ctr.incr(op)?);
            }
            let d = charge_decide(t, anc, &plan, &vals, &keys())?;
            ctr.apply(&d);
            Ok(d)
        }
    }
}

#[test]
fn charges_are_admitted_only_within_the_cap() {
    let s = settings();
    let t = token_with(&["posts.read"], |t| {
        t.budget_limit_micro_usd = Some(1_000_000)
    });
    let mut ctr = Counters::default();
    let key = counters::spend_key(&t.id);
    for (bad, _) in [
        (Cost::Micro(-5), ()),
        (Cost::Usd("-0.1".into()), ()),
        (Cost::Usd("1e-3".into()), ()),
        (Cost::Float(f64::NAN), ()),
        (Cost::Usd(String::new()), ()),
    ] {
        assert_eq!(code_of(charge(&t, &[], bad, &mut ctr, &s)), "invalid_cost");
    }
    assert!(charge(&t, &[], Cost::Usd("0.6".into()), &mut ctr, &s)
        .unwrap()
        .is_allow());
    assert!(charge(&t, &[], Cost::Usd("0".into()), &mut ctr, &s)
        .unwrap()
        .is_allow());
    assert_eq!(ctr.get(&key), 600_000);
    // 0.6 + 0.5 > 1.0: refused, taken back, token suspended.
    let d = charge(&t, &[], Cost::Usd("0.5".into()), &mut ctr, &s).unwrap();
    assert!(
        matches!(
            d,
            AgentDecision::Suspend {
                reason: SuspendReason::Budget,
                code: ErrorCode::BudgetExceeded,
                ..
            }
        ),
        "{d:?}"
    );
    assert_eq!(ctr.get(&key), 600_000);
    assert_eq!(put_token(&d).unwrap().status, TokenStatus::Suspended);
    // Exactly up to the cap is admitted.
    assert!(charge(&t, &[], Cost::Micro(400_000), &mut ctr, &s)
        .unwrap()
        .is_allow());
    assert_eq!(ctr.get(&key), 1_000_000);
    // One micro-dollar past the cap is refused.
    assert_eq!(
        code(&charge(&t, &[], Cost::Micro(1), &mut ctr, &s).unwrap()),
        Some("budget_exceeded")
    );
    assert_eq!(ctr.get(&key), 1_000_000);
    // Tracking off: nothing is counted.
    let off = AgentSettings {
        budget_tracking_enabled: false,
        ..s.clone()
    };
    assert!(charge(&t, &[], Cost::Micro(5), &mut ctr, &off)
        .unwrap()
        .is_allow());
    assert_eq!(ctr.get(&key), 1_000_000);
    // Inactive token.
    let r = AgentToken {
        status: TokenStatus::Revoked,
        ..t.clone()
    };
    assert_eq!(
        code(&charge(&r, &[], Cost::Micro(1), &mut ctr, &s).unwrap()),
        Some("agent_token_revoked")
    );
}

#[test]
fn a_child_spends_from_its_parent_budget() {
    let s = settings();
    let h = human(&["posts.read", "posts.write"], &[]);
    let p = parent(); // budget 1000
    let c = create_sub_token(&p, &[], &sub(&["posts.read"]), &h, &s, 0, &keys(), NOW, &R2)
        .unwrap()
        .token;
    let c2 = create_sub_token(&p, &[], &sub(&["posts.read"]), &h, &s, 0, &keys(), NOW, &R3)
        .unwrap()
        .token;
    let chain = [p.clone()];
    let mut ctr = Counters::default();
    assert!(charge(&c, &chain, Cost::Micro(700), &mut ctr, &s)
        .unwrap()
        .is_allow());
    // The sibling has a 1000 budget of its own but the parent has only 300 left.
    let d = charge(&c2, &chain, Cost::Micro(400), &mut ctr, &s).unwrap();
    assert_eq!(code(&d), Some("budget_exceeded"));
    assert_eq!(
        (
            ctr.get(&counters::spend_key(&p.id)),
            ctr.get(&counters::spend_key(&c2.id))
        ),
        (700, 0)
    );
}

// ---------------------------------------------------------------- lifecycle

#[test]
fn reactivation_rules() {
    let base = token_with(&["posts.read"], |_| {});
    let table: Vec<(&str, AgentToken, &str, i64, Option<&str>)> = vec![
        (
            "other user",
            base.suspended(SuspendReason::Manual, NOW),
            "u2",
            NOW,
            Some("not_delegating_user"),
        ),
        ("active", base.clone(), "u1", NOW, Some("invalid_input")),
        (
            "revoked",
            AgentToken {
                status: TokenStatus::Revoked,
                ..base.clone()
            },
            "u1",
            NOW,
            Some("agent_token_revoked"),
        ),
        (
            "expired",
            AgentToken {
                status: TokenStatus::Expired,
                ..base.clone()
            },
            "u1",
            NOW,
            Some("agent_token_expired"),
        ),
        (
            "suspended but past expiry",
            base.suspended(SuspendReason::Manual, NOW),
            "u1",
            base.expires_at,
            Some("agent_token_expired"),
        ),
        (
            "suspended",
            base.suspended(SuspendReason::RateLimit, NOW),
            "u1",
            NOW,
            None,
        ),
    ];
    for (name, t, actor, now, want) in table {
        let r = reactivate(&t, actor, now, &keys());
        assert_eq!(r.as_ref().err().map(|e| e.code().as_str()), want, "{name}");
        if let Ok(tr) = r {
            assert_eq!(
                (tr.token.status, tr.token.suspended_reason),
                (TokenStatus::Active, None)
            );
            assert_eq!(tr.event.actor_user_id.as_deref(), Some("u1"));
            assert_eq!(tr.event.kind, EventKind::TokenReactivated);
        }
    }
    let tr = reactivate(
        &base.suspended(SuspendReason::FailureLimit, NOW),
        "u1",
        NOW,
        &keys(),
    )
    .unwrap();
    assert!(tr.changes.iter().any(|c| matches!(c, StateChange::DeleteCounter { key, .. } if *key == counters::failures_key(&base.id))));
    let hb = AgentToken {
        heartbeat_every_secs: Some(60),
        last_heartbeat_at: Some(NOW - 500),
        ..base.clone()
    };
    let tr = reactivate(
        &hb.suspended(SuspendReason::HeartbeatMissing, NOW),
        "u1",
        NOW,
        &keys(),
    )
    .unwrap();
    assert_eq!(tr.token.last_heartbeat_at, Some(NOW));
    // Other lifecycle operations are owner-only too.
    assert_eq!(
        code_of(revoke(&base, "u2", NOW, &keys())),
        "not_delegating_user"
    );
    assert_eq!(
        code_of(suspend(&base, "u2", NOW, &keys())),
        "not_delegating_user"
    );
    let rv = revoke(&base, "u1", NOW, &keys()).unwrap().token;
    assert_eq!(
        (rv.status, rv.revoked_by.as_deref()),
        (TokenStatus::Revoked, Some("u1"))
    );
    assert_eq!(code_of(heartbeat(&rv, NOW, &keys())), "agent_token_revoked");
    assert_eq!(
        heartbeat(&hb, NOW - 450, &keys())
            .unwrap()
            .token
            .last_heartbeat_at,
        Some(NOW - 450)
    );
    assert_eq!(code_of(heartbeat(&hb, NOW, &keys())), "heartbeat_missing");
}

#[test]
fn decisions_round_trip_as_json() {
    let (t, s) = hitl_setup();
    let h = human(&["posts.read", "posts.delete"], &[]);
    let case = Case {
        token: &t,
        ancestors: &[],
        human: &h,
        settings: &s,
        req: get_req(Some("posts.delete")),
        pending: None,
    };
    let d = run(&case, &mut Counters::default(), NOW);
    let v: Value = d.to_json();
    assert_eq!(v["decision"], "needs_approval");
    let back: AgentDecision = serde_json::from_value(v).unwrap();
    assert_eq!(back, d);
    let deny = run(
        &Case {
            req: get_req(Some("nope")),
            ..case
        },
        &mut Counters::default(),
        NOW,
    );
    let v = deny.to_json();
    assert_eq!(
        (v["decision"].as_str(), v["code"].as_str()),
        (Some("deny"), Some("agent_permission_denied"))
    );
    assert_eq!(serde_json::from_value::<AgentDecision>(v).unwrap(), deny);
}
