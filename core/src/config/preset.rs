//! The three presets (Tenxyte's "Shortcut Secure Mode", one system instead of two).
//!
//! Values come from the Tenxyte `development | medium | robust` table; where that table is
//! silent they are the safe values of the security notes (OWASP ASVS 5.0, RFC 6238, the
//! OWASP Password Storage Cheat Sheet). `docs/settings.md` lists every choice.

use super::agents::{AgentSettings, OrganizationSettings, RateLimitBreach};
use super::http::{
    ApiSettings, ApplicationAuthSettings, AuditSettings, CorsSettings, FrameOptions,
    SecurityHeadersSettings,
};
use super::jwt::{JwtAlgorithm, JwtSettings, RefreshCookieSettings, SameSite};
use super::lockout::{ClientIpSettings, LockoutSettings, RateLimitSettings, RateWindow};
use super::mfa::{
    BackupCodeSettings, MagicLinkSettings, OtpSettings, TotpAlgorithm, TotpSettings,
    UserVerification, WebauthnSettings,
};
use super::password::{Argon2Settings, BreachCheckSettings, PasswordSettings};
use super::sessions::{DeviceSettings, LimitAction, SessionSettings};
use super::Settings;
use serde::{Deserialize, Serialize};

/// A named starting point; every value stays individually overridable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// Local development and prototypes: long tokens, relaxed limits. Never a silent default.
    Development,
    /// Public SaaS / B2C. The default when a settings document names no preset.
    Medium,
    /// Fintech, healthcare, GDPR-heavy deployments.
    Robust,
}

impl Preset {
    /// Every preset, weakest first.
    pub const ALL: [Preset; 3] = [Preset::Development, Preset::Medium, Preset::Robust];

    /// The lowercase name used in settings documents.
    pub fn as_str(self) -> &'static str {
        match self {
            Preset::Development => "development",
            Preset::Medium => "medium",
            Preset::Robust => "robust",
        }
    }

    /// Parses a lowercase preset name.
    pub fn parse(name: &str) -> Option<Preset> {
        Preset::ALL.into_iter().find(|p| p.as_str() == name)
    }
}

const MINUTE: u64 = 60;
const HOUR: u64 = 60 * MINUTE;
const DAY: u64 = 24 * HOUR;

/// `(development, medium, robust)` picked by preset; keeps each setting on one line.
fn by<T>(p: Preset, development: T, medium: T, robust: T) -> T {
    match p {
        Preset::Development => development,
        Preset::Medium => medium,
        Preset::Robust => robust,
    }
}

fn windows(list: &[(u32, u64)]) -> Vec<RateWindow> {
    list.iter()
        .map(|&(max_requests, window_secs)| RateWindow {
            max_requests,
            window_secs,
        })
        .collect()
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// The full settings of a preset.
pub(super) fn settings_for(p: Preset) -> Settings {
    let production = p != Preset::Development;
    Settings {
        preset: p,
        jwt: JwtSettings {
            // HS256 keeps development and single-service deployments to one secret (and
            // verifies existing Tenxyte tokens); robust signs with ES256 so verifiers
            // (edge workers, other services) hold only a public key and cannot mint tokens.
            algorithm: by(
                p,
                JwtAlgorithm::HS256,
                JwtAlgorithm::HS256,
                JwtAlgorithm::ES256,
            ),
            access_token_lifetime_secs: by(p, HOUR, 15 * MINUTE, 5 * MINUTE),
            refresh_token_lifetime_secs: by(p, 30 * DAY, 7 * DAY, DAY),
            refresh_token_rotation: production,
            blacklist_enabled: true,
            restricted_token_lifetime_secs: 15 * MINUTE,
            issuer: "tenxyte".into(),
            audience: None,
            leeway_secs: 0,
            max_token_bytes: 16 * 1024,
            refresh_cookie: RefreshCookieSettings {
                enabled: false,
                name: "tenxyte_refresh".into(),
                same_site: SameSite::Strict,
                path: "/api/v1/auth/".into(),
                secure: production,
            },
        },
        password: PasswordSettings {
            min_length: by(p, 8, 12, 15),
            min_length_without_mfa: None,
            max_length: 128,
            require_uppercase: false,
            require_lowercase: false,
            require_digit: false,
            require_special: false,
            min_unique_chars: 5,
            reject_common: true,
            reject_sequences: true,
            reject_repetition: true,
            reject_user_info: true,
            history_enabled: production,
            history_count: by(p, 0, 5, 12),
            force_change_on_first_login: false,
            rehash_on_login: true,
            argon2: Argon2Settings {
                memory_kib: 19_456,
                iterations: 2,
                parallelism: 1,
            },
        },
        breach_check: BreachCheckSettings {
            enabled: production,
            reject: production,
            reject_when_unavailable: p == Preset::Robust,
            timeout_secs: 3,
        },
        lockout: LockoutSettings {
            enabled: true,
            max_attempts: by(p, 10, 5, 3),
            duration_secs: by(p, 15 * MINUTE, 30 * MINUTE, 60 * MINUTE),
            failure_window_secs: 30 * MINUTE,
            escalation_enabled: true,
            max_duration_secs: DAY,
        },
        rate_limit: RateLimitSettings {
            enabled: true,
            login: windows(&[(5, MINUTE), (20, HOUR)]),
            register: windows(&[(3, HOUR), (10, DAY)]),
            password_reset: windows(&[(3, HOUR), (10, DAY)]),
            otp_request: windows(&[(5, HOUR)]),
            otp_verify: windows(&[(5, MINUTE)]),
            login_otp_request: windows(&[(5, MINUTE), (20, DAY)]),
            refresh: windows(&[(30, MINUTE)]),
            magic_link_request: windows(&[(3, HOUR)]),
            magic_link_verify: windows(&[(10, MINUTE)]),
            path_rules: Vec::new(),
        },
        client_ip: ClientIpSettings {
            trusted_proxy_count: 0,
            trusted_proxies: Vec::new(),
        },
        totp: TotpSettings {
            issuer: "Tenxyte".into(),
            algorithm: TotpAlgorithm::SHA1,
            digits: 6,
            period_secs: 30,
            valid_window: 1,
            secret_bytes: 20,
        },
        otp: OtpSettings {
            length: 6,
            max_attempts: 5,
            email_lifetime_secs: 10 * MINUTE,
            sms_lifetime_secs: 10 * MINUTE,
            login_lifetime_secs: 10 * MINUTE,
            login_enabled: false,
            login_auto_register: true,
        },
        backup_codes: BackupCodeSettings { count: 10 },
        magic_link: MagicLinkSettings {
            enabled: p == Preset::Medium,
            lifetime_secs: 15 * MINUTE,
            same_device_check: true,
        },
        webauthn: WebauthnSettings {
            enabled: p == Preset::Robust,
            rp_id: "localhost".into(),
            rp_name: "Tenxyte".into(),
            allowed_origins: Vec::new(),
            challenge_lifetime_secs: 5 * MINUTE,
            user_verification: by(
                p,
                UserVerification::Preferred,
                UserVerification::Preferred,
                UserVerification::Required,
            ),
        },
        sessions: SessionSettings {
            limit_enabled: production,
            max_sessions: by(p, 0, 5, 1),
            limit_action: LimitAction::RevokeOldest,
        },
        devices: DeviceSettings {
            limit_enabled: production,
            max_devices: by(p, 0, 5, 2),
            limit_action: LimitAction::Deny,
        },
        audit: AuditSettings {
            enabled: production,
            details_max_bytes: 10 * 1024,
            retention_secs: 90 * DAY,
            webhook_url: None,
        },
        security_headers: SecurityHeadersSettings {
            enabled: production,
            hsts_max_age_secs: by(p, 0, 365 * DAY, 365 * DAY),
            hsts_include_subdomains: true,
            hsts_preload: false,
            frame_options: FrameOptions::DENY,
            referrer_policy: by(
                p,
                "strict-origin-when-cross-origin",
                "strict-origin-when-cross-origin",
                "no-referrer",
            )
            .into(),
            content_security_policy: production
                .then(|| "default-src 'none'; frame-ancestors 'none'".to_owned()),
        },
        cors: CorsSettings {
            enabled: false,
            allow_all_origins: false,
            allowed_origins: Vec::new(),
            allow_credentials: false,
            allowed_methods: strings(&["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]),
            allowed_headers: strings(&[
                "Accept",
                "Authorization",
                "Content-Type",
                "X-Access-Key",
                "X-Access-Secret",
                "X-Org-Slug",
                "X-Prompt-Trace-ID",
                "X-Action-Confirmation",
                "X-Request-ID",
            ]),
            exposed_headers: strings(&["X-Request-ID", "Retry-After"]),
            max_age_secs: HOUR,
        },
        application_auth: ApplicationAuthSettings {
            enabled: true,
            verification_cache_secs: MINUTE,
            exempt_paths: strings(&[
                "/api/v1/auth/health/",
                "/api/v1/auth/docs/",
                "/.well-known/",
            ]),
        },
        api: ApiSettings {
            prefix: "/api/v1/auth/".into(),
            max_body_bytes: 1024 * 1024,
        },
        agents: AgentSettings {
            enabled: true,
            default_expiry_secs: HOUR,
            max_expiry_secs: DAY,
            require_explicit_permissions: true,
            circuit_breaker_enabled: true,
            default_max_requests_per_minute: 60,
            default_max_requests_total: 1000,
            default_max_failed_requests: 10,
            rate_limit_breach: RateLimitBreach::Throttle,
            default_heartbeat_interval_secs: None,
            min_heartbeat_interval_secs: 10,
            confirmation_required: Vec::new(),
            pending_action_lifetime_secs: 10 * MINUTE,
            budget_tracking_enabled: true,
            default_budget_limit_micro_usd: None,
            max_budget_limit_micro_usd: None,
            redact_pii: p == Preset::Robust,
            action_retention_secs: 7 * DAY,
        },
        organizations: OrganizationSettings {
            enabled: false,
            max_depth: 5,
            max_members: 0,
            role_inheritance: true,
            invitation_lifetime_secs: 7 * DAY,
        },
    }
}
