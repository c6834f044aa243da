#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Every route of `ROUTES`, through `Engine::handle`: at least one happy path and one
//! meaningful error each (status and `code` asserted), every successful body validated
//! against its route's success schema in the served OpenAPI document (strictly: a field
//! the document does not list fails too), every error body against `Error`.
//! `every_route_is_covered` fails when a route of `ROUTES` misses either.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use common::{Host, PASSWORD};
use serde_json::{json, Value};
use tenxyte_core::http::{Request, Response, RouteSpec, ROUTES};
use tenxyte_core::otp::{OtpSecret, Totp};

const P: &str = "/api/v1/auth/";

/// Which outcomes a route was seen with.
#[derive(Debug, Default, Clone, Copy)]
struct Seen {
    ok: bool,
    error: bool,
}

type Coverage = BTreeMap<&'static str, Seen>;

/// A host plus the served OpenAPI document, recording every route hit.
struct Api {
    host: Host,
    components: Value,
    validators: HashMap<String, jsonschema::Validator>,
    seen: Coverage,
}

/// Adds `additionalProperties: false` to every object schema that lists properties, so an
/// undocumented field in a response fails the validation.
fn strict(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if m.contains_key("properties") && !m.contains_key("additionalProperties") {
                m.insert("additionalProperties".into(), json!(false));
            }
            m.values_mut().for_each(strict);
        }
        Value::Array(a) => a.iter_mut().for_each(strict),
        _ => {}
    }
}

/// The route a concrete request resolves to: the router's matching (first match in
/// `ROUTES`, `{param}` segments non-empty, a missing trailing slash tolerated).
fn route_of(method: &str, path: &str) -> Option<&'static RouteSpec> {
    let matches = |pattern: &str| {
        let full = if pattern.starts_with('/') {
            pattern.to_owned()
        } else {
            format!("{P}{pattern}")
        };
        let p: Vec<&str> = full.trim_end_matches('/').split('/').collect();
        let q: Vec<&str> = path.trim_end_matches('/').split('/').collect();
        p.len() == q.len()
            && p.iter().zip(&q).all(|(a, b)| {
                if a.starts_with('{') && a.ends_with('}') {
                    !b.is_empty()
                } else {
                    a == b
                }
            })
    };
    ROUTES
        .iter()
        .find(|r| matches(r.path) && r.method.eq_ignore_ascii_case(method))
}

/// The absolute path of a test path (relative to the prefix unless absolute), no query.
fn full(path: &str) -> String {
    let path = path.split('?').next().unwrap_or(path);
    if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("{P}{path}")
    }
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn agent(token: &str) -> String {
    format!("AgentBearer {token}")
}

fn s(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_owned()
}

impl Api {
    fn new(overrides: Value) -> Api {
        let base = json!({
            "organizations": {"enabled": true},
            "magic_link": {"enabled": true},
            "otp": {"login_enabled": true},
            "agents": {"confirmation_required": ["content.publish"]}
        });
        let mut settings = base;
        merge(&mut settings, overrides);
        let host = Host::new(settings);
        // The document `docs/schema/` serves (checked equal in `applications`).
        let doc = tenxyte_core::http::openapi::document(&host.engine);
        let mut components = doc["components"].clone();
        assert!(components["schemas"].is_object());
        strict(&mut components);
        Api {
            host,
            components,
            validators: HashMap::new(),
            seen: Coverage::new(),
        }
    }

    fn validate(&mut self, schema: &str, body: &Value, what: &str) {
        if !self.validators.contains_key(schema) {
            assert!(
                self.components["schemas"].get(schema).is_some(),
                "no schema {schema}"
            );
            let root = json!({
                "$ref": format!("#/components/schemas/{schema}"),
                "components": self.components,
            });
            let v = jsonschema::draft202012::new(&root)
                .unwrap_or_else(|e| panic!("schema {schema} does not compile: {e}"));
            self.validators.insert(schema.to_owned(), v);
        }
        let v = &self.validators[schema];
        let errors: Vec<String> = v
            .iter_errors(body)
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect();
        assert!(
            errors.is_empty(),
            "{what}: the body does not match {schema}: {errors:#?}\nbody: {body:#}"
        );
    }

    /// Sends a request (`path` relative to the prefix unless absolute, `?query` allowed).
    fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Response {
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        let path = if path.starts_with('/') {
            path.to_owned()
        } else {
            format!("{P}{path}")
        };
        let req = Request {
            method: method.into(),
            path,
            query: query.into(),
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            body: body
                .map(|b| serde_json::to_vec(&b).unwrap())
                .unwrap_or_default(),
            client_ip: Some("203.0.113.9".into()),
        };
        let flow = self.host.engine.handle(req, self.host.clock.now());
        self.host.run(flow).unwrap()
    }

    /// A request that must succeed with its route's status; the body is validated against
    /// the route's success schema and returned.
    fn ok(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Value {
        let route = route_of(method, &full(path))
            .unwrap_or_else(|| panic!("{method} {path} names no route"));
        let r = self.send(method, path, headers, body);
        let got = r.json_body();
        let what = format!("{method} {path}");
        let (status, schema) = if route.name == "ai_authorize" && r.status == 202 {
            (202, "AgentPendingApproval")
        } else {
            (route.status, route.response)
        };
        assert_eq!(r.status, status, "{what}: {got:#}");
        self.validate(schema, &got, &what);
        self.seen.entry(route.name).or_default().ok = true;
        got
    }

    /// A request that must fail with `status` and `code`; the body is validated against
    /// `Error` and returned.
    fn fails(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
        status: u16,
        code: &str,
    ) -> Value {
        let route = route_of(method, &full(path))
            .unwrap_or_else(|| panic!("{method} {path} names no route"));
        let r = self.send(method, path, headers, body);
        let got = r.json_body();
        let what = format!("{method} {path}");
        assert_eq!(
            (r.status, got["code"].as_str().unwrap_or_default()),
            (status, code),
            "{what}: {got:#}"
        );
        self.validate("Error", &got, &what);
        self.seen.entry(route.name).or_default().error = true;
        got
    }

    fn log_data(&self, to: &str) -> Value {
        self.host
            .log()
            .last_to(to)
            .unwrap_or_else(|| panic!("no message to {to}"))
            .message
            .data
    }

    /// Registers `email` (logged in); returns (access token, user id).
    fn signup(&mut self, email: &str) -> (String, String) {
        let r = self.ok(
            "POST",
            "register/",
            &[],
            Some(json!({"email": email, "password": PASSWORD, "login": true})),
        );
        (
            bearer(&s(&r["tokens"]["access_token"])),
            s(&r["user"]["id"]),
        )
    }

    fn login(&mut self, email: &str) -> String {
        let r = self.ok(
            "POST",
            "login/email/",
            &[],
            Some(json!({"email": email, "password": PASSWORD})),
        );
        bearer(&s(&r["access_token"]))
    }

    /// A superuser made by the host; returns its bearer header.
    fn root(&mut self) -> String {
        let boot = self.host.engine.bootstrap_superuser(
            "root@example.com".into(),
            PASSWORD.into(),
            self.host.ctx(),
        );
        self.host.run(boot).unwrap();
        self.login("root@example.com")
    }

    fn totp(&self, secret: &str) -> String {
        Totp::new(OtpSecret::from_base32(secret).unwrap())
            .code_at(self.host.clock.now())
            .unwrap()
    }
}

/// The `token` of a magic link's URL.
fn link_token(data: &Value) -> String {
    let link = s(&data["link"]);
    let (_, token) = link.split_once("?token=").expect("a ?token= link");
    token.to_owned()
}

fn merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                merge(b.entry(k).or_insert(Value::Null), v);
            }
        }
        (b, o) => *b = o,
    }
}

fn auth(h: &str) -> [(&'static str, &str); 1] {
    [("Authorization", h)]
}

// ---------------------------------------------------------------------------------------
// Accounts, sessions and tokens.

fn accounts() -> Coverage {
    let mut api = Api::new(json!({}));
    let (ann, _) = api.signup("ann@example.com");
    api.fails(
        "POST",
        "register/",
        &[],
        Some(json!({"email": "ann@example.com", "password": PASSWORD})),
        409,
        "email_taken",
    );
    // Registration without logging in answers `tokens: null`.
    let r = api.ok(
        "POST",
        "register/",
        &[],
        Some(json!({"phone": "+33612345678", "password": PASSWORD, "first_name": "Pat"})),
    );
    assert_eq!(r["tokens"], Value::Null);
    assert_eq!(r["user"]["phone"], json!("+33612345678"));

    let t = api.ok(
        "POST",
        "login/email/",
        &[],
        Some(json!({"email": "ann@example.com", "password": PASSWORD})),
    );
    assert_eq!(t["user"]["email"], json!("ann@example.com"));
    api.fails(
        "POST",
        "login/email/",
        &[],
        Some(json!({"email": "ann@example.com", "password": "Wrong-Horse-42!"})),
        401,
        "invalid_credentials",
    );
    let t2 = api.ok(
        "POST",
        "login/phone/",
        &[],
        Some(json!({"phone": "+33612345678", "password": PASSWORD})),
    );
    assert_eq!(t2["user"]["phone"], json!("+33612345678"));
    api.fails(
        "POST",
        "login/phone/",
        &[],
        Some(json!({"email": "ann@example.com", "password": PASSWORD})),
        400,
        "invalid_input",
    );

    let old_refresh = s(&t["refresh_token"]);
    let rotated = api.ok(
        "POST",
        "refresh/",
        &[],
        Some(json!({"refresh_token": old_refresh})),
    );
    assert_ne!(rotated["refresh_token"], t["refresh_token"]);
    api.fails(
        "POST",
        "refresh/",
        &[],
        Some(json!({"refresh_token": "txr_not-a-real-token"})),
        401,
        "refresh_token_invalid",
    );

    let me = api.ok("GET", "me/", &auth(&ann), None);
    assert_eq!(me["email"], json!("ann@example.com"));
    api.fails(
        "GET",
        "me/",
        &auth("Bearer not.a.jwt"),
        None,
        401,
        "malformed",
    );
    let roles = api.ok("GET", "me/roles/", &auth(&ann), None);
    assert_eq!(roles["roles"], json!(["viewer"]));
    api.fails("GET", "me/roles/", &[], None, 401, "not_authenticated");

    // Logout with the session's refresh token; then the access token is revoked.
    let access = bearer(&s(&rotated["access_token"]));
    let r = api.ok(
        "POST",
        "logout/",
        &auth(&access),
        Some(json!({"refresh_token": rotated["refresh_token"]})),
    );
    assert_eq!(r["message"], json!("logged out"));
    api.fails("POST", "logout/", &[], None, 401, "not_authenticated");
    api.fails(
        "POST",
        "logout/all/",
        &auth(&access),
        None,
        401,
        "token_revoked",
    );
    let r = api.ok("POST", "logout/all/", &auth(&ann), None);
    assert!(r["sessions_ended"].as_u64().unwrap() >= 1);
    api.fails("GET", "me/", &auth(&ann), None, 401, "token_revoked");
    api.seen
}

// ---------------------------------------------------------------------------------------
// Passwords, 2FA, magic links, verification codes, passwordless login.

fn passwords() -> Coverage {
    let mut api = Api::new(json!({}));
    let (ann, _) = api.signup("ann@example.com");
    let r = api.ok(
        "POST",
        "password/strength/",
        &[],
        Some(json!({"password": "abc", "email": "ann@example.com"})),
    );
    assert_eq!(r["valid"], json!(false));
    assert_eq!(r["violations"][0]["code"], json!("too_short"));
    api.fails(
        "POST",
        "password/strength/",
        &[],
        Some(json!({"email": "ann@example.com"})),
        400,
        "invalid_input",
    );
    let r = api.ok("GET", "password/requirements/", &[], None);
    assert!(r["min_length"].as_u64().unwrap() >= 8);

    let new_password = "Battery-Staple-77?";
    api.fails(
        "POST",
        "password/change/",
        &auth(&ann),
        Some(json!({"old_password": "Not-The-Password-1", "new_password": new_password})),
        401,
        "invalid_credentials",
    );
    let r = api.ok(
        "POST",
        "password/change/",
        &auth(&ann),
        Some(json!({"old_password": PASSWORD, "new_password": new_password})),
    );
    assert!(r["sessions_ended"].as_u64().unwrap() >= 1);

    let sent = api.ok(
        "POST",
        "password/reset/request/",
        &[],
        Some(json!({"email": "ann@example.com"})),
    );
    api.fails(
        "POST",
        "password/reset/request/",
        &[],
        Some(json!({"email": "ann@example.com", "phone": "+33612345678"})),
        400,
        "invalid_input",
    );
    let code = s(&api.log_data("ann@example.com")["code"]);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    api.fails(
        "POST",
        "password/reset/confirm/",
        &[],
        Some(
            json!({"challenge_id": sent["challenge_id"], "code": wrong, "new_password": PASSWORD}),
        ),
        400,
        "invalid_code",
    );
    let r = api.ok(
        "POST",
        "password/reset/confirm/",
        &[],
        Some(json!({"challenge_id": sent["challenge_id"], "code": code, "new_password": PASSWORD})),
    );
    assert!(r["sessions_ended"].is_u64());
    api.seen
}

fn two_factor() -> Coverage {
    let mut api = Api::new(json!({}));
    let (ann, _) = api.signup("ann@example.com");
    api.fails(
        "POST",
        "2fa/backup-codes/",
        &auth(&ann),
        Some(json!({"code": "123456"})),
        400,
        "mfa_not_enabled",
    );
    let setup = api.ok("POST", "2fa/setup/", &auth(&ann), None);
    let secret = s(&setup["secret"]);
    assert_eq!(setup["backup_codes"].as_array().unwrap().len(), 10);
    let good = api.totp(&secret);
    let bad = if good == "000000" { "111111" } else { "000000" };
    api.fails(
        "POST",
        "2fa/confirm/",
        &auth(&ann),
        Some(json!({"code": bad})),
        400,
        "invalid_code",
    );
    let r = api.ok(
        "POST",
        "2fa/confirm/",
        &auth(&ann),
        Some(json!({"code": good})),
    );
    assert_eq!(r["enabled"], json!(true));
    api.fails(
        "POST",
        "2fa/setup/",
        &auth(&ann),
        None,
        409,
        "mfa_already_enabled",
    );
    api.host.advance(30);
    let code = api.totp(&secret);
    let r = api.ok(
        "POST",
        "2fa/backup-codes/",
        &auth(&ann),
        Some(json!({"code": code})),
    );
    assert_eq!(r["backup_codes"].as_array().unwrap().len(), 10);
    api.host.advance(30);
    let code = api.totp(&secret);
    api.fails(
        "POST",
        "2fa/disable/",
        &auth(&ann),
        Some(json!({"password": "Wrong-Horse-42!", "code": code})),
        401,
        "invalid_credentials",
    );
    let r = api.ok(
        "POST",
        "2fa/disable/",
        &auth(&ann),
        Some(json!({"password": PASSWORD, "code": code})),
    );
    assert_eq!(r["enabled"], json!(false));
    api.seen
}

fn magic_links() -> Coverage {
    let mut api = Api::new(json!({}));
    api.signup("ann@example.com");
    let url = "https://app.example.com/magic";
    let link_request = json!({"email": "ann@example.com", "validation_url": url});
    api.ok(
        "POST",
        "magic-link/request/",
        &[],
        Some(link_request.clone()),
    );
    api.fails(
        "POST",
        "magic-link/request/",
        &[],
        Some(json!({"email": "ann@example.com", "validation_url": "javascript:alert(1)"})),
        400,
        "invalid_input",
    );
    let token = link_token(&api.log_data("ann@example.com"));
    let t = api.ok(
        "GET",
        &format!("magic-link/verify/?token={token}"),
        &[],
        None,
    );
    assert_eq!(t["user"]["email_verified"], json!(true));
    api.fails(
        "GET",
        &format!("magic-link/verify/?token={token}"),
        &[],
        None,
        401,
        "magic_link_invalid",
    );
    api.ok("POST", "magic-link/request/", &[], Some(link_request));
    let token = link_token(&api.log_data("ann@example.com"));
    api.ok(
        "POST",
        "magic-link/verify/",
        &[],
        Some(json!({"token": token})),
    );
    api.fails(
        "POST",
        "magic-link/verify/",
        &[],
        Some(json!({"token": token})),
        401,
        "magic_link_invalid",
    );
    api.seen
}

fn verification_codes() -> Coverage {
    let mut api = Api::new(json!({}));
    let r = api.ok(
        "POST",
        "register/",
        &[],
        Some(json!({"email": "ann@example.com", "phone": "+33612345678", "password": PASSWORD, "login": true})),
    );
    let ann = bearer(&s(&r["tokens"]["access_token"]));
    api.fails(
        "POST",
        "otp/request/",
        &auth(&ann),
        Some(json!({"otp_type": "fax"})),
        400,
        "invalid_input",
    );
    let email = api.ok(
        "POST",
        "otp/request/",
        &auth(&ann),
        Some(json!({"otp_type": "email"})),
    );
    let email_code = s(&api.log_data("ann@example.com")["code"]);
    let phone = api.ok(
        "POST",
        "otp/request/",
        &auth(&ann),
        Some(json!({"otp_type": "phone"})),
    );
    let phone_code = s(&api.log_data("+33612345678")["code"]);
    // A challenge for the e-mail does not prove the phone.
    api.fails(
        "POST",
        "otp/verify/phone/",
        &auth(&ann),
        Some(json!({"challenge_id": email["challenge_id"], "code": email_code})),
        400,
        "challenge_invalid",
    );
    let wrong = if email_code == "000000" {
        "111111"
    } else {
        "000000"
    };
    api.fails(
        "POST",
        "otp/verify/email/",
        &auth(&ann),
        Some(json!({"challenge_id": email["challenge_id"], "code": wrong})),
        400,
        "invalid_code",
    );
    let r = api.ok(
        "POST",
        "otp/verify/email/",
        &auth(&ann),
        Some(json!({"challenge_id": email["challenge_id"], "code": email_code})),
    );
    assert_eq!(r["verified"], json!(true));
    api.ok(
        "POST",
        "otp/verify/phone/",
        &auth(&ann),
        Some(json!({"challenge_id": phone["challenge_id"], "code": phone_code})),
    );
    let me = api.ok("GET", "me/", &auth(&ann), None);
    assert_eq!(
        (&me["email_verified"], &me["phone_verified"]),
        (&json!(true), &json!(true))
    );

    // Passwordless login by SMS.
    api.fails(
        "POST",
        "login/otp/request/",
        &[],
        Some(json!({"phone": "0612345678"})),
        400,
        "invalid_input",
    );
    let sent = api.ok(
        "POST",
        "login/otp/request/",
        &[],
        Some(json!({"phone": "+33612345678"})),
    );
    let code = s(&api.log_data("+33612345678")["code"]);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    api.fails(
        "POST",
        "login/otp/verify/",
        &[],
        Some(json!({"challenge_id": sent["challenge_id"], "code": wrong})),
        400,
        "invalid_code",
    );
    let t = api.ok(
        "POST",
        "login/otp/verify/",
        &[],
        Some(json!({"challenge_id": sent["challenge_id"], "code": code})),
    );
    assert_eq!(t["user"]["phone"], json!("+33612345678"));
    api.seen
}

// ---------------------------------------------------------------------------------------
// RBAC administration.

fn rbac() -> Coverage {
    let mut api = Api::new(json!({}));
    let root = api.root();
    let (ann, ann_id) = api.signup("ann@example.com");
    let roles = api.ok("GET", "roles/", &auth(&root), None);
    assert!(roles
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["code"] == "editor"));
    api.fails(
        "GET",
        "roles/",
        &auth(&ann),
        None,
        403,
        "permission_required",
    );
    let perms = api.ok("GET", "permissions/", &auth(&root), None);
    assert!(perms.as_array().unwrap().len() > 3);
    api.fails(
        "GET",
        "permissions/",
        &auth(&ann),
        None,
        403,
        "permission_required",
    );

    let roles_path = format!("users/{ann_id}/roles/");
    let r = api.ok("GET", &roles_path, &auth(&root), None);
    assert_eq!(r["roles"], json!(["viewer"]));
    api.fails(
        "GET",
        "users/no-such-user/roles/",
        &auth(&root),
        None,
        404,
        "user_not_found",
    );
    let r = api.ok(
        "POST",
        &roles_path,
        &auth(&root),
        Some(json!({"role": "editor"})),
    );
    assert_eq!(r["roles"], json!(["viewer", "editor"]));
    api.fails(
        "POST",
        &roles_path,
        &auth(&ann),
        Some(json!({"role": "admin"})),
        403,
        "permission_required",
    );
    api.fails(
        "DELETE",
        &format!("{roles_path}wizard/"),
        &auth(&root),
        None,
        400,
        "invalid_input",
    );
    let r = api.ok(
        "DELETE",
        &format!("{roles_path}editor/"),
        &auth(&root),
        None,
    );
    assert_eq!(r["roles"], json!(["viewer"]));

    let perms_path = format!("users/{ann_id}/permissions/");
    api.fails(
        "GET",
        &perms_path,
        &auth(&ann),
        None,
        403,
        "permission_required",
    );
    api.fails(
        "POST",
        &perms_path,
        &auth(&root),
        Some(json!({"permission": "no.such.permission"})),
        400,
        "invalid_input",
    );
    let r = api.ok(
        "POST",
        &perms_path,
        &auth(&root),
        Some(json!({"permission": "content.publish"})),
    );
    assert_eq!(r["permissions"], json!(["content.publish"]));
    let r = api.ok("GET", &perms_path, &auth(&root), None);
    assert!(r["effective_permissions"]
        .as_array()
        .unwrap()
        .contains(&json!("content.publish")));
    api.fails(
        "DELETE",
        &format!("{perms_path}content.publish/"),
        &auth(&ann),
        None,
        403,
        "permission_required",
    );
    let r = api.ok(
        "DELETE",
        &format!("{perms_path}content.publish/"),
        &auth(&root),
        None,
    );
    assert_eq!(r["permissions"], json!([]));
    api.seen
}

// ---------------------------------------------------------------------------------------
// AIRS.

fn agents() -> Coverage {
    let mut api = Api::new(json!({}));
    let root = api.root();
    let (ann, ann_id) = api.signup("ann@example.com");
    let (bob, _) = api.signup("bob@example.com");
    api.ok(
        "POST",
        &format!("users/{ann_id}/roles/"),
        &auth(&root),
        Some(json!({"role": "editor"})),
    );
    api.ok(
        "POST",
        &format!("users/{ann_id}/permissions/"),
        &auth(&root),
        Some(json!({"permission": "content.publish"})),
    );

    api.fails(
        "POST",
        "ai/tokens/",
        &auth(&bob),
        Some(json!({"permissions": ["content.publish"]})),
        403,
        "scope_exceeds_delegator",
    );
    let created = api.ok(
        "POST",
        "ai/tokens/",
        &auth(&ann),
        Some(json!({
            "agent_id": "writer",
            "permissions": ["content.view", "content.publish"],
            "dead_mans_switch": {"heartbeat_every_secs": 600},
            "budget": {"limit_usd": "5.00"}
        })),
    );
    assert_eq!(created["token"]["token_hash"], json!(""));
    let id = s(&created["token"]["id"]);
    let raw = agent(&s(&created["raw_token"]));

    let page = api.ok("GET", "ai/tokens/?limit=10", &auth(&ann), None);
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    api.fails(
        "GET",
        "ai/tokens/?limit=ten",
        &auth(&ann),
        None,
        400,
        "invalid_input",
    );
    let one = api.ok("GET", &format!("ai/tokens/{id}/"), &auth(&ann), None);
    assert_eq!(one["agent_id"], json!("writer"));
    api.fails(
        "GET",
        &format!("ai/tokens/{id}/"),
        &auth(&bob),
        None,
        403,
        "not_delegating_user",
    );

    // The agent side.
    let ack = api.ok(
        "POST",
        &format!("ai/tokens/{id}/heartbeat/"),
        &auth(&raw),
        None,
    );
    assert_eq!(ack["token_id"], json!(id));
    api.fails(
        "POST",
        "ai/tokens/another-token/heartbeat/",
        &auth(&raw),
        None,
        404,
        "agent_token_not_found",
    );
    let r = api.ok(
        "POST",
        &format!("ai/tokens/{id}/report-usage/"),
        &auth(&raw),
        Some(json!({"cost_usd": "0.25"})),
    );
    assert_eq!(r["outcome"], json!("allowed"));
    api.fails(
        "POST",
        &format!("ai/tokens/{id}/report-usage/"),
        &auth(&raw),
        Some(json!({"cost_usd": -5})),
        400,
        "invalid_cost",
    );
    let sub = api.ok(
        "POST",
        "ai/tokens/sub-tokens/",
        &auth(&raw),
        Some(json!({"agent_id": "reader", "permissions": ["content.view"]})),
    );
    assert_eq!(sub["token"]["depth"], json!(1));
    assert_eq!(sub["token"]["parent_token_id"], json!(id));
    api.fails(
        "POST",
        "ai/tokens/sub-tokens/",
        &auth(&raw),
        Some(json!({"permissions": ["users.roles.assign"]})),
        403,
        "scope_exceeds_delegator",
    );

    let view = json!({"method": "GET", "path": "/api/articles", "permission": "content.view"});
    let r = api.ok("POST", "ai/authorize/", &auth(&raw), Some(view));
    assert_eq!(r["user_id"], json!(ann_id));
    api.fails(
        "POST",
        "ai/authorize/",
        &auth(&raw),
        Some(json!({"method": "DELETE", "path": "/api/users/1", "permission": "users.delete"})),
        403,
        "agent_permission_denied",
    );
    let publish = |n: u32| json!({"method": "POST", "path": format!("/api/articles/{n}/publish"), "body": "{}", "permission": "content.publish"});
    let first = api.ok("POST", "ai/authorize/", &auth(&raw), Some(publish(1)));
    let second = api.ok("POST", "ai/authorize/", &auth(&raw), Some(publish(2)));
    let pending = api.ok("GET", "ai/pending-actions/", &auth(&ann), None);
    assert_eq!(pending.as_array().unwrap().len(), 2);
    api.fails(
        "GET",
        "ai/pending-actions/",
        &auth(&raw),
        None,
        401,
        "not_authenticated",
    );
    let a1 = s(&first["pending_action_id"]);
    let a2 = s(&second["pending_action_id"]);
    api.fails(
        "POST",
        &format!("ai/pending-actions/{a1}/confirm/"),
        &auth(&bob),
        None,
        403,
        "not_delegating_user",
    );
    let r = api.ok(
        "POST",
        &format!("ai/pending-actions/{a1}/confirm/"),
        &auth(&ann),
        None,
    );
    assert_eq!(r["status"], json!("confirmed"));
    let r = api.ok(
        "POST",
        &format!("ai/pending-actions/{a2}/deny/"),
        &auth(&ann),
        None,
    );
    assert_eq!(r["status"], json!("denied"));
    api.fails(
        "POST",
        "ai/pending-actions/no-such-action/deny/",
        &auth(&ann),
        None,
        404,
        "pending_action_not_found",
    );
    let confirmation = s(&first["confirmation_token"]);
    let with = [
        ("Authorization", raw.as_str()),
        ("X-Action-Confirmation", confirmation.as_str()),
    ];
    api.ok("POST", "ai/authorize/", &with, Some(publish(1)));

    // The human's lifecycle routes.
    api.fails(
        "POST",
        &format!("ai/tokens/{id}/suspend/"),
        &auth(&bob),
        None,
        403,
        "not_delegating_user",
    );
    let r = api.ok(
        "POST",
        &format!("ai/tokens/{id}/suspend/"),
        &auth(&ann),
        None,
    );
    assert_eq!(
        (&r["status"], &r["suspended_reason"]),
        (&json!("suspended"), &json!("manual"))
    );
    api.fails(
        "POST",
        "ai/authorize/",
        &auth(&raw),
        Some(json!({"method": "GET", "path": "/x", "permission": "content.view"})),
        401,
        "agent_token_suspended",
    );
    api.fails(
        "POST",
        "ai/tokens/no-such-token/reactivate/",
        &auth(&ann),
        None,
        404,
        "agent_token_not_found",
    );
    let r = api.ok(
        "POST",
        &format!("ai/tokens/{id}/reactivate/"),
        &auth(&ann),
        None,
    );
    assert_eq!(r["status"], json!("active"));
    let r = api.ok(
        "POST",
        &format!("ai/tokens/{id}/revoke/"),
        &auth(&ann),
        None,
    );
    assert_eq!(r["status"], json!("revoked"));
    api.fails(
        "POST",
        "ai/tokens/no-such-token/revoke/",
        &auth(&ann),
        None,
        404,
        "agent_token_not_found",
    );
    api.fails(
        "POST",
        "ai/tokens/revoke-all/",
        &auth(&raw),
        None,
        401,
        "not_authenticated",
    );
    let r = api.ok("POST", "ai/tokens/revoke-all/", &auth(&ann), None);
    assert!(r["count"].is_u64());
    api.seen
}

// ---------------------------------------------------------------------------------------
// Organizations.

fn organizations() -> Coverage {
    let mut api = Api::new(json!({}));
    let (ann, ann_id) = api.signup("ann@example.com");
    let (bob, bob_id) = api.signup("bob@example.com");
    let (carol, _) = api.signup("carol@example.com");
    let acme = api.ok(
        "POST",
        "organizations/",
        &auth(&ann),
        Some(json!({"name": "Acme", "slug": "acme", "metadata": {"tier": "gold"}})),
    );
    let acme_id = s(&acme["id"]);
    api.fails(
        "POST",
        "organizations/",
        &auth(&bob),
        Some(json!({"name": "Acme again", "slug": "acme"})),
        409,
        "org_slug_taken",
    );
    let mine = api.ok("GET", "organizations/", &auth(&ann), None);
    assert_eq!(mine[0]["role"], json!("owner"));
    api.fails("GET", "organizations/", &[], None, 401, "not_authenticated");
    let roles = api.ok("GET", "organizations/roles/", &auth(&ann), None);
    assert!(roles
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["code"] == "owner"));
    api.fails(
        "GET",
        "organizations/roles/",
        &auth("Bearer nope"),
        None,
        401,
        "malformed",
    );
    let access = api.ok("GET", "organizations/by-slug/acme/", &auth(&ann), None);
    assert_eq!(
        (&access["role"], &access["via_org"]),
        (&json!("owner"), &json!(acme_id))
    );
    api.fails(
        "GET",
        "organizations/by-slug/nope/",
        &auth(&ann),
        None,
        404,
        "org_not_found",
    );

    // A child, moved to the top and back.
    let child = api.ok(
        "POST",
        &format!("organizations/{acme_id}/children/"),
        &auth(&ann),
        Some(json!({"name": "Acme EU", "slug": "acme-eu"})),
    );
    let child_id = s(&child["id"]);
    assert_eq!(child["parent_id"], json!(acme_id));
    api.fails(
        "POST",
        &format!("organizations/{acme_id}/children/"),
        &auth(&bob),
        Some(json!({"name": "Rogue", "slug": "rogue"})),
        403,
        "org_permission_denied",
    );
    api.fails(
        "POST",
        &format!("organizations/{acme_id}/move/"),
        &auth(&ann),
        Some(json!({"parent_id": child_id})),
        400,
        "org_cycle",
    );
    let moved = api.ok(
        "POST",
        &format!("organizations/{child_id}/move/"),
        &auth(&ann),
        Some(json!({"parent_id": null})),
    );
    assert_eq!(moved["parent_id"], Value::Null);
    api.ok(
        "POST",
        &format!("organizations/{child_id}/move/"),
        &auth(&ann),
        Some(json!({"parent_id": acme_id})),
    );
    let tree = api.ok(
        "GET",
        &format!("organizations/{acme_id}/tree/"),
        &auth(&ann),
        None,
    );
    assert_eq!(tree["children"][0]["organization"]["id"], json!(child_id));
    api.fails(
        "GET",
        "organizations/no-such-org/tree/",
        &auth(&ann),
        None,
        404,
        "org_not_found",
    );

    // Invitations: bob accepts, carol declines, one is withdrawn.
    let invite = |email: &str| json!({"email": email, "role": "member"});
    let inv = api.ok(
        "POST",
        &format!("organizations/{acme_id}/invitations/"),
        &auth(&ann),
        Some(invite("bob@example.com")),
    );
    assert_eq!(inv["status"], json!("pending"));
    api.fails(
        "POST",
        &format!("organizations/{acme_id}/invitations/"),
        &auth(&ann),
        Some(invite("bob@example.com")),
        409,
        "already_invited",
    );
    let bob_token = s(&api.log_data("bob@example.com")["token"]);
    api.fails(
        "POST",
        "organizations/invitations/accept/",
        &auth(&carol),
        Some(json!({"token": bob_token})),
        403,
        "invitation_email_mismatch",
    );
    let m = api.ok(
        "POST",
        "organizations/invitations/accept/",
        &auth(&bob),
        Some(json!({"token": bob_token})),
    );
    assert_eq!(
        (&m["role"], &m["status"]),
        (&json!("member"), &json!("active"))
    );
    api.ok(
        "POST",
        &format!("organizations/{acme_id}/invitations/"),
        &auth(&ann),
        Some(invite("carol@example.com")),
    );
    let carol_token = s(&api.log_data("carol@example.com")["token"]);
    let d = api.ok(
        "POST",
        "organizations/invitations/decline/",
        &auth(&carol),
        Some(json!({"token": carol_token})),
    );
    assert_eq!(d["status"], json!("declined"));
    api.fails(
        "POST",
        "organizations/invitations/decline/",
        &auth(&carol),
        Some(json!({"token": carol_token})),
        400,
        "invitation_invalid",
    );
    let dave = api.ok(
        "POST",
        &format!("organizations/{acme_id}/invitations/"),
        &auth(&ann),
        Some(invite("dave@example.com")),
    );
    let open = api.ok(
        "GET",
        &format!("organizations/{acme_id}/invitations/"),
        &auth(&ann),
        None,
    );
    // Every invitation still stored, any status.
    let statuses: BTreeSet<String> = open
        .as_array()
        .unwrap()
        .iter()
        .map(|i| s(&i["status"]))
        .collect();
    assert_eq!(
        statuses,
        BTreeSet::from(["accepted".into(), "declined".into(), "pending".into()])
    );
    api.fails(
        "GET",
        &format!("organizations/{acme_id}/invitations/"),
        &auth(&carol),
        None,
        403,
        "org_permission_denied",
    );
    let revoked = api.ok(
        "DELETE",
        &format!("organizations/{acme_id}/invitations/{}/", s(&dave["id"])),
        &auth(&ann),
        None,
    );
    assert_eq!(revoked["status"], json!("revoked"));
    api.fails(
        "DELETE",
        &format!("organizations/{acme_id}/invitations/no-such-invitation/"),
        &auth(&ann),
        None,
        400,
        "invitation_invalid",
    );

    // Members.
    let members = api.ok(
        "GET",
        &format!("organizations/{acme_id}/members/"),
        &auth(&ann),
        None,
    );
    assert_eq!(members.as_array().unwrap().len(), 2);
    api.fails(
        "GET",
        &format!("organizations/{acme_id}/members/"),
        &auth(&carol),
        None,
        403,
        "org_permission_denied",
    );
    let m = api.ok(
        "POST",
        &format!("organizations/{acme_id}/members/{bob_id}/role/"),
        &auth(&ann),
        Some(json!({"role": "admin"})),
    );
    assert_eq!(m["role"], json!("admin"));
    api.fails(
        "POST",
        &format!("organizations/{acme_id}/members/{ann_id}/role/"),
        &auth(&bob),
        Some(json!({"role": "member"})),
        403,
        "org_permission_denied",
    );
    api.fails(
        "POST",
        &format!("organizations/{acme_id}/leave/"),
        &auth(&ann),
        None,
        403,
        "org_last_owner",
    );
    let left = api.ok(
        "POST",
        &format!("organizations/{acme_id}/leave/"),
        &auth(&bob),
        None,
    );
    assert_eq!(left["user_id"], json!(bob_id));
    api.fails(
        "DELETE",
        &format!("organizations/{acme_id}/members/{bob_id}/"),
        &auth(&ann),
        None,
        403,
        "not_a_member",
    );
    // Bob back in, then removed by the owner.
    api.ok(
        "POST",
        &format!("organizations/{acme_id}/invitations/"),
        &auth(&ann),
        Some(invite("bob@example.com")),
    );
    let bob_token = s(&api.log_data("bob@example.com")["token"]);
    api.ok(
        "POST",
        "organizations/invitations/accept/",
        &auth(&bob),
        Some(json!({"token": bob_token})),
    );
    let removed = api.ok(
        "DELETE",
        &format!("organizations/{acme_id}/members/{bob_id}/"),
        &auth(&ann),
        None,
    );
    assert_eq!(removed["user_id"], json!(bob_id));
    api.seen
}

// ---------------------------------------------------------------------------------------
// Applications, audit, and the meta routes.

fn applications() -> Coverage {
    let mut api = Api::new(json!({}));
    let root = api.root();
    let (ann, _) = api.signup("ann@example.com");
    api.fails(
        "POST",
        "applications/",
        &auth(&root),
        Some(json!({"name": ""})),
        400,
        "invalid_input",
    );
    let created = api.ok(
        "POST",
        "applications/",
        &auth(&root),
        Some(json!({"name": "web", "allowed_origins": ["https://app.example.com"]})),
    );
    assert!(s(&created["access_secret"]).starts_with("txs_"));
    let id = s(&created["application"]["id"]);
    let list = api.ok("GET", "applications/", &auth(&root), None);
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["id"] == json!(id)));
    api.fails(
        "GET",
        "applications/",
        &auth(&ann),
        None,
        403,
        "permission_required",
    );
    let one = api.ok("GET", &format!("applications/{id}/"), &auth(&root), None);
    assert_eq!(one["name"], json!("web"));
    api.fails(
        "GET",
        "applications/no-such-app/",
        &auth(&root),
        None,
        404,
        "application_not_found",
    );
    let again = api.ok(
        "POST",
        &format!("applications/{id}/regenerate/"),
        &auth(&root),
        None,
    );
    assert_ne!(again["access_secret"], created["access_secret"]);
    api.fails(
        "POST",
        &format!("applications/{id}/regenerate/"),
        &auth(&ann),
        None,
        403,
        "permission_required",
    );
    let off = api.ok(
        "POST",
        &format!("applications/{id}/disable/"),
        &auth(&root),
        None,
    );
    assert_eq!(off["is_active"], json!(false));
    api.fails(
        "POST",
        "applications/no-such-app/disable/",
        &auth(&root),
        None,
        404,
        "application_not_found",
    );
    let on = api.ok(
        "POST",
        &format!("applications/{id}/enable/"),
        &auth(&root),
        None,
    );
    assert_eq!(on["is_active"], json!(true));
    api.fails(
        "POST",
        &format!("applications/{id}/enable/"),
        &auth(&ann),
        None,
        403,
        "permission_required",
    );

    let page = api.ok("GET", "audit/?limit=5", &auth(&ann), None);
    assert!(!page["items"].as_array().unwrap().is_empty());
    let all = api.ok("GET", "audit/?action=login", &auth(&root), None);
    assert!(all["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["action"] == "login"));
    api.fails(
        "GET",
        "audit/?agent_id=x",
        &auth(&ann),
        None,
        403,
        "permission_required",
    );

    let r = api.ok("GET", "health/", &[], None);
    assert_eq!(r["message"], json!("ok"));
    let served = api.ok("GET", "docs/schema/", &[], None);
    assert_eq!(
        served,
        tenxyte_core::http::openapi::document(&api.host.engine)
    );
    api.ok("GET", "/.well-known/jwks.json", &[], None);
    api.seen
}

/// With application credentials required everywhere (no exempt path), every public
/// route refuses a caller without them.
fn application_credentials() -> Coverage {
    let mut api = Api::new(json!({"application_auth": {"enabled": true, "exempt_paths": []}}));
    for (method, path) in [
        ("GET", "health/"),
        ("GET", "docs/schema/"),
        ("GET", "/.well-known/jwks.json"),
        ("GET", "password/requirements/"),
    ] {
        api.fails(method, path, &[], None, 401, "application_invalid");
    }
    api.seen
}

fn merge_coverage(into: &mut Coverage, from: Coverage) {
    for (name, seen) in from {
        let e = into.entry(name).or_default();
        e.ok |= seen.ok;
        e.error |= seen.error;
    }
}

#[test]
fn account_routes() {
    accounts();
}

#[test]
fn password_routes() {
    passwords();
}

#[test]
fn two_factor_routes() {
    two_factor();
}

#[test]
fn magic_link_routes() {
    magic_links();
}

#[test]
fn verification_code_routes() {
    verification_codes();
}

#[test]
fn rbac_routes() {
    rbac();
}

#[test]
fn agent_routes() {
    agents();
}

#[test]
fn organization_routes() {
    organizations();
}

#[test]
fn application_audit_and_meta_routes() {
    applications();
}

#[test]
fn public_routes_need_application_credentials_when_not_exempt() {
    application_credentials();
}

#[test]
fn every_route_is_covered() {
    let mut all = Coverage::new();
    for area in [
        accounts,
        passwords,
        two_factor,
        magic_links,
        verification_codes,
        rbac,
        agents,
        organizations,
        applications,
        application_credentials,
    ] {
        merge_coverage(&mut all, area());
    }
    let names: BTreeSet<&str> = ROUTES.iter().map(|r| r.name).collect();
    assert_eq!(names.len(), ROUTES.len(), "duplicate route names");
    let missing_ok: Vec<&str> = ROUTES
        .iter()
        .filter(|r| !all.get(r.name).is_some_and(|s| s.ok))
        .map(|r| r.name)
        .collect();
    let missing_error: Vec<&str> = ROUTES
        .iter()
        .filter(|r| !all.get(r.name).is_some_and(|s| s.error))
        .map(|r| r.name)
        .collect();
    assert!(
        missing_ok.is_empty() && missing_error.is_empty(),
        "routes without a happy path: {missing_ok:?}; without an error: {missing_error:?}"
    );
}

#[test]
fn the_route_matcher_agrees_with_the_router() {
    // Every route's own pattern, with its parameters filled in, maps back to itself, and
    // the router answers neither 404 nor 405 for it.
    let mut api = Api::new(json!({}));
    for r in ROUTES {
        let path: String = r
            .path
            .split('/')
            .map(|seg| if seg.starts_with('{') { "x" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        let full = if path.starts_with('/') {
            path.clone()
        } else {
            format!("{P}{path}")
        };
        assert_eq!(
            route_of(r.method, &full).map(|m| m.name),
            Some(r.name),
            "{} {full}",
            r.method
        );
        let got = api.send(r.method, &path, &[], None).json_body();
        let code = got["code"].as_str().unwrap_or_default();
        assert!(
            code != "route_not_found" && code != "method_not_allowed",
            "{} {full}: {got}",
            r.method
        );
    }
}

#[test]
fn a_body_off_its_schema_fails_the_validation() {
    let mut api = Api::new(json!({}));
    let (token, _) = api.signup("ann@example.com");
    let me = api.ok("GET", "me/", &auth(&token), None);
    let mut extra = me.clone();
    extra["password_hash"] = json!("argon2id$…");
    let mut missing = me.clone();
    missing.as_object_mut().unwrap().remove("mfa_enabled");
    let mut wrong_type = me;
    wrong_type["last_login"] = json!("yesterday");
    for bad in [extra, missing, wrong_type] {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            api.validate("Me", &bad, "tampered")
        }));
        assert!(outcome.is_err(), "accepted: {bad}");
    }
    let pending = json!({"outcome": "pending_approval", "pending_action_id": "a", "confirmation_token": "txp_x", "expires_at": "soon"});
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        api.validate("AgentOutcome", &pending, "tampered")
    }));
    assert!(outcome.is_err());
}
