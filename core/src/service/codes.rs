//! Numeric one-time codes over the store: challenges (`otp_challenges`) for e-mail and
//! phone verification and password reset, the messages that carry them, and the e-mail
//! and phone verification flows.
//!
//! A challenge is a [`numeric::CodeRecord`] plus who it is for. Checking a code is two
//! compare-and-swap writes on the challenge: [`check`] counts the attempt (right or
//! wrong) before the answer is acted on, and [`spend`] marks it used once the flow has
//! accepted everything else. So a flow may still refuse (a weak new password) after the
//! code was right without burning it, and two concurrent submissions of the right code
//! cannot both pass [`spend`].
//!
//! A *decoy* challenge (no user) is written for requests about unknown accounts, so the
//! answer, the challenge id and the attempt counting look the same as for a real one;
//! its code was never sent to anyone, so it can never pass.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::audit::{append, AuditEntry};
use super::auth::authenticate;
use super::users::{contention, load, new_id, store, update_user, Versioned, CAS_ATTEMPTS};
use super::{limits, Engine, RequestContext};
use crate::drive::{Flow, StorePort};
use crate::error::{err, ErrorCode, Result};
use crate::otp::numeric::{self, CodeRecord};
use crate::store::{keys, Channel, Expect, Message};

/// Purpose of e-mail verification codes.
pub const PURPOSE_EMAIL: &str = "email_verification";
/// Purpose of phone verification codes.
pub const PURPOSE_PHONE: &str = "phone_verification";
/// Purpose of password-reset codes.
pub const PURPOSE_RESET: &str = "password_reset";

/// A code challenge (namespace `otp_challenges`, keyed by its id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Challenge {
    /// Who the code was sent to; `None` for a decoy.
    pub user_id: Option<String>,
    /// The address or number the code went to (verification marks only that one).
    pub destination: Option<String>,
    /// A passwordless login code for a phone with no account yet: verifying it creates
    /// the account (`otp.login_auto_register`).
    pub register: bool,
    /// The code state (hash, purpose, expiry, attempts, used).
    pub code: CodeRecord,
    /// Creation time.
    pub created_at: i64,
}

impl Default for Challenge {
    fn default() -> Self {
        Challenge {
            user_id: None,
            destination: None,
            register: false,
            code: CodeRecord {
                hash: String::new(),
                purpose: String::new(),
                expires_at: 0,
                length: numeric::DEFAULT_LENGTH,
                attempts: 0,
                max_attempts: 0,
                used: true,
            },
            created_at: 0,
        }
    }
}

/// An issued challenge: the id to hand the client and the code to send (a decoy's
/// caller drops it unsent).
#[derive(Debug, Clone)]
pub(crate) struct Issued {
    pub id: String,
    pub code: String,
    pub expires_in: u64,
}

/// The answer to a code request: what the client needs to submit the code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeSent {
    /// Pass back with the code.
    pub challenge_id: String,
    /// Seconds the code stays valid.
    pub expires_in: u64,
    /// A human-readable message (the same whether or not a message was sent, where that
    /// must not be revealed).
    pub message: String,
}

/// `POST verify-email/confirm/`, `POST verify-phone/confirm/`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CodeSubmission {
    /// From the request's answer.
    pub challenge_id: String,
    /// The digits received.
    pub code: String,
}

fn ttl_until(expires_at: i64, now: i64) -> Option<u64> {
    Some(
        u64::try_from(expires_at.saturating_sub(now))
            .unwrap_or(0)
            .max(1),
    )
}

/// Whom a challenge is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Owner<'a> {
    /// An existing account.
    User(&'a str),
    /// Nobody: a decoy, whose code the caller drops unsent.
    Nobody,
    /// An account to create when the code is verified.
    NewAccount,
}

/// Writes a challenge for `purpose` (create-once under a fresh id). For a decoy the code
/// is drawn and hashed the same way, then forgotten by the caller.
pub(crate) async fn issue(
    port: &StorePort,
    e: &Engine,
    owner: Owner<'_>,
    destination: Option<&str>,
    purpose: &str,
    lifetime_secs: u64,
    now: i64,
) -> Result<Issued> {
    let o = &e.settings().otp;
    let lifetime = u32::try_from(lifetime_secs.min(u64::from(numeric::MAX_LIFETIME_SECS)))
        .unwrap_or(numeric::MAX_LIFETIME_SECS)
        .max(1);
    let max_attempts = o.max_attempts.clamp(1, numeric::MAX_ATTEMPTS);
    let id = new_id()?;
    let (code, record) = numeric::issue(o.length, lifetime, max_attempts, purpose, &id, now)?;
    let challenge = Challenge {
        user_id: match owner {
            Owner::User(id) => Some(id.to_owned()),
            Owner::Nobody | Owner::NewAccount => None,
        },
        destination: destination.map(str::to_owned),
        register: owner == Owner::NewAccount,
        code: record,
        created_at: now,
    };
    if !store(
        port,
        keys::OTP_CHALLENGES,
        &keys::otp_challenge(&id),
        &challenge,
        Some(u64::from(lifetime)),
        Expect::Absent,
    )
    .await?
    {
        return Err(err(ErrorCode::Internal, "a fresh challenge id collided"));
    }
    Ok(Issued {
        id,
        code,
        expires_in: u64::from(lifetime),
    })
}

/// Loads the challenge, checks `input` and writes the counted attempt back (CAS) before
/// answering. Errors: `challenge_invalid` (unknown id, other purpose), then the code's
/// own (`replayed`, `code_expired`, `too_many_attempts`, `invalid_format`,
/// `invalid_code`). On success the challenge is returned *not yet spent*, with the
/// version to [`spend`] it at.
pub(crate) async fn check(
    port: &StorePort,
    id: &str,
    purpose: &str,
    input: &str,
    now: i64,
) -> Result<Versioned<Challenge>> {
    let key = keys::otp_challenge(id);
    let invalid = || {
        err(
            ErrorCode::ChallengeInvalid,
            "the code challenge is unknown or belongs to another purpose",
        )
    };
    if id.is_empty() || id.len() > numeric::MAX_FIELD_LEN {
        return Err(invalid());
    }
    for _ in 0..CAS_ATTEMPTS {
        let Some(current) = load::<Challenge>(port, keys::OTP_CHALLENGES, &key).await? else {
            return Err(invalid());
        };
        let mut challenge = current.value;
        if challenge.code.purpose != purpose {
            return Err(invalid());
        }
        let verdict = numeric::verify(&challenge.code, input.trim(), purpose, id, now);
        if verdict.record == challenge.code {
            // Nothing was tried (used, expired, exhausted): nothing to write.
            verdict.outcome?;
            return Err(invalid());
        }
        challenge.code = verdict.record;
        // Counted, not spent: `spend` marks it used once the flow accepts the rest.
        challenge.code.used = false;
        let ttl = ttl_until(challenge.code.expires_at, now);
        let written = port
            .put(
                keys::OTP_CHALLENGES,
                &key,
                super::users::encode(&challenge)?,
                ttl,
                Expect::Version(current.version),
            )
            .await?;
        let crate::store::PutOutcome::Written { version } = written else {
            continue;
        };
        verdict.outcome?;
        return Ok(Versioned {
            value: challenge,
            version,
        });
    }
    Err(contention("challenge"))
}

/// Marks a checked challenge used. A concurrent change (another submission) is re-read:
/// if someone else spent it, `replayed`.
pub(crate) async fn spend(
    port: &StorePort,
    id: &str,
    checked: Versioned<Challenge>,
    now: i64,
) -> Result<()> {
    let key = keys::otp_challenge(id);
    let mut current = checked;
    for _ in 0..CAS_ATTEMPTS {
        if current.value.code.used {
            return Err(err(ErrorCode::Replayed, "code was already used"));
        }
        let mut spent = current.value.clone();
        spent.code.used = true;
        let ttl = ttl_until(spent.code.expires_at, now);
        if store(
            port,
            keys::OTP_CHALLENGES,
            &key,
            &spent,
            ttl,
            Expect::Version(current.version),
        )
        .await?
        {
            return Ok(());
        }
        match load::<Challenge>(port, keys::OTP_CHALLENGES, &key).await? {
            Some(c) => current = c,
            None => return Err(err(ErrorCode::Replayed, "code was already used")),
        }
    }
    Err(contention("challenge"))
}

/// Sends a message; failure is `delivery_failed`.
pub(crate) async fn deliver(
    port: &StorePort,
    channel: Channel,
    to: &str,
    template: &str,
    subject: &str,
    text: String,
    data: Value,
) -> Result<Option<String>> {
    let delivery = port
        .send_message(Message {
            channel,
            to: to.to_owned(),
            template: template.to_owned(),
            subject: subject.to_owned(),
            text,
            data,
        })
        .await?;
    Ok(delivery.id)
}

/// The text of a code message.
pub(crate) fn code_text(what: &str, code: &str, expires_in: u64) -> String {
    let minutes = expires_in.div_ceil(60).max(1);
    format!(
        "Your {what} code is {code}. It expires in {minutes} minute(s). If you did not ask for it, ignore this message."
    )
}

/// Which identifier a verification flow proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    Email,
    Phone,
}

impl Target {
    fn purpose(self) -> &'static str {
        match self {
            Target::Email => PURPOSE_EMAIL,
            Target::Phone => PURPOSE_PHONE,
        }
    }
    fn name(self) -> &'static str {
        match self {
            Target::Email => "email",
            Target::Phone => "phone",
        }
    }
}

impl Engine {
    /// Sends an e-mail verification code to the authenticated user's address
    /// (template `email_verification`).
    pub fn request_email_verification(
        &self,
        access_token: String,
        ctx: RequestContext,
    ) -> Flow<CodeSent> {
        self.flow(move |e, port| async move {
            request_verification(&port, &e, &access_token, &ctx, Target::Email).await
        })
    }

    /// Checks an e-mail verification code and marks the address verified.
    pub fn confirm_email_verification(
        &self,
        access_token: String,
        req: CodeSubmission,
        ctx: RequestContext,
    ) -> Flow<Value> {
        self.flow(move |e, port| async move {
            confirm_verification(&port, &e, &access_token, &req, &ctx, Target::Email).await
        })
    }

    /// Sends a phone verification code by SMS (template `phone_verification`).
    pub fn request_phone_verification(
        &self,
        access_token: String,
        ctx: RequestContext,
    ) -> Flow<CodeSent> {
        self.flow(move |e, port| async move {
            request_verification(&port, &e, &access_token, &ctx, Target::Phone).await
        })
    }

    /// Checks a phone verification code and marks the number verified.
    pub fn confirm_phone_verification(
        &self,
        access_token: String,
        req: CodeSubmission,
        ctx: RequestContext,
    ) -> Flow<Value> {
        self.flow(move |e, port| async move {
            confirm_verification(&port, &e, &access_token, &req, &ctx, Target::Phone).await
        })
    }
}

pub(crate) async fn request_verification(
    port: &StorePort,
    e: &Engine,
    token: &str,
    ctx: &RequestContext,
    target: Target,
) -> Result<CodeSent> {
    let p = authenticate(port, e, token, ctx).await?;
    p.require_scope(&[])?;
    let rl = &e.settings().rate_limit;
    limits::hit(
        port,
        rl.enabled,
        "otp_request",
        &p.user.id,
        &rl.otp_request,
        ctx.now,
    )
    .await?;
    let o = &e.settings().otp;
    let (destination, verified, channel, lifetime) = match target {
        Target::Email => (
            p.user.email.clone(),
            p.user.email_verified,
            Channel::Email,
            o.email_lifetime_secs,
        ),
        Target::Phone => (
            p.user.phone.clone(),
            p.user.phone_verified,
            Channel::Sms,
            o.sms_lifetime_secs,
        ),
    };
    let Some(destination) = destination else {
        return Err(err(
            ErrorCode::InvalidInput,
            format!("the account has no {}", target.name()),
        )
        .with_details(json!({ "field": target.name() })));
    };
    if verified {
        return Err(err(
            ErrorCode::InvalidInput,
            format!("the {} is already verified", target.name()),
        )
        .with_details(json!({ "already_verified": true })));
    }
    let issued = issue(
        port,
        e,
        Owner::User(&p.user.id),
        Some(&destination),
        target.purpose(),
        lifetime,
        ctx.now,
    )
    .await?;
    let code = issued.code.clone();
    let what = match target {
        Target::Email => "e-mail verification",
        Target::Phone => "phone verification",
    };
    let sent = deliver(
        port,
        channel,
        &destination,
        target.purpose(),
        "Verify your account",
        code_text(what, &code, issued.expires_in),
        json!({ "code": code, "expires_in": issued.expires_in, "challenge_id": issued.id }),
    )
    .await;
    let message_id = match sent {
        Ok(id) => id,
        Err(failure) => {
            append(
                port,
                e,
                ctx,
                AuditEntry::failure(
                    &format!("{}_verification_sent", target.name()),
                    Some(&p.user.id),
                    failure.code(),
                ),
            )
            .await?;
            return Err(failure);
        }
    };
    append(
        port,
        e,
        ctx,
        AuditEntry::success(
            &format!("{}_verification_sent", target.name()),
            Some(&p.user.id),
        )
        .details(json!({ "challenge_id": issued.id, "message_id": message_id })),
    )
    .await?;
    Ok(CodeSent {
        challenge_id: issued.id,
        expires_in: issued.expires_in,
        message: format!("a verification code was sent to your {}", target.name()),
    })
}

pub(crate) async fn confirm_verification(
    port: &StorePort,
    e: &Engine,
    token: &str,
    req: &CodeSubmission,
    ctx: &RequestContext,
    target: Target,
) -> Result<Value> {
    let p = authenticate(port, e, token, ctx).await?;
    p.require_scope(&[])?;
    let rl = &e.settings().rate_limit;
    limits::hit(
        port,
        rl.enabled,
        "otp_verify",
        &p.user.id,
        &rl.otp_verify,
        ctx.now,
    )
    .await?;
    let action = format!("{}_verified", target.name());
    let outcome = async {
        // The owner check comes before any attempt is counted: another user's challenge
        // is simply not this user's to guess at.
        let key = keys::otp_challenge(&req.challenge_id);
        let owned = load::<Challenge>(port, keys::OTP_CHALLENGES, &key)
            .await?
            .is_some_and(|c| c.value.user_id.as_deref() == Some(p.user.id.as_str()));
        if !owned {
            return Err(err(
                ErrorCode::ChallengeInvalid,
                "the code challenge is unknown or belongs to another user",
            ));
        }
        let checked = check(
            port,
            &req.challenge_id,
            target.purpose(),
            &req.code,
            ctx.now,
        )
        .await?;
        let destination = checked.value.destination.clone();
        spend(port, &req.challenge_id, checked, ctx.now).await?;
        update_user(port, &p.user.id, |u| {
            let current = match target {
                Target::Email => &u.email,
                Target::Phone => &u.phone,
            };
            // The identifier changed since the code was sent: the code proves the old one.
            if *current != destination {
                return Err(err(
                    ErrorCode::ChallengeInvalid,
                    format!("the {} changed since the code was sent", target.name()),
                ));
            }
            match target {
                Target::Email => u.email_verified = true,
                Target::Phone => u.phone_verified = true,
            }
            Ok(())
        })
        .await
    }
    .await;
    match outcome {
        Ok(_) => {
            append(port, e, ctx, AuditEntry::success(&action, Some(&p.user.id))).await?;
            Ok(json!({ "message": format!("the {} is verified", target.name()), "verified": true }))
        }
        Err(failure) if failure.category() == crate::Category::Store => Err(failure),
        Err(failure) => {
            append(
                port,
                e,
                ctx,
                AuditEntry::failure(&action, Some(&p.user.id), failure.code()),
            )
            .await?;
            Err(failure)
        }
    }
}
