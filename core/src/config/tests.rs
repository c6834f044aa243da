//! Unit tests: merging, error paths and suggestions, every validation rule.

use super::validate::CHECKS;
use super::*;
use crate::error::ErrorCode;
use serde_json::json;
use std::collections::BTreeSet;

fn detail<'a>(e: &'a crate::Error, key: &str) -> &'a Value {
    &e.details().expect("details")[key]
}

#[test]
fn every_preset_passes_validation() {
    for p in Preset::ALL {
        Settings::preset(p)
            .validate()
            .unwrap_or_else(|e| panic!("{p:?}: {e}"));
    }
}

#[test]
fn missing_preset_means_medium_never_development() {
    let s = Settings::from_json("{}").unwrap();
    assert_eq!(s.preset, Preset::Medium);
    assert_eq!(s, Settings::preset(Preset::Medium));
    assert_eq!(Settings::default().preset, Preset::Medium);
    assert!(!s.is_development());
    let d = Settings::from_json(r#"{"preset": "development"}"#).unwrap();
    assert!(d.is_development());
}

#[test]
fn overrides_merge_deeply() {
    let s = Settings::from_json(
        r#"{"preset": "robust",
            "jwt": {"access_token_lifetime_secs": 600, "refresh_cookie": {"name": "rt"}},
            "webauthn": {"enabled": false}}"#,
    )
    .unwrap();
    let base = Settings::preset(Preset::Robust);
    assert_eq!(s.jwt.access_token_lifetime_secs, 600);
    assert_eq!(s.jwt.refresh_cookie.name, "rt");
    // Siblings at every level keep the preset's values.
    assert_eq!(
        s.jwt.refresh_cookie.same_site,
        base.jwt.refresh_cookie.same_site
    );
    assert_eq!(s.jwt.refresh_cookie.path, base.jwt.refresh_cookie.path);
    assert_eq!(s.jwt.refresh_token_lifetime_secs, 86_400);
    assert!(!s.webauthn.enabled);
    assert_eq!(s.webauthn.rp_name, base.webauthn.rp_name);
    assert_eq!(s.lockout, base.lockout);
    // with_overrides merges the same way, on top of what is already there.
    let t = s
        .clone()
        .with_overrides(json!({"jwt": {"leeway_secs": 30}}))
        .unwrap();
    assert_eq!(t.jwt.leeway_secs, 30);
    assert_eq!(t.jwt.access_token_lifetime_secs, 600);
}

#[test]
fn arrays_and_options_replace_whole() {
    let s = Settings::from_json(
        r#"{"rate_limit": {"login": [{"max_requests": 7, "window_secs": 60}]},
            "jwt": {"audience": "api"},
            "agents": {"default_budget_limit_micro_usd": 5000000}}"#,
    )
    .unwrap();
    assert_eq!(
        s.rate_limit.login,
        vec![RateWindow {
            max_requests: 7,
            window_secs: 60
        }]
    );
    assert_eq!(s.jwt.audience.as_deref(), Some("api"));
    assert_eq!(s.agents.default_budget_limit_micro_usd, Some(5_000_000));
    // null resets an optional setting.
    let back = s
        .with_overrides(json!({"jwt": {"audience": null}}))
        .unwrap();
    assert_eq!(back.jwt.audience, None);
}

#[test]
fn unknown_nested_key_names_path_and_nearest() {
    let e = Settings::from_json(r#"{"jwt": {"acess_token_lifetime_secs": 600}}"#).unwrap_err();
    assert_eq!(e.code(), ErrorCode::UnknownSetting);
    assert_eq!(
        e.message(),
        r#"unknown setting "jwt.acess_token_lifetime_secs"; did you mean "jwt.access_token_lifetime_secs"?"#
    );
    assert_eq!(detail(&e, "path"), "jwt.acess_token_lifetime_secs");
    assert_eq!(detail(&e, "suggestion"), "jwt.access_token_lifetime_secs");
}

#[test]
fn unknown_keys_at_every_level() {
    let cases = [
        (json!({"jwtt": {}}), "jwtt", "jwt"),
        (json!({"presett": "robust"}), "presett", "preset"),
        (json!({"Lockout": {"enabled": true}}), "Lockout", "lockout"),
        (
            json!({"jwt": {"refresh_cookie": {"nmae": "x"}}}),
            "jwt.refresh_cookie.nmae",
            "jwt.refresh_cookie.name",
        ),
        (
            json!({"password": {"argon2": {"memory": 1}}}),
            "password.argon2.memory",
            "password.argon2.memory_kib",
        ),
        (
            json!({"totp": {"VALID-WINDOW": 1}}),
            "totp.VALID-WINDOW",
            "totp.valid_window",
        ),
        // A key that exists in another section points there.
        (json!({"leeway_secs": 5}), "leeway_secs", "jwt.leeway_secs"),
        (
            json!({"agents": {"access_token_lifetime_secs": 5}}),
            "agents.access_token_lifetime_secs",
            "jwt.access_token_lifetime_secs",
        ),
        // An ambiguous name ("enabled" is in many sections) falls back to the nearest sibling.
        (
            json!({"client_ip": {"enabled": true}}),
            "client_ip.enabled",
            "client_ip.trusted_proxies",
        ),
        // Array elements are checked against the element shape.
        (
            json!({"rate_limit": {"login": [{"max_request": 1, "window_secs": 60}]}}),
            "rate_limit.login[0].max_request",
            "rate_limit.login[0].max_requests",
        ),
        (
            json!({"rate_limit": {"path_rules": [{"path": "/x", "max_requests": 1, "windw_secs": 9}]}}),
            "rate_limit.path_rules[0].windw_secs",
            "rate_limit.path_rules[0].window_secs",
        ),
    ];
    for (doc, path, suggestion) in cases {
        let e = Settings::from_value(doc.clone()).unwrap_err();
        assert_eq!(e.code(), ErrorCode::UnknownSetting, "{doc}");
        assert_eq!(detail(&e, "path"), path, "{doc}");
        assert_eq!(detail(&e, "suggestion"), suggestion, "{doc}");
        assert!(
            e.message()
                .contains(&format!("did you mean \"{suggestion}\"")),
            "{}",
            e.message()
        );
    }
}

#[test]
fn wrong_types_name_the_path() {
    let cases = [
        (
            json!({"jwt": {"access_token_lifetime_secs": "600"}}),
            "jwt.access_token_lifetime_secs",
        ),
        (
            json!({"jwt": {"access_token_lifetime_secs": -1}}),
            "jwt.access_token_lifetime_secs",
        ),
        (
            json!({"jwt": {"access_token_lifetime_secs": 600.5}}),
            "jwt.access_token_lifetime_secs",
        ),
        (
            json!({"jwt": {"access_token_lifetime_secs": null}}),
            "jwt.access_token_lifetime_secs",
        ),
        (json!({"jwt": {"algorithm": "none"}}), "jwt.algorithm"),
        (
            json!({"jwt": {"refresh_cookie": {"same_site": "strict"}}}),
            "jwt.refresh_cookie.same_site",
        ),
        (
            json!({"lockout": {"max_attempts": 5_000_000_000u64}}),
            "lockout.max_attempts",
        ),
        (
            json!({"magic_link": {"enabled": "yes"}}),
            "magic_link.enabled",
        ),
        (
            json!({"rate_limit": {"login": [{"max_requests": 1, "window_secs": 60}, {"max_requests": 1, "window_secs": "1h"}]}}),
            "rate_limit.login[1].window_secs",
        ),
        (json!({"rate_limit": {"login": [5]}}), "rate_limit.login[0]"),
        (
            json!({"cors": {"allowed_origins": "https://a.example"}}),
            "cors.allowed_origins",
        ),
        (json!({"jwt": 5}), "jwt"),
        (json!({"preset": 3}), "preset"),
    ];
    for (doc, path) in cases {
        let e = Settings::from_value(doc.clone()).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidSetting, "{doc}: {e}");
        assert_eq!(detail(&e, "path"), path, "{doc}: {e}");
        assert!(e.message().contains(path), "{}", e.message());
    }
}

#[test]
fn type_errors_speak_json() {
    let e = Settings::from_value(json!({"jwt": {"leeway_secs": "5"}})).unwrap_err();
    assert!(
        e.message().contains("expected a non-negative integer"),
        "{}",
        e.message()
    );
    let e = Settings::from_value(json!({"totp": {"digits": 1u64 << 33}})).unwrap_err();
    assert!(e.message().contains("up to 4294967295"), "{}", e.message());
}

#[test]
fn enum_errors_list_the_accepted_values() {
    let e = Settings::from_value(json!({"jwt": {"algorithm": "none"}})).unwrap_err();
    assert!(
        e.message().contains("HS256") && e.message().contains("EdDSA"),
        "{}",
        e.message()
    );
}

#[test]
fn unknown_preset_suggests_one() {
    let e = Settings::from_json(r#"{"preset": "robuts"}"#).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidSetting);
    assert!(
        e.message().contains("did you mean \"robust\""),
        "{}",
        e.message()
    );
    // Tenxyte Core's second preset system is not accepted under any name.
    assert!(Settings::from_json(r#"{"preset": "production"}"#).is_err());
    assert!(Settings::from_json(r#"{"preset": "Medium"}"#).is_err());
}

#[test]
fn with_overrides_cannot_switch_preset() {
    let s = Settings::preset(Preset::Robust);
    let e = s
        .clone()
        .with_overrides(json!({"preset": "development"}))
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidSetting);
    assert_eq!(detail(&e, "path"), "preset");
    assert_eq!(
        s.clone()
            .with_overrides(json!({"preset": "robust"}))
            .unwrap(),
        s
    );
}

#[test]
fn duplicate_and_malformed_documents_are_refused() {
    for text in [
        r#"{"preset": "medium", "preset": "development"}"#,
        r#"{"jwt": {"leeway_secs": 1, "leeway_secs": 2}}"#,
        r#"{"jwt": {"leeway_secs": 1}, "jwt": {}}"#,
        r#"{"jwt": "#,
        r#"[]"#,
        r#""medium""#,
    ] {
        let e = Settings::from_json(text).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidSetting, "{text}");
    }
    let e = Settings::from_json(r#"{"preset": "medium", "preset": "development"}"#).unwrap_err();
    assert!(e.message().contains("duplicate"), "{}", e.message());
}

#[test]
fn optional_settings_are_known_keys_shown_as_null() {
    let v = Settings::preset(Preset::Medium).to_value().unwrap();
    assert!(v["jwt"]["audience"].is_null());
    assert!(v["password"]["min_length_without_mfa"].is_null());
    assert!(v["agents"]["max_budget_limit_micro_usd"].is_null());
    assert!(v["audit"]["webhook_url"].is_null());
    assert_eq!(v["preset"], "medium");
}

#[test]
fn round_trip_is_identity() {
    let mut all: Vec<Settings> = Preset::ALL.iter().map(|p| Settings::preset(*p)).collect();
    all.push(
        Settings::from_value(json!({
            "preset": "robust",
            "jwt": {"audience": "api", "leeway_secs": 10},
            "rate_limit": {"path_rules": [{"path": "/api/v1/auth/export$", "max_requests": 2, "window_secs": 3600}]},
            "agents": {"default_heartbeat_interval_secs": 300, "confirmation_required": ["users.delete"]},
            "client_ip": {"trusted_proxy_count": 1, "trusted_proxies": ["10.0.0.0/8"]}
        }))
        .unwrap(),
    );
    for s in all {
        let text = s.to_json_pretty().unwrap();
        assert_eq!(Settings::from_json(&text).unwrap(), s, "{text}");
    }
}

/// Each rule, a document that breaks only it, and the paths the error must name.
fn rule_cases() -> Vec<(&'static str, Preset, Value, ErrorCode, Vec<&'static str>)> {
    use ErrorCode::{ConflictingSettings as C, InvalidSetting as I};
    let (d, m, r) = (Preset::Development, Preset::Medium, Preset::Robust);
    vec![
        (
            "jwt_lifetime_ranges",
            m,
            json!({"jwt": {"access_token_lifetime_secs": 0}}),
            I,
            vec!["jwt.access_token_lifetime_secs"],
        ),
        (
            "jwt_lifetime_ranges",
            m,
            json!({"jwt": {"restricted_token_lifetime_secs": 7200}}),
            I,
            vec!["jwt.restricted_token_lifetime_secs"],
        ),
        (
            "refresh_outlives_access",
            m,
            json!({"jwt": {"access_token_lifetime_secs": 3600, "refresh_token_lifetime_secs": 3600}}),
            C,
            vec![
                "jwt.refresh_token_lifetime_secs",
                "jwt.access_token_lifetime_secs",
            ],
        ),
        (
            "jwt_leeway_range",
            m,
            json!({"jwt": {"leeway_secs": 301}}),
            I,
            vec!["jwt.leeway_secs"],
        ),
        (
            "jwt_max_token_bytes_range",
            m,
            json!({"jwt": {"max_token_bytes": 100}}),
            I,
            vec!["jwt.max_token_bytes"],
        ),
        (
            "jwt_issuer_and_audience",
            m,
            json!({"jwt": {"issuer": ""}}),
            I,
            vec!["jwt.issuer"],
        ),
        (
            "jwt_issuer_and_audience",
            m,
            json!({"jwt": {"audience": " "}}),
            I,
            vec!["jwt.audience"],
        ),
        (
            "rotation_only_off_in_development",
            m,
            json!({"jwt": {"refresh_token_rotation": false}}),
            C,
            vec!["preset", "jwt.refresh_token_rotation"],
        ),
        (
            "blacklist_only_off_in_development",
            r,
            json!({"jwt": {"blacklist_enabled": false}}),
            C,
            vec!["preset", "jwt.blacklist_enabled"],
        ),
        (
            "refresh_cookie_secure",
            d,
            json!({"jwt": {"refresh_cookie": {"same_site": "None", "secure": false}}}),
            C,
            vec!["jwt.refresh_cookie.same_site", "jwt.refresh_cookie.secure"],
        ),
        (
            "refresh_cookie_secure",
            m,
            json!({"jwt": {"refresh_cookie": {"enabled": true, "secure": false}}}),
            C,
            vec!["preset", "jwt.refresh_cookie.secure"],
        ),
        (
            "password_length_bounds",
            m,
            json!({"password": {"max_length": 63}}),
            I,
            vec!["password.max_length"],
        ),
        (
            "password_length_bounds",
            m,
            json!({"password": {"min_length": 100, "max_length": 64}}),
            C,
            vec!["password.min_length", "password.max_length"],
        ),
        (
            "password_length_bounds",
            m,
            json!({"password": {"min_length_without_mfa": 200}}),
            C,
            vec!["password.min_length_without_mfa", "password.max_length"],
        ),
        (
            "password_min_length_floor",
            m,
            json!({"password": {"min_length": 6}}),
            C,
            vec!["preset", "password.min_length"],
        ),
        (
            "password_history",
            m,
            json!({"password": {"history_count": 0}}),
            C,
            vec!["password.history_enabled", "password.history_count"],
        ),
        (
            "password_history",
            m,
            json!({"password": {"history_count": 51}}),
            I,
            vec!["password.history_count"],
        ),
        (
            "argon2_bounds",
            d,
            json!({"password": {"argon2": {"parallelism": 0}}}),
            I,
            vec!["password.argon2.parallelism"],
        ),
        (
            "argon2_bounds",
            d,
            json!({"password": {"argon2": {"memory_kib": 8, "parallelism": 2}}}),
            I,
            vec!["password.argon2.memory_kib"],
        ),
        (
            "argon2_owasp_minimum",
            m,
            json!({"password": {"argon2": {"memory_kib": 19455, "iterations": 2}}}),
            C,
            vec!["preset", "password.argon2"],
        ),
        (
            "argon2_owasp_minimum",
            r,
            json!({"password": {"argon2": {"memory_kib": 47103, "iterations": 1}}}),
            C,
            vec!["preset", "password.argon2"],
        ),
        (
            "argon2_owasp_minimum",
            m,
            json!({"password": {"argon2": {"memory_kib": 7167, "iterations": 5}}}),
            C,
            vec!["preset", "password.argon2"],
        ),
        (
            "breach_reject_needs_enabled",
            m,
            json!({"breach_check": {"enabled": false}}),
            C,
            vec!["breach_check.reject", "breach_check.enabled"],
        ),
        (
            "breach_reject_needs_enabled",
            d,
            json!({"breach_check": {"reject_when_unavailable": true}}),
            C,
            vec![
                "breach_check.reject_when_unavailable",
                "breach_check.enabled",
            ],
        ),
        (
            "breach_timeout_range",
            m,
            json!({"breach_check": {"timeout_secs": 0}}),
            I,
            vec!["breach_check.timeout_secs"],
        ),
        (
            "lockout_attempts",
            m,
            json!({"lockout": {"max_attempts": 0}}),
            C,
            vec!["lockout.enabled", "lockout.max_attempts"],
        ),
        (
            "lockout_attempts",
            m,
            json!({"lockout": {"max_attempts": 101}}),
            I,
            vec!["lockout.max_attempts"],
        ),
        (
            "lockout_durations",
            m,
            json!({"lockout": {"duration_secs": 90000}}),
            C,
            vec!["lockout.duration_secs", "lockout.max_duration_secs"],
        ),
        (
            "lockout_durations",
            m,
            json!({"lockout": {"failure_window_secs": 0}}),
            I,
            vec!["lockout.failure_window_secs"],
        ),
        (
            "rate_limit_windows",
            m,
            json!({"rate_limit": {"refresh": [{"max_requests": 0, "window_secs": 60}]}}),
            I,
            vec!["rate_limit.refresh[0].max_requests"],
        ),
        (
            "rate_limit_windows",
            m,
            json!({"rate_limit": {"path_rules": [{"path": "export", "max_requests": 1, "window_secs": 60}]}}),
            I,
            vec!["rate_limit.path_rules[0].path"],
        ),
        (
            "trusted_proxies_listed",
            m,
            json!({"client_ip": {"trusted_proxy_count": 1}}),
            C,
            vec!["client_ip.trusted_proxy_count", "client_ip.trusted_proxies"],
        ),
        (
            "totp_parameters",
            m,
            json!({"totp": {"valid_window": 4}}),
            I,
            vec!["totp.valid_window"],
        ),
        (
            "totp_parameters",
            m,
            json!({"totp": {"digits": 5}}),
            I,
            vec!["totp.digits"],
        ),
        (
            "totp_parameters",
            m,
            json!({"totp": {"digits": 9}}),
            I,
            vec!["totp.digits"],
        ),
        (
            "totp_parameters",
            m,
            json!({"totp": {"period_secs": 60}}),
            I,
            vec!["totp.period_secs"],
        ),
        (
            "totp_parameters",
            m,
            json!({"totp": {"secret_bytes": 10}}),
            I,
            vec!["totp.secret_bytes"],
        ),
        (
            "totp_parameters",
            m,
            json!({"totp": {"issuer": "Acme:Corp"}}),
            I,
            vec!["totp.issuer"],
        ),
        (
            "otp_parameters",
            m,
            json!({"otp": {"email_lifetime_secs": 601}}),
            I,
            vec!["otp.email_lifetime_secs"],
        ),
        (
            "otp_parameters",
            m,
            json!({"otp": {"login_lifetime_secs": 900}}),
            I,
            vec!["otp.login_lifetime_secs"],
        ),
        (
            "otp_parameters",
            m,
            json!({"otp": {"length": 4}}),
            I,
            vec!["otp.length"],
        ),
        (
            "otp_parameters",
            m,
            json!({"otp": {"max_attempts": 0}}),
            I,
            vec!["otp.max_attempts"],
        ),
        (
            "backup_code_count",
            m,
            json!({"backup_codes": {"count": 5}}),
            I,
            vec!["backup_codes.count"],
        ),
        (
            "magic_link_lifetime",
            m,
            json!({"magic_link": {"lifetime_secs": 901}}),
            I,
            vec!["magic_link.lifetime_secs"],
        ),
        (
            "webauthn_parameters",
            r,
            json!({"webauthn": {"challenge_lifetime_secs": 3600}}),
            I,
            vec!["webauthn.challenge_lifetime_secs"],
        ),
        (
            "webauthn_parameters",
            r,
            json!({"webauthn": {"rp_id": ""}}),
            I,
            vec!["webauthn.rp_id"],
        ),
        (
            "session_and_device_limits",
            m,
            json!({"sessions": {"max_sessions": 0}}),
            C,
            vec!["sessions.limit_enabled", "sessions.max_sessions"],
        ),
        (
            "session_and_device_limits",
            r,
            json!({"devices": {"max_devices": 0}}),
            C,
            vec!["devices.limit_enabled", "devices.max_devices"],
        ),
        (
            "application_auth_only_off_in_development",
            m,
            json!({"application_auth": {"enabled": false}}),
            C,
            vec!["preset", "application_auth.enabled"],
        ),
        (
            "application_auth_only_off_in_development",
            r,
            json!({"application_auth": {"enabled": false}}),
            C,
            vec!["preset", "application_auth.enabled"],
        ),
        (
            "cors_credentials_need_listed_origins",
            d,
            json!({"cors": {"allow_all_origins": true, "allow_credentials": true}}),
            C,
            vec!["cors.allow_all_origins", "cors.allow_credentials"],
        ),
        (
            "cors_origin_list",
            m,
            json!({"cors": {"allowed_origins": ["https://*.example.com"]}}),
            I,
            vec!["cors.allowed_origins[0]"],
        ),
        (
            "cors_origin_list",
            m,
            json!({"cors": {"allowed_origins": ["https://ok.example", "example.com"]}}),
            I,
            vec!["cors.allowed_origins[1]"],
        ),
        (
            "agent_expiry",
            m,
            json!({"agents": {"default_expiry_secs": 90000}}),
            C,
            vec!["agents.default_expiry_secs", "agents.max_expiry_secs"],
        ),
        (
            "agent_expiry",
            m,
            json!({"agents": {"default_expiry_secs": 0}}),
            I,
            vec!["agents.default_expiry_secs"],
        ),
        (
            "hitl_lifetime",
            m,
            json!({"agents": {"pending_action_lifetime_secs": 0}}),
            I,
            vec!["agents.pending_action_lifetime_secs"],
        ),
        (
            "agent_budget",
            m,
            json!({"agents": {"default_budget_limit_micro_usd": 2, "max_budget_limit_micro_usd": 1}}),
            C,
            vec![
                "agents.default_budget_limit_micro_usd",
                "agents.max_budget_limit_micro_usd",
            ],
        ),
        (
            "agent_heartbeat",
            m,
            json!({"agents": {"default_heartbeat_interval_secs": 5}}),
            C,
            vec![
                "agents.default_heartbeat_interval_secs",
                "agents.min_heartbeat_interval_secs",
            ],
        ),
        (
            "agent_heartbeat",
            m,
            json!({"agents": {"min_heartbeat_interval_secs": 0}}),
            I,
            vec!["agents.min_heartbeat_interval_secs"],
        ),
        (
            "organization_depth",
            m,
            json!({"organizations": {"max_depth": 0}}),
            I,
            vec!["organizations.max_depth"],
        ),
        (
            "organization_depth",
            m,
            json!({"organizations": {"invitation_lifetime_secs": 0}}),
            I,
            vec!["organizations.invitation_lifetime_secs"],
        ),
        (
            "api_prefix_and_body_limit",
            m,
            json!({"api": {"prefix": "/api/../x/"}}),
            I,
            vec!["api.prefix"],
        ),
        (
            "api_prefix_and_body_limit",
            m,
            json!({"api": {"max_body_bytes": 10}}),
            I,
            vec!["api.max_body_bytes"],
        ),
    ]
}

#[test]
fn each_rule_fires_and_names_its_keys() {
    let mut covered = BTreeSet::new();
    for (check, preset, overrides, code, paths) in rule_cases() {
        let e = Settings::preset(preset)
            .with_overrides(overrides.clone())
            .expect_err(&format!("{check}: {overrides} should be refused"));
        assert_eq!(e.code(), code, "{check}: {e}");
        assert_eq!(detail(&e, "check"), check, "{overrides}: {e}");
        for path in &paths {
            assert!(
                e.message().contains(&format!("\"{path}\"")),
                "{check}: {} lacks {path}",
                e.message()
            );
        }
        if code == ErrorCode::ConflictingSettings {
            assert_eq!(detail(&e, "paths"), &json!(paths), "{check}");
        } else {
            assert_eq!(detail(&e, "path"), paths[0], "{check}");
        }
        covered.insert(check);
    }
    let all: BTreeSet<&str> = CHECKS.iter().map(|(n, _)| *n).collect();
    assert_eq!(covered, all, "every rule needs a failing case");
}

#[test]
fn development_may_relax_what_production_may_not() {
    let relaxed = json!({
        "application_auth": {"enabled": false},
        "jwt": {"blacklist_enabled": false, "refresh_token_rotation": false,
                "refresh_cookie": {"enabled": true, "secure": false}},
        "password": {"min_length": 4, "argon2": {"memory_kib": 1024, "iterations": 1}}
    });
    let dev = Settings::preset(Preset::Development)
        .with_overrides(relaxed.clone())
        .unwrap();
    assert!(!dev.application_auth.enabled);
    for p in [Preset::Medium, Preset::Robust] {
        let e = Settings::preset(p)
            .with_overrides(relaxed.clone())
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::ConflictingSettings);
        assert_eq!(detail(&e, "paths")[0], "preset");
    }
}

#[test]
fn owasp_equivalents_are_accepted_outside_development() {
    for (m, t) in validate::OWASP_ARGON2_MINIMUMS {
        let s = Settings::preset(Preset::Robust)
            .with_overrides(json!({"password": {"argon2": {"memory_kib": m, "iterations": t}}}));
        assert!(s.is_ok(), "m={m} t={t}: {s:?}");
    }
    // Boundaries just below each row fail: one KiB less at the same t (where no other row
    // rescues it) and one pass less at the same m.
    for (m, t) in [
        (47_103u32, 1u32),
        (19_455, 2),
        (12_287, 3),
        (9_215, 4),
        (7_167, 5),
    ] {
        let e = Settings::preset(Preset::Medium)
            .with_overrides(json!({"password": {"argon2": {"memory_kib": m, "iterations": t}}}))
            .unwrap_err();
        assert_eq!(detail(&e, "check"), "argon2_owasp_minimum", "m={m} t={t}");
    }
}

#[test]
fn errors_serialize_with_config_category() {
    let e = Settings::from_json(r#"{"jwt": {"leeway_secs": 999}}"#).unwrap_err();
    let j = e.to_json();
    assert_eq!(j["code"], "invalid_setting");
    assert_eq!(j["category"], "config");
    assert_eq!(j["details"]["path"], "jwt.leeway_secs");
}

#[test]
fn docs_list_every_setting() {
    fn leaves(v: &Value, prefix: &str, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                for (k, inner) in map {
                    let p = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    leaves(inner, &p, out);
                }
            }
            _ => out.push(prefix.to_owned()),
        }
    }
    let doc = include_str!("../../../docs/settings.md");
    let mut paths = Vec::new();
    leaves(
        &Settings::preset(Preset::Medium).to_value().unwrap(),
        "",
        &mut paths,
    );
    for path in paths {
        assert!(
            doc.contains(&format!("| `{path}` |")),
            "docs/settings.md lacks `{path}`"
        );
    }
    for (check, _) in CHECKS {
        assert!(
            doc.contains(&format!("| `{check}` |")),
            "docs/settings.md lacks check `{check}`"
        );
    }
}
