//! `jwt` section: access-token lifetime and verification policy, refresh tokens, cookie.
//!
//! Key material is deliberately *not* a setting: keys reach the `jwt` module as typed key
//! objects, so settings can be printed (`tenxyte config show`) and logged without leaking
//! a secret.

use serde::{Deserialize, Serialize};

/// The JWS algorithm a deployment signs with: the `jwt` module's own type, so a
/// setting can never name an algorithm the verifier does not implement.
pub use crate::jwt::Algorithm as JwtAlgorithm;

/// The `SameSite` attribute of the refresh-token cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SameSite {
    /// Sent only on same-site requests (the safe default).
    Strict,
    /// Also sent on top-level cross-site navigations.
    Lax,
    /// Always sent; browsers then require `Secure`.
    None,
}

/// Refresh-token cookie transport (when on, the refresh token leaves the JSON body).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshCookieSettings {
    /// Carry the refresh token in an `HttpOnly` cookie instead of the response body.
    pub enabled: bool,
    /// Cookie name.
    pub name: String,
    /// `SameSite` attribute.
    pub same_site: SameSite,
    /// `Path` attribute: the cookie is only sent to the auth endpoints.
    pub path: String,
    /// `Secure` attribute; only the development preset may turn it off (plain-HTTP localhost).
    pub secure: bool,
}

/// Token issuance and verification policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtSettings {
    /// The one algorithm tokens are signed with and the only one accepted on verify.
    pub algorithm: JwtAlgorithm,
    /// `exp − iat` of access tokens.
    pub access_token_lifetime_secs: u64,
    /// Absolute lifetime of a refresh token (rotation does not extend the family's end).
    pub refresh_token_lifetime_secs: u64,
    /// Issue a new refresh token on every refresh and revoke the old one. With rotation on,
    /// presenting an already-rotated token always revokes the whole family (reuse
    /// detection has no switch). Only the development preset may turn rotation off.
    pub refresh_token_rotation: bool,
    /// Check revoked `jti`s and per-user revocation on every verify (logout really logs out).
    /// Only the development preset may turn it off.
    pub blacklist_enabled: bool,
    /// Lifetime of restricted-scope tokens (`2fa_setup_only`, `password_change_only`).
    pub restricted_token_lifetime_secs: u64,
    /// `iss` put into and required from every token.
    pub issuer: String,
    /// `aud` put into and required from every token, when set.
    pub audience: Option<String>,
    /// Clock-skew tolerance applied to `exp`, `nbf` and `iat`.
    pub leeway_secs: u64,
    /// Tokens longer than this are refused before any parsing.
    pub max_token_bytes: u64,
    /// Refresh-token cookie transport.
    pub refresh_cookie: RefreshCookieSettings,
}
