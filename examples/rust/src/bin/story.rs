//! The seed's quickstart and the AIRS story, played against the flows of Tenxyte Core on
//! the embedded SQLite store, printing each step.
//!
//! The host's whole job is visible here: it owns a clock and a store, builds an `Engine`
//! from settings and keys, and drives each flow over the store with `run_sync`. Messages
//! (codes, links) land in the store's outbox log, which the story prints.
//!
//! Run: `cargo run -p tenxyte-example-rust --bin tenxyte-story [-- --db PATH]`
//! (default: a fresh database in the temp directory, removed at the end).

use serde_json::{json, Value};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use tenxyte_core::config::{Preset, Settings};
use tenxyte_core::drive::{run_sync, Flow};
use tenxyte_core::jwt::{Algorithm, Key, KeySet};
use tenxyte_core::rbac::PolicyDocument;
use tenxyte_core::service::auth::{LoginRequest, LogoutRequest, RegisterRequest};
use tenxyte_core::service::{Engine, RequestContext};
use tenxyte_core::Error;
use tenxyte_stores::{Outbox, SqliteStore};

/// The host: a clock it controls (so the story can skip ahead) and the store.
struct Host {
    clock: Arc<AtomicI64>,
    store: Outbox<SqliteStore>,
    engine: Engine,
}

impl Host {
    fn ctx(&self) -> RequestContext {
        RequestContext {
            now: self.clock.load(Ordering::SeqCst),
            ip: Some("198.51.100.20".into()),
            user_agent: Some("story/1.0".into()),
            trace_id: None,
            app_id: None,
        }
    }

    fn run<T: 'static>(&mut self, flow: Flow<T>) -> Result<T, Error> {
        run_sync(flow, &mut self.store)
    }

    fn skip(&self, secs: i64) {
        self.clock.fetch_add(secs, Ordering::SeqCst);
    }
}

fn step(title: &str) {
    println!("\n== {title}");
}

fn show(label: &str, value: impl std::fmt::Display) {
    println!("   {label:<24} {value}");
}

fn refused(label: &str, e: &Error) {
    println!("   {label:<24} refused: {} ({})", e.code(), e.message());
}

/// A text field of an API object, for printing.
fn field<'a>(v: &'a Value, name: &str) -> &'a str {
    v.get(name).and_then(Value::as_str).unwrap_or("?")
}

fn short(token: &str) -> String {
    let head: String = token.chars().take(24).collect();
    format!("{head}… ({} chars)", token.len())
}

fn main() {
    if let Err(e) = play() {
        eprintln!("story failed: {} ({})", e.code(), e.message());
        std::process::exit(1);
    }
}

fn play() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().collect();
    let explicit = args
        .iter()
        .position(|a| a == "--db")
        .and_then(|i| args.get(i + 1).cloned());
    let path = explicit
        .clone()
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::env::temp_dir().join(format!("tenxyte-story-{}.sqlite", std::process::id()))
        });
    let start = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(0))
        .unwrap_or(0);
    let clock = Arc::new(AtomicI64::new(start));
    let reader = Arc::clone(&clock);
    let store = SqliteStore::open(&path, move || reader.load(Ordering::SeqCst))?;

    step("Settings, keys and the engine");
    // The medium preset, with the agent and organization features on. Argon2 keeps the
    // preset's parameters (19 MiB, 2 passes): each login below costs real work.
    let settings = Settings::preset(Preset::Medium).with_overrides(json!({
        "jwt": {"algorithm": "EdDSA"},
        "agents": {"enabled": true},
        "audit": {"enabled": true}
    }))?;
    let (key, _) = Key::generate(Algorithm::EdDSA)?;
    let engine = Engine::new(
        settings,
        KeySet::single(key),
        &PolicyDocument::tenxyte_default(),
    )?;
    show("preset", "medium");
    show("signing", "EdDSA (Ed25519), fresh key");
    show("store", path.display());
    let mut host = Host {
        clock,
        store: Outbox::new(store),
        engine,
    };

    quickstart(&mut host)?;

    if explicit.is_none() {
        drop(host);
        for suffix in ["", "-wal", "-shm"] {
            let mut p = path.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }
    println!("\nDone.");
    Ok(())
}

/// Register, log in, `me`, refresh, the stolen-refresh-token attack, logout.
fn quickstart(host: &mut Host) -> Result<(), Error> {
    step("Quickstart: register");
    let e = host.engine.clone();
    let weak = host.run(e.register(
        RegisterRequest {
            email: Some("ada@example.com".into()),
            password: "password1".into(),
            ..RegisterRequest::default()
        },
        host.ctx(),
    ));
    if let Err(err) = &weak {
        refused("weak password", err);
    }
    let done = host.run(e.register(
        RegisterRequest {
            email: Some("Ada@Example.com".into()),
            password: "Analytical-Engine-1843".into(),
            first_name: "Ada".into(),
            last_name: "Lovelace".into(),
            ..RegisterRequest::default()
        },
        host.ctx(),
    ))?;
    show("user id", field(&done.user, "id"));
    show("email (normalised)", field(&done.user, "email"));
    show(
        "default roles",
        done.user.get("roles").cloned().unwrap_or_default(),
    );

    step("Quickstart: login");
    let login = |password: &str| LoginRequest {
        email: Some("ada@example.com".into()),
        password: password.into(),
        ..LoginRequest::default()
    };
    match host.run(e.login(login("wrong-password"), host.ctx())) {
        Err(err) => refused("wrong password", &err),
        Ok(_) => println!("   unexpected: a wrong password logged in"),
    }
    match host.run(e.login(
        LoginRequest {
            email: Some("nobody@example.com".into()),
            ..login("whatever")
        },
        host.ctx(),
    )) {
        Err(err) => refused("unknown user", &err),
        Ok(_) => println!("   unexpected: an unknown user logged in"),
    }
    let tokens = host.run(e.login(login("Analytical-Engine-1843"), host.ctx()))?;
    show("access token", short(&tokens.access_token));
    show("expires in", format!("{} s", tokens.expires_in));
    show(
        "refresh token",
        short(tokens.refresh_token.as_deref().unwrap_or("")),
    );
    show("session", &tokens.session_id);

    step("Quickstart: me");
    let me = host.run(e.me(tokens.access_token.clone(), host.ctx()))?;
    show("me.email", field(&me.user, "email"));
    show("roles", Value::from(me.roles.clone()));
    show("permissions", me.permissions.len());

    step("Refresh: rotation, and a stolen refresh token");
    host.skip(60);
    let stolen = tokens.refresh_token.clone().unwrap_or_default();
    let rotated = host.run(e.refresh(stolen.clone(), host.ctx()))?;
    show(
        "new refresh token",
        short(rotated.refresh_token.as_deref().unwrap_or("")),
    );
    match host.run(e.refresh(stolen, host.ctx())) {
        Err(err) => refused("old token replayed", &err),
        Ok(_) => println!("   unexpected: a rotated refresh token worked"),
    }
    match host.run(e.me(rotated.access_token.clone(), host.ctx())) {
        Err(err) => refused("family's access token", &err),
        Ok(_) => println!("   unexpected: the revoked family still works"),
    }

    step("Logout");
    let again = host.run(e.login(login("Analytical-Engine-1843"), host.ctx()))?;
    host.run(e.logout(
        again.access_token.clone(),
        LogoutRequest::default(),
        host.ctx(),
    ))?;
    show("logout", "ok: jti blacklisted, session ended");
    match host.run(e.me(again.access_token, host.ctx())) {
        Err(err) => refused("token after logout", &err),
        Ok(_) => println!("   unexpected: a logged-out token works"),
    }
    Ok(())
}
