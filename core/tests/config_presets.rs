#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! The three presets against the published tables.
//!
//! Expected values are typed from Tenxyte's "Shortcut Secure Mode" tables (the README table
//! and `src/tenxyte/conf/presets.py`, columns development / medium / robust), converted to
//! seconds where Tenxyte says minutes. Rows the tables leave blank ("—") are not checked
//! here; the second table holds the values the security notes prescribe where Tenxyte is
//! silent (OWASP, RFC 6238, ASVS).

use serde_json::{json, Value};
use tenxyte_core::config::{Preset, Settings};

fn at<'a>(v: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(v, |node, key| {
        node.get(key).unwrap_or_else(|| panic!("no setting {path}"))
    })
}

/// `(our path, Tenxyte name, [development, medium, robust])`; `None` = "—" in the table.
fn tenxyte_table() -> Vec<(&'static str, &'static str, [Option<Value>; 3])> {
    let v = |x: Value| Some(x);
    vec![
        (
            "jwt.access_token_lifetime_secs",
            "JWT_ACCESS_TOKEN_LIFETIME",
            [v(json!(3600)), v(json!(900)), v(json!(300))],
        ),
        (
            "jwt.refresh_token_lifetime_secs",
            "JWT_REFRESH_TOKEN_LIFETIME",
            [v(json!(2_592_000)), v(json!(604_800)), v(json!(86_400))],
        ),
        (
            "jwt.refresh_token_rotation",
            "REFRESH_TOKEN_ROTATION",
            [v(json!(false)), v(json!(true)), v(json!(true))],
        ),
        (
            "jwt.blacklist_enabled",
            "TOKEN_BLACKLIST_ENABLED",
            [v(json!(true)), v(json!(true)), v(json!(true))],
        ),
        (
            "lockout.enabled",
            "ACCOUNT_LOCKOUT_ENABLED",
            [v(json!(true)), v(json!(true)), v(json!(true))],
        ),
        (
            "lockout.max_attempts",
            "MAX_LOGIN_ATTEMPTS",
            [v(json!(10)), v(json!(5)), v(json!(3))],
        ),
        (
            "lockout.duration_secs",
            "LOCKOUT_DURATION_MINUTES",
            [v(json!(15 * 60)), v(json!(30 * 60)), v(json!(60 * 60))],
        ),
        (
            "rate_limit.enabled",
            "RATE_LIMITING_ENABLED",
            [v(json!(true)), v(json!(true)), v(json!(true))],
        ),
        (
            "password.history_enabled",
            "PASSWORD_HISTORY_ENABLED",
            [v(json!(false)), v(json!(true)), v(json!(true))],
        ),
        (
            "password.history_count",
            "PASSWORD_HISTORY_COUNT",
            [v(json!(0)), v(json!(5)), v(json!(12))],
        ),
        (
            "breach_check.enabled",
            "BREACH_CHECK_ENABLED",
            [v(json!(false)), v(json!(true)), v(json!(true))],
        ),
        (
            "breach_check.reject",
            "BREACH_CHECK_REJECT",
            [v(json!(false)), v(json!(true)), v(json!(true))],
        ),
        (
            "magic_link.enabled",
            "MAGIC_LINK_ENABLED",
            [v(json!(false)), v(json!(true)), v(json!(false))],
        ),
        (
            "webauthn.enabled",
            "WEBAUTHN_ENABLED",
            [v(json!(false)), v(json!(false)), v(json!(true))],
        ),
        (
            "audit.enabled",
            "AUDIT_LOGGING_ENABLED",
            [v(json!(false)), v(json!(true)), v(json!(true))],
        ),
        (
            "devices.limit_enabled",
            "DEVICE_LIMIT_ENABLED",
            [v(json!(false)), v(json!(true)), v(json!(true))],
        ),
        (
            "devices.max_devices",
            "DEFAULT_MAX_DEVICES",
            [None, v(json!(5)), v(json!(2))],
        ),
        (
            "devices.limit_action",
            "DEVICE_LIMIT_ACTION",
            [None, None, v(json!("deny"))],
        ),
        (
            "sessions.limit_enabled",
            "SESSION_LIMIT_ENABLED",
            [v(json!(false)), v(json!(true)), v(json!(true))],
        ),
        (
            "sessions.max_sessions",
            "DEFAULT_MAX_SESSIONS",
            [None, None, v(json!(1))],
        ),
        (
            "cors.allow_all_origins",
            "CORS_ALLOW_ALL_ORIGINS",
            [v(json!(false)), v(json!(false)), v(json!(false))],
        ),
        (
            "security_headers.enabled",
            "SECURITY_HEADERS_ENABLED",
            [v(json!(false)), v(json!(true)), v(json!(true))],
        ),
        // README: application credentials are required unless explicitly disabled (dev only).
        (
            "application_auth.enabled",
            "APPLICATION_AUTH_ENABLED",
            [v(json!(true)), v(json!(true)), v(json!(true))],
        ),
    ]
}

#[test]
fn presets_match_the_shortcut_secure_mode_table() {
    for (i, preset) in Preset::ALL.into_iter().enumerate() {
        let s = Settings::preset(preset).to_value().unwrap();
        assert_eq!(s["preset"], preset.as_str());
        for (path, tenxyte, expected) in tenxyte_table() {
            if let Some(want) = &expected[i] {
                assert_eq!(at(&s, path), want, "{preset:?} {path} (TENXYTE_{tenxyte})");
            }
        }
    }
}

/// Values where the tables are silent: the security notes' safe defaults, same in every preset.
#[test]
fn silent_rows_use_the_safe_values() {
    let rows = [
        // OWASP Password Storage Cheat Sheet: argon2id m=19 MiB, t=2, p=1.
        ("password.argon2.memory_kib", json!(19_456)),
        ("password.argon2.iterations", json!(2)),
        ("password.argon2.parallelism", json!(1)),
        // RFC 6238 defaults as deployed by authenticator apps; ±1 step.
        ("totp.algorithm", json!("SHA1")),
        ("totp.digits", json!(6)),
        ("totp.period_secs", json!(30)),
        ("totp.valid_window", json!(1)),
        // ASVS 6.5.4/6.5.5: 6 digits, at most 10 minutes; 5 attempts.
        ("otp.length", json!(6)),
        ("otp.max_attempts", json!(5)),
        ("otp.email_lifetime_secs", json!(600)),
        ("otp.sms_lifetime_secs", json!(600)),
        ("otp.login_lifetime_secs", json!(600)),
        ("backup_codes.count", json!(10)),
        ("magic_link.lifetime_secs", json!(900)),
        ("jwt.max_token_bytes", json!(16_384)),
        ("jwt.leeway_secs", json!(0)),
        ("jwt.issuer", json!("tenxyte")),
        ("jwt.audience", Value::Null),
        // Tenxyte AIRS defaults (tenxyte.md §1.10), now all enforced.
        ("agents.default_expiry_secs", json!(3600)),
        ("agents.max_expiry_secs", json!(86_400)),
        ("agents.default_max_requests_per_minute", json!(60)),
        ("agents.default_max_requests_total", json!(1000)),
        ("agents.default_max_failed_requests", json!(10)),
        ("agents.pending_action_lifetime_secs", json!(600)),
        ("agents.require_explicit_permissions", json!(true)),
        ("organizations.enabled", json!(false)),
        ("organizations.max_depth", json!(5)),
        ("organizations.role_inheritance", json!(true)),
    ];
    for preset in Preset::ALL {
        let s = Settings::preset(preset).to_value().unwrap();
        for (path, want) in &rows {
            assert_eq!(at(&s, path), want, "{preset:?} {path}");
        }
    }
}

#[test]
fn algorithm_choice_per_preset() {
    let alg = |p| Settings::preset(p).to_value().unwrap()["jwt"]["algorithm"].clone();
    assert_eq!(alg(Preset::Development), "HS256");
    assert_eq!(alg(Preset::Medium), "HS256");
    assert_eq!(alg(Preset::Robust), "ES256");
}

#[test]
fn readme_override_example() {
    // The README's example: robust, passkeys off, 10-minute access tokens.
    let s = Settings::from_json(
        r#"{"preset": "robust", "webauthn": {"enabled": false}, "jwt": {"access_token_lifetime_secs": 600}}"#,
    )
    .unwrap();
    assert!(!s.webauthn.enabled);
    assert_eq!(s.jwt.access_token_lifetime_secs, 600);
    assert_eq!(s.lockout.max_attempts, 3);
}
