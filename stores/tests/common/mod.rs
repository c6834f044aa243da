//! A test host: one engine, a MemoryStore on a manual clock, wrapped in an Outbox.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{json, Value};
use tenxyte_core::config::{Preset, Settings};
use tenxyte_core::drive::Flow;
use tenxyte_core::jwt::{Algorithm, Key, KeySet};
use tenxyte_core::rbac::PolicyDocument;
use tenxyte_core::service::{Engine, RequestContext};
use tenxyte_core::store::SyncStore;
use tenxyte_stores::{ManualClock, MemoryStore, MessageLog, Outbox};

/// The start time of every test host (2026-01-01).
pub const T0: i64 = 1_767_225_600;

/// Development preset with cheap argon2 so tests run fast, plus `overrides`.
pub fn settings(overrides: Value) -> Settings {
    let base = json!({"password": {"argon2": {"memory_kib": 1024, "iterations": 1}},
                      "jwt": {"refresh_token_rotation": true}, "rate_limit": {"enabled": false},
                      "audit": {"enabled": true}, "application_auth": {"enabled": false}});
    Settings::preset(Preset::Development)
        .with_overrides(base)
        .and_then(|s| s.with_overrides(overrides))
        .expect("test settings")
}

/// An HS256 engine over the default Tenxyte policy.
pub fn engine(overrides: Value) -> Engine {
    let keys = KeySet::single(Key::hmac(&[7u8; 32], Algorithm::HS256).unwrap());
    Engine::new(
        settings(overrides),
        keys,
        &PolicyDocument::tenxyte_default(),
    )
    .expect("engine")
}

pub struct Host {
    pub clock: ManualClock,
    pub memory: MemoryStore,
    pub store: Outbox<MemoryStore>,
    pub engine: Engine,
}

impl Host {
    pub fn new(overrides: Value) -> Host {
        let clock = ManualClock::at(T0);
        let memory = MemoryStore::with_manual_clock(&clock);
        Host {
            store: Outbox::new(memory.clone()),
            memory,
            clock,
            engine: engine(overrides),
        }
    }

    /// A context at the clock's time from a fixed client.
    pub fn ctx(&self) -> RequestContext {
        RequestContext {
            now: self.clock.now(),
            ip: Some("203.0.113.7".into()),
            user_agent: Some("test-agent/1".into()),
            ..RequestContext::default()
        }
    }

    pub fn run<T: 'static>(&mut self, mut flow: Flow<T>) -> tenxyte_core::Result<T> {
        flow.run(&mut self.store)
    }

    pub fn log(&self) -> &MessageLog {
        self.store.log()
    }

    pub fn advance(&self, secs: i64) {
        self.clock.advance(secs);
    }

    pub fn store_mut(&mut self) -> &mut impl SyncStore {
        &mut self.store
    }
}

pub const PASSWORD: &str = "Correct-Horse-42!";

/// Registers `email` with [`PASSWORD`]; returns the user id.
pub fn register(host: &mut Host, email: &str) -> String {
    use tenxyte_core::service::auth::RegisterRequest;
    let flow = host.engine.register(
        RegisterRequest {
            email: Some(email.into()),
            password: PASSWORD.into(),
            first_name: "Ann".into(),
            ..RegisterRequest::default()
        },
        host.ctx(),
    );
    let done = host.run(flow).expect("register");
    done.user["id"].as_str().unwrap().to_owned()
}

/// Logs `email` in with [`PASSWORD`].
pub fn login(host: &mut Host, email: &str) -> tenxyte_core::service::sessions::TokenResponse {
    use tenxyte_core::service::auth::LoginRequest;
    let flow = host.engine.login(
        LoginRequest {
            email: Some(email.into()),
            password: PASSWORD.into(),
            ..LoginRequest::default()
        },
        host.ctx(),
    );
    host.run(flow).expect("login")
}

/// Runs `make()` once to count its operations, then again with the store failing at each
/// position in turn — before the operation runs and after it ran but lost its answer —
/// and asserts the flow never succeeds and always ends with a host-side error
/// (`store_unavailable`, or `delivery_failed` / `upstream_unavailable` at an effect).
/// `setup` builds the same state for every run. Returns how many positions were swept.
pub fn fault_sweep<S, T: std::fmt::Debug + 'static>(
    overrides: Value,
    setup: impl Fn(&mut Host) -> S,
    make: impl Fn(&Host, &S) -> Flow<T>,
) -> usize {
    sweep(overrides, setup, make, false)
}

/// [`fault_sweep`] for the flows that must not reveal whether an account exists: a failed
/// message there is audited and the answer stays the same, so effect positions are
/// skipped (their behaviour has its own tests); every store position still fails closed.
pub fn fault_sweep_store_ops<S, T: std::fmt::Debug + 'static>(
    overrides: Value,
    setup: impl Fn(&mut Host) -> S,
    make: impl Fn(&Host, &S) -> Flow<T>,
) -> usize {
    sweep(overrides, setup, make, true)
}

fn sweep<S, T: std::fmt::Debug + 'static>(
    overrides: Value,
    setup: impl Fn(&mut Host) -> S,
    make: impl Fn(&Host, &S) -> Flow<T>,
    skip_effects: bool,
) -> usize {
    use tenxyte_stores::FaultStore;
    let mut host = Host::new(overrides.clone());
    let state = setup(&mut host);
    let mut flow = make(&host, &state);
    flow.run(&mut host.store)
        .expect("the flow succeeds without faults");
    let positions = flow.transcript().len();
    let effects: Vec<bool> = flow
        .transcript()
        .iter()
        .map(|(op, _)| op.is_effect())
        .collect();
    assert!(positions > 0);
    for k in 0..positions {
        if skip_effects && effects.get(k).copied().unwrap_or(false) {
            continue;
        }
        for lose_answer in [false, true] {
            let mut host = Host::new(overrides.clone());
            let state = setup(&mut host);
            let mut flow = make(&host, &state);
            let mut faulty = FaultStore::fail_nth(&mut host.store, k);
            if lose_answer {
                faulty = faulty.after_applying();
            }
            match flow.run(&mut faulty) {
                Ok(v) => {
                    panic!("position {k} (lose_answer={lose_answer}): the flow succeeded: {v:?}")
                }
                Err(e) => assert_eq!(
                    e.category(),
                    tenxyte_core::Category::Store,
                    "position {k} (lose_answer={lose_answer}): {e}"
                ),
            }
        }
    }
    positions
}
