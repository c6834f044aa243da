//! A full AIRS agent decision per request: ours (`agent::authorize`: status, expiry,
//! heartbeat, circuit breaker over atomic counters, budget, double RBAC against a compiled
//! RBAC snapshot, HITL check) beside a naive equivalent (a `HashSet` scope check, a
//! `HashMap` counter and a graph-walk RBAC check), in the same run. Counters live in an
//! in-process `HashMap`, as an embedded store would keep them; limits are high enough that
//! the token is never suspended while measured.

use crate::harness::{Bench, Kind, Speed};
use crate::versions;
use std::collections::{HashMap, HashSet};
use std::hint::black_box;
use tenxyte_core::agent::{self, AgentDecision, AgentRequest, AuthorizeContext, CreateRequest};
use tenxyte_core::config::{Preset, Settings};
use tenxyte_core::rbac::{PermissionDef, PolicyDocument, RoleDef, Snapshot, Subject};

const NOW: i64 = 1_700_000_000;

fn policy() -> PolicyDocument {
    let perm = |code: &str, parent: Option<&str>| PermissionDef {
        code: code.into(),
        parent: parent.map(Into::into),
        description: String::new(),
    };
    PolicyDocument {
        permissions: vec![
            perm("posts", None),
            perm("posts.read", Some("posts")),
            perm("posts.write", Some("posts")),
            perm("billing", None),
        ],
        roles: vec![RoleDef {
            code: "author".into(),
            permissions: vec!["posts".into()],
            inherits: vec![],
            is_default: false,
            name: String::new(),
        }],
        super_admin_roles: vec![],
        superuser_bypass: false,
    }
}

/// The agent rows.
pub fn rows(b: &mut Bench) {
    let op = "agent decision (allow, double RBAC)";
    let mut settings = Settings::preset(Preset::Medium).agents;
    settings.default_max_requests_per_minute = 1_000_000_000;
    settings.default_max_requests_total = 1_000_000_000_000;
    let snap = Snapshot::compile(&policy()).expect("policy");
    let human_subject = Subject {
        roles: vec!["author".into()],
        permissions: vec![],
        is_superuser: false,
    };
    let human = |p: &str, _org: Option<&str>| snap.has_permission(&human_subject, p);
    let request = CreateRequest {
        agent_id: Some("bench-bot".into()),
        delegated_by: "user-1".into(),
        application_id: "app-1".into(),
        permissions: vec!["posts.read".into(), "posts.write".into()],
        ..CreateRequest::default()
    };
    let token = agent::create(&request, &human, &settings, &[], NOW - 60, &[7; 32])
        .expect("token")
        .token;
    let req = AgentRequest {
        method: "GET".into(),
        path: "/api/posts".into(),
        body: String::new(),
        body_b64: None,
        permission: Some("posts.read".into()),
        requires_approval: false,
        trace_id: Some("run-1".into()),
        confirmation: None,
    };
    let pii = agent::default_pii_keys();
    let ctx = AuthorizeContext {
        token: &token,
        ancestors: &[],
        human: &human,
        settings: &settings,
        pii_keys: &pii,
        request: &req,
        pending_action: None,
    };
    let mut counters: HashMap<String, i64> = HashMap::new();
    let mut incr = |op: &agent::CounterIncrement| {
        let v = counters.entry(op.key.clone()).or_insert(0);
        *v += op.delta;
        Ok(*v)
    };
    let first = agent::authorize(&ctx, NOW, &mut incr, &[1; 32]).expect("decision");
    assert!(matches!(first, AgentDecision::Allow { .. }), "{first:?}");

    b.measure(
        Speed::Fast,
        op,
        "tenxyte-core agent::authorize (ours)",
        Kind::Ours,
        versions::TENXYTE_CORE,
        || {
            agent::authorize(black_box(&ctx), black_box(NOW), &mut incr, &[1; 32])
                .map(|d| matches!(d, AgentDecision::Allow { .. }))
        },
    );

    // The naive equivalent: status/expiry fields, a counter map, a HashSet scope and a
    // per-request graph walk for the human's permission.
    let scope: HashSet<String> = token.granted_permissions.iter().cloned().collect();
    let role_grants: HashMap<&str, HashSet<&str>> =
        HashMap::from([("author", HashSet::from(["posts"]))]);
    let parents: HashMap<&str, &str> =
        HashMap::from([("posts.read", "posts"), ("posts.write", "posts")]);
    let mut naive_counts: HashMap<String, u64> = HashMap::new();
    let expires_at = token.expires_at;
    let mut naive = |permission: &str, now: i64| -> bool {
        if now >= expires_at {
            return false;
        }
        let count = naive_counts
            .entry(format!("{}/requests", token.id))
            .or_insert(0);
        *count += 1;
        if *count > 1_000_000_000_000 {
            return false;
        }
        if !scope.contains(permission) {
            return false;
        }
        let mut chain = vec![permission];
        while let Some(p) = chain.last().and_then(|c| parents.get(c)) {
            chain.push(p);
        }
        role_grants
            .get("author")
            .is_some_and(|g| chain.iter().any(|c| g.contains(c)))
    };
    assert!(naive("posts.read", NOW));
    b.measure(
        Speed::Fast,
        op,
        "naive HashSet scope + graph walk",
        Kind::Anchor,
        "rustc std (SipHash)",
        || naive(black_box("posts.read"), black_box(NOW)),
    );
}
