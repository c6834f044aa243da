//! `tenxyte demo`: starts `tenxyte serve` in-process on a fresh SQLite file and a free
//! loopback port, then plays the seed's quickstart and the AIRS story over real HTTP,
//! printing each request and response in short. Every step states the status it expects;
//! a different answer stops the demo with exit code 1, so the demo doubles as the
//! end-to-end test of the server.

use std::time::Duration;

use serde_json::{json, Value};

use crate::serve::{serve, Ready, ServeOptions};
use crate::{CliError, CliResult};
use tenxyte_core::{Error, ErrorCode};

const ADMIN_EMAIL: &str = "root@example.com";
const ADMIN_PASSWORD: &str = "Quartz-Lantern-8817!";
const ADA: &str = "ada@example.com";
const ADA_PASSWORD: &str = "Analytical-Engine-1843";

struct Client {
    base: String,
    prefix: String,
    app: Vec<(String, String)>,
    agent: ureq::Agent,
}

/// One answer: status and JSON body.
struct Answer {
    status: u16,
    body: Value,
}

impl Answer {
    fn text(&self, name: &str) -> String {
        self.body
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    }
}

fn mismatch(message: String) -> CliError {
    CliError(Error::new(ErrorCode::Internal, message))
}

fn short(v: &Value) -> String {
    let mut text = v.to_string();
    if text.chars().count() > 110 {
        text = text.chars().take(107).collect::<String>() + "…";
    }
    text
}

impl Client {
    fn call(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
        expect: u16,
    ) -> CliResult<Answer> {
        let url = if path.starts_with('/') {
            format!("{}{path}", self.base)
        } else {
            format!("{}{}{path}", self.base, self.prefix)
        };
        let mut req = self.agent.request(method, &url);
        for (k, v) in &self.app {
            req = req.set(k, v);
        }
        for (k, v) in headers {
            req = req.set(k, v);
        }
        let sent = body.as_ref().map(Value::to_string);
        let answer = match &sent {
            Some(b) => req.set("Content-Type", "application/json").send_string(b),
            None => req.call(),
        };
        let response = match answer {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => return Err(mismatch(format!("{method} {path}: {e}"))),
        };
        let status = response.status();
        let text = response.into_string().unwrap_or_default();
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let shown = path.split('?').next().unwrap_or(path);
        println!(
            "   → {method} {shown} {}",
            sent.as_deref()
                .map(|b| short(&serde_json::from_str(b).unwrap_or(Value::Null)))
                .unwrap_or_default()
        );
        println!("   ← {status} {}", short(&body));
        if status != expect {
            return Err(mismatch(format!(
                "{method} {path}: expected {expect}, got {status}: {body}"
            )));
        }
        Ok(Answer { status, body })
    }
}

fn step(title: &str) {
    println!("\n== {title}");
}

/// Runs the demo.
pub fn demo(preset: tenxyte_core::config::Preset) -> CliResult<()> {
    let dir = std::env::temp_dir().join(format!("tenxyte-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(crate::io_error)?;
    let db = dir.join("demo.sqlite");
    let overrides = dir.join("settings.json");
    // Rotation is on in every preset but development; the story shows it, so it is on here.
    let settings = json!({"agents": {"confirmation_required": ["content.publish"]},
                          "jwt": {"refresh_token_rotation": true}});
    std::fs::write(&overrides, settings.to_string()).map_err(crate::io_error)?;
    let (tx, rx) = std::sync::mpsc::channel::<Ready>();
    let opts = ServeOptions {
        host: std::net::IpAddr::from([127, 0, 0, 1]),
        port: 0,
        db: db.clone(),
        preset,
        settings: Some(overrides.to_string_lossy().into_owned()),
        admin_email: Some(ADMIN_EMAIL.into()),
        workers: Some(2),
        admin_password: Some(ADMIN_PASSWORD.into()),
        ready: Some(tx),
    };
    std::thread::spawn(move || {
        if let Err(CliError(e)) = serve(opts) {
            eprintln!("tenxyte demo: the server stopped: {e}");
        }
    });
    let ready = rx
        .recv_timeout(Duration::from_secs(30))
        .map_err(|_| mismatch("the server did not start".into()))?;
    let (key, secret) = ready.application.clone().unwrap_or_default();
    let client = Client {
        base: format!("http://{}", ready.addr),
        prefix: "/api/v1/auth/".into(),
        app: vec![
            ("X-Access-Key".into(), key),
            ("X-Access-Secret".into(), secret),
        ],
        agent: ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(30))
            .build(),
    };
    let outcome = play(&client);
    let _ = std::fs::remove_dir_all(&dir);
    outcome?;
    println!("\nThe demo ran end to end over HTTP.");
    Ok(())
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn play(c: &Client) -> CliResult<()> {
    step("The server");
    c.call("GET", "health/", &[], None, 200)?;
    let jwks = c.call("GET", "/.well-known/jwks.json", &[], None, 200)?;
    let _ = jwks.status;
    let doc = c.call("GET", "docs/schema/", &[], None, 200)?;
    println!(
        "   OpenAPI {} with {} paths",
        doc.text("openapi"),
        doc.body
            .get("paths")
            .and_then(Value::as_object)
            .map_or(0, |p| p.len())
    );

    step("Quickstart: register, login, me");
    c.call(
        "POST",
        "register/",
        &[],
        Some(json!({"email": ADA, "password": "password1"})),
        400,
    )?;
    c.call(
        "POST",
        "register/",
        &[],
        Some(json!({"email": ADA, "password": ADA_PASSWORD, "first_name": "Ada"})),
        201,
    )?;
    c.call(
        "POST",
        "login/email/",
        &[],
        Some(json!({"email": ADA, "password": "wrong-password"})),
        401,
    )?;
    let login = c.call(
        "POST",
        "login/email/",
        &[],
        Some(json!({"email": ADA, "password": ADA_PASSWORD})),
        200,
    )?;
    let access = bearer(&login.text("access_token"));
    c.call("GET", "me/", &[("Authorization", &access)], None, 200)?;
    c.call("GET", "me/", &[], None, 401)?;

    step("Refresh rotation and a replayed refresh token");
    let old = login.text("refresh_token");
    let rotated = c.call(
        "POST",
        "refresh/",
        &[],
        Some(json!({"refresh_token": old})),
        200,
    )?;
    c.call(
        "POST",
        "refresh/",
        &[],
        Some(json!({"refresh_token": old})),
        401,
    )?;
    c.call(
        "GET",
        "me/",
        &[("Authorization", &bearer(&rotated.text("access_token")))],
        None,
        401,
    )?;

    step("Logout");
    let again = c.call(
        "POST",
        "login/email/",
        &[],
        Some(json!({"email": ADA, "password": ADA_PASSWORD})),
        200,
    )?;
    let access = bearer(&again.text("access_token"));
    c.call("POST", "logout/", &[("Authorization", &access)], None, 200)?;
    c.call("GET", "me/", &[("Authorization", &access)], None, 401)?;

    step("An administrator makes Ada an editor who may publish");
    let root = c.call(
        "POST",
        "login/email/",
        &[],
        Some(json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})),
        200,
    )?;
    let root = bearer(&root.text("access_token"));
    let ada = c.call(
        "POST",
        "login/email/",
        &[],
        Some(json!({"email": ADA, "password": ADA_PASSWORD})),
        200,
    )?;
    let ada_id = ada
        .body
        .get("user")
        .and_then(|u| u.get("id"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let ada = bearer(&ada.text("access_token"));
    c.call(
        "POST",
        &format!("users/{ada_id}/roles/"),
        &[("Authorization", &ada)],
        Some(json!({"role": "admin"})),
        403,
    )?;
    c.call(
        "POST",
        &format!("users/{ada_id}/roles/"),
        &[("Authorization", &root)],
        Some(json!({"role": "editor"})),
        200,
    )?;
    c.call(
        "POST",
        &format!("users/{ada_id}/permissions/"),
        &[("Authorization", &root)],
        Some(json!({"permission": "content.publish"})),
        200,
    )?;

    step("AIRS: Ada delegates to an agent");
    c.call(
        "POST",
        "ai/tokens/",
        &[("Authorization", &ada)],
        Some(json!({"permissions": ["content.view", "users.delete"]})),
        403,
    )?;
    let created = c.call(
        "POST",
        "ai/tokens/",
        &[("Authorization", &ada)],
        Some(
            json!({"agent_id": "writer-bot", "permissions": ["content.view", "content.publish"],
                    "circuit_breaker": {"max_requests_per_minute": 100, "max_requests_total": 6}}),
        ),
        201,
    )?;
    let agent = format!("AgentBearer {}", created.text("raw_token"));
    let read =
        json!({"method": "GET", "path": "/api/articles", "body": "", "permission": "content.view"});
    let publish = json!({"method": "POST", "path": "/api/articles/7/publish", "body": "{\"title\":\"Notes\"}", "permission": "content.publish"});
    let trace = ("X-Prompt-Trace-ID", "prompt-42");
    c.call(
        "POST",
        "ai/authorize/",
        &[("Authorization", &agent), trace],
        Some(read.clone()),
        200,
    )?;
    c.call(
        "POST",
        "ai/authorize/",
        &[("Authorization", &agent)],
        Some(json!({"method": "GET", "path": "/x", "body": "", "permission": "content.delete"})),
        403,
    )?;

    step("AIRS: human in the loop (202, confirm, retry once)");
    let pending = c.call(
        "POST",
        "ai/authorize/",
        &[("Authorization", &agent), trace],
        Some(publish.clone()),
        202,
    )?;
    let confirmation = pending.text("confirmation_token");
    let action = pending.text("pending_action_id");
    c.call(
        "GET",
        "ai/pending-actions/",
        &[("Authorization", &ada)],
        None,
        200,
    )?;
    c.call(
        "POST",
        &format!("ai/pending-actions/{action}/confirm/"),
        &[("Authorization", &ada)],
        None,
        200,
    )?;
    let with = [
        ("Authorization", agent.as_str()),
        ("X-Action-Confirmation", confirmation.as_str()),
    ];
    c.call("POST", "ai/authorize/", &with, Some(publish.clone()), 200)?;
    c.call("POST", "ai/authorize/", &with, Some(publish), 403)?;

    step("AIRS: the circuit breaker trips at the total limit");
    c.call(
        "POST",
        "ai/authorize/",
        &[("Authorization", &agent)],
        Some(read.clone()),
        200,
    )?;
    c.call(
        "POST",
        "ai/authorize/",
        &[("Authorization", &agent)],
        Some(read.clone()),
        403,
    )?;
    c.call(
        "POST",
        "ai/authorize/",
        &[("Authorization", &agent)],
        Some(read.clone()),
        401,
    )?;

    step("AIRS: a budget stops a second agent");
    let budgeted = c.call(
        "POST",
        "ai/tokens/",
        &[("Authorization", &ada)],
        Some(json!({"agent_id": "research-bot", "permissions": ["content.view"], "budget": {"limit_usd": "0.05"}})),
        201,
    )?;
    let agent2 = format!("AgentBearer {}", budgeted.text("raw_token"));
    let id2 = budgeted
        .body
        .get("token")
        .and_then(|t| t.get("id"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let usage = format!("ai/tokens/{id2}/report-usage/");
    c.call(
        "POST",
        &usage,
        &[("Authorization", &agent2)],
        Some(json!({"cost_usd": "0.02"})),
        200,
    )?;
    c.call(
        "POST",
        &usage,
        &[("Authorization", &agent2)],
        Some(json!({"cost_usd": "0.02"})),
        200,
    )?;
    c.call(
        "POST",
        &usage,
        &[("Authorization", &agent2)],
        Some(json!({"cost_usd": "0.02"})),
        403,
    )?;
    c.call(
        "POST",
        "ai/authorize/",
        &[("Authorization", &agent2)],
        Some(read),
        401,
    )?;

    step("The audit trail");
    let audit = c.call(
        "GET",
        "audit/?limit=200",
        &[("Authorization", &ada)],
        None,
        200,
    )?;
    let n = audit
        .body
        .get("items")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    println!("   Ada's events: {n}");
    Ok(())
}
