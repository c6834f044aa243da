#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Register, login, refresh, logout and friends, end to end on MemoryStore.

mod common;

use common::{login, register, Host, PASSWORD};
use serde_json::json;
use tenxyte_core::service::auth::{LoginRequest, LogoutRequest, RegisterRequest};
use tenxyte_core::ErrorCode;

fn login_with(
    host: &mut Host,
    email: &str,
    password: &str,
) -> tenxyte_core::Result<tenxyte_core::service::sessions::TokenResponse> {
    let flow = host.engine.login(
        LoginRequest {
            email: Some(email.into()),
            password: password.into(),
            ..LoginRequest::default()
        },
        host.ctx(),
    );
    host.run(flow)
}

#[test]
fn quickstart_register_login_me_refresh_logout() {
    let mut host = Host::new(json!({}));
    let id = register(&mut host, "Ann@Example.com");
    let tokens = login(&mut host, "ann@example.com");
    assert_eq!(tokens.token_type, "Bearer");
    let me = host
        .run(host.engine.me(tokens.access_token.clone(), host.ctx()))
        .unwrap();
    assert_eq!(me.user["id"], json!(id));
    assert_eq!(me.user["email"], json!("ann@example.com"));
    assert!(me.user.get("password_hash").is_none());

    host.advance(10);
    let refresh = tokens.refresh_token.clone().unwrap();
    let next = host
        .run(host.engine.refresh(refresh.clone(), host.ctx()))
        .unwrap();
    assert_ne!(next.refresh_token.as_deref(), Some(refresh.as_str()));
    assert_eq!(next.session_id, tokens.session_id);

    // Logout blacklists the presented token and ends the session.
    let out = host.engine.logout(
        next.access_token.clone(),
        LogoutRequest::default(),
        host.ctx(),
    );
    host.run(out).unwrap();
    for token in [&next.access_token, &tokens.access_token] {
        let e = host
            .run(host.engine.me(token.clone(), host.ctx()))
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::TokenRevoked, "{e}");
    }
    let e = host
        .run(host.engine.refresh(next.refresh_token.unwrap(), host.ctx()))
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::RefreshTokenInvalid);
}

#[test]
fn reusing_a_rotated_refresh_token_revokes_the_family() {
    let mut host = Host::new(json!({}));
    register(&mut host, "bob@example.com");
    let first = login(&mut host, "bob@example.com");
    let stolen = first.refresh_token.clone().unwrap();
    let second = host
        .run(host.engine.refresh(stolen.clone(), host.ctx()))
        .unwrap();
    let e = host
        .run(host.engine.refresh(stolen, host.ctx()))
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::RefreshTokenReused);
    // The legitimate holder's newer tokens died with the family.
    let e = host
        .run(
            host.engine
                .refresh(second.refresh_token.unwrap(), host.ctx()),
        )
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::RefreshTokenInvalid);
    let e = host
        .run(host.engine.me(second.access_token, host.ctx()))
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::TokenRevoked);
}

#[test]
fn wrong_passwords_lock_the_account_and_unknown_users_look_the_same() {
    let mut host =
        Host::new(json!({"lockout": {"enabled": true, "max_attempts": 3, "duration_secs": 60}}));
    register(&mut host, "cy@example.com");
    let unknown = login_with(&mut host, "nobody@example.com", PASSWORD).unwrap_err();
    let wrong = login_with(&mut host, "cy@example.com", "nope").unwrap_err();
    assert_eq!(unknown.code(), ErrorCode::InvalidCredentials);
    assert_eq!(
        (unknown.code(), unknown.message()),
        (wrong.code(), wrong.message())
    );
    login_with(&mut host, "cy@example.com", "nope").unwrap_err();
    let third = login_with(&mut host, "cy@example.com", "nope").unwrap_err();
    assert_eq!(third.code(), ErrorCode::AccountLocked);
    // Even the right password is refused while locked.
    let e = login_with(&mut host, "cy@example.com", PASSWORD).unwrap_err();
    assert_eq!(e.code(), ErrorCode::AccountLocked);
    assert!(e.details().unwrap()["retry_after"].as_i64().unwrap() > 0);
    host.advance(61);
    login_with(&mut host, "cy@example.com", PASSWORD).unwrap();
}

#[test]
fn registration_refuses_duplicates_and_weak_passwords() {
    let mut host = Host::new(json!({}));
    register(&mut host, "dee@example.com");
    let again = host.engine.register(
        RegisterRequest {
            email: Some("DEE@example.com".into()),
            password: PASSWORD.into(),
            ..RegisterRequest::default()
        },
        host.ctx(),
    );
    assert_eq!(host.run(again).unwrap_err().code(), ErrorCode::EmailTaken);
    let weak = host.engine.register(
        RegisterRequest {
            email: Some("eve@example.com".into()),
            password: "password".into(),
            ..RegisterRequest::default()
        },
        host.ctx(),
    );
    assert_eq!(host.run(weak).unwrap_err().code(), ErrorCode::WeakPassword);
}

#[test]
fn logout_all_ends_every_session() {
    let mut host = Host::new(json!({}));
    register(&mut host, "fay@example.com");
    let a = login(&mut host, "fay@example.com");
    let b = login(&mut host, "fay@example.com");
    let done = host
        .run(host.engine.logout_all(a.access_token.clone(), host.ctx()))
        .unwrap();
    assert_eq!(done["sessions_ended"], json!(2));
    let e = host
        .run(host.engine.me(b.access_token, host.ctx()))
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::TokenRevoked);
}

#[test]
fn session_limits_deny_or_revoke_the_oldest() {
    let mut host = Host::new(
        json!({"sessions": {"limit_enabled": true, "max_sessions": 2, "limit_action": "deny"}}),
    );
    register(&mut host, "gil@example.com");
    login(&mut host, "gil@example.com");
    login(&mut host, "gil@example.com");
    let e = login_with(&mut host, "gil@example.com", PASSWORD).unwrap_err();
    assert_eq!(e.code(), ErrorCode::SessionLimitReached);

    let mut host = Host::new(
        json!({"sessions": {"limit_enabled": true, "max_sessions": 2, "limit_action": "revoke_oldest"}}),
    );
    register(&mut host, "gil@example.com");
    let first = login(&mut host, "gil@example.com");
    host.advance(1);
    let second = login(&mut host, "gil@example.com");
    host.advance(1);
    login(&mut host, "gil@example.com");
    assert_eq!(
        host.run(host.engine.me(first.access_token, host.ctx()))
            .unwrap_err()
            .code(),
        ErrorCode::TokenRevoked
    );
    host.run(host.engine.me(second.access_token, host.ctx()))
        .unwrap();
}
