#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! The HTTP layer through `Request`/`Response`: the routes' happy paths and their errors,
//! error mapping, headers, application credentials, AIRS over HTTP, the OpenAPI document.

mod common;

use common::{Host, PASSWORD};
use serde_json::{json, Value};
use tenxyte_core::http::{Request, Response, ROUTES};

const P: &str = "/api/v1/auth/";

fn call(
    host: &mut Host,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> Response {
    let req = Request {
        method: method.into(),
        path: if path.starts_with('/') {
            path.into()
        } else {
            format!("{P}{path}")
        },
        query: String::new(),
        headers: headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        body: body
            .map(|b| serde_json::to_vec(&b).unwrap())
            .unwrap_or_default(),
        client_ip: Some("203.0.113.9".into()),
    };
    let flow = host.engine.handle(req, host.clock.now());
    host.run(flow).unwrap()
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn code(r: &Response) -> String {
    r.json_body()["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn signup(host: &mut Host, email: &str) -> (String, Value) {
    let r = call(
        host,
        "POST",
        "register/",
        &[],
        Some(json!({"email": email, "password": PASSWORD, "login": true})),
    );
    assert_eq!(r.status, 201, "{:?}", r.json_body());
    let body = r.json_body();
    (
        body["tokens"]["access_token"].as_str().unwrap().to_owned(),
        body,
    )
}

#[test]
fn quickstart_over_http() {
    let mut host = Host::new(json!({}));
    let (_, reg) = signup(&mut host, "ann@example.com");
    assert_eq!(reg["user"]["email"], json!("ann@example.com"));
    let r = call(
        &mut host,
        "POST",
        "login/email/",
        &[],
        Some(json!({"email": "ann@example.com", "password": PASSWORD})),
    );
    assert_eq!(r.status, 200);
    let t = r.json_body();
    let access = t["access_token"].as_str().unwrap().to_owned();
    let auth = bearer(&access);
    let me = call(&mut host, "GET", "me/", &[("Authorization", &auth)], None);
    assert_eq!(
        (me.status, me.json_body()["email"].clone()),
        (200, json!("ann@example.com"))
    );
    assert_eq!(me.header("Content-Type"), Some("application/json"));
    let roles = call(
        &mut host,
        "GET",
        "me/roles/",
        &[("Authorization", &auth)],
        None,
    );
    assert_eq!(roles.json_body()["roles"], json!(["viewer"]));
    let r = call(
        &mut host,
        "POST",
        "refresh/",
        &[],
        Some(json!({"refresh_token": t["refresh_token"]})),
    );
    assert_eq!(r.status, 200);
    let r = call(
        &mut host,
        "POST",
        "logout/",
        &[("Authorization", &auth)],
        None,
    );
    assert_eq!(r.status, 200, "{:?}", r.json_body());
    let r = call(&mut host, "GET", "me/", &[("Authorization", &auth)], None);
    assert_eq!((r.status, code(&r).as_str()), (401, "token_revoked"));
    assert!(r
        .header("WWW-Authenticate")
        .unwrap()
        .contains("error=\"invalid_token\""));
}

#[test]
fn errors_map_to_statuses_and_headers() {
    let mut host = Host::new(json!({"lockout": {"enabled": true, "max_attempts": 2}}));
    signup(&mut host, "bo@example.com");
    let r = call(&mut host, "GET", "nope/", &[], None);
    assert_eq!((r.status, code(&r).as_str()), (404, "route_not_found"));
    let r = call(&mut host, "GET", "register/", &[], None);
    assert_eq!((r.status, code(&r).as_str()), (405, "method_not_allowed"));
    let r = call(&mut host, "GET", "me/", &[], None);
    assert_eq!((r.status, code(&r).as_str()), (401, "not_authenticated"));
    assert_eq!(
        r.header("WWW-Authenticate"),
        Some("Bearer realm=\"tenxyte\"")
    );
    let r = call(
        &mut host,
        "POST",
        "register/",
        &[],
        Some(json!({"email": "bo@example.com", "password": PASSWORD})),
    );
    assert_eq!((r.status, code(&r).as_str()), (409, "email_taken"));
    let r = call(
        &mut host,
        "POST",
        "register/",
        &[],
        Some(json!({"email": "x@example.com", "password": PASSWORD, "admin": true})),
    );
    assert_eq!((r.status, code(&r).as_str()), (400, "invalid_input"));
    let r = call(
        &mut host,
        "POST",
        "login/email/",
        &[],
        Some(json!({"phone": "+33612345678", "password": "x"})),
    );
    assert_eq!((r.status, code(&r).as_str()), (400, "invalid_input"));
    let body = json!({"email": "bo@example.com", "password": "wrong"});
    let r = call(&mut host, "POST", "login/email/", &[], Some(body.clone()));
    assert_eq!((r.status, code(&r).as_str()), (401, "invalid_credentials"));
    let r = call(&mut host, "POST", "login/email/", &[], Some(body));
    assert_eq!((r.status, code(&r).as_str()), (423, "account_locked"));
    assert!(r.header("Retry-After").unwrap().parse::<u64>().unwrap() > 0);
    assert!(r.json_body()["details"]["retry_after"].is_number());

    // Invalid JSON, duplicate members, and an oversized body.
    let mut raw = |body: &[u8]| {
        let req = Request {
            method: "POST".into(),
            path: format!("{P}register/"),
            body: body.to_vec(),
            ..Request::default()
        };
        let flow = host.engine.handle(req, host.clock.now());
        host.run(flow).unwrap()
    };
    assert_eq!(raw(b"{not json").status, 400);
    assert_eq!(
        code(&raw(br#"{"password": "a", "password": "b"}"#)),
        "invalid_input"
    );
    let big = vec![b' '; 2 * 1024 * 1024];
    let r = raw(&big);
    assert_eq!((r.status, code(&r).as_str()), (413, "body_too_large"));
}

#[test]
fn rate_limits_answer_429_with_retry_after() {
    let mut host = Host::new(
        json!({"rate_limit": {"enabled": true, "login": [{"max_requests": 2, "window_secs": 60}]}}),
    );
    let body = json!({"email": "who@example.com", "password": "x"});
    for _ in 0..2 {
        assert_eq!(
            call(&mut host, "POST", "login/email/", &[], Some(body.clone())).status,
            401
        );
    }
    let r = call(&mut host, "POST", "login/email/", &[], Some(body));
    assert_eq!((r.status, code(&r).as_str()), (429, "too_many_requests"));
    assert!(r.header("Retry-After").is_some());
}

#[test]
fn security_headers_and_cors() {
    let mut host = Host::new(json!({
        "security_headers": {"enabled": true, "hsts_max_age_secs": 100},
        "cors": {"enabled": true, "allowed_origins": ["https://app.example.com"]}
    }));
    let origin = [("Origin", "https://app.example.com")];
    let r = call(&mut host, "GET", "health/", &origin, None);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("X-Content-Type-Options"), Some("nosniff"));
    assert_eq!(r.header("X-Frame-Options"), Some("DENY"));
    assert!(r
        .header("Strict-Transport-Security")
        .unwrap()
        .starts_with("max-age=100"));
    assert_eq!(
        r.header("Access-Control-Allow-Origin"),
        Some("https://app.example.com")
    );
    let pre = call(&mut host, "OPTIONS", "login/email/", &origin, None);
    assert_eq!(pre.status, 204);
    assert!(pre.body.is_empty());
    assert!(pre
        .header("Access-Control-Allow-Methods")
        .unwrap()
        .contains("POST"));
    let other = call(
        &mut host,
        "GET",
        "health/",
        &[("Origin", "https://evil.example")],
        None,
    );
    assert_eq!(other.header("Access-Control-Allow-Origin"), None);
}

#[test]
fn application_credentials_are_required_when_on_and_bind_tokens() {
    use tenxyte_core::store::{keys, Expect, Op, OpResult, SyncStore};
    let mut host = Host::new(json!({}));
    let (admin, reg) = signup(&mut host, "root@example.com");
    // The host makes its first admin a superuser in its own table.
    let id = reg["user"]["id"].as_str().unwrap();
    let OpResult::Got(Some(rec)) = host.store.execute(&Op::Get {
        ns: keys::USERS.into(),
        key: keys::user(id),
    }) else {
        panic!()
    };
    let mut user = rec.value;
    user["is_superuser"] = json!(true);
    host.store.execute(&Op::Put {
        ns: keys::USERS.into(),
        key: keys::user(id),
        value: user,
        ttl_secs: None,
        expect: Expect::Any,
    });
    let r = call(
        &mut host,
        "POST",
        "applications/",
        &[("Authorization", &bearer(&admin))],
        Some(json!({"name": "web"})),
    );
    assert_eq!(r.status, 201, "{:?}", r.json_body());
    let creds = r.json_body();
    let key = creds["application"]["access_key"]
        .as_str()
        .unwrap()
        .to_owned();
    let secret = creds["access_secret"].as_str().unwrap().to_owned();

    // Same store, an engine that requires application credentials.
    host.engine = common::engine(json!({"application_auth": {"enabled": true}}));
    let r = call(
        &mut host,
        "POST",
        "login/email/",
        &[],
        Some(json!({"email": "root@example.com", "password": PASSWORD})),
    );
    assert_eq!((r.status, code(&r).as_str()), (401, "application_invalid"));
    let app = [
        ("X-Access-Key", key.as_str()),
        ("X-Access-Secret", secret.as_str()),
    ];
    let r = call(
        &mut host,
        "POST",
        "login/email/",
        &app,
        Some(json!({"email": "root@example.com", "password": PASSWORD})),
    );
    assert_eq!(r.status, 200, "{:?}", r.json_body());
    let token = r.json_body()["access_token"].as_str().unwrap().to_owned();
    let wrong = [
        ("X-Access-Key", key.as_str()),
        ("X-Access-Secret", "txs_wrong"),
    ];
    assert_eq!(call(&mut host, "GET", "me/", &wrong, None).status, 401);
    let auth = bearer(&token);
    let ok = [app[0], app[1], ("Authorization", auth.as_str())];
    assert_eq!(call(&mut host, "GET", "me/", &ok, None).status, 200);
    // Exempt paths need no credentials.
    assert_eq!(call(&mut host, "GET", "health/", &[], None).status, 200);
    assert_eq!(
        call(&mut host, "GET", "/.well-known/jwks.json", &[], None).status,
        200
    );
}

#[test]
fn airs_over_http_with_a_202_and_a_confirmation_header() {
    use tenxyte_core::store::{keys, Expect, Op, OpResult, SyncStore};
    let mut host = Host::new(json!({"agents": {"confirmation_required": ["content.publish"]}}));
    let (_, reg) = signup(&mut host, "ann@example.com");
    let id = reg["user"]["id"].as_str().unwrap();
    let OpResult::Got(Some(rec)) = host.store.execute(&Op::Get {
        ns: keys::USERS.into(),
        key: keys::user(id),
    }) else {
        panic!()
    };
    let mut user = rec.value;
    user["roles"] = json!(["editor"]);
    user["permissions"] = json!(["content.publish"]);
    host.store.execute(&Op::Put {
        ns: keys::USERS.into(),
        key: keys::user(id),
        value: user,
        ttl_secs: None,
        expect: Expect::Any,
    });
    let r = call(
        &mut host,
        "POST",
        "login/email/",
        &[],
        Some(json!({"email": "ann@example.com", "password": PASSWORD})),
    );
    let human = bearer(r.json_body()["access_token"].as_str().unwrap());

    let r = call(
        &mut host,
        "POST",
        "ai/tokens/",
        &[("Authorization", &human)],
        Some(json!({"permissions": ["content.view", "content.publish"]})),
    );
    assert_eq!(r.status, 201, "{:?}", r.json_body());
    let agent = format!(
        "AgentBearer {}",
        r.json_body()["raw_token"].as_str().unwrap()
    );
    let token_id = r.json_body()["token"]["id"].as_str().unwrap().to_owned();
    let read =
        json!({"method": "GET", "path": "/api/articles", "body": "", "permission": "content.view"});
    let r = call(
        &mut host,
        "POST",
        "ai/authorize/",
        &[("Authorization", &agent)],
        Some(read),
    );
    assert_eq!(
        (r.status, r.json_body()["outcome"].clone()),
        (200, json!("allowed"))
    );
    let publish = json!({"method": "POST", "path": "/api/articles/7/publish", "body": "{}", "permission": "content.publish"});
    let r = call(
        &mut host,
        "POST",
        "ai/authorize/",
        &[("Authorization", &agent)],
        Some(publish.clone()),
    );
    assert_eq!(r.status, 202, "{:?}", r.json_body());
    let pending = r.json_body();
    let confirmation = pending["confirmation_token"].as_str().unwrap().to_owned();
    let action = pending["pending_action_id"].as_str().unwrap().to_owned();
    let r = call(
        &mut host,
        "GET",
        "ai/pending-actions/",
        &[("Authorization", &human)],
        None,
    );
    assert_eq!(r.json_body().as_array().unwrap().len(), 1);
    assert_eq!(
        r.json_body()[0]["confirmation_hash"],
        json!(""),
        "the lookup hash is not shown"
    );
    let r = call(
        &mut host,
        "POST",
        &format!("ai/pending-actions/{action}/confirm/"),
        &[("Authorization", &human)],
        None,
    );
    assert_eq!(r.status, 200, "{:?}", r.json_body());
    let with = [
        ("Authorization", agent.as_str()),
        ("X-Action-Confirmation", confirmation.as_str()),
    ];
    let r = call(
        &mut host,
        "POST",
        "ai/authorize/",
        &with,
        Some(publish.clone()),
    );
    assert_eq!(r.status, 200, "{:?}", r.json_body());
    let r = call(&mut host, "POST", "ai/authorize/", &with, Some(publish));
    assert_eq!((r.status, code(&r).as_str()), (403, "confirmation_used"));
    // The agent cannot use the human's routes, and a bad agent token is a 401 challenge.
    let r = call(
        &mut host,
        "GET",
        "ai/tokens/",
        &[("Authorization", &agent)],
        None,
    );
    assert_eq!(r.status, 401);
    let r = call(
        &mut host,
        "POST",
        &format!("ai/tokens/{token_id}/heartbeat/"),
        &[("Authorization", "AgentBearer txa_nope")],
        None,
    );
    assert_eq!(r.status, 401, "{:?}", r.json_body());
    assert_eq!(code(&r), "agent_token_invalid");
    let r = call(
        &mut host,
        "POST",
        &format!("ai/tokens/{token_id}/revoke/"),
        &[("Authorization", &human)],
        None,
    );
    assert_eq!(r.status, 200);
    let r = call(
        &mut host,
        "POST",
        "ai/authorize/",
        &[("Authorization", &agent)],
        Some(json!({"method": "GET", "path": "/x", "body": "", "permission": "content.view"})),
    );
    assert_eq!((r.status, code(&r).as_str()), (401, "agent_token_revoked"));
    assert!(r
        .header("WWW-Authenticate")
        .unwrap()
        .starts_with("AgentBearer"));
}

#[test]
fn the_audit_route_shows_users_their_own_events_only() {
    let mut host = Host::new(json!({}));
    let (ann, _) = signup(&mut host, "ann@example.com");
    let (_, bob) = signup(&mut host, "bob@example.com");
    let auth = bearer(&ann);
    let r = call(
        &mut host,
        "GET",
        "audit/",
        &[("Authorization", &auth)],
        None,
    );
    assert_eq!(r.status, 200);
    let items = r.json_body()["items"].as_array().unwrap().clone();
    assert!(!items.is_empty());
    assert!(items.iter().all(|i| i["user_id"] != bob["user"]["id"]));
    let mut req = Request {
        method: "GET".into(),
        path: format!("{P}audit/"),
        query: format!("user_id={}", bob["user"]["id"].as_str().unwrap()),
        ..Request::default()
    };
    req.headers.push(("Authorization".into(), auth));
    let flow = host.engine.handle(req, host.clock.now());
    let r = host.run(flow).unwrap();
    assert_eq!((r.status, code(&r).as_str()), (403, "permission_required"));
}

#[test]
fn the_openapi_document_covers_every_route_and_every_ref_resolves() {
    let mut host = Host::new(json!({}));
    let r = call(&mut host, "GET", "docs/schema/", &[], None);
    assert_eq!(r.status, 200);
    let doc = r.json_body();
    assert_eq!(doc["openapi"], json!("3.1.0"));
    let mut ids = std::collections::HashSet::new();
    for route in ROUTES {
        let path = if route.path.starts_with('/') {
            route.path.to_owned()
        } else {
            format!("{P}{}", route.path)
        };
        let op = &doc["paths"][&path][route.method.to_ascii_lowercase()];
        assert_eq!(op["operationId"], json!(route.name), "{path}");
        assert!(
            ids.insert(route.name),
            "duplicate operationId {}",
            route.name
        );
    }
    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r.clone());
                }
                m.values().for_each(|x| refs(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(all.len() > 50);
    for r in all {
        let name = r.strip_prefix("#/components/schemas/").unwrap();
        assert!(
            doc["components"]["schemas"].get(name).is_some(),
            "dangling {r}"
        );
    }
}

#[test]
fn a_bootstrapped_superuser_manages_roles_over_http() {
    let mut host = Host::new(json!({}));
    let boot =
        host.engine
            .bootstrap_superuser("root@example.com".into(), PASSWORD.into(), host.ctx());
    host.run(boot).unwrap();
    let r = call(
        &mut host,
        "POST",
        "login/email/",
        &[],
        Some(json!({"email": "root@example.com", "password": PASSWORD})),
    );
    let root = bearer(r.json_body()["access_token"].as_str().unwrap());
    let (ann, reg) = signup(&mut host, "ann@example.com");
    let ann_id = reg["user"]["id"].as_str().unwrap().to_owned();
    let ann = bearer(&ann);
    // Ann is no administrator.
    let r = call(
        &mut host,
        "POST",
        &format!("users/{ann_id}/roles/"),
        &[("Authorization", &ann)],
        Some(json!({"role": "admin"})),
    );
    assert_eq!((r.status, code(&r).as_str()), (403, "permission_required"));
    let r = call(
        &mut host,
        "POST",
        &format!("users/{ann_id}/roles/"),
        &[("Authorization", &root)],
        Some(json!({"role": "editor"})),
    );
    assert_eq!(r.status, 200, "{:?}", r.json_body());
    assert!(r.json_body()["effective_permissions"]
        .as_array()
        .unwrap()
        .contains(&json!("content.edit")));
    let r = call(
        &mut host,
        "POST",
        &format!("users/{ann_id}/roles/"),
        &[("Authorization", &root)],
        Some(json!({"role": "wizard"})),
    );
    assert_eq!(r.status, 400);
    let r = call(
        &mut host,
        "GET",
        "me/roles/",
        &[("Authorization", &ann)],
        None,
    );
    assert_eq!(r.json_body()["roles"], json!(["viewer", "editor"]));
    let r = call(
        &mut host,
        "DELETE",
        &format!("users/{ann_id}/roles/editor/"),
        &[("Authorization", &root)],
        None,
    );
    assert_eq!(r.json_body()["roles"], json!(["viewer"]));
    let r = call(
        &mut host,
        "GET",
        "roles/",
        &[("Authorization", &root)],
        None,
    );
    assert!(r.json_body().as_array().unwrap().len() >= 3);
    let r = call(
        &mut host,
        "GET",
        "permissions/",
        &[("Authorization", &ann)],
        None,
    );
    assert_eq!(r.status, 403);
    // The host's bootstrap application works as credentials.
    let app = host.engine.bootstrap_application(
        tenxyte_core::service::applications::CreateApplicationRequest {
            name: "cli".into(),
            ..Default::default()
        },
        host.ctx(),
    );
    let creds = host.run(app).unwrap();
    assert!(creds.access_secret.starts_with("txs_"));
}

#[test]
fn docs_http_lists_every_route() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/http.md")).unwrap();
    for route in ROUTES {
        let path = if route.path.starts_with('/') {
            route.path.to_owned()
        } else {
            format!("{P}{}", route.path)
        };
        let row = format!("| `{}` | `{path}` |", route.method);
        assert!(doc.contains(&row), "docs/http.md misses {row}");
    }
}

#[test]
fn the_guard_allows_denies_or_answers_202_for_host_routes() {
    use tenxyte_core::http::guard::{GuardDecision, Principal, Requirement};
    use tenxyte_core::store::{keys, Expect, Op, OpResult, SyncStore};
    let mut host = Host::new(json!({"organizations": {"enabled": true}}));
    let (ann, reg) = signup(&mut host, "ann@example.com");
    let (bob, _) = signup(&mut host, "bob@example.com");
    let id = reg["user"]["id"].as_str().unwrap().to_owned();
    let OpResult::Got(Some(rec)) = host.store.execute(&Op::Get {
        ns: keys::USERS.into(),
        key: keys::user(&id),
    }) else {
        panic!()
    };
    let mut user = rec.value;
    user["roles"] = json!(["editor"]);
    host.store.execute(&Op::Put {
        ns: keys::USERS.into(),
        key: keys::user(&id),
        value: user,
        ttl_secs: None,
        expect: Expect::Any,
    });

    let guard = |host: &mut Host, headers: &[(&str, &str)], reqs: Vec<Requirement>| {
        let req = Request {
            method: "POST".into(),
            path: "/app/articles/1/publish".into(),
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            body: b"{}".to_vec(),
            ..Request::default()
        };
        let flow = host.engine.guard(req, reqs, host.clock.now());
        host.run(flow).unwrap()
    };
    let status = |d: &GuardDecision| match d {
        GuardDecision::Allow { .. } => 200,
        GuardDecision::Respond { response } => response.status,
    };
    let edit = || {
        vec![Requirement::Permission {
            code: "content.edit".into(),
        }]
    };
    let (ann_h, bob_h) = (bearer(&ann), bearer(&bob));
    assert_eq!(status(&guard(&mut host, &[], edit())), 401);
    let GuardDecision::Respond { response } =
        guard(&mut host, &[("Authorization", &bob_h)], edit())
    else {
        panic!()
    };
    assert_eq!(
        (response.status, code(&response).as_str()),
        (403, "permission_required")
    );
    let GuardDecision::Allow {
        principal: Principal::User { user, .. },
    } = guard(&mut host, &[("Authorization", &ann_h)], edit())
    else {
        panic!()
    };
    assert_eq!(user["email"], json!("ann@example.com"));
    let GuardDecision::Respond { response } = guard(
        &mut host,
        &[("Authorization", &ann_h)],
        vec![Requirement::VerifiedEmail],
    ) else {
        panic!()
    };
    assert_eq!(code(&response), "email_not_verified");
    assert_eq!(
        status(&guard(
            &mut host,
            &[("Authorization", &ann_h)],
            vec![Requirement::Role {
                code: "editor".into()
            }]
        )),
        200
    );

    // Organization permission through X-Org-Slug: the owner passes, a stranger does not.
    let create = host.engine.create_organization(
        ann.clone(),
        serde_json::from_value(json!({"name": "Acme", "slug": "acme"})).unwrap(),
        host.ctx(),
    );
    host.run(create).unwrap();
    let invite = || {
        vec![Requirement::OrgPermission {
            code: "org.members.invite".into(),
        }]
    };
    assert_eq!(
        status(&guard(
            &mut host,
            &[("Authorization", &ann_h), ("X-Org-Slug", "acme")],
            invite()
        )),
        200
    );
    assert_eq!(
        status(&guard(
            &mut host,
            &[("Authorization", &bob_h), ("X-Org-Slug", "acme")],
            invite()
        )),
        403
    );
    assert_eq!(
        status(&guard(
            &mut host,
            &[("Authorization", &ann_h), ("X-Org-Slug", "nope")],
            invite()
        )),
        404
    );

    // Agents: refused without clearance; with human approval, 202 then allowed once.
    let r = call(
        &mut host,
        "POST",
        "ai/tokens/",
        &[("Authorization", &ann_h)],
        Some(json!({"permissions": ["content.edit"]})),
    );
    let agent = format!(
        "AgentBearer {}",
        r.json_body()["raw_token"].as_str().unwrap()
    );
    assert_eq!(
        status(&guard(&mut host, &[("Authorization", &agent)], edit())),
        403
    );
    let clearance = || {
        vec![Requirement::AgentClearance {
            permission: Some("content.edit".into()),
            human_approval: true,
        }]
    };
    let GuardDecision::Respond { response } =
        guard(&mut host, &[("Authorization", &agent)], clearance())
    else {
        panic!()
    };
    assert_eq!(response.status, 202);
    let pending = response.json_body();
    let action = pending["pending_action_id"].as_str().unwrap().to_owned();
    let confirmation = pending["confirmation_token"].as_str().unwrap().to_owned();
    let r = call(
        &mut host,
        "POST",
        &format!("ai/pending-actions/{action}/confirm/"),
        &[("Authorization", &ann_h)],
        None,
    );
    assert_eq!(r.status, 200);
    let with = [
        ("Authorization", agent.as_str()),
        ("X-Action-Confirmation", confirmation.as_str()),
    ];
    let GuardDecision::Allow {
        principal: Principal::Agent { user_id, .. },
    } = guard(&mut host, &with, clearance())
    else {
        panic!()
    };
    assert_eq!(user_id, id);
    assert_eq!(status(&guard(&mut host, &with, clearance())), 403);
}

#[test]
fn the_application_guard_checks_credentials_and_makes_tokens_optional() {
    use tenxyte_core::http::guard::{GuardDecision, Principal, Requirement};
    use tenxyte_core::store::{keys, Expect, Op, OpResult, SyncStore};
    let mut host = Host::new(json!({}));
    let (admin, reg) = signup(&mut host, "root@example.com");
    let id = reg["user"]["id"].as_str().unwrap().to_owned();
    let OpResult::Got(Some(rec)) = host.store.execute(&Op::Get {
        ns: keys::USERS.into(),
        key: keys::user(&id),
    }) else {
        panic!()
    };
    let mut user = rec.value;
    user["is_superuser"] = json!(true);
    host.store.execute(&Op::Put {
        ns: keys::USERS.into(),
        key: keys::user(&id),
        value: user,
        ttl_secs: None,
        expect: Expect::Any,
    });
    let r = call(
        &mut host,
        "POST",
        "applications/",
        &[("Authorization", &bearer(&admin))],
        Some(json!({"name": "web"})),
    );
    let creds = r.json_body();
    let key = creds["application"]["access_key"]
        .as_str()
        .unwrap()
        .to_owned();
    let app_id = creds["application"]["id"].as_str().unwrap().to_owned();
    let secret = creds["access_secret"].as_str().unwrap().to_owned();
    host.engine = common::engine(json!({"application_auth": {"enabled": true}}));
    let app = [
        ("X-Access-Key", key.as_str()),
        ("X-Access-Secret", secret.as_str()),
    ];
    let r = call(
        &mut host,
        "POST",
        "login/email/",
        &app,
        Some(json!({"email": "root@example.com", "password": PASSWORD})),
    );
    let token = bearer(r.json_body()["access_token"].as_str().unwrap());

    let guard = |host: &mut Host, path: &str, headers: &[(&str, &str)], reqs: Vec<Requirement>| {
        let req = Request {
            method: "GET".into(),
            path: path.into(),
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            ..Request::default()
        };
        let flow = host.engine.guard(req, reqs, host.clock.now());
        host.run(flow).unwrap()
    };
    let only = || vec![Requirement::Application];
    let respond = |d: GuardDecision| match d {
        GuardDecision::Respond { response } => response,
        GuardDecision::Allow { principal } => panic!("allowed as {principal:?}"),
    };

    // No credentials: the API's own 401; on an exempt path, anonymous without an app.
    let r = respond(guard(&mut host, "/app/", &[], only()));
    assert_eq!((r.status, code(&r).as_str()), (401, "application_invalid"));
    let none = call(&mut host, "GET", "me/", &[], None);
    assert_eq!((r.status, &r.body), (none.status, &none.body));
    assert_eq!(
        guard(&mut host, "/.well-known/x", &[], only()),
        GuardDecision::Allow {
            principal: Principal::Anonymous { app_id: None }
        }
    );
    // Credentials without a token (or with another scheme): anonymous, with the app.
    let basic = [app[0], app[1], ("Authorization", "Basic dXNlcjpwdw==")];
    for headers in [&app[..], &basic[..]] {
        assert_eq!(
            guard(&mut host, "/app/", headers, only()),
            GuardDecision::Allow {
                principal: Principal::Anonymous {
                    app_id: Some(app_id.clone())
                }
            }
        );
    }
    // Anonymous is for application-only guards: next to Authenticated a token is needed.
    let both = vec![Requirement::Application, Requirement::Authenticated];
    assert_eq!(respond(guard(&mut host, "/app/", &app, both)).status, 401);
    // A user token identifies the caller; a bad one is the API's 401 with WWW-Authenticate.
    let with = [app[0], app[1], ("Authorization", token.as_str())];
    let GuardDecision::Allow {
        principal: Principal::User { user, .. },
    } = guard(&mut host, "/app/", &with, only())
    else {
        panic!()
    };
    assert_eq!(user["id"], json!(id));
    let bad = [app[0], app[1], ("Authorization", "Bearer nope")];
    let r = respond(guard(&mut host, "/app/", &bad, only()));
    assert_eq!(r.status, 401);
    assert!(r
        .header("WWW-Authenticate")
        .unwrap()
        .contains("error=\"invalid_token\""));

    // An agent token is authorized without a permission, and each guard counts a call.
    let r = call(
        &mut host,
        "POST",
        "ai/tokens/",
        &with,
        Some(json!({"permissions": ["users.view"],
                    "circuit_breaker": {"max_requests_total": 1}})),
    );
    assert_eq!(r.status, 201, "{:?}", r.json_body());
    let agent = format!(
        "AgentBearer {}",
        r.json_body()["raw_token"].as_str().unwrap()
    );
    let as_agent = [app[0], app[1], ("Authorization", agent.as_str())];
    let GuardDecision::Allow {
        principal: Principal::Agent { user_id, .. },
    } = guard(&mut host, "/app/", &as_agent, only())
    else {
        panic!()
    };
    assert_eq!(user_id, id);
    assert_eq!(
        respond(guard(&mut host, "/app/", &as_agent, only())).status,
        403
    );
    // A suspended or unknown agent token: the answer of an agent route without a
    // permission (401 with an AgentBearer challenge; 404 for no such token, as the API).
    let clearance = || {
        vec![Requirement::AgentClearance {
            permission: None,
            human_approval: false,
        }]
    };
    let r = respond(guard(&mut host, "/app/", &as_agent, only()));
    assert_eq!(r.status, 401, "{:?}", r.json_body());
    assert!(r
        .header("WWW-Authenticate")
        .unwrap()
        .starts_with("AgentBearer"));
    assert_eq!(
        r,
        respond(guard(&mut host, "/app/", &as_agent, clearance()))
    );
    let bad = [app[0], app[1], ("Authorization", "AgentBearer txa_nope")];
    let r = respond(guard(&mut host, "/app/", &bad, only()));
    assert_eq!(code(&r), "agent_token_invalid");
    // An unknown token is an authentication failure: 401 and an invalid_token challenge.
    assert_eq!(r.status, 401);
    assert!(r
        .header("WWW-Authenticate")
        .is_some_and(|h| h.starts_with("AgentBearer") && h.contains("invalid_token")));
    assert_eq!(r, respond(guard(&mut host, "/app/", &bad, clearance())));
}

#[test]
fn agent_responses_are_redacted_only_with_redact_pii() {
    let body = json!({"user": {"email": "ann@example.com", "name": "Ann",
                               "Phone": "+33", "tags": [{"password": "x"}]}});
    assert_eq!(common::engine(json!({})).redact_for_agent(&body), None);
    let on = common::engine(json!({"agents": {"redact_pii": true}}));
    assert_eq!(
        on.redact_for_agent(&body),
        Some(json!({"user": {"email": "***REDACTED***", "name": "Ann",
                             "Phone": "***REDACTED***", "tags": [{"password": "***REDACTED***"}]}}))
    );
}

/// One guard call for the tests below: a request from `ip` with `headers`.
fn guard_at(
    host: &mut Host,
    ip: &str,
    headers: &[(&str, &str)],
    reqs: Vec<tenxyte_core::http::guard::Requirement>,
) -> tenxyte_core::http::guard::GuardDecision {
    let req = Request {
        method: "GET".into(),
        path: "/app/reports".into(),
        headers: headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        client_ip: Some(ip.into()),
        ..Request::default()
    };
    let flow = host.engine.guard(req, reqs, host.clock.now());
    host.run(flow).unwrap()
}

/// `(status, code)` of a decision; an allow is `(200, "")`.
fn outcome(d: &tenxyte_core::http::guard::GuardDecision) -> (u16, String) {
    use tenxyte_core::http::guard::GuardDecision;
    match d {
        GuardDecision::Allow { .. } => (200, String::new()),
        GuardDecision::Respond { response } => (response.status, code(response)),
    }
}

fn patch_user(host: &mut Host, id: &str, patch: impl FnOnce(&mut Value)) {
    use tenxyte_core::store::{keys, Expect, Op, OpResult, SyncStore};
    let OpResult::Got(Some(rec)) = host.store.execute(&Op::Get {
        ns: keys::USERS.into(),
        key: keys::user(id),
    }) else {
        panic!("no user {id}")
    };
    let mut user = rec.value;
    patch(&mut user);
    host.store.execute(&Op::Put {
        ns: keys::USERS.into(),
        key: keys::user(id),
        value: user,
        ttl_secs: None,
        expect: Expect::Any,
    });
}

fn user_id(reg: &Value) -> String {
    reg["user"]["id"].as_str().unwrap().to_owned()
}

#[test]
fn the_guard_checks_any_permission_any_role_and_a_verified_phone() {
    use tenxyte_core::http::guard::Requirement;
    let mut host = Host::new(json!({}));
    let (ann, reg) = signup(&mut host, "ann@example.com");
    let (bob, _) = signup(&mut host, "bob@example.com");
    let ann_id = user_id(&reg);
    patch_user(&mut host, &ann_id, |u| u["roles"] = json!(["editor"]));
    let (ann_h, bob_h) = (bearer(&ann), bearer(&bob));
    let ip = "198.51.100.1";
    let any_perm = |codes: &[&str]| {
        vec![Requirement::AnyPermission {
            codes: codes.iter().map(|c| (*c).to_owned()).collect(),
        }]
    };
    let any_role = |codes: &[&str]| {
        vec![Requirement::AnyRole {
            codes: codes.iter().map(|c| (*c).to_owned()).collect(),
        }]
    };
    let ann_a = [("Authorization", ann_h.as_str())];
    let bob_a = [("Authorization", bob_h.as_str())];

    // Any of several permissions: the editor holds content.edit, a viewer neither.
    let edit_or_logs = any_perm(&["system.logs", "content.edit"]);
    assert_eq!(
        outcome(&guard_at(&mut host, ip, &ann_a, edit_or_logs.clone())).0,
        200
    );
    assert_eq!(
        outcome(&guard_at(&mut host, ip, &bob_a, edit_or_logs)),
        (403, "permission_required".into())
    );
    assert_eq!(
        outcome(&guard_at(&mut host, ip, &ann_a, any_perm(&[]))),
        (403, "permission_required".into())
    );
    assert_eq!(
        outcome(&guard_at(&mut host, ip, &[], any_perm(&["content.edit"]))),
        (401, "not_authenticated".into())
    );
    // "All of" is several requirements: one missing permission refuses.
    let mut both = any_perm(&["content.edit"]);
    both.push(Requirement::Permission {
        code: "system.logs".into(),
    });
    assert_eq!(
        outcome(&guard_at(&mut host, ip, &ann_a, both)),
        (403, "permission_required".into())
    );

    // Any of several roles.
    assert_eq!(
        outcome(&guard_at(
            &mut host,
            ip,
            &ann_a,
            any_role(&["admin", "editor"])
        ))
        .0,
        200
    );
    assert_eq!(
        outcome(&guard_at(
            &mut host,
            ip,
            &bob_a,
            any_role(&["admin", "editor"])
        )),
        (403, "role_required".into())
    );
    assert_eq!(
        outcome(&guard_at(&mut host, ip, &ann_a, any_role(&[]))),
        (403, "role_required".into())
    );

    // A verified phone number.
    let phone = || vec![Requirement::VerifiedPhone];
    assert_eq!(
        outcome(&guard_at(&mut host, ip, &ann_a, phone())),
        (403, "phone_not_verified".into())
    );
    patch_user(&mut host, &ann_id, |u| {
        u["phone"] = json!("+33612345678");
        u["phone_verified"] = json!(true);
    });
    assert_eq!(outcome(&guard_at(&mut host, ip, &ann_a, phone())).0, 200);

    // Agents: roles and a phone are never delegated; one permission out of "any" is.
    let r = call(
        &mut host,
        "POST",
        "ai/tokens/",
        &[("Authorization", &ann_h)],
        Some(json!({"permissions": ["content.edit"]})),
    );
    let agent = format!(
        "AgentBearer {}",
        r.json_body()["raw_token"].as_str().unwrap()
    );
    let agent_a = [("Authorization", agent.as_str())];
    let cleared = |mut reqs: Vec<Requirement>, permission: Option<&str>| {
        reqs.push(Requirement::AgentClearance {
            permission: permission.map(str::to_owned),
            human_approval: false,
        });
        reqs
    };
    let allowed = guard_at(
        &mut host,
        ip,
        &agent_a,
        cleared(any_perm(&["content.edit"]), None),
    );
    assert_eq!(outcome(&allowed).0, 200);
    let two = any_perm(&["system.logs", "content.edit"]);
    assert_eq!(
        outcome(&guard_at(
            &mut host,
            ip,
            &agent_a,
            cleared(two.clone(), Some("content.edit"))
        ))
        .0,
        200
    );
    assert_eq!(
        outcome(&guard_at(&mut host, ip, &agent_a, cleared(two, None))),
        (403, "agent_permission_denied".into())
    );
    assert_eq!(
        outcome(&guard_at(
            &mut host,
            ip,
            &agent_a,
            cleared(any_perm(&["system.logs"]), Some("content.edit"))
        )),
        (403, "agent_permission_denied".into())
    );
    for reqs in [any_role(&["editor"]), phone()] {
        assert_eq!(
            outcome(&guard_at(&mut host, ip, &agent_a, cleared(reqs, None))),
            (403, "agent_permission_denied".into())
        );
    }
    // Without clearance an agent is refused whatever the requirement.
    assert_eq!(
        outcome(&guard_at(
            &mut host,
            ip,
            &agent_a,
            any_perm(&["content.edit"])
        )),
        (403, "agent_permission_denied".into())
    );

    // The JSON forms (what the bindings send).
    let parsed: Vec<Requirement> = serde_json::from_value(json!([
        {"type": "any_permission", "codes": ["a.b"]},
        {"type": "any_role", "codes": ["editor"]},
        {"type": "verified_phone"},
        {"type": "org_member"},
        {"type": "org_role", "code": "owner"},
        {"type": "org_role", "code": "owner", "inherit": false},
        {"type": "rate_limit", "scope": "v", "max_requests": 3, "window_secs": 60},
    ]))
    .unwrap();
    assert_eq!(
        parsed[4],
        Requirement::OrgRole {
            code: "owner".into(),
            inherit: true
        }
    );
    assert_eq!(
        parsed[6],
        Requirement::RateLimit {
            scope: "v".into(),
            max_requests: 3,
            window_secs: 60
        }
    );
    assert!(serde_json::from_value::<Requirement>(json!({"type": "org_role"})).is_err());
}

#[test]
fn the_guard_checks_org_membership_and_org_roles_with_or_without_inheritance() {
    use tenxyte_core::http::guard::Requirement;
    use tenxyte_core::store::{keys, Expect, Op, SyncStore};
    let mut host = Host::new(json!({"organizations": {"enabled": true}}));
    let mut tokens = std::collections::HashMap::new();
    let mut ids = std::collections::HashMap::new();
    for name in ["ann", "bob", "cat", "dan", "eve", "fay"] {
        let (t, reg) = signup(&mut host, &format!("{name}@example.com"));
        tokens.insert(name, bearer(&t));
        ids.insert(name, user_id(&reg));
    }
    let ann_raw = tokens["ann"].trim_start_matches("Bearer ").to_owned();
    let create = host.engine.create_organization(
        ann_raw.clone(),
        serde_json::from_value(json!({"name": "Acme", "slug": "acme"})).unwrap(),
        host.ctx(),
    );
    let acme = host.run(create).unwrap();
    let child = host.engine.create_child_organization(
        ann_raw,
        acme.id.clone(),
        serde_json::from_value(json!({"name": "Acme EU", "slug": "acme-eu"})).unwrap(),
        host.ctx(),
    );
    host.run(child).unwrap();
    // In acme (the parent) only: bob admin, cat member, dan suspended, eve owner.
    for (name, role, status) in [
        ("bob", "admin", "active"),
        ("cat", "member", "active"),
        ("dan", "member", "suspended"),
        ("eve", "owner", "active"),
    ] {
        host.store.execute(&Op::Put {
            ns: keys::ORG_MEMBERSHIPS.into(),
            key: keys::membership(&acme.id, &ids[name]),
            value: json!({"org_id": acme.id, "user_id": ids[name], "role": role,
                          "status": status, "joined_at": 0}),
            ttl_secs: None,
            expect: Expect::Any,
        });
    }
    let ip = "198.51.100.2";
    let mut check = |who: &str, slug: Option<&str>, req: Requirement| {
        let mut headers = vec![("Authorization", tokens[who].as_str())];
        if let Some(s) = slug {
            headers.push(("X-Org-Slug", s));
        }
        let d = guard_at(&mut host, ip, &headers, vec![req]);
        let reason = match &d {
            tenxyte_core::http::guard::GuardDecision::Respond { response } => response.json_body()
                ["details"]["reason"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            tenxyte_core::http::guard::GuardDecision::Allow { .. } => String::new(),
        };
        let (status, code) = outcome(&d);
        (status, code, reason)
    };
    let ok = || (200, String::new(), String::new());
    let denied = |reason: &str| (403, "org_permission_denied".to_owned(), reason.to_owned());
    let role = |code: &str, inherit: bool| Requirement::OrgRole {
        code: code.into(),
        inherit,
    };

    // Membership (and the organization context it needs).
    let member = || Requirement::OrgMember;
    assert_eq!(check("cat", Some("acme"), member()), ok());
    assert_eq!(check("cat", Some("acme-eu"), member()), ok(), "inherited");
    assert_eq!(check("ann", Some("acme-eu"), member()), ok());
    assert_eq!(
        check("dan", Some("acme"), member()),
        denied("membership_suspended")
    );
    assert_eq!(check("fay", Some("acme"), member()), denied("not_a_member"));
    assert_eq!(
        check("cat", None, member()),
        (400, "org_context_required".into(), String::new())
    );
    assert_eq!(
        check("cat", Some("nowhere"), member()),
        (404, "org_not_found".into(), String::new())
    );
    let perm = Requirement::OrgPermission {
        code: "org.read".into(),
    };
    assert_eq!(check("cat", None, perm).1, "org_context_required");

    // An exact role, inherited or not.
    assert_eq!(check("cat", Some("acme"), role("member", true)), ok());
    assert_eq!(check("cat", Some("acme-eu"), role("member", true)), ok());
    assert_eq!(
        check("cat", Some("acme-eu"), role("member", false)),
        denied("not_a_member")
    );
    assert_eq!(
        check("bob", Some("acme"), role("member", true)),
        denied("role_not_held")
    );
    assert_eq!(
        check("fay", Some("acme"), role("viewer", true)),
        denied("not_a_member")
    );
    assert_eq!(
        check("cat", Some("acme"), role("nope", true)),
        (404, "org_role_not_found".into(), "unknown_role".into())
    );

    // require_org_owner: owner of this very organization.
    let owner = || role("owner", false);
    assert_eq!(check("ann", Some("acme-eu"), owner()), ok());
    assert_eq!(check("eve", Some("acme"), owner()), ok());
    assert_eq!(
        check("eve", Some("acme-eu"), owner()),
        denied("not_a_member")
    );
    assert_eq!(check("bob", Some("acme"), owner()), denied("role_not_held"));

    // require_org_admin: admin or owner, an ancestor's counting.
    let admin = || role("admin", true);
    assert_eq!(check("bob", Some("acme"), admin()), ok());
    assert_eq!(check("bob", Some("acme-eu"), admin()), ok());
    assert_eq!(
        check("eve", Some("acme-eu"), admin()),
        ok(),
        "an ancestor's owner"
    );
    assert_eq!(check("ann", Some("acme"), admin()), ok());
    assert_eq!(check("cat", Some("acme"), admin()), denied("role_not_held"));
    assert_eq!(
        check("dan", Some("acme"), admin()),
        denied("membership_suspended")
    );
    assert_eq!(
        check("bob", Some("acme-eu"), role("admin", false)),
        denied("not_a_member")
    );

    // With role_inheritance off, inherit asks for nothing more than the settings allow.
    let mut flat =
        Host::new(json!({"organizations": {"enabled": true, "role_inheritance": false}}));
    let (t, _) = signup(&mut flat, "ann@example.com");
    let create = flat.engine.create_organization(
        t.clone(),
        serde_json::from_value(json!({"name": "Top", "slug": "top"})).unwrap(),
        flat.ctx(),
    );
    let top = flat.run(create).unwrap();
    let (c, creg) = signup(&mut flat, "cat@example.com");
    flat.store.execute(&Op::Put {
        ns: keys::ORG_MEMBERSHIPS.into(),
        key: keys::membership(&top.id, &user_id(&creg)),
        value: json!({"org_id": top.id, "user_id": user_id(&creg), "role": "admin",
                      "status": "active", "joined_at": 0}),
        ttl_secs: None,
        expect: Expect::Any,
    });
    let child = flat.engine.create_child_organization(
        t,
        top.id.clone(),
        serde_json::from_value(json!({"name": "Sub", "slug": "sub"})).unwrap(),
        flat.ctx(),
    );
    flat.run(child).unwrap();
    let c_h = bearer(&c);
    let at = |slug: &'static str| [("Authorization", c_h.clone()), ("X-Org-Slug", slug.into())];
    for (slug, want) in [("top", 200), ("sub", 403)] {
        let h = at(slug);
        let h: Vec<(&str, &str)> = h.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(
            outcome(&guard_at(&mut flat, ip, &h, vec![role("admin", true)])).0,
            want
        );
        assert_eq!(
            outcome(&guard_at(&mut flat, ip, &h, vec![Requirement::OrgMember])).0,
            want
        );
    }

    // Agents never pass organization requirements, even with clearance.
    let r = call(
        &mut host,
        "POST",
        "ai/tokens/",
        &[("Authorization", &tokens["ann"])],
        Some(json!({"permissions": ["content.view"]})),
    );
    let agent = format!(
        "AgentBearer {}",
        r.json_body()["raw_token"].as_str().unwrap()
    );
    for req in [member(), owner(), admin()] {
        let d = guard_at(
            &mut host,
            ip,
            &[("Authorization", &agent), ("X-Org-Slug", "acme")],
            vec![
                req,
                Requirement::AgentClearance {
                    permission: None,
                    human_approval: false,
                },
            ],
        );
        assert_eq!(outcome(&d), (403, "agent_permission_denied".into()));
    }

    // Organizations switched off.
    let mut off = Host::new(json!({}));
    let (t, _) = signup(&mut off, "ann@example.com");
    let h = bearer(&t);
    let d = guard_at(
        &mut off,
        ip,
        &[("Authorization", &h), ("X-Org-Slug", "acme")],
        vec![Requirement::OrgMember],
    );
    assert_eq!(outcome(&d).1, "org_disabled");
}

#[test]
fn the_guard_rate_limits_per_scope_and_caller_with_retry_after() {
    use tenxyte_core::http::guard::{GuardDecision, Principal, Requirement};
    let mut host = Host::new(json!({"rate_limit": {"enabled": false}}));
    let (ann, reg) = signup(&mut host, "ann@example.com");
    let (bob, _) = signup(&mut host, "bob@example.com");
    let ann_id = user_id(&reg);
    patch_user(&mut host, &ann_id, |u| u["roles"] = json!(["editor"]));
    let (ann_h, bob_h) = (bearer(&ann), bearer(&bob));
    let limit = |scope: &str| Requirement::RateLimit {
        scope: scope.into(),
        max_requests: 2,
        window_secs: 60,
    };
    let ip = "198.51.100.3";
    let ann_a = [("Authorization", ann_h.as_str())];

    // Two calls a minute per user; the third answers 429 with Retry-After, whatever
    // rate_limit.enabled says. Another user and another scope count apart.
    let reqs = || vec![limit("reports"), Requirement::Authenticated];
    for _ in 0..2 {
        assert_eq!(outcome(&guard_at(&mut host, ip, &ann_a, reqs())).0, 200);
    }
    let GuardDecision::Respond { response } = guard_at(&mut host, ip, &ann_a, reqs()) else {
        panic!("the third call passed")
    };
    assert_eq!(
        (response.status, code(&response).as_str()),
        (429, "too_many_requests")
    );
    let wait: i64 = response
        .headers
        .iter()
        .find(|(k, _)| k == "Retry-After")
        .map(|(_, v)| v.parse().unwrap())
        .expect("Retry-After");
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(response.json_body()["details"]["retry_after"], json!(wait));
    assert_eq!(
        outcome(&guard_at(
            &mut host,
            ip,
            &[("Authorization", &bob_h)],
            reqs()
        ))
        .0,
        200
    );
    assert_eq!(
        outcome(&guard_at(&mut host, ip, &ann_a, vec![limit("exports")])).0,
        200
    );
    // A refused call of a known user still counts (counted before the other checks).
    let logs = || {
        vec![
            limit("logs"),
            Requirement::Permission {
                code: "system.logs".into(),
            },
        ]
    };
    assert_eq!(
        outcome(&guard_at(&mut host, ip, &ann_a, logs())).1,
        "permission_required"
    );
    assert_eq!(
        outcome(&guard_at(&mut host, ip, &ann_a, logs())).1,
        "permission_required"
    );
    assert_eq!(
        outcome(&guard_at(&mut host, ip, &ann_a, logs())).1,
        "too_many_requests"
    );

    // The next window opens the route again.
    host.advance(wait);
    assert_eq!(outcome(&guard_at(&mut host, ip, &ann_a, reqs())).0, 200);

    // Without a token: a rate-limit-only guard passes anonymously, counted per IP.
    let anonymous = |d: &GuardDecision| {
        matches!(
            d,
            GuardDecision::Allow {
                principal: Principal::Anonymous { .. }
            }
        )
    };
    for _ in 0..2 {
        assert!(anonymous(&guard_at(
            &mut host,
            "192.0.2.1",
            &[],
            vec![limit("public")]
        )));
    }
    assert_eq!(
        outcome(&guard_at(
            &mut host,
            "192.0.2.1",
            &[],
            vec![limit("public")]
        )),
        (429, "too_many_requests".into())
    );
    assert!(anonymous(&guard_at(
        &mut host,
        "192.0.2.2",
        &[],
        vec![limit("public")]
    )));
    // Next to another requirement a token is needed.
    assert_eq!(
        outcome(&guard_at(&mut host, "192.0.2.3", &[], reqs())),
        (401, "not_authenticated".into())
    );
    // A window of 0 seconds is a host mistake, refused.
    let zero = Requirement::RateLimit {
        scope: "z".into(),
        max_requests: 5,
        window_secs: 0,
    };
    assert_eq!(
        outcome(&guard_at(&mut host, ip, &ann_a, vec![zero])),
        (400, "invalid_input".into())
    );

    // An agent counts against its delegating user.
    let r = call(
        &mut host,
        "POST",
        "ai/tokens/",
        &[("Authorization", &ann_h)],
        Some(json!({"permissions": ["content.edit"]})),
    );
    let agent = format!(
        "AgentBearer {}",
        r.json_body()["raw_token"].as_str().unwrap()
    );
    let agent_a = [("Authorization", agent.as_str())];
    let as_agent = || {
        vec![
            limit("shared"),
            Requirement::AgentClearance {
                permission: Some("content.edit".into()),
                human_approval: false,
            },
        ]
    };
    assert_eq!(
        outcome(&guard_at(&mut host, ip, &ann_a, vec![limit("shared")])).0,
        200
    );
    assert_eq!(
        outcome(&guard_at(&mut host, ip, &agent_a, as_agent())).0,
        200
    );
    assert_eq!(
        outcome(&guard_at(&mut host, ip, &agent_a, as_agent())),
        (429, "too_many_requests".into())
    );
    assert_eq!(
        outcome(&guard_at(&mut host, ip, &ann_a, vec![limit("shared")])),
        (429, "too_many_requests".into())
    );
}
