//! `totp`, `otp`, `backup_codes`, `magic_link` and `webauthn` sections: second factors and
//! passwordless login.

use serde::{Deserialize, Serialize};

/// TOTP hash function (RFC 6238 allows all three; authenticator apps mostly support SHA1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TotpAlgorithm {
    /// HMAC-SHA-1 (the interoperable default).
    SHA1,
    /// HMAC-SHA-256.
    SHA256,
    /// HMAC-SHA-512.
    SHA512,
}

/// Time-based one-time passwords (authenticator apps).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TotpSettings {
    /// Issuer shown by authenticator apps (in the `otpauth://` label and `issuer=`).
    pub issuer: String,
    /// HMAC hash.
    pub algorithm: TotpAlgorithm,
    /// Code length, 6..=8.
    pub digits: u32,
    /// Time step; ASVS 6.5.5 caps a TOTP's life at 30 s.
    pub period_secs: u64,
    /// Accepted steps either side of the current one, 0..=3 (RFC 6238 §5.2 suggests 1).
    pub valid_window: u32,
    /// Length of newly generated shared secrets (RFC 4226 recommends 160 bits).
    pub secret_bytes: u32,
}

/// Numeric codes sent by e-mail or SMS (verification, reset, passwordless login).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtpSettings {
    /// Digits per code, 6..=10 (6 digits ≈ 20 bits, ASVS 6.5.4).
    pub length: u32,
    /// Wrong guesses before the code is burnt.
    pub max_attempts: u32,
    /// Lifetime of codes sent by e-mail (verification, password reset); ≤ 600 s (ASVS 6.5.5).
    pub email_lifetime_secs: u64,
    /// Lifetime of codes sent by SMS; ≤ 600 s.
    pub sms_lifetime_secs: u64,
    /// Lifetime of passwordless login codes; ≤ 600 s.
    pub login_lifetime_secs: u64,
    /// Allow passwordless login with a phone OTP.
    pub login_enabled: bool,
    /// Passwordless OTP login creates an account for an unknown phone number.
    pub login_auto_register: bool,
}

/// Single-use recovery codes for accounts with TOTP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupCodeSettings {
    /// Codes per generated set (security.md §8: at least 10).
    pub count: u32,
}

/// Magic-link (e-mailed one-click) login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MagicLinkSettings {
    /// Offer magic-link login.
    pub enabled: bool,
    /// Link lifetime; ≤ 900 s (security.md §8).
    pub lifetime_secs: u64,
    /// Require the verifying request to come from the requesting IP (or its IPv4 /24).
    pub same_device_check: bool,
}

/// WebAuthn user-verification requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserVerification {
    /// The authenticator must verify the user (PIN, biometrics).
    Required,
    /// Verify when the authenticator can.
    Preferred,
    /// Do not ask for verification.
    Discouraged,
}

/// Passkeys (WebAuthn / FIDO2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebauthnSettings {
    /// Offer passkey registration and login.
    pub enabled: bool,
    /// Relying-party id (the registrable domain).
    pub rp_id: String,
    /// Relying-party display name.
    pub rp_name: String,
    /// Origins accepted in `clientDataJSON`; empty means `https://<rp_id>`.
    pub allowed_origins: Vec<String>,
    /// Lifetime of a registration/authentication challenge.
    pub challenge_lifetime_secs: u64,
    /// User-verification requirement.
    pub user_verification: UserVerification,
}
