//! The AIRS authorize flow end to end over a real store: hash lookup, chain, the human's
//! record, the two-phase decision with its `incr`s, and the state changes, driven by
//! `Flow::run` on `MemoryStore` and on `SqliteStore` (a WAL file in the temp dir).
//!
//! Audit is off (the development preset's default), so a row is the flow's own work:
//! per request 3 `get`s and 3 `incr`s (requests, current and previous RPM bucket); the
//! `last_used_at` touch is coalesced to one write a minute and the clock stands still.
//! Limits are high enough that the token is never suspended while measured.

use crate::harness::{Bench, Kind, Speed};
use crate::versions;
use serde_json::json;
use std::hint::black_box;
use tenxyte_core::agent::{AgentRequest, CircuitBreakerParams};
use tenxyte_core::config::{Preset, Settings};
use tenxyte_core::jwt::{Algorithm, Key, KeySet};
use tenxyte_core::rbac::PolicyDocument;
use tenxyte_core::service::agents::CreateAgentTokenRequest;
use tenxyte_core::service::auth::{LoginRequest, RegisterRequest};
use tenxyte_core::service::{Engine, RequestContext};
use tenxyte_core::store::{keys, Expect, Op, OpResult, SyncStore};
use tenxyte_stores::{MemoryStore, SqliteStore};

const NOW: i64 = 1_700_000_040;
const OP: &str = "agent authorize flow";

fn engine() -> Engine {
    let settings = Settings::preset(Preset::Development)
        .with_overrides(json!({
            "password": {"argon2": {"memory_kib": 1024, "iterations": 1}},
            "rate_limit": {"enabled": false},
        }))
        .expect("settings");
    let keys = KeySet::single(Key::hmac(&[7u8; 32], Algorithm::HS256).expect("key"));
    Engine::new(settings, keys, &PolicyDocument::tenxyte_default()).expect("engine")
}

/// Registers a human, makes them an editor, logs in and delegates `content.view`.
/// Returns the raw agent token.
fn setup(engine: &Engine, store: &mut impl SyncStore) -> String {
    let ctx = || RequestContext::at(NOW);
    let password = "Correct-Horse-42!";
    let user = engine
        .register(
            RegisterRequest {
                email: Some("bench@example.com".into()),
                password: password.into(),
                ..RegisterRequest::default()
            },
            ctx(),
        )
        .run(store)
        .expect("register");
    let id = user.user["id"].as_str().expect("id").to_owned();
    let OpResult::Got(Some(mut record)) = store.execute(&Op::Get {
        ns: keys::USERS.into(),
        key: keys::user(&id),
    }) else {
        panic!("user record");
    };
    record.value["roles"] = json!(["editor"]);
    let put = store.execute(&Op::Put {
        ns: keys::USERS.into(),
        key: keys::user(&id),
        value: record.value,
        ttl_secs: None,
        expect: Expect::Any,
    });
    assert!(matches!(put, OpResult::Put(_)), "{put:?}");
    let access = engine
        .login(
            LoginRequest {
                email: Some("bench@example.com".into()),
                password: password.into(),
                ..LoginRequest::default()
            },
            ctx(),
        )
        .run(store)
        .expect("login")
        .access_token;
    let created = engine
        .create_agent_token(
            access,
            CreateAgentTokenRequest {
                agent_id: Some("bench-bot".into()),
                permissions: vec!["content.view".into()],
                circuit_breaker: Some(CircuitBreakerParams {
                    max_requests_per_minute: Some(1_000_000_000_000),
                    max_requests_total: Some(1_000_000_000_000),
                    max_failed_requests: Some(0),
                }),
                ..CreateAgentTokenRequest::default()
            },
            ctx(),
        )
        .run(store)
        .expect("create agent token");
    created.raw_token.expose().to_owned()
}

fn request() -> AgentRequest {
    AgentRequest {
        method: "GET".into(),
        path: "/api/content".into(),
        permission: Some("content.view".into()),
        trace_id: Some("bench-run".into()),
        ..AgentRequest::default()
    }
}

fn authorize(engine: &Engine, raw: &str, store: &mut impl SyncStore) -> bool {
    engine
        .authorize_agent(raw.to_owned(), request(), RequestContext::at(NOW))
        .run(store)
        .expect("authorize flow")
        .is_allowed()
}

/// The agent flow rows.
pub fn rows(b: &mut Bench) {
    let memory = "authorize_agent on MemoryStore (ours)";
    if b.wants(OP, memory) {
        let engine = engine();
        let mut store = MemoryStore::with_clock(|| NOW);
        let raw = setup(&engine, &mut store);
        assert!(authorize(&engine, &raw, &mut store));
        b.measure(
            Speed::Fast,
            OP,
            memory,
            Kind::Ours,
            versions::TENXYTE_CORE,
            || authorize(&engine, black_box(&raw), &mut store),
        );
    }
    let sqlite = "authorize_agent on SqliteStore file (ours)";
    if b.wants(OP, sqlite) {
        let engine = engine();
        let path =
            std::env::temp_dir().join(format!("tenxyte-bench-agents-{}.db", std::process::id()));
        {
            let store = SqliteStore::open(&path, || NOW).expect("sqlite");
            let mut s = &store;
            let raw = setup(&engine, &mut s);
            assert!(authorize(&engine, &raw, &mut s));
            b.measure(
                Speed::Fast,
                OP,
                sqlite,
                Kind::Ours,
                versions::TENXYTE_CORE,
                || authorize(&engine, black_box(&raw), &mut s),
            );
        }
        for suffix in ["", "-wal", "-shm"] {
            let mut p = path.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }
}
