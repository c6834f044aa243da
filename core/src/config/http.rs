//! `audit`, `security_headers`, `cors` and `application_auth` sections: what the HTTP layer
//! adds around every endpoint.

use serde::{Deserialize, Serialize};

/// Audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSettings {
    /// Record security events (logins, failures, lockouts, token and agent actions).
    pub enabled: bool,
    /// Serialized `details` of one entry are truncated beyond this size.
    pub details_max_bytes: u64,
    /// How long entries are kept before the purge task removes them.
    pub retention_secs: u64,
    /// URL the host posts each entry to, when set.
    pub webhook_url: Option<String>,
}

/// `X-Frame-Options` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FrameOptions {
    /// Never framed.
    DENY,
    /// Framed by the same origin only.
    SAMEORIGIN,
}

/// Response security headers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityHeadersSettings {
    /// Add the headers below (plus `X-Content-Type-Options: nosniff`, always).
    pub enabled: bool,
    /// `Strict-Transport-Security: max-age`; 0 omits the header.
    pub hsts_max_age_secs: u64,
    /// HSTS `includeSubDomains`.
    pub hsts_include_subdomains: bool,
    /// HSTS `preload`.
    pub hsts_preload: bool,
    /// `X-Frame-Options`.
    pub frame_options: FrameOptions,
    /// `Referrer-Policy`.
    pub referrer_policy: String,
    /// `Content-Security-Policy`, when set.
    pub content_security_policy: Option<String>,
}

/// Cross-origin resource sharing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorsSettings {
    /// Answer CORS preflights and add CORS headers.
    pub enabled: bool,
    /// Reflect any origin. Never together with `allow_credentials`.
    pub allow_all_origins: bool,
    /// Exact origins allowed (`scheme://host[:port]`).
    pub allowed_origins: Vec<String>,
    /// `Access-Control-Allow-Credentials` (needed for the refresh cookie cross-origin).
    pub allow_credentials: bool,
    /// `Access-Control-Allow-Methods`.
    pub allowed_methods: Vec<String>,
    /// `Access-Control-Allow-Headers`.
    pub allowed_headers: Vec<String>,
    /// `Access-Control-Expose-Headers`.
    pub exposed_headers: Vec<String>,
    /// `Access-Control-Max-Age`.
    pub max_age_secs: u64,
}

/// The HTTP API layer (`core::http`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiSettings {
    /// Where the routes are mounted; starts and ends with `/` (default `/api/v1/auth/`).
    pub prefix: String,
    /// Request bodies larger than this are refused with 413 before they are parsed.
    pub max_body_bytes: u64,
}

/// Application (client) authentication with `X-Access-Key` / `X-Access-Secret`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationAuthSettings {
    /// Require application credentials; only the development preset may turn this off.
    pub enabled: bool,
    /// How long a successful secret verification is remembered (bcrypt/argon2 is slow).
    pub verification_cache_secs: u64,
    /// Path prefixes that need no application credentials (health checks, docs).
    pub exempt_paths: Vec<String>,
}
