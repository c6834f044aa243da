//! Checking a second factor during login (and wherever 2FA re-authentication is asked):
//! a TOTP code first, then a backup code. The accepted TOTP step and the spent backup
//! code are written with compare-and-swap on the user record, so a code accepted by one
//! server can never be accepted again by another (RFC 6238 §5.2).

use super::records::User;
use super::users::{contention, load_user, store, CAS_ATTEMPTS};
use super::Engine;
use crate::drive::StorePort;
use crate::error::{err, ErrorCode, Result};
use crate::otp::OtpSecret;
use crate::password::backup_codes;
use crate::store::{keys, Expect};

/// Which factor matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactorUsed {
    /// A TOTP code at this step.
    Totp(u64),
    /// A backup code (now spent); this many remain.
    BackupCode {
        /// Unused codes left.
        remaining: usize,
    },
}

/// Verifies `code` for the user and records its use. Errors: `mfa_not_enabled` when the
/// user has no TOTP secret; `replayed` for a TOTP code already used; `invalid_code`
/// otherwise. `allow_backup` lets a backup code stand in for a TOTP code.
pub async fn verify(
    port: &StorePort,
    engine: &Engine,
    user_id: &str,
    code: &str,
    now: i64,
    allow_backup: bool,
) -> Result<FactorUsed> {
    let code = code.trim();
    for _ in 0..CAS_ATTEMPTS {
        let Some(current) = load_user(port, user_id).await? else {
            return Err(err(ErrorCode::UserNotFound, "no such user"));
        };
        let mut user: User = current.value;
        let outcome = judge(engine, &mut user, code, now, allow_backup)?;
        if store(
            port,
            keys::USERS,
            &keys::user(user_id),
            &user,
            None,
            Expect::Version(current.version),
        )
        .await?
        {
            return Ok(outcome);
        }
    }
    Err(contention("user"))
}

/// The pure part: checks the code against the loaded user and applies its use.
fn judge(
    engine: &Engine,
    user: &mut User,
    code: &str,
    now: i64,
    allow_backup: bool,
) -> Result<FactorUsed> {
    let Some(secret) = user.mfa.totp_secret.as_deref() else {
        return Err(err(
            ErrorCode::MfaNotEnabled,
            "two-factor authentication is not set up",
        ));
    };
    let settings = engine.settings();
    let totp = settings.totp(OtpSecret::from_base32(secret)?)?;
    let looks_like_totp = code.len() == usize::try_from(settings.totp.digits).unwrap_or(0)
        && code.bytes().all(|b| b.is_ascii_digit());
    if looks_like_totp {
        match totp.verify(
            code,
            now,
            settings.totp.valid_window,
            user.mfa.last_used_step,
        ) {
            Ok(step) => {
                user.mfa.last_used_step = Some(step);
                return Ok(FactorUsed::Totp(step));
            }
            Err(e) if e.code() == ErrorCode::Replayed => return Err(e),
            Err(e) if e.code() == ErrorCode::InvalidCode && allow_backup => {}
            Err(e) => return Err(e),
        }
    }
    if allow_backup {
        let stored: Vec<&str> = user.mfa.backup_codes.iter().map(String::as_str).collect();
        if let Some(index) = backup_codes::find_match(code, &stored, engine.verify_options())? {
            if index < user.mfa.backup_codes.len() {
                user.mfa.backup_codes.remove(index);
            }
            return Ok(FactorUsed::BackupCode {
                remaining: user.mfa.backup_codes.len(),
            });
        }
    }
    Err(err(ErrorCode::InvalidCode, "the two-factor code is wrong"))
}
