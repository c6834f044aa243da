//! Two-factor setup and management: set up (pending secret and backup codes), confirm
//! (the first valid code enables), disable (password and a code), regenerate backup
//! codes (a TOTP code). The login gate itself lives in [`super::auth`].
//!
//! The pending secret is kept in `mfa.totp_secret` with `mfa.enabled` false: nothing
//! reads it until a confirmation turns 2FA on (the login gate and the magic-link gate
//! look at `enabled`). Running setup again replaces a pending secret; it never replaces
//! an enabled one (`mfa_already_enabled`).

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::audit::{append, AuditEntry};
use super::auth::{authenticate, Principal};
use super::records::{Mfa, User};
use super::second_factor;
use super::users::{contention, load_user, store, update_user, CAS_ATTEMPTS};
use super::{limits, Engine, RequestContext};
use crate::drive::{Flow, StorePort};
use crate::error::{err, Error, ErrorCode, Result};
use crate::otp::{qr_svg, OtpSecret};
use crate::password::backup_codes;
use crate::store::{keys, Expect};

/// The restricted scope of a token that may only set up 2FA.
pub const SCOPE_2FA_SETUP_ONLY: &str = "2fa_setup_only";

/// What setup returns, once: show the secret (or the QR code) and the backup codes to
/// the user now; only their hashes are kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoFactorSetup {
    /// The base32 shared secret, for manual entry.
    pub secret: String,
    /// The `otpauth://totp/…` provisioning URI.
    pub otpauth_uri: String,
    /// The URI as a QR code (SVG document).
    pub qr_svg: String,
    /// Fresh backup codes (`xxxx-xxxx-xxxx`).
    pub backup_codes: Vec<String>,
}

/// A TOTP code (confirm, regenerate backup codes).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TotpCode {
    /// The authenticator's current code.
    pub code: String,
}

/// `POST 2fa/disable/`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DisableTwoFactor {
    /// The account password (required when the account has one).
    pub password: String,
    /// A TOTP code or an unused backup code.
    pub code: String,
}

/// New backup codes, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupCodes {
    /// The codes (`xxxx-xxxx-xxxx`); the previous set no longer works.
    pub backup_codes: Vec<String>,
}

impl Engine {
    /// Starts 2FA setup for the token's user (full token or `2fa_setup_only`).
    pub fn setup_2fa(&self, access_token: String, ctx: RequestContext) -> Flow<TwoFactorSetup> {
        self.flow(move |e, port| async move { setup(&port, &e, &access_token, &ctx).await })
    }

    /// Confirms setup: the first valid code from the new secret enables 2FA.
    pub fn confirm_2fa(
        &self,
        access_token: String,
        req: TotpCode,
        ctx: RequestContext,
    ) -> Flow<Value> {
        self.flow(move |e, port| async move { confirm(&port, &e, &access_token, &req, &ctx).await })
    }

    /// Turns 2FA off: the password and a TOTP or backup code.
    pub fn disable_2fa(
        &self,
        access_token: String,
        req: DisableTwoFactor,
        ctx: RequestContext,
    ) -> Flow<Value> {
        self.flow(move |e, port| async move { disable(&port, &e, &access_token, &req, &ctx).await })
    }

    /// Replaces the backup codes; needs a TOTP code (not a backup code).
    pub fn regenerate_backup_codes(
        &self,
        access_token: String,
        req: TotpCode,
        ctx: RequestContext,
    ) -> Flow<BackupCodes> {
        self.flow(
            move |e, port| async move { regenerate(&port, &e, &access_token, &req, &ctx).await },
        )
    }
}

/// Code guesses against one account share the `otp_verify` windows, so a stolen session
/// cannot brute-force the 10^6 TOTP space.
async fn limit_guesses(
    port: &StorePort,
    e: &Engine,
    user_id: &str,
    ctx: &RequestContext,
) -> Result<()> {
    let rl = &e.settings().rate_limit;
    limits::hit(
        port,
        rl.enabled,
        "mfa_verify",
        user_id,
        &rl.otp_verify,
        ctx.now,
    )
    .await
}

/// Audits a refusal (store failures are not the user's doing and are not audited) and
/// hands it back.
async fn refused(
    port: &StorePort,
    e: &Engine,
    ctx: &RequestContext,
    action: &str,
    user_id: &str,
    failure: Error,
) -> Error {
    if failure.category() == crate::Category::Store {
        return failure;
    }
    match append(
        port,
        e,
        ctx,
        AuditEntry::failure(action, Some(user_id), failure.code()),
    )
    .await
    {
        Ok(()) => failure,
        Err(store_error) => store_error,
    }
}

fn new_backup_codes(e: &Engine) -> Result<(Vec<String>, Vec<String>)> {
    let count = usize::try_from(e.settings().backup_codes.count).unwrap_or(10);
    let codes = backup_codes::generate(count)?;
    let hashes = codes
        .iter()
        .map(|c| backup_codes::hash_code(c, e.argon2()))
        .collect::<Result<Vec<_>>>()?;
    Ok((codes, hashes))
}

fn account_label(user: &User) -> String {
    user.email
        .clone()
        .or_else(|| user.phone.clone())
        .unwrap_or_else(|| user.id.clone())
}

pub(crate) async fn setup(
    port: &StorePort,
    e: &Engine,
    token: &str,
    ctx: &RequestContext,
) -> Result<TwoFactorSetup> {
    let p = authenticate(port, e, token, ctx).await?;
    p.require_scope(&[SCOPE_2FA_SETUP_ONLY])?;
    if p.user.mfa.enabled {
        return Err(already_enabled());
    }
    let s = e.settings();
    let mut raw = vec![0u8; usize::try_from(s.totp.secret_bytes).unwrap_or(20)];
    crate::random::fill(&mut raw)?;
    let secret = OtpSecret::from_bytes(raw)?;
    let encoded = secret.to_base32();
    let totp = s.totp(secret)?;
    let otpauth_uri = totp.provisioning_uri(&s.totp.issuer, &account_label(&p.user))?;
    let qr = qr_svg(&otpauth_uri)?;
    let (codes, hashes) = new_backup_codes(e)?;
    update_user(port, &p.user.id, |u| {
        if u.mfa.enabled {
            return Err(already_enabled());
        }
        u.mfa = Mfa {
            enabled: false,
            totp_secret: Some(encoded.clone()),
            last_used_step: None,
            backup_codes: hashes.clone(),
            enabled_at: None,
        };
        Ok(())
    })
    .await?;
    append(
        port,
        e,
        ctx,
        AuditEntry::success("2fa_setup_started", Some(&p.user.id)),
    )
    .await?;
    Ok(TwoFactorSetup {
        secret: encoded,
        otpauth_uri,
        qr_svg: qr,
        backup_codes: codes,
    })
}

fn already_enabled() -> Error {
    err(
        ErrorCode::MfaAlreadyEnabled,
        "two-factor authentication is already enabled; disable it first",
    )
}

fn not_enabled() -> Error {
    err(
        ErrorCode::MfaNotEnabled,
        "two-factor authentication is not enabled",
    )
}

pub(crate) async fn confirm(
    port: &StorePort,
    e: &Engine,
    token: &str,
    req: &TotpCode,
    ctx: &RequestContext,
) -> Result<Value> {
    let p = authenticate(port, e, token, ctx).await?;
    p.require_scope(&[SCOPE_2FA_SETUP_ONLY])?;
    limit_guesses(port, e, &p.user.id, ctx).await?;
    match enable(port, e, &p.user.id, req.code.trim(), ctx.now).await {
        Ok(()) => {
            append(
                port,
                e,
                ctx,
                AuditEntry::success("2fa_enabled", Some(&p.user.id)),
            )
            .await?;
            Ok(json!({ "message": "two-factor authentication is enabled", "enabled": true }))
        }
        Err(failure) => Err(refused(port, e, ctx, "2fa_enabled", &p.user.id, failure).await),
    }
}

/// One compare-and-swap checks the code against the *stored* pending secret and turns
/// 2FA on with the accepted step recorded, so a setup re-run in between can never enable
/// a secret the code was not made from, and the confirming code cannot be replayed at
/// the next login.
async fn enable(port: &StorePort, e: &Engine, user_id: &str, code: &str, now: i64) -> Result<()> {
    let s = e.settings();
    for _ in 0..CAS_ATTEMPTS {
        let Some(current) = load_user(port, user_id).await? else {
            return Err(err(ErrorCode::UserNotFound, "no such user"));
        };
        let mut user = current.value;
        if user.mfa.enabled {
            return Err(already_enabled());
        }
        let Some(secret) = user.mfa.totp_secret.as_deref() else {
            return Err(err(ErrorCode::MfaNotEnabled, "run two-factor setup first"));
        };
        let totp = s.totp(OtpSecret::from_base32(secret)?)?;
        let step = totp
            .verify(code, now, s.totp.valid_window, user.mfa.last_used_step)
            .map_err(|e| {
                if e.code() == ErrorCode::InvalidFormat {
                    err(ErrorCode::InvalidCode, "the two-factor code is wrong")
                } else {
                    e
                }
            })?;
        user.mfa.enabled = true;
        user.mfa.enabled_at = Some(now);
        user.mfa.last_used_step = Some(step);
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
            return Ok(());
        }
    }
    Err(contention("user"))
}

pub(crate) async fn disable(
    port: &StorePort,
    e: &Engine,
    token: &str,
    req: &DisableTwoFactor,
    ctx: &RequestContext,
) -> Result<Value> {
    let p = authenticate(port, e, token, ctx).await?;
    p.require_scope(&[])?;
    limit_guesses(port, e, &p.user.id, ctx).await?;
    let outcome = async {
        if !p.user.mfa.enabled {
            return Err(not_enabled());
        }
        check_password(e, &p, &req.password)?;
        second_factor::verify(port, e, &p.user.id, &req.code, ctx.now, true).await?;
        update_user(port, &p.user.id, |u| {
            u.mfa = Mfa::default();
            Ok(())
        })
        .await
    }
    .await;
    match outcome {
        Ok(_) => {
            append(
                port,
                e,
                ctx,
                AuditEntry::success("2fa_disabled", Some(&p.user.id)),
            )
            .await?;
            Ok(json!({ "message": "two-factor authentication is disabled", "enabled": false }))
        }
        Err(failure) => Err(refused(port, e, ctx, "2fa_disabled", &p.user.id, failure).await),
    }
}

/// The account password, when it has one. An account without a password (created by
/// a magic link or a phone code) proves itself with the second factor alone.
fn check_password(e: &Engine, p: &Principal, password: &str) -> Result<()> {
    let Some(hash) = p.user.password_hash.as_deref() else {
        return Ok(());
    };
    let valid = crate::password::verify(password, hash, e.verify_options())
        .map(|v| v.valid)
        .unwrap_or(false);
    if valid {
        Ok(())
    } else {
        Err(err(ErrorCode::InvalidCredentials, "the password is wrong"))
    }
}

pub(crate) async fn regenerate(
    port: &StorePort,
    e: &Engine,
    token: &str,
    req: &TotpCode,
    ctx: &RequestContext,
) -> Result<BackupCodes> {
    let p = authenticate(port, e, token, ctx).await?;
    p.require_scope(&[])?;
    limit_guesses(port, e, &p.user.id, ctx).await?;
    let outcome = async {
        if !p.user.mfa.enabled {
            return Err(not_enabled());
        }
        second_factor::verify(port, e, &p.user.id, &req.code, ctx.now, false).await?;
        let (codes, hashes) = new_backup_codes(e)?;
        update_user(port, &p.user.id, |u| {
            if !u.mfa.enabled {
                return Err(not_enabled());
            }
            u.mfa.backup_codes = hashes.clone();
            Ok(())
        })
        .await?;
        Ok(codes)
    }
    .await;
    match outcome {
        Ok(codes) => {
            append(
                port,
                e,
                ctx,
                AuditEntry::success("backup_codes_regenerated", Some(&p.user.id))
                    .details(json!({ "count": codes.len() })),
            )
            .await?;
            Ok(BackupCodes {
                backup_codes: codes,
            })
        }
        Err(failure) => Err(refused(
            port,
            e,
            ctx,
            "backup_codes_regenerated",
            &p.user.id,
            failure,
        )
        .await),
    }
}
