//! Password change (authenticated) and password reset by a code sent to the account's
//! e-mail or phone.
//!
//! Every path that sets a password runs the same checks — the policy (with the user's
//! 2FA state and context words), the history (`password.history_count` previous hashes)
//! and the breach check, enforced — unlike Tenxyte, whose reset confirmation skipped the
//! breach check. Setting it then revokes everything issued before: every session is
//! ended, the user record gets the new hash with `tokens_valid_after = now`, and every
//! session is ended once more (one opened with the old password in between dies too).
//! Ending sessions first keeps every prefix safe: a flow dropped after that leaves the
//! user logged out with the old password, never the new password with old sessions
//! alive.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::audit::{append, AuditEntry};
use super::auth::authenticate;
use super::codes::{self, CodeSent, PURPOSE_RESET};
use super::records::User;
use super::sessions::{end_all_sessions, open_session, TokenResponse, SCOPE_PASSWORD_CHANGE_ONLY};
use super::users::{find_by_email, find_by_phone, load_user, normalize_email, normalize_phone};
use super::{breach, limits, Engine, RequestContext};
use crate::drive::{Flow, StorePort};
use crate::error::{err, ErrorCode, Result};
use crate::password::check_history;
use crate::password::policy::{enforce, PolicyContext};
use crate::store::Channel;

/// `POST password/change/`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChangePassword {
    /// The current password.
    pub old_password: String,
    /// The new password.
    pub new_password: String,
    /// Device description for the fresh session (default: the User-Agent).
    pub device_info: Option<String>,
}

/// The answer to a password change: every earlier session is ended, and these tokens
/// open a fresh one (full scope, even when the change was made with a
/// `password_change_only` token).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PasswordChanged {
    /// Sessions ended (the caller's own included).
    pub sessions_ended: usize,
    /// Tokens for the new session.
    pub tokens: TokenResponse,
}

/// `POST password/reset/request/`: exactly one of e-mail and phone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ResetRequest {
    /// The account's e-mail (the code goes there).
    pub email: Option<String>,
    /// The account's E.164 phone (the code goes by SMS).
    pub phone: Option<String>,
    /// E-mail only: also send a link, `<reset_url>?token=<challenge id>.<code>`, for a page
    /// that confirms the reset without the user typing the code (same rules as a magic
    /// link's `validation_url`: http(s), on an allowed origin when `cors.allowed_origins`
    /// is set).
    pub reset_url: Option<String>,
}

/// `POST password/reset/confirm/`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ResetConfirm {
    /// From the request's answer (or leave empty and give `token`).
    pub challenge_id: String,
    /// The reset link's `token` (`<challenge id>.<code>`), instead of `challenge_id` + `code`.
    pub token: Option<String>,
    /// The digits received.
    pub code: String,
    /// The new password.
    pub new_password: String,
}

/// The message every reset request answers, whether or not the account exists.
pub const RESET_SENT: &str = "if an account matches, a reset code was sent to it";

impl Engine {
    /// Changes the password of the token's user (full token or `password_change_only`).
    pub fn change_password(
        &self,
        access_token: String,
        req: ChangePassword,
        ctx: RequestContext,
    ) -> Flow<PasswordChanged> {
        self.flow(move |e, port| async move { change(&port, &e, &access_token, &req, &ctx).await })
    }

    /// Sends a reset code (template `password_reset`). Unknown or inactive accounts get
    /// the same answer and no message.
    pub fn request_password_reset(&self, req: ResetRequest, ctx: RequestContext) -> Flow<CodeSent> {
        self.flow(move |e, port| async move { request_reset(&port, &e, &req, &ctx).await })
    }

    /// Sets a new password with a reset code; ends every session.
    pub fn confirm_password_reset(&self, req: ResetConfirm, ctx: RequestContext) -> Flow<Value> {
        self.flow(move |e, port| async move { confirm_reset(&port, &e, &req, &ctx).await })
    }
}

/// Policy, history and breach check for `user`'s next password; returns its hash.
pub(crate) async fn vet_new_password(
    port: &StorePort,
    e: &Engine,
    user: &User,
    password: &str,
) -> Result<String> {
    let s = e.settings();
    let names = [user.first_name.as_str(), user.last_name.as_str()];
    let others: Vec<&str> = names.iter().copied().filter(|w| !w.is_empty()).collect();
    enforce(
        password,
        &s.password_policy(user.mfa.enabled),
        &PolicyContext {
            email: user.email.as_deref(),
            username: None,
            other: &others,
        },
    )?;
    if s.password.history_enabled {
        let keep = usize::try_from(s.password.history_count).unwrap_or(usize::MAX);
        let previous: Vec<&str> = user
            .password_history
            .iter()
            .take(keep)
            .map(String::as_str)
            .collect();
        check_history(password, &previous, e.verify_options())?;
    }
    breach::check(port, e, password, true).await?;
    crate::password::hash(password, e.argon2())
}

/// Ends every session, writes the new hash (history, `tokens_valid_after`, cleared
/// `must_change_password`), ends every session again. Returns the sessions ended.
pub(crate) async fn commit_password(
    port: &StorePort,
    e: &Engine,
    user_id: &str,
    hash: &str,
    now: i64,
) -> Result<(User, usize)> {
    let mut ended = end_all_sessions(port, user_id).await?;
    let keep = usize::try_from(e.settings().password.history_count)
        .unwrap_or(usize::MAX)
        .max(1);
    let user = super::users::update_user(port, user_id, |u| {
        u.password_hash = Some(hash.to_owned());
        u.password_history.insert(0, hash.to_owned());
        u.password_history.truncate(keep);
        u.password_changed_at = Some(now);
        u.must_change_password = false;
        u.tokens_valid_after = Some(now);
        Ok(())
    })
    .await?;
    ended += end_all_sessions(port, user_id).await?;
    Ok((user, ended))
}

pub(crate) async fn change(
    port: &StorePort,
    e: &Engine,
    token: &str,
    req: &ChangePassword,
    ctx: &RequestContext,
) -> Result<PasswordChanged> {
    let p = authenticate(port, e, token, ctx).await?;
    p.require_scope(&[SCOPE_PASSWORD_CHANGE_ONLY])?;
    let rl = &e.settings().rate_limit;
    // Guesses at the old password with a stolen token count like login attempts.
    limits::hit(
        port,
        rl.enabled,
        "password_change",
        &p.user.id,
        &rl.login,
        ctx.now,
    )
    .await?;
    let outcome = async {
        let valid = match p.user.password_hash.as_deref() {
            Some(hash) => crate::password::verify(&req.old_password, hash, e.verify_options())
                .map(|v| v.valid)
                .unwrap_or(false),
            None => false,
        };
        if !valid {
            return Err(err(
                ErrorCode::InvalidCredentials,
                "the current password is wrong",
            ));
        }
        let hash = vet_new_password(port, e, &p.user, &req.new_password).await?;
        commit_password(port, e, &p.user.id, &hash, ctx.now).await
    }
    .await;
    let (user, ended) = match outcome {
        Ok(done) => done,
        Err(failure) if failure.category() == crate::Category::Store => return Err(failure),
        Err(failure) => {
            append(
                port,
                e,
                ctx,
                AuditEntry::failure("password_changed", Some(&p.user.id), failure.code()),
            )
            .await?;
            return Err(failure);
        }
    };
    append(
        port,
        e,
        ctx,
        AuditEntry::success("password_changed", Some(&user.id))
            .details(json!({ "sessions_ended": ended })),
    )
    .await?;
    let tokens = open_session(
        port,
        e,
        ctx,
        &user,
        "password",
        req.device_info.as_deref(),
        None,
    )
    .await?;
    Ok(PasswordChanged {
        sessions_ended: ended,
        tokens,
    })
}

pub(crate) async fn request_reset(
    port: &StorePort,
    e: &Engine,
    req: &ResetRequest,
    ctx: &RequestContext,
) -> Result<CodeSent> {
    let s = e.settings();
    let rl = &s.rate_limit;
    let (identifier, channel, lifetime) = match (&req.email, &req.phone) {
        (Some(raw), None) => (
            normalize_email(raw),
            Channel::Email,
            s.otp.email_lifetime_secs,
        ),
        (None, Some(raw)) => (normalize_phone(raw), Channel::Sms, s.otp.sms_lifetime_secs),
        _ => {
            return Err(err(
                ErrorCode::InvalidInput,
                "give exactly one of email and phone",
            ))
        }
    };
    let Some(identifier) = identifier else {
        return Err(err(
            ErrorCode::InvalidInput,
            "not a valid e-mail address or E.164 phone number",
        ));
    };
    if let Some(url) = &req.reset_url {
        if channel != Channel::Email {
            return Err(err(
                ErrorCode::InvalidInput,
                "a reset link goes by e-mail only",
            ));
        }
        super::magic_link::check_validation_url(e, url)?;
    }
    // Per client and per target account, so neither one client nor many can flood an
    // inbox.
    limits::hit(
        port,
        rl.enabled,
        "password_reset",
        ctx.client_key(),
        &rl.password_reset,
        ctx.now,
    )
    .await?;
    limits::hit(
        port,
        rl.enabled,
        "password_reset_target",
        &identifier,
        &rl.password_reset,
        ctx.now,
    )
    .await?;
    let found = match channel {
        Channel::Email => find_by_email(port, &identifier).await?,
        Channel::Sms => find_by_phone(port, &identifier).await?,
    };
    let user = found.map(|f| f.value).filter(|u| u.is_active);
    let user_id = user.as_ref().map(|u| u.id.as_str());
    // A decoy challenge for an unknown account: the same id shape, writes and attempt
    // counting, and no message.
    let owner = user_id.map_or(codes::Owner::Nobody, codes::Owner::User);
    let issued = codes::issue(
        port,
        e,
        owner,
        Some(&identifier),
        PURPOSE_RESET,
        lifetime,
        ctx.now,
    )
    .await?;
    let answer = CodeSent {
        challenge_id: issued.id.clone(),
        expires_in: issued.expires_in,
        message: RESET_SENT.to_owned(),
    };
    let code = issued.code.as_str();
    let Some(user) = user else {
        append(
            port,
            e,
            ctx,
            AuditEntry::failure("password_reset_requested", None, ErrorCode::UserNotFound)
                .details(json!({ "challenge_id": issued.id })),
        )
        .await?;
        return Ok(answer);
    };
    let link = req
        .reset_url
        .as_deref()
        .map(|url| super::magic_link::link_for(url, &format!("{}.{code}", issued.id)));
    let mut text = codes::code_text("password reset", code, issued.expires_in);
    if let Some(link) = &link {
        text.push_str(&format!(
            "\nOr open this link to choose a new password: {link}"
        ));
    }
    let sent = codes::deliver(
        port,
        channel,
        &identifier,
        PURPOSE_RESET,
        "Reset your password",
        text,
        json!({ "code": code, "expires_in": issued.expires_in, "challenge_id": issued.id, "link": link }),
    )
    .await;
    match sent {
        Ok(message_id) => {
            append(
                port,
                e,
                ctx,
                AuditEntry::success("password_reset_requested", Some(&user.id))
                    .details(json!({ "challenge_id": issued.id, "message_id": message_id })),
            )
            .await?;
        }
        // Not surfaced: answering `delivery_failed` only for existing accounts would tell
        // who has one. The audit trail records it for the operator.
        Err(failure) if failure.code() == ErrorCode::DeliveryFailed => {
            append(
                port,
                e,
                ctx,
                AuditEntry::failure(
                    "password_reset_requested",
                    Some(&user.id),
                    ErrorCode::DeliveryFailed,
                )
                .details(json!({ "challenge_id": issued.id })),
            )
            .await?;
        }
        Err(failure) => return Err(failure),
    }
    Ok(answer)
}

pub(crate) async fn confirm_reset(
    port: &StorePort,
    e: &Engine,
    req: &ResetConfirm,
    ctx: &RequestContext,
) -> Result<Value> {
    let rl = &e.settings().rate_limit;
    limits::hit(
        port,
        rl.enabled,
        "password_reset_confirm",
        ctx.client_key(),
        &rl.otp_verify,
        ctx.now,
    )
    .await?;
    // The link's token is `<challenge id>.<code>`; both forms end in the same check.
    let (challenge_id, code) = match &req.token {
        Some(t) => t
            .split_once('.')
            .map_or((String::new(), String::new()), |(a, b)| {
                (a.to_owned(), b.to_owned())
            }),
        None => (req.challenge_id.clone(), req.code.clone()),
    };
    let mut user_id: Option<String> = None;
    let outcome = async {
        let checked = codes::check(port, &challenge_id, PURPOSE_RESET, &code, ctx.now).await?;
        user_id = checked.value.user_id.clone();
        let invalid = || {
            err(
                ErrorCode::ChallengeInvalid,
                "the reset challenge no longer matches an active account",
            )
        };
        let Some(id) = user_id.as_deref() else {
            return Err(invalid());
        };
        let Some(user) = load_user(port, id).await?.map(|u| u.value) else {
            return Err(invalid());
        };
        if !user.is_active {
            return Err(invalid());
        }
        // The password is vetted before the code is spent: a refused password leaves
        // the code usable (the attempt was counted) for a better one.
        let hash = vet_new_password(port, e, &user, &req.new_password).await?;
        codes::spend(port, &challenge_id, checked, ctx.now).await?;
        commit_password(port, e, &user.id, &hash, ctx.now).await
    }
    .await;
    match outcome {
        Ok((user, ended)) => {
            append(
                port,
                e,
                ctx,
                AuditEntry::success("password_reset", Some(&user.id))
                    .details(json!({ "sessions_ended": ended })),
            )
            .await?;
            Ok(
                json!({ "message": "the password was reset; log in again", "sessions_ended": ended }),
            )
        }
        Err(failure) if failure.category() == crate::Category::Store => Err(failure),
        Err(failure) => {
            append(
                port,
                e,
                ctx,
                AuditEntry::failure("password_reset", user_id.as_deref(), failure.code())
                    .details(json!({ "challenge_id": challenge_id })),
            )
            .await?;
            Err(failure)
        }
    }
}
