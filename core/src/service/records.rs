//! The documents the flows keep in the store. They are public contract in the sense that
//! a host can read its own tables: fields are only ever added (with defaults), never
//! renamed. Secrets are stored hashed; a record never holds a raw token.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A user account (namespace `users`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct User {
    /// The user id (a UUID).
    pub id: String,
    /// Normalised e-mail (trimmed, lower-cased), when the account has one.
    pub email: Option<String>,
    /// E.164 phone number, when the account has one.
    pub phone: Option<String>,
    /// The password hash (argon2id PHC, or a legacy format until the next login rehashes
    /// it). `None`: no password (phone-only or passwordless account).
    pub password_hash: Option<String>,
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// Deactivated accounts cannot log in or use tokens.
    pub is_active: bool,
    /// Staff flag (Django's `is_staff`).
    pub is_staff: bool,
    /// Superuser flag: bypasses RBAC checks when the policy allows it.
    pub is_superuser: bool,
    /// The e-mail address was proven (code or link).
    pub email_verified: bool,
    /// The phone number was proven (SMS code).
    pub phone_verified: bool,
    /// Global RBAC role codes.
    pub roles: Vec<String>,
    /// Direct permission grants.
    pub permissions: Vec<String>,
    /// Second factor state.
    pub mfa: Mfa,
    /// Hashes of the previous passwords, newest first (for the history rule).
    pub password_history: Vec<String>,
    /// When the password was last set.
    pub password_changed_at: Option<i64>,
    /// The next login gets only a `password_change_only` token.
    pub must_change_password: bool,
    /// Lockout state.
    pub lock: Lockout,
    /// Creation time.
    pub created_at: i64,
    /// Last successful login.
    pub last_login: Option<i64>,
    /// Access tokens issued before this instant are refused (password change/reset,
    /// deactivation). Compared with `iat` strictly: a token minted in the same second
    /// after the change is not rejected (Tenxyte's defect), one minted before is, because
    /// every session is also ended.
    pub tokens_valid_after: Option<i64>,
    /// Free-form host data.
    pub metadata: Value,
}

/// TOTP and backup-code state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Mfa {
    /// 2FA is on: login requires a code.
    pub enabled: bool,
    /// The base32 TOTP secret (set by setup, kept while enabled).
    pub totp_secret: Option<String>,
    /// The newest accepted TOTP step (replay guard).
    pub last_used_step: Option<u64>,
    /// Hashes of the unused backup codes.
    pub backup_codes: Vec<String>,
    /// When 2FA was confirmed.
    pub enabled_at: Option<i64>,
}

/// Progressive lockout state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Lockout {
    /// Login is refused until this instant.
    pub locked_until: Option<i64>,
    /// How many times the account was locked (escalation); reset by a successful login.
    pub lockout_count: u32,
}

/// A login session (namespace `sessions`): the family of one refresh-token chain and the
/// access tokens minted from it (`sid` claim). Ending the session ends all of them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Session {
    /// Session id (a UUID), the `sid` claim of its access tokens.
    pub id: String,
    /// Owner.
    pub user_id: String,
    /// The application it was opened through.
    pub app_id: String,
    /// Device description (the `User-Agent` or the client's `device_info`).
    pub device: String,
    /// IP at login.
    pub ip: Option<String>,
    /// Login time.
    pub created_at: i64,
    /// Last refresh.
    pub last_used_at: i64,
    /// Hash of the one refresh token currently valid for this session.
    pub current_refresh_hash: String,
    /// How the session was opened: `password`, `magic_link`, `otp`.
    pub method: String,
}

/// A refresh token (namespace `refresh_tokens`, keyed by its hash).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RefreshToken {
    /// Owner.
    pub user_id: String,
    /// The session (token family) it belongs to.
    pub session_id: String,
    /// Application.
    pub app_id: String,
    /// Issue time.
    pub issued_at: i64,
    /// Expiry.
    pub expires_at: i64,
    /// Set when the token was exchanged: presenting it again is reuse.
    pub rotated_at: Option<i64>,
}
