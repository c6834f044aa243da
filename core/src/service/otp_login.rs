//! Passwordless login with a code sent by SMS (`otp.login_enabled`), optionally creating
//! the account for a new number (`otp.login_auto_register`).
//!
//! With auto-registration on, every well-formed number gets a real code (an account is
//! created when it is verified), so the answer and the message reveal nothing and a
//! delivery failure is surfaced. With it off, an unknown number gets a decoy challenge
//! and no message, and a delivery failure is audited but not surfaced, as for password
//! reset.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::audit::{append, AuditEntry};
use super::codes::{self, CodeSent, Owner};
use super::records::User;
use super::sessions::{open_session, TokenResponse};
use super::users::{
    claim_index, find_by_phone, load_user, new_id, normalize_phone, store, update_user,
};
use super::{limits, second_factor, Engine, RequestContext};
use crate::drive::{Flow, StorePort};
use crate::error::{err, Error, ErrorCode, Result};
use crate::store::{keys, Channel, Expect};

/// Purpose of passwordless login codes.
pub const PURPOSE_LOGIN: &str = "login";

/// The message every login-code request answers.
pub const LOGIN_CODE_SENT: &str = "if the number can log in, a code was sent to it";

/// `POST login/otp/request/`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoginCodeRequest {
    /// E.164 phone number.
    pub phone: String,
}

/// `POST login/otp/verify/`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoginCodeVerify {
    /// From the request's answer.
    pub challenge_id: String,
    /// The digits received.
    pub code: String,
    /// TOTP or backup code, for accounts with 2FA.
    pub totp_code: Option<String>,
    /// Device description for the session (default: the User-Agent).
    pub device_info: Option<String>,
}

impl Engine {
    /// Sends a login code by SMS (template `login_code`).
    pub fn request_login_code(&self, req: LoginCodeRequest, ctx: RequestContext) -> Flow<CodeSent> {
        self.flow(move |e, port| async move { request(&port, &e, &req, &ctx).await })
    }

    /// Exchanges a login code for a session (2FA gate; creates the account when the
    /// code was sent to a new number under auto-registration).
    pub fn verify_login_code(
        &self,
        req: LoginCodeVerify,
        ctx: RequestContext,
    ) -> Flow<TokenResponse> {
        self.flow(move |e, port| async move { verify(&port, &e, &req, &ctx).await })
    }
}

fn require_enabled(e: &Engine) -> Result<()> {
    if e.settings().otp.login_enabled {
        Ok(())
    } else {
        Err(err(
            ErrorCode::FeatureDisabled,
            "passwordless phone login is disabled",
        ))
    }
}

pub(crate) async fn request(
    port: &StorePort,
    e: &Engine,
    req: &LoginCodeRequest,
    ctx: &RequestContext,
) -> Result<CodeSent> {
    require_enabled(e)?;
    let Some(phone) = normalize_phone(&req.phone) else {
        return Err(err(
            ErrorCode::InvalidInput,
            "phone must be an E.164 number (+ and 8 to 15 digits)",
        )
        .with_details(json!({ "field": "phone" })));
    };
    let s = e.settings();
    let rl = &s.rate_limit;
    limits::hit(
        port,
        rl.enabled,
        "login_otp_request",
        ctx.client_key(),
        &rl.login_otp_request,
        ctx.now,
    )
    .await?;
    limits::hit(
        port,
        rl.enabled,
        "login_otp_request_target",
        &phone,
        &rl.login_otp_request,
        ctx.now,
    )
    .await?;
    let user = find_by_phone(port, &phone)
        .await?
        .map(|f| f.value)
        .filter(|u| u.is_active);
    let auto_register = s.otp.login_auto_register;
    let owner = match &user {
        Some(u) => Owner::User(&u.id),
        None if auto_register => Owner::NewAccount,
        None => Owner::Nobody,
    };
    let issued = codes::issue(
        port,
        e,
        owner,
        Some(&phone),
        PURPOSE_LOGIN,
        s.otp.login_lifetime_secs,
        ctx.now,
    )
    .await?;
    let user_id = user.as_ref().map(|u| u.id.as_str());
    let answer = CodeSent {
        challenge_id: issued.id.clone(),
        expires_in: issued.expires_in,
        message: LOGIN_CODE_SENT.to_owned(),
    };
    if owner == Owner::Nobody {
        append(
            port,
            e,
            ctx,
            AuditEntry::failure("login_code_requested", None, ErrorCode::UserNotFound),
        )
        .await?;
        return Ok(answer);
    }
    let sent = codes::deliver(
        port,
        Channel::Sms,
        &phone,
        "login_code",
        "Your login code",
        codes::code_text("login", &issued.code, issued.expires_in),
        json!({ "code": issued.code, "expires_in": issued.expires_in, "challenge_id": issued.id }),
    )
    .await;
    match sent {
        Ok(message_id) => {
            append(
                port,
                e,
                ctx,
                AuditEntry::success("login_code_requested", user_id)
                    .details(json!({ "challenge_id": issued.id, "message_id": message_id })),
            )
            .await?;
            Ok(answer)
        }
        Err(failure) if failure.code() == ErrorCode::DeliveryFailed => {
            append(
                port,
                e,
                ctx,
                AuditEntry::failure("login_code_requested", user_id, ErrorCode::DeliveryFailed),
            )
            .await?;
            // Every number gets a message under auto-registration: saying it failed
            // reveals nothing then.
            if auto_register {
                Err(failure)
            } else {
                Ok(answer)
            }
        }
        Err(failure) => Err(failure),
    }
}

pub(crate) async fn verify(
    port: &StorePort,
    e: &Engine,
    req: &LoginCodeVerify,
    ctx: &RequestContext,
) -> Result<TokenResponse> {
    require_enabled(e)?;
    let rl = &e.settings().rate_limit;
    limits::hit(
        port,
        rl.enabled,
        "login_otp_verify",
        ctx.client_key(),
        &rl.otp_verify,
        ctx.now,
    )
    .await?;
    let mut who: Option<String> = None;
    let outcome: Result<User> = async {
        let checked =
            codes::check(port, &req.challenge_id, PURPOSE_LOGIN, &req.code, ctx.now).await?;
        let challenge = checked.value.clone();
        let Some(phone) = challenge.destination.clone() else {
            return Err(invalid());
        };
        let user = match (&challenge.user_id, challenge.register) {
            (Some(id), _) => {
                who = Some(id.clone());
                let user = load_user(port, id).await?.map(|u| u.value);
                let usable = user.filter(|u| {
                    u.is_active
                        && u.phone.as_deref() == Some(phone.as_str())
                        && u.lock.locked_until.is_none_or(|t| t <= ctx.now)
                });
                let Some(user) = usable else {
                    return Err(invalid());
                };
                if user.mfa.enabled {
                    let Some(code) = req.totp_code.as_deref().filter(|c| !c.trim().is_empty())
                    else {
                        return Err(err(ErrorCode::MfaRequired, "a two-factor code is required")
                            .with_details(json!({ "requires_2fa": true })));
                    };
                    second_factor::verify(port, e, &user.id, code, ctx.now, true).await?;
                }
                codes::spend(port, &req.challenge_id, checked, ctx.now).await?;
                if user.phone_verified {
                    user
                } else {
                    update_user(port, &user.id, |u| {
                        u.phone_verified = true;
                        Ok(())
                    })
                    .await?
                }
            }
            (None, true) => {
                codes::spend(port, &req.challenge_id, checked, ctx.now).await?;
                let user = register_phone(port, e, &phone, ctx.now).await?;
                who = Some(user.id.clone());
                append(
                    port,
                    e,
                    ctx,
                    AuditEntry::success("register", Some(&user.id))
                        .details(json!({ "method": "otp" })),
                )
                .await?;
                user
            }
            (None, false) => return Err(invalid()),
        };
        Ok(user)
    }
    .await;
    let user = match outcome {
        Ok(user) => user,
        Err(failure) if failure.category() == crate::Category::Store => return Err(failure),
        Err(failure) => {
            append(
                port,
                e,
                ctx,
                AuditEntry::failure("login_code_verified", who.as_deref(), failure.code()),
            )
            .await?;
            return Err(failure);
        }
    };
    open_session(port, e, ctx, &user, "otp", req.device_info.as_deref(), None).await
}

fn invalid() -> Error {
    err(
        ErrorCode::ChallengeInvalid,
        "the login code no longer matches an account that can log in",
    )
}

/// Creates the account of a phone number that just proved itself (no password, phone
/// verified). When someone claimed the number in between, the code logs into that
/// account instead: it proves the same number.
async fn register_phone(port: &StorePort, e: &Engine, phone: &str, now: i64) -> Result<User> {
    let user = User {
        id: new_id()?,
        phone: Some(phone.to_owned()),
        is_active: true,
        phone_verified: true,
        roles: e.policy().default_roles().to_vec(),
        created_at: now,
        metadata: json!({}),
        ..User::default()
    };
    if !store(
        port,
        keys::USERS,
        &keys::user(&user.id),
        &user,
        None,
        Expect::Absent,
    )
    .await?
    {
        return Err(err(ErrorCode::Internal, "a fresh user id collided"));
    }
    if claim_index(
        port,
        keys::USERS_BY_PHONE,
        &keys::user_by_phone(phone),
        &user.id,
    )
    .await?
    {
        return Ok(user);
    }
    port.delete(keys::USERS, &keys::user(&user.id)).await?;
    match find_by_phone(port, phone).await?.map(|f| f.value) {
        Some(existing) if existing.is_active && !existing.mfa.enabled => Ok(existing),
        _ => Err(invalid()),
    }
}
