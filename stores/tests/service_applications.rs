#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Application flows end to end on MemoryStore: who may manage, create, verify,
//! regenerate, disable/enable, list, get.

mod common;

use common::{login, register, Host};
use serde_json::{json, Value};
use tenxyte_core::service::applications::{ApplicationCredentials, CreateApplicationRequest};
use tenxyte_core::store::{keys, Expect, Op, OpResult, SyncStore};
use tenxyte_core::ErrorCode;

fn host() -> Host {
    Host::new(json!({"audit": {"enabled": true}}))
}

/// Registers and logs in `email`, after `edit` changed the stored user record.
fn user_with(host: &mut Host, email: &str, edit: impl Fn(&mut Value)) -> String {
    let id = register(host, email);
    let key = keys::user(&id);
    let got = host.store_mut().execute(&Op::Get {
        ns: keys::USERS.into(),
        key: key.clone(),
    });
    let OpResult::Got(Some(record)) = got else {
        panic!("{got:?}")
    };
    let mut value = record.value;
    edit(&mut value);
    let put = host.store_mut().execute(&Op::Put {
        ns: keys::USERS.into(),
        key,
        value,
        ttl_secs: None,
        expect: Expect::Any,
    });
    assert!(matches!(put, OpResult::Put(_)), "{put:?}");
    login(host, email).access_token
}

fn manager(host: &mut Host) -> String {
    // The parent code grants its children (`applications.view`, `.create`, …).
    user_with(host, "admin@example.com", |u| {
        u["permissions"] = json!(["applications"]);
    })
}

fn create(
    host: &mut Host,
    token: &str,
    name: &str,
) -> tenxyte_core::Result<ApplicationCredentials> {
    let flow = host.engine.create_application(
        token.into(),
        CreateApplicationRequest {
            name: name.into(),
            allowed_origins: vec!["https://App.Example".into()],
            ..CreateApplicationRequest::default()
        },
        host.ctx(),
    );
    host.run(flow)
}

fn verify(host: &mut Host, key: &str, secret: &str) -> tenxyte_core::Result<String> {
    let flow = host
        .engine
        .verify_application(key.into(), secret.into(), host.ctx());
    host.run(flow).map(|a| a.id)
}

fn code<T: std::fmt::Debug>(r: tenxyte_core::Result<T>) -> ErrorCode {
    r.expect_err("expected an error").code()
}

fn list_ns(host: &mut Host, ns: &str) -> Vec<Value> {
    let op = Op::List {
        ns: ns.into(),
        prefix: String::new(),
        limit: 1000,
        cursor: None,
    };
    match host.store_mut().execute(&op) {
        OpResult::Listed { items, .. } => items.into_iter().map(|(_, r)| r.value).collect(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn only_holders_of_the_permission_or_superusers_manage_applications() {
    let mut h = host();
    let plain = user_with(&mut h, "plain@example.com", |_| {});
    assert_eq!(
        code(create(&mut h, &plain, "x")),
        ErrorCode::PermissionRequired
    );
    let flow = h.engine.list_applications(plain.clone(), h.ctx());
    assert_eq!(code(h.run(flow)), ErrorCode::PermissionRequired);
    let root = user_with(&mut h, "root@example.com", |u| {
        u["is_superuser"] = json!(true)
    });
    create(&mut h, &root, "by superuser").unwrap();
    let admin = manager(&mut h);
    create(&mut h, &admin, "by manager").unwrap();
    // View-only may list, not regenerate.
    let viewer = user_with(&mut h, "viewer@example.com", |u| {
        u["permissions"] = json!(["applications.view"]);
    });
    let apps = h
        .run(h.engine.list_applications(viewer.clone(), h.ctx()))
        .unwrap();
    assert_eq!(apps.len(), 2);
    let flow = h
        .engine
        .regenerate_application_secret(viewer.clone(), apps[0].id.clone(), h.ctx());
    assert_eq!(code(h.run(flow)), ErrorCode::PermissionRequired);
    let flow = h
        .engine
        .disable_application(viewer, apps[0].id.clone(), h.ctx());
    assert_eq!(code(h.run(flow)), ErrorCode::PermissionRequired);
}

#[test]
fn create_returns_the_secret_once_and_stores_only_its_hash() {
    let mut h = host();
    let admin = manager(&mut h);
    let created = create(&mut h, &admin, "Mobile").unwrap();
    let app = &created.application;
    assert!(app.access_key.starts_with("txk_"));
    assert!(created.access_secret.starts_with("txs_"));
    assert!(app.is_active);
    assert_eq!(app.allowed_origins, ["https://app.example"]);
    let stored = list_ns(&mut h, keys::APPLICATIONS);
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].to_string().contains(&created.access_secret));
    assert_eq!(
        stored[0]["secret_hash"],
        json!(tenxyte_core::secret::hash(&created.access_secret))
    );
    let got = h
        .run(
            h.engine
                .get_application(admin.clone(), app.id.clone(), h.ctx()),
        )
        .unwrap();
    assert_eq!(&got, app);
    let flow = h
        .engine
        .get_application(admin.clone(), "nope".into(), h.ctx());
    assert_eq!(code(h.run(flow)), ErrorCode::ApplicationNotFound);
    for bad in ["", "   "] {
        assert_eq!(code(create(&mut h, &admin, bad)), ErrorCode::InvalidInput);
    }
    let flow = h.engine.create_application(
        admin,
        CreateApplicationRequest {
            name: "x".into(),
            allowed_origins: vec!["https://app.example/path".into()],
            ..CreateApplicationRequest::default()
        },
        h.ctx(),
    );
    assert_eq!(code(h.run(flow)), ErrorCode::InvalidInput);
    let audit = list_ns(&mut h, keys::AUDIT);
    assert!(audit
        .iter()
        .any(|a| a["action"] == json!("application_created")
            && a["details"]["app_id"] == json!(app.id)));
}

#[test]
fn verify_accepts_the_pair_and_refuses_anything_else_alike() {
    let mut h = host();
    let admin = manager(&mut h);
    let a = create(&mut h, &admin, "A").unwrap();
    let b = create(&mut h, &admin, "B").unwrap();
    let key = a.application.access_key.clone();
    assert_eq!(
        verify(&mut h, &key, &a.access_secret).unwrap(),
        a.application.id
    );
    for (k, s) in [
        (key.as_str(), b.access_secret.as_str()),
        (key.as_str(), ""),
        ("", a.access_secret.as_str()),
        ("txk_unknown", a.access_secret.as_str()),
        (b.application.access_key.as_str(), a.access_secret.as_str()),
    ] {
        assert_eq!(
            code(verify(&mut h, k, s)),
            ErrorCode::ApplicationInvalid,
            "{k:?} {s:?}"
        );
    }
    // Equal store work for an unknown key and a wrong secret.
    let mut unknown =
        h.engine
            .verify_application("txk_unknown".into(), a.access_secret.clone(), h.ctx());
    let mut wrong = h
        .engine
        .verify_application(key.clone(), b.access_secret.clone(), h.ctx());
    unknown.run(h.store_mut()).unwrap_err();
    wrong.run(h.store_mut()).unwrap_err();
    assert_eq!(unknown.transcript().len(), wrong.transcript().len());
}

#[test]
fn a_regenerated_secret_invalidates_the_old_one_at_once() {
    let mut h = host();
    let admin = manager(&mut h);
    let created = create(&mut h, &admin, "A").unwrap();
    let key = created.application.access_key.clone();
    let flow = h.engine.regenerate_application_secret(
        admin.clone(),
        created.application.id.clone(),
        h.ctx(),
    );
    let fresh = h.run(flow).unwrap();
    assert_ne!(fresh.access_secret, created.access_secret);
    assert_eq!(fresh.application.access_key, key);
    assert_eq!(fresh.application.secret_rotated_at, Some(h.ctx().now));
    assert_eq!(
        code(verify(&mut h, &key, &created.access_secret)),
        ErrorCode::ApplicationInvalid
    );
    verify(&mut h, &key, &fresh.access_secret).unwrap();
    let flow = h
        .engine
        .regenerate_application_secret(admin, "nope".into(), h.ctx());
    assert_eq!(code(h.run(flow)), ErrorCode::ApplicationNotFound);
}

#[test]
fn a_disabled_application_is_refused_until_enabled() {
    let mut h = host();
    let admin = manager(&mut h);
    let created = create(&mut h, &admin, "A").unwrap();
    let (id, key, secret) = (
        created.application.id.clone(),
        created.application.access_key.clone(),
        created.access_secret.clone(),
    );
    let off = h
        .run(
            h.engine
                .disable_application(admin.clone(), id.clone(), h.ctx()),
        )
        .unwrap();
    assert!(!off.is_active);
    assert_eq!(
        code(verify(&mut h, &key, &secret)),
        ErrorCode::ApplicationDisabled
    );
    // Without the secret, a disabled application looks like any wrong pair.
    assert_eq!(
        code(verify(&mut h, &key, "txs_wrong")),
        ErrorCode::ApplicationInvalid
    );
    h.run(h.engine.enable_application(admin, id.clone(), h.ctx()))
        .unwrap();
    assert_eq!(verify(&mut h, &key, &secret).unwrap(), id);
    let actions: Vec<String> = list_ns(&mut h, keys::AUDIT)
        .iter()
        .map(|a| a["action"].as_str().unwrap().to_owned())
        .collect();
    for action in ["application_disabled", "application_enabled"] {
        assert!(actions.iter().any(|a| a == action), "{action}");
    }
}
