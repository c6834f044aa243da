#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Account security end to end on MemoryStore: 2FA setup/confirm/disable and backup
//! codes, password change and reset, magic links, e-mail and phone verification.

mod common;

use common::{login, register, Host, PASSWORD};
use serde_json::{json, Value};
use tenxyte_core::otp::{OtpSecret, Totp};
use tenxyte_core::service::auth::{LoginRequest, RegisterRequest};
use tenxyte_core::service::codes::CodeSubmission;
use tenxyte_core::service::magic_link::{MagicLinkRequest, MagicLinkVerify, LINK_SENT};
use tenxyte_core::service::mfa::{DisableTwoFactor, TotpCode};
use tenxyte_core::service::password_flows::{
    ChangePassword, ResetConfirm, ResetRequest, RESET_SENT,
};
use tenxyte_core::service::sessions::TokenResponse;
use tenxyte_core::service::RequestContext;
use tenxyte_core::store::{Expect, HttpResponse, Op, OpResult, Record};
use tenxyte_core::ErrorCode;
use tenxyte_stores::Outbox;

const NEW_PASSWORD: &str = "Battery-Staple-97?";

fn login_code(
    host: &mut Host,
    email: &str,
    password: &str,
    code: Option<&str>,
) -> tenxyte_core::Result<TokenResponse> {
    let flow = host.engine.login(
        LoginRequest {
            email: Some(email.into()),
            password: password.into(),
            totp_code: code.map(str::to_owned),
            ..LoginRequest::default()
        },
        host.ctx(),
    );
    host.run(flow)
}

fn me_code(host: &mut Host, token: &str) -> Result<Value, ErrorCode> {
    let flow = host.engine.me(token.to_owned(), host.ctx());
    host.run(flow).map(|m| m.user).map_err(|e| e.code())
}

fn totp_now(host: &Host, secret: &str) -> String {
    Totp::new(OtpSecret::from_base32(secret).unwrap())
        .code_at(host.clock.now())
        .unwrap()
}

fn get(host: &Host, ns: &str, key: &str) -> Option<Record> {
    match host.memory.apply(&Op::Get {
        ns: ns.into(),
        key: key.into(),
    }) {
        OpResult::Got(r) => r,
        other => panic!("{other:?}"),
    }
}

fn put(host: &Host, ns: &str, key: &str, value: Value) {
    host.memory.apply(&Op::Put {
        ns: ns.into(),
        key: key.into(),
        value,
        ttl_secs: None,
        expect: Expect::Any,
    });
}

/// `(action, outcome, code)` of a user's audit events, oldest first.
/// An empty `user_id` lists every event.
fn audit(host: &Host, user_id: &str) -> Vec<(String, String, Option<String>)> {
    let (ns, prefix) = if user_id.is_empty() {
        ("audit", String::new())
    } else {
        ("audit_by_user", format!("{user_id}/"))
    };
    match host.memory.apply(&Op::List {
        ns: ns.into(),
        prefix,
        limit: 1000,
        cursor: None,
    }) {
        OpResult::Listed { items, .. } => items
            .into_iter()
            .map(|(_, r)| {
                (
                    r.value["action"].as_str().unwrap().to_owned(),
                    r.value["outcome"].as_str().unwrap().to_owned(),
                    r.value["code"].as_str().map(str::to_owned),
                )
            })
            .collect(),
        other => panic!("{other:?}"),
    }
}

fn has_event(host: &Host, user_id: &str, action: &str, outcome: &str) -> bool {
    audit(host, user_id)
        .iter()
        .any(|(a, o, _)| a == action && o == outcome)
}

/// Registers, logs in, sets up and confirms 2FA; returns (user id, tokens, secret,
/// backup codes). The clock is moved one TOTP step past the confirming code.
fn with_2fa(host: &mut Host, email: &str) -> (String, TokenResponse, String, Vec<String>) {
    let id = register(host, email);
    let tokens = login(host, email);
    let setup = host
        .run(
            host.engine
                .setup_2fa(tokens.access_token.clone(), host.ctx()),
        )
        .unwrap();
    let code = totp_now(host, &setup.secret);
    let flow = host
        .engine
        .confirm_2fa(tokens.access_token.clone(), TotpCode { code }, host.ctx());
    host.run(flow).unwrap();
    host.advance(30);
    (id, tokens, setup.secret, setup.backup_codes)
}

// --- 2FA -----------------------------------------------------------------------------

#[test]
fn two_factor_setup_confirm_login_and_replay() {
    let mut host = new_host(json!({}));
    let id = register(&mut host, "ann@example.com");
    let tokens = login(&mut host, "ann@example.com");
    let access = tokens.access_token.clone();

    let first = host
        .run(host.engine.setup_2fa(access.clone(), host.ctx()))
        .unwrap();
    assert!(first
        .otpauth_uri
        .starts_with("otpauth://totp/Tenxyte:ann%40example.com?secret="));
    assert!(first.otpauth_uri.contains(&first.secret));
    assert!(first.qr_svg.contains("<svg"));
    assert_eq!(first.backup_codes.len(), 10);
    // Only hashes are kept: no raw backup code or QR in the record.
    let stored = get(&host, "users", &id).unwrap().value;
    assert_eq!(stored["mfa"]["enabled"], json!(false));
    assert_eq!(stored["mfa"]["totp_secret"], json!(first.secret));
    let hashes = stored["mfa"]["backup_codes"].as_array().unwrap();
    assert_eq!(hashes.len(), 10);
    assert!(hashes
        .iter()
        .all(|h| h.as_str().unwrap().starts_with("$argon2id$")));
    assert!(!stored.to_string().contains(&first.backup_codes[0]));

    // A second setup while pending replaces the secret; a code of the old one fails.
    let setup = host
        .run(host.engine.setup_2fa(access.clone(), host.ctx()))
        .unwrap();
    assert_ne!(setup.secret, first.secret);
    let stale = totp_now(&host, &first.secret);
    let e = host
        .run(
            host.engine
                .confirm_2fa(access.clone(), TotpCode { code: stale }, host.ctx()),
        )
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidCode);
    // Pending 2FA does not gate login yet.
    login_code(&mut host, "ann@example.com", PASSWORD, None).unwrap();

    let code = totp_now(&host, &setup.secret);
    let flow = host
        .engine
        .confirm_2fa(access.clone(), TotpCode { code: code.clone() }, host.ctx());
    host.run(flow).unwrap();
    assert_eq!(
        get(&host, "users", &id).unwrap().value["mfa"]["enabled"],
        json!(true)
    );
    let e = host
        .run(host.engine.setup_2fa(access.clone(), host.ctx()))
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::MfaAlreadyEnabled);

    // The login gate now asks for a code, and the confirming code cannot be replayed.
    let e = login_code(&mut host, "ann@example.com", PASSWORD, None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::MfaRequired);
    let e = login_code(&mut host, "ann@example.com", PASSWORD, Some(&code)).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Replayed);
    host.advance(30);
    let fresh = totp_now(&host, &setup.secret);
    login_code(&mut host, "ann@example.com", PASSWORD, Some(&fresh)).unwrap();
    let e = login_code(&mut host, "ann@example.com", PASSWORD, Some(&fresh)).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Replayed);

    // A backup code works once.
    let backup = &setup.backup_codes[3];
    login_code(&mut host, "ann@example.com", PASSWORD, Some(backup)).unwrap();
    let e = login_code(&mut host, "ann@example.com", PASSWORD, Some(backup)).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidCode);

    assert!(has_event(&host, &id, "2fa_setup_started", "success"));
    assert!(has_event(&host, &id, "2fa_enabled", "failure"));
    assert!(has_event(&host, &id, "2fa_enabled", "success"));
}

#[test]
fn backup_codes_regenerate_with_a_totp_code_only() {
    let mut host = new_host(json!({}));
    let (id, tokens, secret, codes) = with_2fa(&mut host, "bo@example.com");
    let access = tokens.access_token;
    // A backup code does not stand in for the TOTP code here.
    let e = host
        .run(host.engine.regenerate_backup_codes(
            access.clone(),
            TotpCode {
                code: codes[0].clone(),
            },
            host.ctx(),
        ))
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidCode);
    let code = totp_now(&host, &secret);
    let fresh = host
        .run(host.engine.regenerate_backup_codes(
            access.clone(),
            TotpCode { code: code.clone() },
            host.ctx(),
        ))
        .unwrap();
    assert_eq!(fresh.backup_codes.len(), 10);
    assert!(fresh.backup_codes.iter().all(|c| !codes.contains(c)));
    // The same TOTP code again is a replay.
    let e = host
        .run(
            host.engine
                .regenerate_backup_codes(access, TotpCode { code }, host.ctx()),
        )
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Replayed);
    // The old set is gone, the new one works.
    let e = login_code(&mut host, "bo@example.com", PASSWORD, Some(&codes[0])).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidCode);
    login_code(
        &mut host,
        "bo@example.com",
        PASSWORD,
        Some(&fresh.backup_codes[0]),
    )
    .unwrap();
    assert!(has_event(&host, &id, "backup_codes_regenerated", "success"));
}

#[test]
fn disabling_2fa_needs_the_password_and_a_code() {
    let mut host = new_host(json!({}));
    let (id, tokens, secret, codes) = with_2fa(&mut host, "cy@example.com");
    let access = tokens.access_token;
    let disable = |password: &str, code: &str| DisableTwoFactor {
        password: password.into(),
        code: code.into(),
    };
    let code = totp_now(&host, &secret);
    let e = host
        .run(
            host.engine
                .disable_2fa(access.clone(), disable("wrong", &code), host.ctx()),
        )
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidCredentials);
    let e = host
        .run(
            host.engine
                .disable_2fa(access.clone(), disable(PASSWORD, "000000"), host.ctx()),
        )
        .unwrap_err();
    assert!(
        matches!(e.code(), ErrorCode::InvalidCode | ErrorCode::Replayed),
        "{e}"
    );
    assert_eq!(
        get(&host, "users", &id).unwrap().value["mfa"]["enabled"],
        json!(true)
    );
    // A backup code is accepted here.
    host.run(
        host.engine
            .disable_2fa(access.clone(), disable(PASSWORD, &codes[1]), host.ctx()),
    )
    .unwrap();
    let user = get(&host, "users", &id).unwrap().value;
    assert_eq!(user["mfa"]["enabled"], json!(false));
    assert_eq!(user["mfa"]["totp_secret"], Value::Null);
    assert_eq!(user["mfa"]["backup_codes"], json!([]));
    login_code(&mut host, "cy@example.com", PASSWORD, None).unwrap();
    let e = host
        .run(
            host.engine
                .disable_2fa(access, disable(PASSWORD, &code), host.ctx()),
        )
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::MfaNotEnabled);
    assert!(has_event(&host, &id, "2fa_disabled", "failure"));
    assert!(has_event(&host, &id, "2fa_disabled", "success"));
}

// --- password change -----------------------------------------------------------------

fn change(
    host: &mut Host,
    token: &str,
    old: &str,
    new: &str,
) -> tenxyte_core::Result<tenxyte_core::service::password_flows::PasswordChanged> {
    let flow = host.engine.change_password(
        token.to_owned(),
        ChangePassword {
            old_password: old.into(),
            new_password: new.into(),
            device_info: None,
        },
        host.ctx(),
    );
    host.run(flow)
}

#[test]
fn changing_the_password_ends_every_session_and_returns_fresh_tokens() {
    let mut host = new_host(json!({"password": {"history_enabled": true, "history_count": 3}}));
    let id = register(&mut host, "dee@example.com");
    let here = login(&mut host, "dee@example.com");
    let elsewhere = login(&mut host, "dee@example.com");

    let e = change(&mut host, &here.access_token, "wrong", NEW_PASSWORD).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidCredentials);
    let e = change(&mut host, &here.access_token, PASSWORD, "short").unwrap_err();
    assert_eq!(e.code(), ErrorCode::WeakPassword);
    // The current password is in the history.
    let e = change(&mut host, &here.access_token, PASSWORD, PASSWORD).unwrap_err();
    assert_eq!(e.code(), ErrorCode::PasswordReused);

    host.advance(1);
    let done = change(&mut host, &here.access_token, PASSWORD, NEW_PASSWORD).unwrap();
    assert_eq!(done.sessions_ended, 2);
    for old in [&here.access_token, &elsewhere.access_token] {
        assert_eq!(
            me_code(&mut host, old).unwrap_err(),
            ErrorCode::TokenRevoked
        );
    }
    let e = host
        .run(
            host.engine
                .refresh(elsewhere.refresh_token.clone().unwrap(), host.ctx()),
        )
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::RefreshTokenInvalid);
    me_code(&mut host, &done.tokens.access_token).unwrap();
    assert!(done.tokens.refresh_token.is_some());
    assert_eq!(
        login_code(&mut host, "dee@example.com", PASSWORD, None)
            .unwrap_err()
            .code(),
        ErrorCode::InvalidCredentials
    );
    let again = login_code(&mut host, "dee@example.com", NEW_PASSWORD, None).unwrap();

    // History: back to the first password is refused.
    let e = change(&mut host, &again.access_token, NEW_PASSWORD, PASSWORD).unwrap_err();
    assert_eq!(e.code(), ErrorCode::PasswordReused);
    let user = get(&host, "users", &id).unwrap().value;
    assert_eq!(user["password_history"].as_array().unwrap().len(), 2);
    assert_eq!(user["password_history"][0], user["password_hash"]);
    assert!(has_event(&host, &id, "password_changed", "success"));
    assert!(has_event(&host, &id, "password_changed", "failure"));
}

#[test]
fn a_password_change_only_token_may_change_the_password_and_nothing_else() {
    let mut host = new_host(json!({"password": {"force_change_on_first_login": true}}));
    let id = register(&mut host, "eve@example.com");
    let mut user = get(&host, "users", &id).unwrap().value;
    user["must_change_password"] = json!(true);
    put(&host, "users", &id, user);
    let restricted = login(&mut host, "eve@example.com");
    assert_eq!(
        restricted.token_scope.as_deref(),
        Some("password_change_only")
    );
    assert_eq!(
        me_code(&mut host, &restricted.access_token).unwrap_err(),
        ErrorCode::ScopeRestricted
    );
    host.advance(1);
    let done = change(&mut host, &restricted.access_token, PASSWORD, NEW_PASSWORD).unwrap();
    assert_eq!(done.tokens.token_scope, None);
    assert!(!done.tokens.must_change_password);
    me_code(&mut host, &done.tokens.access_token).unwrap();
    assert_eq!(
        get(&host, "users", &id).unwrap().value["must_change_password"],
        json!(false)
    );
    let next = login_code(&mut host, "eve@example.com", NEW_PASSWORD, None).unwrap();
    assert_eq!(next.token_scope, None);
}

fn breach_host(password: &str) -> Host {
    let mut host = new_host(json!({"breach_check": {"enabled": true, "reject": true}}));
    let suffix = tenxyte_core::password::breach::range_query(password).suffix;
    let body = format!("0018A45C4D1DEF81644B54AB7F969B88D65:1\r\n{suffix}:42\r\n");
    host.store = Outbox::new(host.memory.clone()).with_http(move |call| {
        assert!(call
            .url
            .starts_with("https://api.pwnedpasswords.com/range/"));
        OpResult::Responded(HttpResponse {
            status: 200,
            headers: vec![],
            body: body.clone(),
        })
    });
    host
}

#[test]
fn a_breached_new_password_is_refused_on_change_and_on_reset() {
    let mut host = breach_host(NEW_PASSWORD);
    register(&mut host, "fay@example.com");
    let tokens = login(&mut host, "fay@example.com");
    let e = change(&mut host, &tokens.access_token, PASSWORD, NEW_PASSWORD).unwrap_err();
    assert_eq!(e.code(), ErrorCode::PasswordBreached);
    assert_eq!(e.details().unwrap()["count"], json!(42));
    // Reset confirm enforces it too, and the code survives the refusal.
    let sent = request_reset(&mut host, "fay@example.com");
    let code = last_code(&host, "fay@example.com");
    let e = confirm_reset(&mut host, &sent, &code, NEW_PASSWORD).unwrap_err();
    assert_eq!(e.code(), ErrorCode::PasswordBreached);
    confirm_reset(&mut host, &sent, &code, "Another-Fine-Phrase-3").unwrap();
}

// --- password reset ------------------------------------------------------------------

fn request_reset(host: &mut Host, email: &str) -> String {
    let flow = host.engine.request_password_reset(
        ResetRequest {
            email: Some(email.into()),
            phone: None,
            ..ResetRequest::default()
        },
        host.ctx(),
    );
    let sent = host.run(flow).unwrap();
    assert_eq!(sent.message, RESET_SENT);
    sent.challenge_id
}

fn confirm_reset(
    host: &mut Host,
    challenge: &str,
    code: &str,
    password: &str,
) -> tenxyte_core::Result<Value> {
    let flow = host.engine.confirm_password_reset(
        ResetConfirm {
            challenge_id: challenge.into(),
            code: code.into(),
            new_password: password.into(),
            ..ResetConfirm::default()
        },
        host.ctx(),
    );
    host.run(flow)
}

fn last_code(host: &Host, to: &str) -> String {
    host.log().last_to(to).unwrap().message.data["code"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn wrong(code: &str) -> String {
    code.chars()
        .map(|c| {
            if c == '9' {
                '0'
            } else {
                char::from(c as u8 + 1)
            }
        })
        .collect()
}

#[test]
fn password_reset_by_email_is_single_use_and_ends_every_session() {
    let mut host = new_host(json!({"password": {"history_enabled": true, "history_count": 5}}));
    let id = register(&mut host, "gus@example.com");
    let old = login(&mut host, "gus@example.com");
    let challenge = request_reset(&mut host, "gus@example.com");
    let m = host.log().last_to("gus@example.com").unwrap().message;
    assert_eq!(m.template, "password_reset");
    let code = m.data["code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 6);
    assert!(m.text.contains(&code));
    // Only the binding hash is stored.
    let stored = get(&host, "otp_challenges", &challenge).unwrap().value;
    assert!(!stored.to_string().contains(&format!("\"{code}\"")));

    // Policy and history are enforced; each refusal leaves the code usable.
    let e = confirm_reset(&mut host, &challenge, &code, "short").unwrap_err();
    assert_eq!(e.code(), ErrorCode::WeakPassword);
    let e = confirm_reset(&mut host, &challenge, &code, PASSWORD).unwrap_err();
    assert_eq!(e.code(), ErrorCode::PasswordReused);
    host.advance(1);
    let done = confirm_reset(&mut host, &challenge, &code, NEW_PASSWORD).unwrap();
    assert_eq!(done["sessions_ended"], json!(1));
    assert_eq!(
        me_code(&mut host, &old.access_token).unwrap_err(),
        ErrorCode::TokenRevoked
    );
    // Single use.
    let e = confirm_reset(&mut host, &challenge, &code, "Yet-Another-Phrase-8").unwrap_err();
    assert_eq!(e.code(), ErrorCode::Replayed);
    login_code(&mut host, "gus@example.com", NEW_PASSWORD, None).unwrap();
    assert!(has_event(&host, &id, "password_reset_requested", "success"));
    assert!(has_event(&host, &id, "password_reset", "success"));
    assert!(has_event(&host, &id, "password_reset", "failure"));
}

#[test]
fn reset_codes_burn_after_max_attempts_and_expire() {
    let mut host = new_host(json!({"otp": {"max_attempts": 3}}));
    register(&mut host, "hal@example.com");
    let challenge = request_reset(&mut host, "hal@example.com");
    let code = last_code(&host, "hal@example.com");
    for _ in 0..3 {
        let e = confirm_reset(&mut host, &challenge, &wrong(&code), NEW_PASSWORD).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidCode);
    }
    let e = confirm_reset(&mut host, &challenge, &code, NEW_PASSWORD).unwrap_err();
    assert_eq!(e.code(), ErrorCode::TooManyAttempts);

    let challenge = request_reset(&mut host, "hal@example.com");
    let code = last_code(&host, "hal@example.com");
    host.advance(600);
    let e = confirm_reset(&mut host, &challenge, &code, NEW_PASSWORD).unwrap_err();
    // The record's TTL ends with the code: an expired challenge is gone.
    assert!(
        matches!(
            e.code(),
            ErrorCode::CodeExpired | ErrorCode::ChallengeInvalid
        ),
        "{e}"
    );
    login_code(&mut host, "hal@example.com", PASSWORD, None).unwrap();
}

#[test]
fn reset_for_an_unknown_account_answers_the_same_and_sends_nothing() {
    let mut host = new_host(json!({}));
    register(&mut host, "ida@example.com");
    let known = host
        .run(host.engine.request_password_reset(
            ResetRequest {
                email: Some("ida@example.com".into()),
                phone: None,
                ..ResetRequest::default()
            },
            host.ctx(),
        ))
        .unwrap();
    let sent_before = host.log().len();
    let unknown = host
        .run(host.engine.request_password_reset(
            ResetRequest {
                email: Some("nobody@example.com".into()),
                phone: None,
                ..ResetRequest::default()
            },
            host.ctx(),
        ))
        .unwrap();
    assert_eq!(
        host.log().len(),
        sent_before,
        "nothing sent for an unknown account"
    );
    assert_eq!(
        (&known.message, known.expires_in),
        (&unknown.message, unknown.expires_in)
    );
    assert_eq!(known.challenge_id.len(), unknown.challenge_id.len());
    // The decoy challenge exists and behaves like a real one with a wrong code.
    assert!(get(&host, "otp_challenges", &unknown.challenge_id).is_some());
    let e = confirm_reset(&mut host, &unknown.challenge_id, "123456", NEW_PASSWORD).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidCode);
    let e = confirm_reset(&mut host, "no-such-challenge", "123456", NEW_PASSWORD).unwrap_err();
    assert_eq!(e.code(), ErrorCode::ChallengeInvalid);
}

#[test]
fn reset_by_phone_sends_an_sms() {
    let mut host = new_host(json!({}));
    let flow = host.engine.register(
        RegisterRequest {
            phone: Some("+33612345678".into()),
            password: PASSWORD.into(),
            ..RegisterRequest::default()
        },
        host.ctx(),
    );
    host.run(flow).unwrap();
    let flow = host.engine.request_password_reset(
        ResetRequest {
            email: None,
            phone: Some("+33 6 12 34 56 78".into()),
            ..ResetRequest::default()
        },
        host.ctx(),
    );
    let sent = host.run(flow).unwrap();
    let m = host.log().last_to("+33612345678").unwrap().message;
    assert_eq!(m.channel, tenxyte_core::store::Channel::Sms);
    let code = m.data["code"].as_str().unwrap().to_owned();
    confirm_reset(&mut host, &sent.challenge_id, &code, NEW_PASSWORD).unwrap();
}

#[test]
fn reset_requests_are_rate_limited() {
    let mut host = new_host(json!({"rate_limit": {"enabled": true,
        "password_reset": [{"max_requests": 2, "window_secs": 3600}]}}));
    register(&mut host, "jo@example.com");
    request_reset(&mut host, "jo@example.com");
    request_reset(&mut host, "jo@example.com");
    let e = host
        .run(host.engine.request_password_reset(
            ResetRequest {
                email: Some("jo@example.com".into()),
                phone: None,
                ..ResetRequest::default()
            },
            host.ctx(),
        ))
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::TooManyRequests);
    assert_eq!(host.log().len(), 2);
}

#[test]
fn without_a_mailer_a_reset_still_answers_the_same_but_is_audited() {
    let mut host = new_host(json!({}));
    let id = register(&mut host, "kim@example.com");
    let mut bare = host.memory.clone();
    let flow = host.engine.request_password_reset(
        ResetRequest {
            email: Some("kim@example.com".into()),
            phone: None,
            ..ResetRequest::default()
        },
        host.ctx(),
    );
    let sent = flow_run(flow, &mut bare).unwrap();
    assert_eq!(sent.message, RESET_SENT);
    assert!(audit(&host, &id)
        .iter()
        .any(|(a, o, c)| a == "password_reset_requested"
            && o == "failure"
            && c.as_deref() == Some("delivery_failed")));
}

fn flow_run<T: 'static>(
    mut flow: tenxyte_core::drive::Flow<T>,
    store: &mut impl tenxyte_core::store::SyncStore,
) -> tenxyte_core::Result<T> {
    flow.run(store)
}

// --- magic links ---------------------------------------------------------------------

fn ml_host() -> Host {
    new_host(json!({"magic_link": {"enabled": true, "same_device_check": true}}))
}

fn request_link(
    host: &mut Host,
    email: &str,
    ctx: Option<RequestContext>,
) -> tenxyte_core::Result<Value> {
    let flow = host.engine.request_magic_link(
        MagicLinkRequest {
            email: email.into(),
            validation_url: "https://app.example/magic".into(),
        },
        ctx.unwrap_or_else(|| host.ctx()),
    );
    host.run(flow)
}

fn last_link_token(host: &Host, email: &str) -> String {
    let m = host.log().last_to(email).unwrap().message;
    assert_eq!(m.template, "magic_link");
    let link = m.data["link"].as_str().unwrap();
    assert!(
        link.starts_with("https://app.example/magic?token=txm_"),
        "{link}"
    );
    link.split("token=").nth(1).unwrap().to_owned()
}

fn verify_link(
    host: &mut Host,
    token: &str,
    code: Option<&str>,
    ctx: Option<RequestContext>,
) -> tenxyte_core::Result<TokenResponse> {
    let flow = host.engine.verify_magic_link(
        MagicLinkVerify {
            token: token.into(),
            totp_code: code.map(str::to_owned),
            device_info: None,
        },
        ctx.unwrap_or_else(|| host.ctx()),
    );
    host.run(flow)
}

#[test]
fn a_magic_link_logs_in_once() {
    let mut host = ml_host();
    let id = register(&mut host, "lea@example.com");
    let answer = request_link(&mut host, "LEA@example.com", None).unwrap();
    assert_eq!(answer["message"], json!(LINK_SENT));
    let token = last_link_token(&host, "lea@example.com");
    // Stored hashed, never raw.
    let hash = tenxyte_core::secret::hash(&token);
    assert!(get(&host, "magic_links", &hash).is_some());
    assert!(get(&host, "magic_links", &token).is_none());

    let tokens = verify_link(&mut host, &token, None, None).unwrap();
    let me = me_code(&mut host, &tokens.access_token).unwrap();
    assert_eq!(me["id"], json!(id));
    assert_eq!(me["email_verified"], json!(true));
    let e = verify_link(&mut host, &token, None, None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::MagicLinkInvalid);
    let e = verify_link(&mut host, "txm_not-a-token", None, None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::MagicLinkInvalid);
    assert!(has_event(&host, &id, "magic_link_requested", "success"));
    // A used link is gone, so the refusal is audited without a user.
    assert!(has_event(&host, "", "magic_link_login", "failure"));
    assert!(audit(&host, &id)
        .iter()
        .any(|(a, o, _)| a == "login" && o == "success"));
}

#[test]
fn a_new_link_voids_the_old_one_and_links_expire() {
    let mut host = ml_host();
    register(&mut host, "max@example.com");
    request_link(&mut host, "max@example.com", None).unwrap();
    let first = last_link_token(&host, "max@example.com");
    request_link(&mut host, "max@example.com", None).unwrap();
    let second = last_link_token(&host, "max@example.com");
    assert_ne!(first, second);
    let e = verify_link(&mut host, &first, None, None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::MagicLinkInvalid);
    host.advance(15 * 60);
    let e = verify_link(&mut host, &second, None, None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::MagicLinkInvalid);
}

#[test]
fn a_magic_link_is_bound_to_its_application_and_device() {
    let mut host = ml_host();
    register(&mut host, "ned@example.com");
    let mut app_a = host.ctx();
    app_a.app_id = Some("app-a".into());
    request_link(&mut host, "ned@example.com", Some(app_a.clone())).unwrap();
    let token = last_link_token(&host, "ned@example.com");
    let mut app_b = host.ctx();
    app_b.app_id = Some("app-b".into());
    let e = verify_link(&mut host, &token, None, Some(app_b)).unwrap_err();
    assert_eq!(e.code(), ErrorCode::MagicLinkInvalid);
    let mut far = app_a.clone();
    far.ip = Some("198.51.100.1".into());
    let e = verify_link(&mut host, &token, None, Some(far)).unwrap_err();
    assert_eq!(e.code(), ErrorCode::MagicLinkInvalid);
    // The same /24 passes; refusals did not consume the link.
    let mut near = app_a;
    near.ip = Some("203.0.113.99".into());
    verify_link(&mut host, &token, None, Some(near)).unwrap();
}

#[test]
fn magic_links_for_unknown_addresses_send_nothing_and_the_feature_can_be_off() {
    let mut host = ml_host();
    let answer = request_link(&mut host, "nobody@example.com", None).unwrap();
    assert_eq!(answer["message"], json!(LINK_SENT));
    assert!(host.log().is_empty());
    let e = host
        .run(host.engine.request_magic_link(
            MagicLinkRequest {
                email: "nobody@example.com".into(),
                validation_url: "ftp://x.example/".into(),
            },
            host.ctx(),
        ))
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidInput);

    let mut off = new_host(json!({"magic_link": {"enabled": false}}));
    let e = request_link(&mut off, "nobody@example.com", None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::FeatureDisabled);

    let mut pinned = new_host(json!({"magic_link": {"enabled": true},
        "cors": {"allowed_origins": ["https://front.example"]}}));
    let e = request_link(&mut pinned, "nobody@example.com", None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidInput);
}

#[test]
fn a_magic_link_asks_for_the_second_factor() {
    let mut host = ml_host();
    let (_, _, secret, _) = with_2fa(&mut host, "ola@example.com");
    request_link(&mut host, "ola@example.com", None).unwrap();
    let token = last_link_token(&host, "ola@example.com");
    let e = verify_link(&mut host, &token, None, None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::MfaRequired);
    let code = totp_now(&host, &secret);
    verify_link(&mut host, &token, Some(&code), None).unwrap();

    // A wrong code burns the link.
    request_link(&mut host, "ola@example.com", None).unwrap();
    let token = last_link_token(&host, "ola@example.com");
    host.advance(30);
    let e = verify_link(&mut host, &token, Some("000000"), None).unwrap_err();
    assert!(
        matches!(e.code(), ErrorCode::InvalidCode | ErrorCode::Replayed),
        "{e}"
    );
    let code = totp_now(&host, &secret);
    let e = verify_link(&mut host, &token, Some(&code), None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::MagicLinkInvalid);
}

// --- e-mail and phone verification ---------------------------------------------------

#[test]
fn email_verification_sets_email_verified() {
    let mut host = new_host(json!({}));
    let id = register(&mut host, "pia@example.com");
    let other = {
        register(&mut host, "quin@example.com");
        login(&mut host, "quin@example.com").access_token
    };
    let access = login(&mut host, "pia@example.com").access_token;
    let sent = host
        .run(
            host.engine
                .request_email_verification(access.clone(), host.ctx()),
        )
        .unwrap();
    let m = host.log().last_to("pia@example.com").unwrap().message;
    assert_eq!(m.template, "email_verification");
    let code = m.data["code"].as_str().unwrap().to_owned();
    let submit = |code: &str| CodeSubmission {
        challenge_id: sent.challenge_id.clone(),
        code: code.into(),
    };
    // Another user cannot spend it.
    let e = host
        .run(
            host.engine
                .confirm_email_verification(other, submit(&code), host.ctx()),
        )
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::ChallengeInvalid);
    let e = host
        .run(host.engine.confirm_email_verification(
            access.clone(),
            submit(&wrong(&code)),
            host.ctx(),
        ))
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidCode);
    host.run(
        host.engine
            .confirm_email_verification(access.clone(), submit(&code), host.ctx()),
    )
    .unwrap();
    assert_eq!(
        me_code(&mut host, &access).unwrap()["email_verified"],
        json!(true)
    );
    let e = host
        .run(
            host.engine
                .confirm_email_verification(access.clone(), submit(&code), host.ctx()),
        )
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Replayed);
    // Already verified: nothing more is sent.
    let before = host.log().len();
    let e = host
        .run(host.engine.request_email_verification(access, host.ctx()))
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidInput);
    assert_eq!(host.log().len(), before);
    assert!(has_event(&host, &id, "email_verification_sent", "success"));
    assert!(has_event(&host, &id, "email_verified", "success"));
    assert!(has_event(&host, &id, "email_verified", "failure"));
}

#[test]
fn phone_verification_goes_by_sms() {
    let mut host = new_host(json!({}));
    let flow = host.engine.register(
        RegisterRequest {
            email: Some("ray@example.com".into()),
            phone: Some("+14155550123".into()),
            password: PASSWORD.into(),
            login: true,
            ..RegisterRequest::default()
        },
        host.ctx(),
    );
    let access = host.run(flow).unwrap().tokens.unwrap().access_token;
    let sent = host
        .run(
            host.engine
                .request_phone_verification(access.clone(), host.ctx()),
        )
        .unwrap();
    let m = host.log().last_to("+14155550123").unwrap().message;
    assert_eq!(
        (m.channel, m.template.as_str()),
        (tenxyte_core::store::Channel::Sms, "phone_verification")
    );
    let code = m.data["code"].as_str().unwrap().to_owned();
    // An e-mail code is not a phone code (purpose binding).
    let flow = host.engine.confirm_email_verification(
        access.clone(),
        CodeSubmission {
            challenge_id: sent.challenge_id.clone(),
            code: code.clone(),
        },
        host.ctx(),
    );
    assert_eq!(
        host.run(flow).unwrap_err().code(),
        ErrorCode::ChallengeInvalid
    );
    let flow = host.engine.confirm_phone_verification(
        access.clone(),
        CodeSubmission {
            challenge_id: sent.challenge_id,
            code,
        },
        host.ctx(),
    );
    host.run(flow).unwrap();
    let me = me_code(&mut host, &access).unwrap();
    assert_eq!(
        (me["phone_verified"].clone(), me["email_verified"].clone()),
        (json!(true), json!(false))
    );
}

#[test]
fn a_verification_code_that_cannot_be_delivered_is_delivery_failed() {
    let mut host = new_host(json!({}));
    let id = register(&mut host, "sam@example.com");
    let access = login(&mut host, "sam@example.com").access_token;
    let mut bare = host.memory.clone();
    let flow = host.engine.request_email_verification(access, host.ctx());
    let e = flow_run(flow, &mut bare).unwrap_err();
    assert_eq!(e.code(), ErrorCode::DeliveryFailed);
    assert!(has_event(&host, &id, "email_verification_sent", "failure"));
}

#[test]
fn verification_requests_and_guesses_are_rate_limited() {
    let mut host = new_host(json!({"rate_limit": {"enabled": true,
        "otp_request": [{"max_requests": 1, "window_secs": 3600}],
        "otp_verify": [{"max_requests": 2, "window_secs": 300}],
        "login": [{"max_requests": 100, "window_secs": 60}]}}));
    register(&mut host, "tia@example.com");
    let access = login(&mut host, "tia@example.com").access_token;
    let sent = host
        .run(
            host.engine
                .request_email_verification(access.clone(), host.ctx()),
        )
        .unwrap();
    let e = host
        .run(
            host.engine
                .request_email_verification(access.clone(), host.ctx()),
        )
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::TooManyRequests);
    let submit = || CodeSubmission {
        challenge_id: sent.challenge_id.clone(),
        code: "000000".into(),
    };
    for _ in 0..2 {
        let flow = host
            .engine
            .confirm_email_verification(access.clone(), submit(), host.ctx());
        let _ = host.run(flow);
    }
    let flow = host
        .engine
        .confirm_email_verification(access, submit(), host.ctx());
    assert_eq!(
        host.run(flow).unwrap_err().code(),
        ErrorCode::TooManyRequests
    );
}

/// A test host with the audit trail on (the development preset keeps it off).
fn new_host(mut overrides: Value) -> Host {
    overrides["audit"] = json!({"enabled": true});
    Host::new(overrides)
}

// --- passwordless phone login --------------------------------------------------------

use tenxyte_core::service::otp_login::{LoginCodeRequest, LoginCodeVerify, LOGIN_CODE_SENT};

fn request_login_code(
    host: &mut Host,
    phone: &str,
) -> tenxyte_core::Result<tenxyte_core::service::codes::CodeSent> {
    let flow = host.engine.request_login_code(
        LoginCodeRequest {
            phone: phone.into(),
        },
        host.ctx(),
    );
    host.run(flow)
}

fn verify_login_code(
    host: &mut Host,
    challenge: &str,
    code: &str,
    totp: Option<&str>,
) -> tenxyte_core::Result<TokenResponse> {
    let flow = host.engine.verify_login_code(
        LoginCodeVerify {
            challenge_id: challenge.into(),
            code: code.into(),
            totp_code: totp.map(str::to_owned),
            device_info: None,
        },
        host.ctx(),
    );
    host.run(flow)
}

fn register_phone_user(host: &mut Host, phone: &str) -> TokenResponse {
    let flow = host.engine.register(
        RegisterRequest {
            phone: Some(phone.into()),
            password: PASSWORD.into(),
            login: true,
            ..RegisterRequest::default()
        },
        host.ctx(),
    );
    host.run(flow).unwrap().tokens.unwrap()
}

#[test]
fn a_phone_code_logs_in_once_and_the_feature_can_be_off() {
    let mut off = new_host(json!({}));
    let e = request_login_code(&mut off, "+14155550100").unwrap_err();
    assert_eq!(e.code(), ErrorCode::FeatureDisabled);

    let mut host = new_host(json!({"otp": {"login_enabled": true, "login_auto_register": false}}));
    register_phone_user(&mut host, "+14155550100");
    let sent = request_login_code(&mut host, "+1 415 555 0100").unwrap();
    assert_eq!(sent.message, LOGIN_CODE_SENT);
    let m = host.log().last_to("+14155550100").unwrap().message;
    assert_eq!(m.template, "login_code");
    let code = m.data["code"].as_str().unwrap().to_owned();
    let e = verify_login_code(&mut host, &sent.challenge_id, &wrong(&code), None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidCode);
    let tokens = verify_login_code(&mut host, &sent.challenge_id, &code, None).unwrap();
    assert_eq!(
        me_code(&mut host, &tokens.access_token).unwrap()["phone_verified"],
        json!(true)
    );
    let e = verify_login_code(&mut host, &sent.challenge_id, &code, None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Replayed);

    // Unknown number without auto-registration: same answer, nothing sent, a decoy.
    let before = host.log().len();
    let decoy = request_login_code(&mut host, "+14155550199").unwrap();
    assert_eq!(host.log().len(), before);
    assert_eq!(
        (decoy.message, decoy.expires_in),
        (sent.message, sent.expires_in)
    );
    let e = verify_login_code(&mut host, &decoy.challenge_id, "123456", None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidCode);
}

#[test]
fn a_phone_code_registers_a_new_number_when_allowed() {
    let mut host = new_host(json!({"otp": {"login_enabled": true, "login_auto_register": true}}));
    let sent = request_login_code(&mut host, "+14155550142").unwrap();
    let code = last_code(&host, "+14155550142");
    let tokens = verify_login_code(&mut host, &sent.challenge_id, &code, None).unwrap();
    let me = me_code(&mut host, &tokens.access_token).unwrap();
    assert_eq!(me["phone"], json!("+14155550142"));
    assert_eq!(me["phone_verified"], json!(true));
    let id = me["id"].as_str().unwrap().to_owned();
    assert_eq!(
        get(&host, "users", &id).unwrap().value["password_hash"],
        Value::Null
    );
    assert!(has_event(&host, &id, "register", "success"));
    // The next code logs into the same account.
    let sent = request_login_code(&mut host, "+14155550142").unwrap();
    let code = last_code(&host, "+14155550142");
    let again = verify_login_code(&mut host, &sent.challenge_id, &code, None).unwrap();
    assert_eq!(
        me_code(&mut host, &again.access_token).unwrap()["id"],
        json!(id)
    );
    // Without a mailer the failure is surfaced: every number gets a message here.
    let mut bare = host.memory.clone();
    let flow = host.engine.request_login_code(
        LoginCodeRequest {
            phone: "+14155550143".into(),
        },
        host.ctx(),
    );
    assert_eq!(
        flow_run(flow, &mut bare).unwrap_err().code(),
        ErrorCode::DeliveryFailed
    );
}

#[test]
fn a_phone_code_asks_for_the_second_factor() {
    let mut host = new_host(json!({"otp": {"login_enabled": true}}));
    let tokens = register_phone_user(&mut host, "+14155550177");
    let setup = host
        .run(
            host.engine
                .setup_2fa(tokens.access_token.clone(), host.ctx()),
        )
        .unwrap();
    let code = totp_now(&host, &setup.secret);
    host.run(
        host.engine
            .confirm_2fa(tokens.access_token, TotpCode { code }, host.ctx()),
    )
    .unwrap();
    host.advance(30);
    let sent = request_login_code(&mut host, "+14155550177").unwrap();
    let sms = last_code(&host, "+14155550177");
    let e = verify_login_code(&mut host, &sent.challenge_id, &sms, None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::MfaRequired);
    let totp = totp_now(&host, &setup.secret);
    verify_login_code(&mut host, &sent.challenge_id, &sms, Some(&totp)).unwrap();
}

// --- write order under store failures --------------------------------------------------

use tenxyte_stores::FaultStore;

/// Fails the reset confirmation at every operation (with and without the write landing)
/// and checks the state left behind is safe: a new password never coexists with a
/// session from before the reset, and the flow never answers success.
#[test]
fn a_reset_dropped_at_any_operation_never_leaves_old_sessions_with_the_new_password() {
    for applied in [false, true] {
        for position in 0.. {
            let mut host = new_host(json!({}));
            register(&mut host, "uma@example.com");
            let old = login(&mut host, "uma@example.com");
            let challenge = request_reset(&mut host, "uma@example.com");
            let code = last_code(&host, "uma@example.com");
            host.advance(1);
            let mut faulty = FaultStore::fail_nth(host.memory.clone(), position);
            if applied {
                faulty = faulty.after_applying();
            }
            let flow = host.engine.confirm_password_reset(
                ResetConfirm {
                    challenge_id: challenge.clone(),
                    code: code.clone(),
                    new_password: NEW_PASSWORD.into(),
                    ..ResetConfirm::default()
                },
                host.ctx(),
            );
            let outcome = flow_run(flow, &mut faulty);
            if faulty.seen() <= position {
                // The flow finished before reaching the failing operation.
                outcome.unwrap();
                assert!(position > 10, "the sweep covered the flow");
                break;
            }
            assert_eq!(
                outcome.unwrap_err().code(),
                ErrorCode::StoreUnavailable,
                "{position} {applied}"
            );
            let changed = login_code(&mut host, "uma@example.com", NEW_PASSWORD, None).is_ok();
            let old_alive = host
                .run(
                    host.engine
                        .refresh(old.refresh_token.clone().unwrap(), host.ctx()),
                )
                .is_ok();
            assert!(
                !(changed && old_alive),
                "new password with an old session alive at {position} {applied}"
            );
        }
    }
}

#[test]
fn a_reset_link_carries_the_challenge_and_the_code() {
    let mut host = new_host(json!({"cors": {"allowed_origins": ["https://app.example.com"]}}));
    register(&mut host, "lin@example.com");
    let bad = host.engine.request_password_reset(
        ResetRequest {
            email: Some("lin@example.com".into()),
            reset_url: Some("https://evil.example/reset".into()),
            ..ResetRequest::default()
        },
        host.ctx(),
    );
    assert_eq!(host.run(bad).unwrap_err().code(), ErrorCode::InvalidInput);
    let flow = host.engine.request_password_reset(
        ResetRequest {
            email: Some("lin@example.com".into()),
            reset_url: Some("https://app.example.com/reset".into()),
            ..ResetRequest::default()
        },
        host.ctx(),
    );
    host.run(flow).unwrap();
    let link = host.log().last_to("lin@example.com").unwrap().message.data["link"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = link.split_once("?token=").unwrap().1.to_owned();
    let confirm = |host: &mut Host, token: &str| {
        let flow = host.engine.confirm_password_reset(
            ResetConfirm {
                token: Some(token.into()),
                new_password: "Brand-New-Lantern-77".into(),
                ..ResetConfirm::default()
            },
            host.ctx(),
        );
        host.run(flow)
    };
    assert!(confirm(&mut host, &format!("{token}0")).is_err());
    confirm(&mut host, &token).unwrap();
    assert!(confirm(&mut host, &token).is_err(), "single use");
}
