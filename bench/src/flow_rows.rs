//! Whole flows per second over the embedded stores: login (argon2id at the medium
//! preset's parameters), refresh (rotation with reuse detection) and bearer
//! authentication, each on `MemoryStore` and on `SqliteStore` (a WAL file in the temp
//! directory). These are end-to-end numbers (driver, JSON records, store transactions);
//! there is no Rust library to set beside them, so they are ours only. The Python
//! comparison (Tenxyte itself) belongs to the Python package's benchmark.

use crate::harness::{Bench, Kind, Speed};
use crate::versions;
use serde_json::json;
use std::cell::RefCell;
use tenxyte_core::config::{Preset, Settings};
use tenxyte_core::jwt::{Algorithm, Key, KeySet};
use tenxyte_core::rbac::PolicyDocument;
use tenxyte_core::service::auth::{LoginRequest, RegisterRequest};
use tenxyte_core::service::{Engine, RequestContext};
use tenxyte_core::store::SyncStore;
use tenxyte_stores::{MemoryStore, Outbox, SqliteStore};

const NOW: i64 = 1_700_000_000;
const PASSWORD: &str = "Correct-Horse-42!";

fn engine() -> Engine {
    // Medium's argon2 parameters; rate limits and lockout off so the loop measures work,
    // not refusals.
    let settings = Settings::preset(Preset::Development)
        .with_overrides(json!({
            "password": {"argon2": Settings::preset(Preset::Medium).password.argon2},
            "rate_limit": {"enabled": false},
            "lockout": {"enabled": false},
            "jwt": {"refresh_token_rotation": true},
            "audit": {"enabled": true}
        }))
        .expect("bench settings");
    let keys = KeySet::single(Key::hmac(&[7u8; 32], Algorithm::HS256).expect("key"));
    Engine::new(settings, keys, &PolicyDocument::tenxyte_default()).expect("engine")
}

fn ctx() -> RequestContext {
    RequestContext {
        now: NOW,
        ip: Some("203.0.113.7".into()),
        user_agent: Some("bench".into()),
        ..RequestContext::default()
    }
}

fn login_request() -> LoginRequest {
    LoginRequest {
        email: Some("bench@example.com".into()),
        password: PASSWORD.into(),
        ..LoginRequest::default()
    }
}

/// The flow rows for one store.
fn rows_on(b: &mut Bench, store_name: &str, store: &mut impl SyncStore) {
    let e = engine();
    let register = e.register(
        RegisterRequest {
            email: Some("bench@example.com".into()),
            password: PASSWORD.into(),
            ..RegisterRequest::default()
        },
        ctx(),
    );
    tenxyte_core::drive::run_sync(register, &mut *store).expect("register");
    let first =
        tenxyte_core::drive::run_sync(e.login(login_request(), ctx()), &mut *store).expect("login");

    let store = RefCell::new(store);
    let implementation = format!("tenxyte-core flow on {store_name} (ours)");
    b.measure(
        Speed::Slow,
        "login flow (argon2id 19 MiB, t=2)",
        &implementation,
        Kind::Ours,
        versions::TENXYTE_CORE,
        || {
            let mut s = store.borrow_mut();
            tenxyte_core::drive::run_sync(e.login(login_request(), ctx()), &mut **s).is_ok()
        },
    );
    let refresh = RefCell::new(first.refresh_token.clone().unwrap_or_default());
    b.measure(
        Speed::Fast,
        "refresh flow (rotation)",
        &implementation,
        Kind::Ours,
        versions::TENXYTE_CORE,
        || {
            let mut s = store.borrow_mut();
            let token = refresh.borrow().clone();
            match tenxyte_core::drive::run_sync(e.refresh(token, ctx()), &mut **s) {
                Ok(t) => {
                    *refresh.borrow_mut() = t.refresh_token.unwrap_or_default();
                    true
                }
                Err(_) => false,
            }
        },
    );
    b.measure(
        Speed::Fast,
        "authenticate flow (bearer)",
        &implementation,
        Kind::Ours,
        versions::TENXYTE_CORE,
        || {
            let mut s = store.borrow_mut();
            let token = first.access_token.clone();
            tenxyte_core::drive::run_sync(e.authenticate(token, ctx()), &mut **s).is_ok()
        },
    );
}

/// Flow rows on both embedded stores.
pub fn rows(b: &mut Bench) {
    if !["login flow", "refresh flow", "authenticate flow"]
        .iter()
        .any(|op| {
            b.wants(op, "tenxyte-core flow on MemoryStore (ours)")
                || b.wants(op, "tenxyte-core flow on SqliteStore (ours)")
        })
    {
        return;
    }
    let mut memory = Outbox::new(MemoryStore::with_clock(|| NOW));
    rows_on(b, "MemoryStore", &mut memory);
    let path = std::env::temp_dir().join(format!("tenxyte-bench-{}.sqlite", std::process::id()));
    let sqlite = SqliteStore::open(&path, || NOW).expect("sqlite file");
    let mut sqlite = Outbox::new(sqlite);
    rows_on(b, "SqliteStore", &mut sqlite);
    drop(sqlite);
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.clone().into_os_string();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }
}
