//! `password` and `breach_check` sections: policy, history, argon2id cost, HIBP.

use serde::{Deserialize, Serialize};

/// argon2id cost for new hashes (RFC 9106; OWASP Password Storage Cheat Sheet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Argon2Settings {
    /// Memory cost `m` in KiB.
    pub memory_kib: u32,
    /// Time cost `t` (passes).
    pub iterations: u32,
    /// Parallelism `p` (lanes).
    pub parallelism: u32,
}

/// Password policy. ASVS 5.0 V6.2: length and breach checks matter, composition rules do not,
/// so the presets leave the character-class rules off; they exist for Tenxyte compatibility.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordSettings {
    /// Minimum length in characters (Unicode scalar values).
    pub min_length: u32,
    /// Minimum length for users without a second factor; `null` means `min_length`.
    pub min_length_without_mfa: Option<u32>,
    /// Maximum length; never below 64 (ASVS 6.2.9), never truncated.
    pub max_length: u32,
    /// Require an ASCII upper-case letter.
    pub require_uppercase: bool,
    /// Require an ASCII lower-case letter.
    pub require_lowercase: bool,
    /// Require an ASCII digit.
    pub require_digit: bool,
    /// Require one of Tenxyte's special characters.
    pub require_special: bool,
    /// Minimum number of distinct characters (case-folded); 0 turns the rule off.
    pub min_unique_chars: u32,
    /// Reject passwords on the common-password list.
    pub reject_common: bool,
    /// Reject 4-character keyboard/alphabet/digit runs (`1234`, `qwer`, `azer`).
    pub reject_sequences: bool,
    /// Reject a character repeated 4 or more times in a row.
    pub reject_repetition: bool,
    /// Reject passwords containing the user's e-mail local part or username (≥ 3 chars).
    pub reject_user_info: bool,
    /// Refuse a new password equal to one of the last `history_count`.
    pub history_enabled: bool,
    /// How many previous hashes are kept and compared.
    pub history_count: u32,
    /// Users created with a password by an admin must change it at first login (they get a
    /// `password_change_only` token until they do).
    pub force_change_on_first_login: bool,
    /// Re-hash with the current argon2id cost after a successful login on a weaker or
    /// legacy (bcrypt, PBKDF2) hash.
    pub rehash_on_login: bool,
    /// argon2id cost for new hashes.
    pub argon2: Argon2Settings,
}

/// Breached-password check (HIBP range API, k-anonymity; the host performs the request).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BreachCheckSettings {
    /// Look the password up on register, change, set-initial and reset.
    pub enabled: bool,
    /// Refuse a breached password (otherwise only report it). Applies to reset too.
    pub reject: bool,
    /// Refuse the password when the lookup fails or times out (fail closed). Off by default
    /// so an HIBP outage does not stop every registration; the outcome is audited.
    pub reject_when_unavailable: bool,
    /// Timeout the host should apply to the lookup.
    pub timeout_secs: u64,
}
