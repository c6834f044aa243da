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
use tenxyte_core::agent::{AgentRequest, BudgetParams, CircuitBreakerParams, Cost};
use tenxyte_core::config::{Preset, Settings};
use tenxyte_core::drive::{run_sync, Flow};
use tenxyte_core::jwt::{Algorithm, Key, KeySet};
use tenxyte_core::rbac::PolicyDocument;
use tenxyte_core::service::agents::{AgentOutcome, CreateAgentTokenRequest};
use tenxyte_core::service::auth::{LoginRequest, LogoutRequest, RegisterRequest};
use tenxyte_core::service::{Engine, RequestContext};
use tenxyte_core::store::{keys, Expect, Op, OpResult, SyncStore};
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
        "agents": {"enabled": true, "confirmation_required": ["content.publish"]},
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
    airs(&mut host)?;

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

    step("Verify the e-mail address (a code through the outbox)");
    let sent = host.run(e.request_email_verification(tokens.access_token.clone(), host.ctx()))?;
    let mail = host.store.log().last_to("ada@example.com");
    let code = mail
        .as_ref()
        .and_then(|m| m.message.data.get("code"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    show(
        "outbox",
        mail.map(|m| {
            format!(
                "{} to {}: {}",
                m.message.template, m.message.to, m.message.subject
            )
        })
        .unwrap_or_default(),
    );
    host.run(e.confirm_email_verification(
        tokens.access_token.clone(),
        tenxyte_core::service::codes::CodeSubmission {
            challenge_id: sent.challenge_id,
            code,
        },
        host.ctx(),
    ))?;
    show("email_verified", "true");

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

/// What an admin screen does in the host's own database: give a user roles and direct
/// permissions (the record is the host's; the core only reads it).
fn grant(
    host: &mut Host,
    user_id: &str,
    roles: &[&str],
    permissions: &[&str],
) -> Result<(), Error> {
    let key = keys::user(user_id);
    let get = Op::Get {
        ns: keys::USERS.into(),
        key: key.clone(),
    };
    let OpResult::Got(Some(record)) = host.store.execute(&get) else {
        return Err(Error::new(
            tenxyte_core::ErrorCode::UserNotFound,
            "no such user",
        ));
    };
    let mut user = record.value;
    if let Some(map) = user.as_object_mut() {
        map.insert("roles".into(), json!(roles));
        map.insert("permissions".into(), json!(permissions));
    }
    let put = Op::Put {
        ns: keys::USERS.into(),
        key,
        value: user,
        ttl_secs: None,
        expect: Expect::Version(record.version),
    };
    match host.store.execute(&put) {
        OpResult::Put(_) => Ok(()),
        other => Err(Error::new(
            tenxyte_core::ErrorCode::StoreUnavailable,
            format!("{other:?}"),
        )),
    }
}

fn outcome(label: &str, o: &AgentOutcome) {
    match o {
        AgentOutcome::Allowed {
            user_id,
            permission,
            ..
        } => show(
            label,
            format!(
                "200 allowed as user {} ({})",
                user_id,
                permission.as_deref().unwrap_or("-")
            ),
        ),
        AgentOutcome::Denied {
            code,
            retry_after,
            suspended,
            ..
        } => show(
            label,
            format!(
                "403 denied: {}{}{}",
                code.as_str(),
                retry_after
                    .map(|r| format!(", retry after {r} s"))
                    .unwrap_or_default(),
                suspended
                    .map(|s| format!(", token suspended ({s:?})"))
                    .unwrap_or_default()
            ),
        ),
        AgentOutcome::PendingApproval {
            pending_action_id,
            expires_at,
            ..
        } => show(
            label,
            format!("202 pending approval {pending_action_id} (expires at {expires_at})"),
        ),
    }
}

/// The AIRS story: Ada delegates to an agent; it reads, asks to publish (202), Ada
/// confirms, the retry passes once, a replay is refused, the breaker trips, and a second
/// agent runs out of budget.
fn airs(host: &mut Host) -> Result<(), Error> {
    let e = host.engine.clone();
    step("AIRS: Ada becomes an editor who may publish");
    let login = LoginRequest {
        email: Some("ada@example.com".into()),
        password: "Analytical-Engine-1843".into(),
        ..LoginRequest::default()
    };
    let first = host.run(e.login(login.clone(), host.ctx()))?.access_token;
    let me = host.run(e.me(first, host.ctx()))?;
    let ada_id = field(&me.user, "id").to_owned();
    grant(host, &ada_id, &["editor"], &["content.publish"])?;
    let ada = host.run(e.login(login, host.ctx()))?.access_token;
    show("roles", "editor + content.publish");

    step("AIRS: delegate to an agent (double RBAC)");
    let too_much = host.run(e.create_agent_token(
        ada.clone(),
        CreateAgentTokenRequest {
            permissions: vec!["content.view".into(), "users.delete".into()],
            ..CreateAgentTokenRequest::default()
        },
        host.ctx(),
    ));
    if let Err(err) = &too_much {
        refused("ask for users.delete", err);
    }
    let created = host.run(e.create_agent_token(
        ada.clone(),
        CreateAgentTokenRequest {
            agent_id: Some("writer-bot".into()),
            permissions: vec!["content.view".into(), "content.publish".into()],
            circuit_breaker: Some(CircuitBreakerParams {
                max_requests_per_minute: Some(100),
                max_requests_total: Some(6),
                max_failed_requests: None,
            }),
            ..CreateAgentTokenRequest::default()
        },
        host.ctx(),
    ))?;
    let raw = created.raw_token.expose().to_owned();
    show("agent token", short(&raw));
    show(
        "scope",
        Value::from(created.token.granted_permissions.clone()),
    );
    show("breaker", "100 requests/min, 6 in total");

    let read = AgentRequest {
        method: "GET".into(),
        path: "/api/articles".into(),
        permission: Some("content.view".into()),
        trace_id: Some("prompt-42".into()),
        ..AgentRequest::default()
    };
    let publish = AgentRequest {
        method: "POST".into(),
        path: "/api/articles/7/publish".into(),
        body: r#"{"title":"Notes on the Engine"}"#.into(),
        permission: Some("content.publish".into()),
        trace_id: Some("prompt-43".into()),
        ..AgentRequest::default()
    };

    step("AIRS: the agent calls");
    let o = host.run(e.authorize_agent(raw.clone(), read.clone(), host.ctx()))?;
    outcome("GET /api/articles", &o);
    let o = host.run(e.authorize_agent(
        raw.clone(),
        AgentRequest {
            permission: Some("content.delete".into()),
            ..read.clone()
        },
        host.ctx(),
    ))?;
    outcome("needs content.delete", &o);

    step("AIRS: human in the loop");
    let pending = host.run(e.authorize_agent(raw.clone(), publish.clone(), host.ctx()))?;
    outcome("POST …/publish", &pending);
    let AgentOutcome::PendingApproval {
        pending_action_id,
        confirmation_token,
        ..
    } = pending
    else {
        return Err(Error::new(
            tenxyte_core::ErrorCode::Internal,
            "expected a pending approval",
        ));
    };
    let confirmation = confirmation_token.expose().to_owned();
    let waiting = host.run(e.list_pending_actions(ada.clone(), host.ctx()))?;
    show("Ada sees pending", waiting.len());
    host.run(e.confirm_pending_action(ada.clone(), pending_action_id, host.ctx()))?;
    show("Ada confirms", "ok");
    let o = host.run(e.retry_agent_action(
        raw.clone(),
        publish.clone(),
        confirmation.clone(),
        host.ctx(),
    ))?;
    outcome("retry with confirmation", &o);
    let o =
        host.run(e.retry_agent_action(raw.clone(), publish.clone(), confirmation, host.ctx()))?;
    outcome("replayed confirmation", &o);

    step("AIRS: the circuit breaker trips");
    for i in 1..=3 {
        let o = host.run(e.authorize_agent(raw.clone(), read.clone(), host.ctx()))?;
        outcome(&format!("read #{i}"), &o);
    }

    step("AIRS: a budget stops a second agent");
    let budgeted = host.run(e.create_agent_token(
        ada,
        CreateAgentTokenRequest {
            agent_id: Some("research-bot".into()),
            permissions: vec!["content.view".into()],
            budget: Some(BudgetParams {
                limit_micro_usd: None,
                limit_usd: Some("0.05".into()),
            }),
            ..CreateAgentTokenRequest::default()
        },
        host.ctx(),
    ))?;
    let raw2 = budgeted.raw_token.expose().to_owned();
    show("budget", "$0.05");
    for cost in ["0.02", "0.02", "0.02"] {
        let o = host.run(e.report_agent_usage(raw2.clone(), Cost::Usd(cost.into()), host.ctx()))?;
        outcome(&format!("report ${cost}"), &o);
    }
    let o = host.run(e.authorize_agent(raw2, read, host.ctx()))?;
    outcome("next call", &o);

    step("Outbox and audit");
    show("messages sent", host.store.log().len());
    let audit = host.run(e.audit_query(
        tenxyte_core::service::audit::AuditQuery {
            user_id: Some(ada_id),
            limit: Some(200),
            ..Default::default()
        },
        host.ctx(),
    ))?;
    show("Ada's audit events", audit.items.len());
    let mut actions: Vec<&str> = audit.items.iter().map(|a| a.action.as_str()).collect();
    actions.dedup();
    show("kinds", actions.join(", "));
    Ok(())
}
