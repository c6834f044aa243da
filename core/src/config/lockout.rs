//! `lockout`, `rate_limit` and `client_ip` sections: brute-force controls.

use serde::{Deserialize, Serialize};

/// Account lockout after consecutive failed logins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockoutSettings {
    /// Lock accounts after `max_attempts` failures.
    pub enabled: bool,
    /// Consecutive failures (within `failure_window_secs`) that lock the account; ≤ 100 (ASVS).
    pub max_attempts: u32,
    /// How long the first lock lasts.
    pub duration_secs: u64,
    /// Failures older than this no longer count; a successful login resets the counter.
    pub failure_window_secs: u64,
    /// Double the lock for each further lock (`duration × 2^(n−1)`), up to `max_duration_secs`.
    pub escalation_enabled: bool,
    /// Upper bound of an escalated lock.
    pub max_duration_secs: u64,
}

/// One fixed budget: at most `max_requests` in `window_secs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateWindow {
    /// Requests allowed in the window.
    pub max_requests: u32,
    /// Window length.
    pub window_secs: u64,
}

/// A rate limit for a path prefix (Tenxyte `SIMPLE_THROTTLE_RULES`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathRateRule {
    /// Path prefix; a trailing `$` makes it an exact match. Longest prefix wins.
    pub path: String,
    /// Requests allowed in the window.
    pub max_requests: u32,
    /// Window length.
    pub window_secs: u64,
}

/// Per-endpoint rate limits, keyed by client IP. Each list is a set of windows that all apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSettings {
    /// Apply the limits below.
    pub enabled: bool,
    /// Password login (email or phone).
    pub login: Vec<RateWindow>,
    /// Registration.
    pub register: Vec<RateWindow>,
    /// Password-reset requests.
    pub password_reset: Vec<RateWindow>,
    /// OTP code requests (email/SMS verification).
    pub otp_request: Vec<RateWindow>,
    /// OTP code verification.
    pub otp_verify: Vec<RateWindow>,
    /// Passwordless OTP login requests.
    pub login_otp_request: Vec<RateWindow>,
    /// Token refresh.
    pub refresh: Vec<RateWindow>,
    /// Magic-link requests.
    pub magic_link_request: Vec<RateWindow>,
    /// Magic-link verification.
    pub magic_link_verify: Vec<RateWindow>,
    /// Extra limits by path prefix.
    pub path_rules: Vec<PathRateRule>,
}

/// How the client IP is derived (rate limits, audit, magic-link same-device check).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientIpSettings {
    /// Number of reverse proxies in front of the app; `X-Forwarded-For` is read only when > 0.
    pub trusted_proxy_count: u32,
    /// The proxies' addresses or CIDRs; the peer must be one of them for the header to count.
    pub trusted_proxies: Vec<String>,
}
