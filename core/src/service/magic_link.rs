//! Magic-link login: a one-click `txm_` link e-mailed to the account, exchanged once for
//! a session.
//!
//! Only the link's SHA-256 is stored (`magic_links`, keyed by it, with the link's
//! lifetime as TTL) plus an index entry per user (`user_magic_links`), so a new request
//! can void the user's unused links. Verification consumes the link by deleting it: the
//! store's delete answers `true` to exactly one caller, so a link opens at most one
//! session however many requests race. Every way a link can be wrong answers the same
//! `magic_link_invalid`.

// `core::net` (not `std::net`): address parsing only, no socket is ever opened here.
use core::net::IpAddr;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::audit::{append, AuditEntry};
use super::codes::deliver;
use super::sessions::{open_session, unescape, TokenResponse};
use super::users::{find_by_email, load, load_user, normalize_email, store, update_user};
use super::{limits, second_factor, Engine, RequestContext};
use crate::drive::{Flow, StorePort};
use crate::error::{err, Error, ErrorCode, Result};
use crate::secret::{self, SecretKind};
use crate::store::{keys, Channel, Expect};

/// A stored magic link (namespace `magic_links`, keyed by the token's hash).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MagicLink {
    /// Whose login it is.
    pub user_id: String,
    /// The application that asked for it, when one was authenticated.
    pub app_id: Option<String>,
    /// The requesting client's IP (for the same-device check).
    pub ip: Option<String>,
    /// Creation time.
    pub created_at: i64,
    /// From this instant on the link is dead.
    pub expires_at: i64,
}

/// `POST magic-link/request/`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MagicLinkRequest {
    /// The account's e-mail.
    pub email: String,
    /// The page that will receive `?token=…` (http(s); when `cors.allowed_origins` is
    /// set, its origin must be one of them).
    pub validation_url: String,
}

/// `POST magic-link/verify/`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MagicLinkVerify {
    /// The `txm_…` token from the link.
    pub token: String,
    /// TOTP or backup code, for accounts with 2FA.
    pub totp_code: Option<String>,
    /// Device description for the session (default: the User-Agent).
    pub device_info: Option<String>,
}

/// The answer every magic-link request gets, whether or not the account exists.
pub const LINK_SENT: &str = "if an account matches, a login link was sent to it";

impl Engine {
    /// E-mails a login link (template `magic_link`) and voids the user's earlier links.
    /// Unknown or inactive addresses get the same answer and no message.
    pub fn request_magic_link(&self, req: MagicLinkRequest, ctx: RequestContext) -> Flow<Value> {
        self.flow(move |e, port| async move { request(&port, &e, &req, &ctx).await })
    }

    /// Exchanges a magic link for a session (single use; 2FA gate).
    pub fn verify_magic_link(
        &self,
        req: MagicLinkVerify,
        ctx: RequestContext,
    ) -> Flow<TokenResponse> {
        self.flow(move |e, port| async move { verify(&port, &e, &req, &ctx).await })
    }
}

fn require_enabled(e: &Engine) -> Result<()> {
    if e.settings().magic_link.enabled {
        Ok(())
    } else {
        Err(err(
            ErrorCode::FeatureDisabled,
            "magic-link login is disabled",
        ))
    }
}

/// The link the e-mail carries.
pub(crate) fn link_for(validation_url: &str, token: &str) -> String {
    let sep = if validation_url.contains('?') {
        '&'
    } else {
        '?'
    };
    format!("{validation_url}{sep}token={token}")
}

/// `scheme://host[:port]` of an http(s) URL, or `None`.
fn origin(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let host_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let scheme_len = url.len() - rest.len();
    (host_len > 0)
        .then(|| url.get(..scheme_len + host_len))
        .flatten()
}

pub(crate) fn check_validation_url(e: &Engine, url: &str) -> Result<()> {
    let bad = |why: &str| {
        err(ErrorCode::InvalidInput, format!("validation_url {why}"))
            .with_details(json!({ "field": "validation_url" }))
    };
    if url.len() > 2048 || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("is too long or has spaces"));
    }
    let Some(origin) = origin(url) else {
        return Err(bad("must be an http(s) URL"));
    };
    let allowed = &e.settings().cors.allowed_origins;
    // A caller-chosen URL in a login e-mail could send the token to an attacker's page;
    // when the deployment lists its front-end origins, only those are accepted.
    if !allowed.is_empty() && !allowed.iter().any(|a| a.eq_ignore_ascii_case(origin)) {
        return Err(bad("is not on an allowed origin"));
    }
    Ok(())
}

pub(crate) async fn request(
    port: &StorePort,
    e: &Engine,
    req: &MagicLinkRequest,
    ctx: &RequestContext,
) -> Result<Value> {
    require_enabled(e)?;
    check_validation_url(e, &req.validation_url)?;
    let Some(email) = normalize_email(&req.email) else {
        return Err(err(
            ErrorCode::InvalidInput,
            "email is not a valid e-mail address",
        )
        .with_details(json!({ "field": "email" })));
    };
    let rl = &e.settings().rate_limit;
    limits::hit(
        port,
        rl.enabled,
        "magic_link_request",
        ctx.client_key(),
        &rl.magic_link_request,
        ctx.now,
    )
    .await?;
    limits::hit(
        port,
        rl.enabled,
        "magic_link_request_target",
        &email,
        &rl.magic_link_request,
        ctx.now,
    )
    .await?;
    let answer = json!({ "message": LINK_SENT });
    let user = find_by_email(port, &email)
        .await?
        .map(|f| f.value)
        .filter(|u| u.is_active);
    let Some(user) = user else {
        append(
            port,
            e,
            ctx,
            AuditEntry::failure("magic_link_requested", None, ErrorCode::UserNotFound),
        )
        .await?;
        return Ok(answer);
    };
    // Revocations first: the earlier links die before the new one exists.
    let voided = void_links(port, &user.id).await?;
    let lifetime = e.settings().magic_link.lifetime_secs;
    let token = secret::generate(SecretKind::MagicLink)?;
    let link = MagicLink {
        user_id: user.id.clone(),
        app_id: ctx.app_id.clone(),
        ip: ctx.ip.clone(),
        created_at: ctx.now,
        expires_at: ctx
            .now
            .saturating_add(i64::try_from(lifetime).unwrap_or(i64::MAX)),
    };
    if !store(
        port,
        keys::MAGIC_LINKS,
        &keys::magic_link(token.hash()),
        &link,
        Some(lifetime),
        Expect::Absent,
    )
    .await?
    {
        return Err(err(ErrorCode::Internal, "a fresh magic link collided"));
    }
    port.put(
        keys::USER_MAGIC_LINKS,
        &keys::user_magic_link(&user.id, token.hash()),
        json!({}),
        Some(lifetime),
        Expect::Any,
    )
    .await?;
    let url = link_for(&req.validation_url, token.raw());
    let minutes = lifetime.div_ceil(60).max(1);
    let sent = deliver(
        port,
        Channel::Email,
        &email,
        "magic_link",
        "Your login link",
        format!(
            "Open this link to log in: {url}\nIt works once and expires in {minutes} minute(s). If you did not ask for it, ignore this message."
        ),
        json!({ "link": url, "expires_in": lifetime }),
    )
    .await;
    match sent {
        Ok(message_id) => {
            append(
                port,
                e,
                ctx,
                AuditEntry::success("magic_link_requested", Some(&user.id))
                    .details(json!({ "voided": voided, "message_id": message_id })),
            )
            .await?;
        }
        // Not surfaced (it would tell which addresses have accounts); audited instead.
        Err(failure) if failure.code() == ErrorCode::DeliveryFailed => {
            append(
                port,
                e,
                ctx,
                AuditEntry::failure(
                    "magic_link_requested",
                    Some(&user.id),
                    ErrorCode::DeliveryFailed,
                ),
            )
            .await?;
        }
        Err(failure) => return Err(failure),
    }
    Ok(answer)
}

/// Deletes every outstanding link of `user_id` (the link first, then its index entry).
async fn void_links(port: &StorePort, user_id: &str) -> Result<usize> {
    let prefix = keys::owner_prefix(user_id);
    let mut voided = 0;
    loop {
        // Each pass deletes what it lists, so the next list starts over from the prefix.
        let page = port
            .list(keys::USER_MAGIC_LINKS, &prefix, 100, None)
            .await?;
        if page.items.is_empty() {
            return Ok(voided);
        }
        for (key, _) in &page.items {
            let Some(hash) = key.strip_prefix(&prefix).map(unescape) else {
                continue;
            };
            if port
                .delete(keys::MAGIC_LINKS, &keys::magic_link(&hash))
                .await?
            {
                voided += 1;
            }
            port.delete(keys::USER_MAGIC_LINKS, key).await?;
        }
        if page.next_cursor.is_none() {
            return Ok(voided);
        }
    }
}

/// Same IP, or the same /24 for two IPv4 addresses (a phone moving between access points
/// of one network). Anything unparsable or missing fails the check.
pub fn same_device(requested_from: Option<&str>, verifying_from: Option<&str>) -> bool {
    let (Some(a), Some(b)) = (requested_from, verifying_from) else {
        return false;
    };
    let (Ok(a), Ok(b)) = (a.trim().parse::<IpAddr>(), b.trim().parse::<IpAddr>()) else {
        return false;
    };
    match (a, b) {
        (IpAddr::V4(a), IpAddr::V4(b)) => a.octets().get(..3) == b.octets().get(..3),
        (a, b) => a == b,
    }
}

fn invalid() -> Error {
    err(
        ErrorCode::MagicLinkInvalid,
        "the login link is invalid, used or expired",
    )
}

pub(crate) async fn verify(
    port: &StorePort,
    e: &Engine,
    req: &MagicLinkVerify,
    ctx: &RequestContext,
) -> Result<TokenResponse> {
    require_enabled(e)?;
    let rl = &e.settings().rate_limit;
    limits::hit(
        port,
        rl.enabled,
        "magic_link_verify",
        ctx.client_key(),
        &rl.magic_link_verify,
        ctx.now,
    )
    .await?;
    let mut who: Option<String> = None;
    let outcome = async {
        let raw = req.token.trim();
        if secret::check_kind(raw, SecretKind::MagicLink).is_err() {
            return Err((invalid(), "malformed"));
        }
        let hash = secret::hash(raw);
        let key = keys::magic_link(&hash);
        let found = load::<MagicLink>(port, keys::MAGIC_LINKS, &key)
            .await
            .map_err(|e| (e, "store"))?;
        let Some(link) = found.map(|f| f.value) else {
            return Err((invalid(), "unknown_or_used"));
        };
        who = Some(link.user_id.clone());
        if link.expires_at <= ctx.now {
            return Err((invalid(), "expired"));
        }
        if let (Some(asked), Some(here)) = (&link.app_id, &ctx.app_id) {
            if asked != here {
                return Err((invalid(), "other_application"));
            }
        }
        if e.settings().magic_link.same_device_check
            && !same_device(link.ip.as_deref(), ctx.ip.as_deref())
        {
            return Err((invalid(), "other_device"));
        }
        let user = load_user(port, &link.user_id)
            .await
            .map_err(|e| (e, "store"))?
            .map(|u| u.value)
            .filter(|u| u.is_active && u.lock.locked_until.is_none_or(|t| t <= ctx.now));
        let Some(user) = user else {
            return Err((invalid(), "account_unavailable"));
        };
        if user.mfa.enabled {
            // Asking for the code leaves the link usable: the client re-submits with it.
            let Some(code) = req.totp_code.as_deref().filter(|c| !c.trim().is_empty()) else {
                return Err((
                    err(ErrorCode::MfaRequired, "a two-factor code is required")
                        .with_details(json!({ "requires_2fa": true })),
                    "mfa_required",
                ));
            };
            if let Err(failure) =
                second_factor::verify(port, e, &user.id, code, ctx.now, true).await
            {
                if failure.category() == crate::Category::Store {
                    return Err((failure, "store"));
                }
                // A wrong code burns the link, so a stolen link is not a TOTP oracle.
                consume(port, &user.id, &hash)
                    .await
                    .map_err(|e| (e, "store"))?;
                return Err((failure, "2fa"));
            }
        }
        if !consume(port, &user.id, &hash)
            .await
            .map_err(|e| (e, "store"))?
        {
            return Err((invalid(), "unknown_or_used"));
        }
        Ok(user)
    }
    .await;
    let user = match outcome {
        Ok(user) => user,
        Err((failure, "store")) => return Err(failure),
        Err((failure, reason)) => {
            append(
                port,
                e,
                ctx,
                AuditEntry::failure("magic_link_login", who.as_deref(), failure.code())
                    .details(json!({ "reason": reason })),
            )
            .await?;
            return Err(failure);
        }
    };
    // Opening the link proved the mailbox.
    let user = if user.email_verified {
        user
    } else {
        update_user(port, &user.id, |u| {
            u.email_verified = true;
            Ok(())
        })
        .await?
    };
    open_session(
        port,
        e,
        ctx,
        &user,
        "magic_link",
        req.device_info.as_deref(),
        None,
    )
    .await
}

/// Deletes the link (exactly one caller sees `true`), then its index entry.
async fn consume(port: &StorePort, user_id: &str, hash: &str) -> Result<bool> {
    let won = port
        .delete(keys::MAGIC_LINKS, &keys::magic_link(hash))
        .await?;
    port.delete(
        keys::USER_MAGIC_LINKS,
        &keys::user_magic_link(user_id, hash),
    )
    .await?;
    Ok(won)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_device_is_the_same_ip_or_ipv4_slash_24() {
        assert!(same_device(Some("203.0.113.7"), Some("203.0.113.7")));
        assert!(same_device(Some("203.0.113.7"), Some("203.0.113.200")));
        assert!(!same_device(Some("203.0.113.7"), Some("203.0.114.7")));
        assert!(same_device(Some("2001:db8::1"), Some("2001:db8::1")));
        assert!(!same_device(Some("2001:db8::1"), Some("2001:db8::2")));
        assert!(!same_device(Some("203.0.113.7"), None));
        assert!(!same_device(None, Some("203.0.113.7")));
        assert!(!same_device(Some("nope"), Some("nope")));
    }

    #[test]
    fn links_and_origins() {
        assert_eq!(
            link_for("https://a.example/ml", "txm_x"),
            "https://a.example/ml?token=txm_x"
        );
        assert_eq!(
            link_for("https://a.example/ml?x=1", "txm_x"),
            "https://a.example/ml?x=1&token=txm_x"
        );
        assert_eq!(
            origin("https://a.example:8443/ml?x"),
            Some("https://a.example:8443")
        );
        assert_eq!(origin("http://a.example"), Some("http://a.example"));
        assert_eq!(origin("https:///x"), None);
        assert_eq!(origin("javascript:alert(1)"), None);
    }
}
