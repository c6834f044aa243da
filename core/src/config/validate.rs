//! Consistency rules, one small named check each.
//!
//! A value out of its own range is `invalid_setting` (one path); two settings that contradict
//! each other — including a setting that only the development preset may relax — are
//! `conflicting_settings` (both paths). Every error's `details.check` names the rule.

use super::errors::{conflict, invalid};
use super::preset::Preset;
use super::Settings;
use crate::error::{Error, Result};

type Check = fn(&Settings) -> Result<()>;

/// Every rule, in the order `Settings::validate` applies them.
pub(super) const CHECKS: &[(&str, Check)] = &[
    ("jwt_lifetime_ranges", jwt_lifetime_ranges),
    ("refresh_outlives_access", refresh_outlives_access),
    ("jwt_leeway_range", jwt_leeway_range),
    ("jwt_max_token_bytes_range", jwt_max_token_bytes_range),
    ("jwt_issuer_and_audience", jwt_issuer_and_audience),
    (
        "rotation_only_off_in_development",
        rotation_only_off_in_development,
    ),
    (
        "blacklist_only_off_in_development",
        blacklist_only_off_in_development,
    ),
    ("refresh_cookie_secure", refresh_cookie_secure),
    ("password_length_bounds", password_length_bounds),
    ("password_min_length_floor", password_min_length_floor),
    ("password_history", password_history),
    ("argon2_bounds", argon2_bounds),
    ("argon2_owasp_minimum", argon2_owasp_minimum),
    ("breach_reject_needs_enabled", breach_reject_needs_enabled),
    ("breach_timeout_range", breach_timeout_range),
    ("lockout_attempts", lockout_attempts),
    ("lockout_durations", lockout_durations),
    ("rate_limit_windows", rate_limit_windows),
    ("trusted_proxies_listed", trusted_proxies_listed),
    ("totp_parameters", totp_parameters),
    ("otp_parameters", otp_parameters),
    ("backup_code_count", backup_code_count),
    ("magic_link_lifetime", magic_link_lifetime),
    ("webauthn_parameters", webauthn_parameters),
    ("session_and_device_limits", session_and_device_limits),
    (
        "application_auth_only_off_in_development",
        application_auth_only_off_in_development,
    ),
    (
        "cors_credentials_need_listed_origins",
        cors_credentials_need_listed_origins,
    ),
    ("cors_origin_list", cors_origin_list),
    ("agent_expiry", agent_expiry),
    ("hitl_lifetime", hitl_lifetime),
    ("agent_budget", agent_budget),
    ("agent_heartbeat", agent_heartbeat),
    ("organization_depth", organization_depth),
    ("api_prefix_and_body_limit", api_prefix_and_body_limit),
];

/// Runs every check; the first failure is returned with `details.check` set to its name.
pub(super) fn validate(s: &Settings) -> Result<()> {
    for (name, check) in CHECKS {
        check(s).map_err(|e| tag(e, name))?;
    }
    Ok(())
}

fn tag(e: Error, name: &str) -> Error {
    let mut details = e
        .details()
        .cloned()
        .unwrap_or_else(|| serde_json::json!({}));
    if let Some(map) = details.as_object_mut() {
        map.insert("check".into(), name.into());
    }
    e.with_details(details)
}

fn in_range(path: &str, value: u64, lo: u64, hi: u64) -> Result<()> {
    if (lo..=hi).contains(&value) {
        Ok(())
    } else {
        Err(invalid(
            path,
            &format!("expected an integer in {lo}..={hi}, got {value}"),
        ))
    }
}

fn dev(s: &Settings) -> bool {
    s.preset == Preset::Development
}

const DAY: u64 = 86_400;

fn jwt_lifetime_ranges(s: &Settings) -> Result<()> {
    in_range(
        "jwt.access_token_lifetime_secs",
        s.jwt.access_token_lifetime_secs,
        1,
        DAY,
    )?;
    in_range(
        "jwt.refresh_token_lifetime_secs",
        s.jwt.refresh_token_lifetime_secs,
        1,
        365 * DAY,
    )?;
    in_range(
        "jwt.restricted_token_lifetime_secs",
        s.jwt.restricted_token_lifetime_secs,
        60,
        3600,
    )
}

fn refresh_outlives_access(s: &Settings) -> Result<()> {
    if s.jwt.refresh_token_lifetime_secs <= s.jwt.access_token_lifetime_secs {
        return Err(conflict(
            "jwt.refresh_token_lifetime_secs",
            "jwt.access_token_lifetime_secs",
            "the refresh-token lifetime must be longer than the access-token lifetime",
        ));
    }
    Ok(())
}

fn jwt_leeway_range(s: &Settings) -> Result<()> {
    in_range("jwt.leeway_secs", s.jwt.leeway_secs, 0, 300)
}

fn jwt_max_token_bytes_range(s: &Settings) -> Result<()> {
    in_range(
        "jwt.max_token_bytes",
        s.jwt.max_token_bytes,
        1024,
        64 * 1024,
    )
}

fn jwt_issuer_and_audience(s: &Settings) -> Result<()> {
    if s.jwt.issuer.trim().is_empty() {
        return Err(invalid(
            "jwt.issuer",
            "expected a non-empty string (every token carries and requires `iss`)",
        ));
    }
    if s.jwt
        .audience
        .as_deref()
        .is_some_and(|a| a.trim().is_empty())
    {
        return Err(invalid(
            "jwt.audience",
            "expected null or a non-empty string",
        ));
    }
    Ok(())
}

fn rotation_only_off_in_development(s: &Settings) -> Result<()> {
    if !s.jwt.refresh_token_rotation && !dev(s) {
        return Err(conflict(
            "preset",
            "jwt.refresh_token_rotation",
            "only the development preset may turn refresh-token rotation (and with it reuse detection) off",
        ));
    }
    Ok(())
}

fn blacklist_only_off_in_development(s: &Settings) -> Result<()> {
    if !s.jwt.blacklist_enabled && !dev(s) {
        return Err(conflict(
            "preset",
            "jwt.blacklist_enabled",
            "only the development preset may stop checking revoked tokens (logout would not log out)",
        ));
    }
    Ok(())
}

fn refresh_cookie_secure(s: &Settings) -> Result<()> {
    let c = &s.jwt.refresh_cookie;
    if c.same_site == super::jwt::SameSite::None && !c.secure {
        return Err(conflict(
            "jwt.refresh_cookie.same_site",
            "jwt.refresh_cookie.secure",
            "browsers drop SameSite=None cookies that are not Secure",
        ));
    }
    if c.enabled && !c.secure && !dev(s) {
        return Err(conflict(
            "preset",
            "jwt.refresh_cookie.secure",
            "only the development preset may send the refresh cookie without Secure",
        ));
    }
    if c.name.is_empty() {
        return Err(invalid(
            "jwt.refresh_cookie.name",
            "expected a non-empty cookie name",
        ));
    }
    Ok(())
}

fn password_length_bounds(s: &Settings) -> Result<()> {
    let p = &s.password;
    in_range("password.min_length", p.min_length.into(), 1, 4096)?;
    if p.max_length < 64 {
        return Err(invalid(
            "password.max_length",
            &format!(
                "expected at least 64 (OWASP ASVS 6.2.9), got {}",
                p.max_length
            ),
        ));
    }
    in_range("password.max_length", p.max_length.into(), 64, 4096)?;
    if p.min_length > p.max_length {
        return Err(conflict(
            "password.min_length",
            "password.max_length",
            "the minimum length exceeds the maximum length",
        ));
    }
    if p.min_length_without_mfa.is_some_and(|m| m > p.max_length) {
        return Err(conflict(
            "password.min_length_without_mfa",
            "password.max_length",
            "the minimum length without MFA exceeds the maximum length",
        ));
    }
    Ok(())
}

fn password_min_length_floor(s: &Settings) -> Result<()> {
    let floor_broken =
        s.password.min_length < 8 || s.password.min_length_without_mfa.is_some_and(|m| m < 8);
    if floor_broken && !dev(s) {
        return Err(conflict(
            "preset",
            "password.min_length",
            "only the development preset may allow passwords shorter than 8 characters (OWASP ASVS 6.2.1)",
        ));
    }
    Ok(())
}

fn password_history(s: &Settings) -> Result<()> {
    in_range(
        "password.history_count",
        s.password.history_count.into(),
        0,
        50,
    )?;
    if s.password.history_enabled && s.password.history_count == 0 {
        return Err(conflict(
            "password.history_enabled",
            "password.history_count",
            "history is enabled but keeps no previous passwords",
        ));
    }
    Ok(())
}

fn argon2_bounds(s: &Settings) -> Result<()> {
    let a = &s.password.argon2;
    in_range("password.argon2.parallelism", a.parallelism.into(), 1, 16)?;
    in_range("password.argon2.iterations", a.iterations.into(), 1, 32)?;
    // RFC 9106 §3.1: m ≥ 8·p. The upper bound (2 GiB) keeps one hash from exhausting a host.
    let min_m = 8 * u64::from(a.parallelism);
    in_range(
        "password.argon2.memory_kib",
        a.memory_kib.into(),
        min_m,
        2 * 1024 * 1024,
    )
}

/// OWASP Password Storage Cheat Sheet: equivalent argon2id minimums `(m KiB, t)`, p = 1.
pub(super) const OWASP_ARGON2_MINIMUMS: [(u32, u32); 5] = [
    (47_104, 1),
    (19_456, 2),
    (12_288, 3),
    (9_216, 4),
    (7_168, 5),
];

fn argon2_owasp_minimum(s: &Settings) -> Result<()> {
    let a = &s.password.argon2;
    let meets = OWASP_ARGON2_MINIMUMS
        .iter()
        .any(|&(m, t)| a.memory_kib >= m && a.iterations >= t);
    if !meets && !dev(s) {
        return Err(conflict(
            "preset",
            "password.argon2",
            &format!(
                "argon2id m={} KiB, t={} is below the OWASP minimum (any of m≥47104 t≥1, m≥19456 t≥2, m≥12288 t≥3, m≥9216 t≥4, m≥7168 t≥5); only the development preset may go lower",
                a.memory_kib, a.iterations
            ),
        ));
    }
    Ok(())
}

fn breach_reject_needs_enabled(s: &Settings) -> Result<()> {
    let b = &s.breach_check;
    if (b.reject || b.reject_when_unavailable) && !b.enabled {
        let other = if b.reject {
            "breach_check.reject"
        } else {
            "breach_check.reject_when_unavailable"
        };
        return Err(conflict(
            other,
            "breach_check.enabled",
            "rejecting breached passwords needs the breach check enabled",
        ));
    }
    Ok(())
}

fn breach_timeout_range(s: &Settings) -> Result<()> {
    in_range(
        "breach_check.timeout_secs",
        s.breach_check.timeout_secs,
        1,
        30,
    )
}

fn lockout_attempts(s: &Settings) -> Result<()> {
    let l = &s.lockout;
    if l.enabled && l.max_attempts == 0 {
        return Err(conflict(
            "lockout.enabled",
            "lockout.max_attempts",
            "lockout is enabled with 0 allowed attempts, which locks every account",
        ));
    }
    // OWASP ASVS 4.0.3 2.2.1 / NIST 800-63B §5.2.2: at most 100 consecutive failures.
    in_range("lockout.max_attempts", l.max_attempts.into(), 0, 100)
}

fn lockout_durations(s: &Settings) -> Result<()> {
    let l = &s.lockout;
    in_range("lockout.duration_secs", l.duration_secs, 1, 30 * DAY)?;
    in_range(
        "lockout.failure_window_secs",
        l.failure_window_secs,
        1,
        30 * DAY,
    )?;
    in_range(
        "lockout.max_duration_secs",
        l.max_duration_secs,
        1,
        30 * DAY,
    )?;
    if l.duration_secs > l.max_duration_secs {
        return Err(conflict(
            "lockout.duration_secs",
            "lockout.max_duration_secs",
            "the first lock is longer than the escalation cap",
        ));
    }
    Ok(())
}

fn rate_limit_windows(s: &Settings) -> Result<()> {
    let r = &s.rate_limit;
    let lists = [
        ("login", &r.login),
        ("register", &r.register),
        ("password_reset", &r.password_reset),
        ("otp_request", &r.otp_request),
        ("otp_verify", &r.otp_verify),
        ("login_otp_request", &r.login_otp_request),
        ("refresh", &r.refresh),
        ("magic_link_request", &r.magic_link_request),
        ("magic_link_verify", &r.magic_link_verify),
    ];
    for (name, list) in lists {
        for (i, w) in list.iter().enumerate() {
            let at = format!("rate_limit.{name}[{i}]");
            in_range(
                &format!("{at}.max_requests"),
                w.max_requests.into(),
                1,
                u32::MAX.into(),
            )?;
            in_range(&format!("{at}.window_secs"), w.window_secs, 1, 30 * DAY)?;
        }
    }
    for (i, rule) in r.path_rules.iter().enumerate() {
        let at = format!("rate_limit.path_rules[{i}]");
        if !rule.path.starts_with('/') {
            return Err(invalid(
                &format!("{at}.path"),
                "expected a path starting with \"/\"",
            ));
        }
        in_range(
            &format!("{at}.max_requests"),
            rule.max_requests.into(),
            1,
            u32::MAX.into(),
        )?;
        in_range(&format!("{at}.window_secs"), rule.window_secs, 1, 30 * DAY)?;
    }
    Ok(())
}

fn trusted_proxies_listed(s: &Settings) -> Result<()> {
    let c = &s.client_ip;
    if c.trusted_proxy_count > 0 && c.trusted_proxies.is_empty() {
        return Err(conflict(
            "client_ip.trusted_proxy_count",
            "client_ip.trusted_proxies",
            "X-Forwarded-For would be trusted from any peer; list the proxies' addresses",
        ));
    }
    Ok(())
}

fn totp_parameters(s: &Settings) -> Result<()> {
    let t = &s.totp;
    in_range("totp.digits", t.digits.into(), 6, 8)?;
    in_range("totp.valid_window", t.valid_window.into(), 0, 3)?;
    in_range("totp.period_secs", t.period_secs, 15, 30)?;
    in_range("totp.secret_bytes", t.secret_bytes.into(), 16, 64)?;
    if t.issuer.is_empty() || t.issuer.contains(':') {
        return Err(invalid(
            "totp.issuer",
            "expected a non-empty string without \":\" (it prefixes the otpauth label)",
        ));
    }
    Ok(())
}

fn otp_parameters(s: &Settings) -> Result<()> {
    let o = &s.otp;
    in_range("otp.length", o.length.into(), 6, 10)?;
    in_range("otp.max_attempts", o.max_attempts.into(), 1, 10)?;
    // ASVS 5.0 6.5.5: out-of-band codes live at most 10 minutes.
    in_range("otp.email_lifetime_secs", o.email_lifetime_secs, 1, 600)?;
    in_range("otp.sms_lifetime_secs", o.sms_lifetime_secs, 1, 600)?;
    in_range("otp.login_lifetime_secs", o.login_lifetime_secs, 1, 600)
}

fn backup_code_count(s: &Settings) -> Result<()> {
    in_range("backup_codes.count", s.backup_codes.count.into(), 10, 50)
}

fn magic_link_lifetime(s: &Settings) -> Result<()> {
    in_range(
        "magic_link.lifetime_secs",
        s.magic_link.lifetime_secs,
        1,
        900,
    )
}

fn webauthn_parameters(s: &Settings) -> Result<()> {
    in_range(
        "webauthn.challenge_lifetime_secs",
        s.webauthn.challenge_lifetime_secs,
        30,
        600,
    )?;
    if s.webauthn.rp_id.is_empty() {
        return Err(invalid("webauthn.rp_id", "expected a non-empty domain"));
    }
    Ok(())
}

fn session_and_device_limits(s: &Settings) -> Result<()> {
    if s.sessions.limit_enabled && s.sessions.max_sessions == 0 {
        return Err(conflict(
            "sessions.limit_enabled",
            "sessions.max_sessions",
            "the session limit is enabled but 0 means unlimited; disable it or set a cap",
        ));
    }
    if s.devices.limit_enabled && s.devices.max_devices == 0 {
        return Err(conflict(
            "devices.limit_enabled",
            "devices.max_devices",
            "the device limit is enabled but 0 means unlimited; disable it or set a cap",
        ));
    }
    Ok(())
}

fn application_auth_only_off_in_development(s: &Settings) -> Result<()> {
    if !s.application_auth.enabled && !dev(s) {
        return Err(conflict(
            "preset",
            "application_auth.enabled",
            "only the development preset may turn application authentication off",
        ));
    }
    Ok(())
}

fn cors_credentials_need_listed_origins(s: &Settings) -> Result<()> {
    if s.cors.allow_all_origins && s.cors.allow_credentials {
        return Err(conflict(
            "cors.allow_all_origins",
            "cors.allow_credentials",
            "any website could make credentialed requests; list the allowed origins instead",
        ));
    }
    Ok(())
}

fn cors_origin_list(s: &Settings) -> Result<()> {
    for (i, origin) in s.cors.allowed_origins.iter().enumerate() {
        let exact = origin.starts_with("https://") || origin.starts_with("http://");
        if !exact || origin.contains('*') || origin.ends_with('/') {
            return Err(invalid(
                &format!("cors.allowed_origins[{i}]"),
                "expected an exact origin such as \"https://app.example.com\" (no wildcard, no path; use cors.allow_all_origins for any)",
            ));
        }
    }
    Ok(())
}

fn agent_expiry(s: &Settings) -> Result<()> {
    let a = &s.agents;
    in_range(
        "agents.default_expiry_secs",
        a.default_expiry_secs,
        1,
        365 * DAY,
    )?;
    in_range("agents.max_expiry_secs", a.max_expiry_secs, 1, 365 * DAY)?;
    if a.default_expiry_secs > a.max_expiry_secs {
        return Err(conflict(
            "agents.default_expiry_secs",
            "agents.max_expiry_secs",
            "the default agent-token lifetime exceeds the maximum",
        ));
    }
    Ok(())
}

fn hitl_lifetime(s: &Settings) -> Result<()> {
    in_range(
        "agents.pending_action_lifetime_secs",
        s.agents.pending_action_lifetime_secs,
        1,
        3600,
    )
}

fn agent_budget(s: &Settings) -> Result<()> {
    let a = &s.agents;
    if let (Some(default), Some(max)) = (
        a.default_budget_limit_micro_usd,
        a.max_budget_limit_micro_usd,
    ) {
        if default > max {
            return Err(conflict(
                "agents.default_budget_limit_micro_usd",
                "agents.max_budget_limit_micro_usd",
                "the default budget exceeds the maximum budget",
            ));
        }
    }
    Ok(())
}

fn agent_heartbeat(s: &Settings) -> Result<()> {
    let a = &s.agents;
    in_range(
        "agents.min_heartbeat_interval_secs",
        a.min_heartbeat_interval_secs,
        1,
        DAY,
    )?;
    if a.default_heartbeat_interval_secs
        .is_some_and(|d| d < a.min_heartbeat_interval_secs)
    {
        return Err(conflict(
            "agents.default_heartbeat_interval_secs",
            "agents.min_heartbeat_interval_secs",
            "the default heartbeat interval is shorter than the minimum",
        ));
    }
    Ok(())
}

fn organization_depth(s: &Settings) -> Result<()> {
    in_range(
        "organizations.max_depth",
        s.organizations.max_depth.into(),
        1,
        32,
    )?;
    in_range(
        "organizations.invitation_lifetime_secs",
        s.organizations.invitation_lifetime_secs,
        60,
        30 * DAY,
    )
}

/// The prefix is a clean absolute path ending in `/` (routes are appended to it), and the
/// body limit leaves room for real requests without inviting memory exhaustion.
fn api_prefix_and_body_limit(s: &Settings) -> Result<()> {
    let p = &s.api.prefix;
    let clean = p.starts_with('/')
        && p.ends_with('/')
        && !p.contains("//")
        && !p.split('/').any(|seg| seg == "." || seg == "..")
        && p.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/-_.~".contains(&b));
    if !clean {
        return Err(invalid(
            "api.prefix",
            "expected an absolute path of [A-Za-z0-9-_.~] segments starting and ending with /",
        ));
    }
    in_range(
        "api.max_body_bytes",
        s.api.max_body_bytes,
        1024,
        64 * 1024 * 1024,
    )
}
