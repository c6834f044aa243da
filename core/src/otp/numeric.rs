//! Numeric one-time codes sent by email or SMS (verification, password reset, login).
//!
//! [`issue`] draws the code and returns it with a [`CodeRecord`] for the host to persist;
//! only the record's hash is stored, never the code. [`verify`] is a pure decision: it
//! takes the stored record and returns a [`CodeCheck`] holding both the outcome and the
//! record to write back, because the attempt must be counted whether the code was right
//! or wrong. Persist `check.record` first (with compare-and-swap on the row's version, so
//! two concurrent guesses cannot both spend the same attempt), then act on
//! `check.outcome`.
//!
//! # Binding (ASVS v5 6.6.2)
//!
//! The hash covers the purpose and the challenge id as well as the code, so a code issued
//! for `email_verification` never passes as a `password_reset` code, and a code issued for
//! one request (challenge) never passes for another, even if the digits coincide:
//!
//! ```text
//! hash = hex(SHA-256( field("tenxyte.otp.numeric.v1") || field(purpose)
//!                     || field(challenge_id) || field(code) ))
//! field(x) = u32_be(len(x)) || x          (x as UTF-8 bytes)
//! ```
//!
//! The length prefixes make the encoding injective: (`"ab"`, `"c"`) and (`"a"`, `"bc"`)
//! hash differently. The challenge id works as a per-code salt; a 6-digit code's hash can
//! still be brute-forced offline from a stolen database row, which is acceptable only
//! because the code lives at most [`MAX_LIFETIME_SECS`] and is single use.
//!
//! # Checks, in order
//!
//! 1. record already used → `replayed` (single use, ASVS v5 6.5.1);
//! 2. `now >= expires_at` → `code_expired` (the expiry instant itself is expired);
//! 3. `attempts >= max_attempts` → `too_many_attempts`;
//! 4. input is not exactly `length` ASCII digits → `invalid_format`;
//! 5. hash differs (constant-time), or the purpose differs → `invalid_code`.
//!
//! Steps 1–3 leave the record unchanged (nothing was tried); from step 4 on the attempt is
//! counted, malformed input included, so the counter is a count of submissions. A success
//! marks the record used.

use ring::digest;
use serde::{Deserialize, Serialize};

use crate::error::{err, Error, ErrorCode, Result};
use crate::{ct, encoding, random};

use super::format::check_code_format;

/// The shortest code: 6 digits, about 20 bits (ASVS v5 6.5.4).
pub const MIN_LENGTH: u32 = 6;
/// The longest code.
pub const MAX_LENGTH: u32 = 10;
/// The usual length: 6 digits, as Tenxyte sends.
pub const DEFAULT_LENGTH: u32 = 6;
/// The usual attempt limit: 3, Tenxyte's `OTPCode.max_attempts`.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;
/// The longest lifetime: 10 minutes, ASVS v5 6.5.5's cap for out-of-band codes.
pub const MAX_LIFETIME_SECS: u32 = 600;
/// The most attempts a code may allow. Each attempt is one guess in 10^length.
pub const MAX_ATTEMPTS: u32 = 10;
/// The longest purpose or challenge id, in bytes.
pub const MAX_FIELD_LEN: usize = 256;

const DOMAIN: &[u8] = b"tenxyte.otp.numeric.v1";

/// What the host stores for an issued code. Serialises as
/// `{"hash", "purpose", "expires_at", "length", "attempts", "max_attempts", "used"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeRecord {
    /// Lowercase hex SHA-256 binding the code to purpose and challenge (module comment).
    pub hash: String,
    /// What the code is for, e.g. `email_verification`, `password_reset`, `login`.
    pub purpose: String,
    /// Unix time at and after which the code is expired.
    pub expires_at: i64,
    /// The number of digits in the code.
    pub length: u32,
    /// Attempts made so far.
    pub attempts: u32,
    /// Attempts allowed.
    pub max_attempts: u32,
    /// True once the code was accepted; a used code never passes again.
    #[serde(default)]
    pub used: bool,
}

/// The result of [`verify`]: the decision and the record to persist.
///
/// `record` always reflects this call (attempt counted, or marked used on success), so
/// the host writes it back before acting on `outcome`; if nothing was counted (used,
/// expired or exhausted record) it equals the input.
#[derive(Debug, Clone, PartialEq)]
#[must_use = "persist `record` and act on `outcome`"]
pub struct CodeCheck {
    /// `Ok(())` when the code is accepted, else the error to report.
    pub outcome: std::result::Result<(), Error>,
    /// The record to store in place of the one passed in.
    pub record: CodeRecord,
}

impl CodeCheck {
    /// True when the code was accepted.
    pub fn is_accepted(&self) -> bool {
        self.outcome.is_ok()
    }
}

/// The binding hash of `code` for `purpose` and `challenge_id` (module comment).
pub fn code_hash(purpose: &str, challenge_id: &str, code: &str) -> String {
    let mut ctx = digest::Context::new(&digest::SHA256);
    for field in [
        DOMAIN,
        purpose.as_bytes(),
        challenge_id.as_bytes(),
        code.as_bytes(),
    ] {
        // Every field is bounded far below 4 GiB by the callers; saturate rather than wrap.
        let len = u32::try_from(field.len()).unwrap_or(u32::MAX);
        ctx.update(&len.to_be_bytes());
        ctx.update(field);
    }
    encoding::hex_encode(ctx.finish().as_ref())
}

fn check_field(name: &str, value: &str) -> Result<()> {
    if value.is_empty() || value.len() > MAX_FIELD_LEN {
        return Err(err(
            ErrorCode::InvalidInput,
            format!("{name} must be 1 to {MAX_FIELD_LEN} bytes"),
        ));
    }
    Ok(())
}

/// Issues a code of `length` digits from the system CSPRNG, valid for `lifetime_secs` from
/// `now` and `max_attempts` tries. Returns the code to send and the record to store.
///
/// `invalid_input` when `length` is outside 6..=10, `lifetime_secs` outside 1..=600,
/// `max_attempts` outside 1..=10, or `purpose`/`challenge_id` empty or over 256 bytes.
pub fn issue(
    length: u32,
    lifetime_secs: u32,
    max_attempts: u32,
    purpose: &str,
    challenge_id: &str,
    now: i64,
) -> Result<(String, CodeRecord)> {
    // 32 bytes almost always yield 10 digits after rejection (each byte is kept with
    // probability 250/256); on the rare shortfall, draw again.
    for _ in 0..8 {
        let random = random::bytes::<32>()?;
        match issue_with_random(
            &random,
            length,
            lifetime_secs,
            max_attempts,
            purpose,
            challenge_id,
            now,
        ) {
            Err(e) if e.code() == ErrorCode::Internal => continue,
            other => return other,
        }
    }
    Err(err(
        ErrorCode::Internal,
        "random source kept returning biased bytes",
    ))
}

/// [`issue`] with the randomness supplied, for test vectors. Digits are taken from the
/// bytes in order: a byte below 250 gives the digit `byte % 10`, a byte of 250 or more is
/// skipped (250 is the largest multiple of 10 that fits a byte, so every digit is equally
/// likely). `internal` when the bytes run out before `length` digits.
pub fn issue_with_random(
    random: &[u8],
    length: u32,
    lifetime_secs: u32,
    max_attempts: u32,
    purpose: &str,
    challenge_id: &str,
    now: i64,
) -> Result<(String, CodeRecord)> {
    if !(MIN_LENGTH..=MAX_LENGTH).contains(&length) {
        return Err(err(
            ErrorCode::InvalidInput,
            format!("code length must be between {MIN_LENGTH} and {MAX_LENGTH}"),
        ));
    }
    if !(1..=MAX_LIFETIME_SECS).contains(&lifetime_secs) {
        return Err(err(
            ErrorCode::InvalidInput,
            format!("code lifetime must be between 1 and {MAX_LIFETIME_SECS} seconds"),
        ));
    }
    if !(1..=MAX_ATTEMPTS).contains(&max_attempts) {
        return Err(err(
            ErrorCode::InvalidInput,
            format!("max attempts must be between 1 and {MAX_ATTEMPTS}"),
        ));
    }
    check_field("purpose", purpose)?;
    check_field("challenge id", challenge_id)?;
    let expires_at = now
        .checked_add(i64::from(lifetime_secs))
        .ok_or_else(|| err(ErrorCode::InvalidInput, "code expiry overflows"))?;

    let code: String = random
        .iter()
        .filter(|b| **b < 250)
        .map(|b| char::from(b'0' + b % 10))
        .take(usize::try_from(length).unwrap_or(usize::MAX))
        .collect();
    if code.len() != usize::try_from(length).unwrap_or(usize::MAX) {
        return Err(err(
            ErrorCode::Internal,
            "not enough random bytes for the code",
        ));
    }
    let record = CodeRecord {
        hash: code_hash(purpose, challenge_id, &code),
        purpose: purpose.to_owned(),
        expires_at,
        length,
        attempts: 0,
        max_attempts,
        used: false,
    };
    Ok((code, record))
}

/// Decides whether `input` is the code behind `record` for `purpose` and `challenge_id`
/// at `now`. See the module comment for the order of checks and what to persist.
pub fn verify(
    record: &CodeRecord,
    input: &str,
    purpose: &str,
    challenge_id: &str,
    now: i64,
) -> CodeCheck {
    let unchanged = |e: Error| CodeCheck {
        outcome: Err(e),
        record: record.clone(),
    };
    if record.used {
        return unchanged(err(ErrorCode::Replayed, "code was already used"));
    }
    if now >= record.expires_at {
        return unchanged(err(ErrorCode::CodeExpired, "code has expired"));
    }
    if record.attempts >= record.max_attempts {
        return unchanged(err(
            ErrorCode::TooManyAttempts,
            "no attempts left for this code",
        ));
    }

    let mut next = record.clone();
    next.attempts = record.attempts.saturating_add(1);
    let digits = usize::try_from(record.length).unwrap_or(usize::MAX);
    if let Err(e) = check_code_format(input, digits) {
        return CodeCheck {
            outcome: Err(e),
            record: next,
        };
    }
    let candidate = code_hash(purpose, challenge_id, input);
    let hash_ok = ct::eq(
        candidate.as_bytes(),
        record.hash.to_ascii_lowercase().as_bytes(),
    );
    // The hash already covers the purpose; the explicit check makes a mismatch obvious
    // and costs nothing secret.
    if hash_ok && record.purpose == purpose {
        next.used = true;
        CodeCheck {
            outcome: Ok(()),
            record: next,
        }
    } else {
        CodeCheck {
            outcome: Err(err(ErrorCode::InvalidCode, "code is wrong")),
            record: next,
        }
    }
}
