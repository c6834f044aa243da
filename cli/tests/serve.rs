#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! `tenxyte serve` as a process over loopback: first-start bootstrap, credentials, a login
//! whose token survives a restart (the key is kept beside the database), and `tenxyte
//! demo` (the quickstart and the AIRS story over HTTP) exiting 0.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

struct Server {
    child: Child,
    base: String,
    app: Option<(String, String)>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(db: &std::path::Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tenxyte"))
        .args(["serve", "--port", "0", "--preset", "development", "--db"])
        .arg(db)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = BufReader::new(child.stdout.take().unwrap());
    let mut app = None;
    let mut base = None;
    for line in out.lines() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("tenxyte serve: {") {
            let v: Value = serde_json::from_str(&format!("{{{rest}")).unwrap();
            if v["event"] == "application_created" {
                app = Some((
                    v["access_key"].as_str().unwrap().to_owned(),
                    v["access_secret"].as_str().unwrap().to_owned(),
                ));
            }
        }
        if let Some(i) = line.find("listening on http://") {
            let addr = line[i + "listening on ".len()..]
                .split_whitespace()
                .next()
                .unwrap()
                .to_owned();
            base = Some(addr);
            break;
        }
    }
    Server {
        child,
        base: base.expect("the server printed its address"),
        app,
    }
}

fn call(
    base: &str,
    app: &(String, String),
    method: &str,
    path: &str,
    auth: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(20))
        .build();
    let mut req = agent
        .request(method, &format!("{base}/api/v1/auth/{path}"))
        .set("X-Access-Key", &app.0)
        .set("X-Access-Secret", &app.1);
    if let Some(a) = auth {
        req = req.set("Authorization", a);
    }
    let answer = match body {
        Some(b) => req.send_string(&b.to_string()),
        None => req.call(),
    };
    let r = match answer {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{e}"),
    };
    let status = r.status();
    (
        status,
        serde_json::from_str(&r.into_string().unwrap()).unwrap_or(Value::Null),
    )
}

#[test]
fn serve_bootstraps_once_and_tokens_survive_a_restart() {
    let dir = std::env::temp_dir().join(format!("tenxyte-serve-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("t.sqlite");
    let first = start(&db);
    let app = first
        .app
        .clone()
        .expect("first start creates an application");
    let (status, _) = call(
        &first.base,
        &app,
        "POST",
        "register/",
        None,
        Some(json!({"email": "a@example.com", "password": "Correct-Horse-42!"})),
    );
    assert_eq!(status, 201);
    let (status, t) = call(
        &first.base,
        &app,
        "POST",
        "login/email/",
        None,
        Some(json!({"email": "a@example.com", "password": "Correct-Horse-42!"})),
    );
    assert_eq!(status, 200);
    let auth = format!("Bearer {}", t["access_token"].as_str().unwrap());
    let bad = ("txk_nope".to_owned(), "txs_nope".to_owned());
    assert_eq!(
        call(&first.base, &bad, "GET", "me/", Some(&auth), None).0,
        401
    );
    drop(first);

    let second = start(&db);
    assert!(second.app.is_none(), "the application is created only once");
    let (status, me) = call(&second.base, &app, "GET", "me/", Some(&auth), None);
    assert_eq!((status, me["email"].clone()), (200, json!("a@example.com")));
    drop(second);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_demo_plays_the_quickstart_and_the_airs_story_over_http() {
    let out = Command::new(env!("CARGO_BIN_EXE_tenxyte"))
        .args(["demo", "--preset", "development"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("← 202"), "{text}");
    assert!(text.contains("The demo ran end to end over HTTP."));
}
