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

#[test]
fn a_login_resumed_with_wrongly_typed_results_refuses_and_still_waits() {
    use tenxyte_core::drive::Step;
    use tenxyte_core::store::{OpResult, SyncStore};
    let mut host = Host::new(json!({}));
    register(&mut host, "hal@example.com");
    let mut flow = host.engine.login(
        LoginRequest {
            email: Some("hal@example.com".into()),
            password: PASSWORD.into(),
            ..LoginRequest::default()
        },
        host.ctx(),
    );
    let mut step = flow.start().unwrap();
    let mut answered = 0;
    loop {
        match step {
            Step::Done(result) => {
                result.unwrap();
                break;
            }
            Step::Need { seq, op } => {
                // Every wrong kind of answer is refused without advancing the flow.
                for wrong in [
                    OpResult::Deleted(true),
                    OpResult::Incremented(1),
                    OpResult::Got(None),
                    OpResult::Listed {
                        items: vec![],
                        next_cursor: None,
                    },
                ] {
                    if wrong.kind() == Some(op.kind()) {
                        continue;
                    }
                    let e = flow.resume(seq, wrong).unwrap_err();
                    assert_eq!(e.code(), ErrorCode::FlowProtocol);
                }
                let e = flow.resume(seq + 1, OpResult::Deleted(true)).unwrap_err();
                assert_eq!(e.code(), ErrorCode::FlowProtocol);
                let right = host.store.execute(&op);
                step = flow.resume(seq, right).unwrap();
                answered += 1;
            }
        }
    }
    assert_eq!(answered, flow.transcript().len());
}

#[test]
fn the_audit_trail_is_queryable_by_user_and_time_and_redacted() {
    use tenxyte_core::service::audit::AuditQuery;
    let mut host = Host::new(json!({}));
    let id = register(&mut host, "ida@example.com");
    host.advance(100);
    let since = host.clock.now();
    // Events order by second; within one second their order is unspecified.
    login(&mut host, "ida@example.com");
    host.advance(1);
    login_with(&mut host, "ida@example.com", "wrong").unwrap_err();
    login_with(&mut host, "nobody@example.com", "wrong").unwrap_err();
    let (engine, ctx) = (host.engine.clone(), host.ctx());
    let q = |q: AuditQuery| engine.audit_query(q, ctx.clone());
    let mine = host
        .run(q(AuditQuery {
            user_id: Some(id.clone()),
            ..AuditQuery::default()
        }))
        .unwrap();
    let actions: Vec<_> = mine.items.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["register", "login", "login_failed"]);
    let recent = host
        .run(q(AuditQuery {
            user_id: Some(id.clone()),
            since: Some(since),
            ..AuditQuery::default()
        }))
        .unwrap();
    assert_eq!(recent.items.len(), 2);
    let all = host
        .run(q(AuditQuery {
            action: Some("login_failed".into()),
            ..AuditQuery::default()
        }))
        .unwrap();
    assert_eq!(all.items.len(), 2);
    // The unknown identifier is redacted in the details.
    let unknown = all.items.iter().find(|e| e.user_id.is_none()).unwrap();
    assert_eq!(unknown.details["email"], json!("***REDACTED***"));
    assert_eq!(unknown.ip.as_deref(), Some("203.0.113.7"));
    // Paging: one at a time, in order, ending with no cursor.
    let mut cursor = None;
    let mut paged = Vec::new();
    loop {
        let page = host
            .run(q(AuditQuery {
                user_id: Some(id.clone()),
                limit: Some(1),
                cursor: cursor.clone(),
                ..AuditQuery::default()
            }))
            .unwrap();
        paged.extend(page.items.into_iter().map(|e| e.action));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(paged, ["register", "login", "login_failed"]);
}

#[test]
fn maintenance_purges_expired_records_orphans_and_old_audit_and_is_idempotent() {
    use tenxyte_core::service::maintenance::MaintenanceRequest;
    use tenxyte_core::store::{keys, Expect, Op, SyncStore};
    // Events written under a long retention, then the retention is shortened: the store's
    // TTL keeps them, so rotation must remove them.
    let mut host = Host::new(json!({"audit": {"retention_secs": 100_000}}));
    register(&mut host, "jo@example.com");
    let t = login(&mut host, "jo@example.com");
    let out = host
        .engine
        .logout(t.access_token, LogoutRequest::default(), host.ctx());
    host.run(out).unwrap();
    // A blacklist entry whose logical expiry passed but whose TTL is longer, and an index
    // entry pointing at nothing.
    host.store.execute(&Op::Put {
        ns: keys::JWT_BLACKLIST.into(),
        key: "old-jti".into(),
        value: json!({"exp": host.clock.now() - 1}),
        ttl_secs: Some(10_000),
        expect: Expect::Any,
    });
    host.store.execute(&Op::Put {
        ns: keys::USER_SESSIONS.into(),
        key: keys::user_session("u-x", "gone"),
        value: json!({}),
        ttl_secs: None,
        expect: Expect::Any,
    });
    host.advance(2000);
    host.engine = common::engine(json!({"audit": {"enabled": true, "retention_secs": 1000}}));
    let report = host
        .run(
            host.engine
                .maintenance(MaintenanceRequest::default(), host.ctx()),
        )
        .unwrap();
    assert_eq!(report.expired_removed, 1, "{report:?}");
    assert_eq!(report.orphans_removed, 1, "{report:?}");
    assert!(report.audit_removed >= 3, "{report:?}");
    assert!(!report.more);
    let again = host
        .run(
            host.engine
                .maintenance(MaintenanceRequest::default(), host.ctx()),
        )
        .unwrap();
    assert_eq!(
        (
            again.expired_removed,
            again.orphans_removed,
            again.audit_removed
        ),
        (0, 0, 0)
    );
}

#[test]
fn the_login_2fa_gate_needs_a_fresh_code_or_a_backup_code() {
    use tenxyte_core::otp::{OtpSecret, Totp};
    use tenxyte_core::store::{keys, Expect, Op, OpResult, SyncStore};
    let mut host = Host::new(json!({}));
    let id = register(&mut host, "kim@example.com");
    // Turn 2FA on directly in the record (the setup flow has its own tests).
    let secret = OtpSecret::from_bytes(vec![9u8; 20]).unwrap();
    let backup = "2345-6789-abcd";
    let OpResult::Got(Some(rec)) = host.store.execute(&Op::Get {
        ns: keys::USERS.into(),
        key: keys::user(&id),
    }) else {
        panic!()
    };
    let mut user = rec.value;
    user["mfa"] = json!({"enabled": true, "totp_secret": secret.to_base32(),
        "backup_codes": [tenxyte_core::password::backup_codes::hash_code(backup, &host.engine.settings().argon2_params()).unwrap()]});
    host.store.execute(&Op::Put {
        ns: keys::USERS.into(),
        key: keys::user(&id),
        value: user,
        ttl_secs: None,
        expect: Expect::Version(rec.version),
    });

    let with = |host: &Host, code: Option<&str>| {
        host.engine.login(
            LoginRequest {
                email: Some("kim@example.com".into()),
                password: PASSWORD.into(),
                totp_code: code.map(str::to_owned),
                ..LoginRequest::default()
            },
            host.ctx(),
        )
    };
    let e = host.run(with(&host, None)).unwrap_err();
    assert_eq!(e.code(), ErrorCode::MfaRequired);
    assert_eq!(
        host.run(with(&host, Some("000000"))).unwrap_err().code(),
        ErrorCode::InvalidCode
    );
    let code = Totp::new(secret).code_at(host.clock.now()).unwrap();
    host.run(with(&host, Some(&code))).unwrap();
    assert_eq!(
        host.run(with(&host, Some(&code))).unwrap_err().code(),
        ErrorCode::Replayed
    );
    host.run(with(&host, Some(backup))).unwrap();
    assert_eq!(
        host.run(with(&host, Some(backup))).unwrap_err().code(),
        ErrorCode::InvalidCode
    );
}
