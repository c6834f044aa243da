//! Sessions and the tokens minted from them.
//!
//! A session is one login on one device: it owns one refresh-token chain (its *family*)
//! and every access token minted from that chain carries its id as the `sid` claim.
//! Ending a session — logout, logout-all, refresh-token reuse, a session limit — deletes
//! the session record first, so every token of the family stops working at once, then
//! cleans up the refresh token and the index entries (a crash in between leaves only
//! entries that point at nothing).

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::audit::{append, AuditEntry};
use super::records::{RefreshToken, Session, User};
use super::users::{load, new_id, public_view, store};
use super::{Engine, RequestContext};
use crate::config::LimitAction;
use crate::drive::StorePort;
use crate::error::{err, ErrorCode, Result};
use crate::jwt::profile::{issue_access_token, AccessTokenSpec};
use crate::secret::{self, SecretKind};
use crate::store::{keys, Expect};

/// The restricted scope of a token that may only change the password.
pub const SCOPE_PASSWORD_CHANGE_ONLY: &str = "password_change_only";

/// The token response of login, refresh, magic-link and code logins (Tenxyte's shape).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenResponse {
    /// The access token (`at+jwt`).
    pub access_token: String,
    /// `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// The refresh token (`txr_…`), absent for restricted tokens.
    pub refresh_token: Option<String>,
    /// Seconds until the refresh token expires.
    pub refresh_expires_in: Option<u64>,
    /// The session id (the tokens' `sid`).
    pub session_id: String,
    /// A restricted scope, when the token only allows one thing.
    pub token_scope: Option<String>,
    /// The user must change their password before anything else.
    pub must_change_password: bool,
    /// The user, as the API shows it.
    pub user: Value,
}

/// The access token for `session`, with `sid` and an optional restricted scope.
pub(crate) fn mint_access(
    engine: &Engine,
    user: &User,
    session: &Session,
    scope: Option<&str>,
    now: i64,
) -> Result<crate::jwt::profile::IssuedToken> {
    let j = &engine.settings().jwt;
    let mut extra = Map::new();
    extra.insert("sid".into(), Value::String(session.id.clone()));
    let lifetime = if scope.is_some() {
        j.restricted_token_lifetime_secs
    } else {
        j.access_token_lifetime_secs
    };
    let spec = AccessTokenSpec {
        user_id: user.id.clone(),
        app_id: session.app_id.clone(),
        issuer: j.issuer.clone(),
        audience: j.audience.clone(),
        lifetime_secs: lifetime,
        scope: scope.map(str::to_owned),
        extra,
        allow_pii: false,
    };
    issue_access_token(engine.keys(), &spec, now)
}

/// Writes a new refresh token for `session`; returns the raw token (shown once).
pub(crate) async fn put_refresh_token(
    port: &StorePort,
    engine: &Engine,
    session: &Session,
    hash: &str,
    now: i64,
) -> Result<()> {
    let lifetime = engine.settings().jwt.refresh_token_lifetime_secs;
    let record = RefreshToken {
        user_id: session.user_id.clone(),
        session_id: session.id.clone(),
        app_id: session.app_id.clone(),
        issued_at: now,
        expires_at: now.saturating_add(i64::try_from(lifetime).unwrap_or(i64::MAX)),
        rotated_at: None,
    };
    if !store(
        port,
        keys::REFRESH_TOKENS,
        &keys::refresh_token(hash),
        &record,
        Some(lifetime),
        Expect::Absent,
    )
    .await?
    {
        return Err(err(ErrorCode::Internal, "a fresh refresh token collided"));
    }
    port.put(
        keys::USER_REFRESH_TOKENS,
        &keys::user_refresh_token(&session.user_id, hash),
        json!({}),
        Some(lifetime),
        Expect::Any,
    )
    .await?;
    Ok(())
}

/// Opens a session for a user who has just proven who they are: applies the session and
/// device limits, writes the session and its refresh token, mints the access token, and
/// audits the login. `scope` restricts the token (no refresh token then).
pub async fn open_session(
    port: &StorePort,
    engine: &Engine,
    ctx: &RequestContext,
    user: &User,
    method: &str,
    device: Option<&str>,
    scope: Option<&str>,
) -> Result<TokenResponse> {
    let device = device
        .or(ctx.user_agent.as_deref())
        .unwrap_or("unknown")
        .chars()
        .take(256)
        .collect::<String>();
    enforce_limits(port, engine, ctx, &user.id, &device).await?;
    let refresh = match scope {
        None => Some(secret::generate(SecretKind::Refresh)?),
        Some(_) => None,
    };
    let lifetime = engine.settings().jwt.refresh_token_lifetime_secs;
    let session = Session {
        id: new_id()?,
        user_id: user.id.clone(),
        app_id: ctx.app_or_default(),
        device,
        ip: ctx.ip.clone(),
        created_at: ctx.now,
        last_used_at: ctx.now,
        current_refresh_hash: refresh
            .as_ref()
            .map(|r| r.hash().to_owned())
            .unwrap_or_default(),
        method: method.to_owned(),
    };
    // The session first: a refresh token or index entry without it grants nothing.
    if !store(
        port,
        keys::SESSIONS,
        &keys::session(&session.id),
        &session,
        Some(lifetime),
        Expect::Absent,
    )
    .await?
    {
        return Err(err(ErrorCode::Internal, "a fresh session id collided"));
    }
    port.put(
        keys::USER_SESSIONS,
        &keys::user_session(&user.id, &session.id),
        json!({}),
        Some(lifetime),
        Expect::Any,
    )
    .await?;
    if let Some(r) = &refresh {
        put_refresh_token(port, engine, &session, r.hash(), ctx.now).await?;
    }
    let access = mint_access(engine, user, &session, scope, ctx.now)?;
    append(
        port,
        engine,
        ctx,
        AuditEntry::success("login", Some(&user.id)).details(json!({
            "method": method,
            "session_id": session.id,
            "scope": scope,
        })),
    )
    .await?;
    Ok(token_response(
        engine,
        user,
        &session,
        access,
        refresh.map(|r| r.raw().to_owned()),
        scope,
        ctx.now,
    ))
}

pub(crate) fn token_response(
    engine: &Engine,
    user: &User,
    session: &Session,
    access: crate::jwt::profile::IssuedToken,
    refresh: Option<String>,
    scope: Option<&str>,
    now: i64,
) -> TokenResponse {
    let refresh_expires_in = refresh
        .as_ref()
        .map(|_| engine.settings().jwt.refresh_token_lifetime_secs);
    TokenResponse {
        access_token: access.token,
        token_type: "Bearer".into(),
        expires_in: u64::try_from(access.expires_at.saturating_sub(now)).unwrap_or(0),
        refresh_token: refresh,
        refresh_expires_in,
        session_id: session.id.clone(),
        token_scope: scope.map(str::to_owned),
        must_change_password: user.must_change_password,
        user: public_view(user),
    }
}

/// A user's live sessions, oldest first. Dangling index entries (a session that ended or
/// expired) are skipped.
pub async fn list_sessions(port: &StorePort, user_id: &str) -> Result<Vec<Session>> {
    let prefix = keys::owner_prefix(user_id);
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = port
            .list(keys::USER_SESSIONS, &prefix, 100, cursor.as_deref())
            .await?;
        for (key, _) in &page.items {
            let Some(session_id) = key.strip_prefix(&prefix) else {
                continue;
            };
            let id = unescape(session_id);
            if let Some(s) = load::<Session>(port, keys::SESSIONS, &keys::session(&id)).await? {
                if s.value.user_id == user_id {
                    out.push(s.value);
                }
            }
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    out.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    Ok(out)
}

/// Inverse of [`keys::segment`].
pub(crate) fn unescape(segment: &str) -> String {
    segment.replace("%2F", "/").replace("%25", "%")
}

/// Ends a session: the record first (all its tokens die with it), then its refresh token
/// and index entries. Returns whether it was live.
pub async fn end_session(port: &StorePort, session: &Session) -> Result<bool> {
    let was_live = port
        .delete(keys::SESSIONS, &keys::session(&session.id))
        .await?;
    if !session.current_refresh_hash.is_empty() {
        let h = &session.current_refresh_hash;
        port.delete(keys::REFRESH_TOKENS, &keys::refresh_token(h))
            .await?;
        port.delete(
            keys::USER_REFRESH_TOKENS,
            &keys::user_refresh_token(&session.user_id, h),
        )
        .await?;
    }
    port.delete(
        keys::USER_SESSIONS,
        &keys::user_session(&session.user_id, &session.id),
    )
    .await?;
    Ok(was_live)
}

/// Ends every session of a user; returns how many were live.
pub async fn end_all_sessions(port: &StorePort, user_id: &str) -> Result<usize> {
    let mut ended = 0;
    for s in list_sessions(port, user_id).await? {
        if end_session(port, &s).await? {
            ended += 1;
        }
    }
    Ok(ended)
}

/// Session and device limits (`sessions.*`, `devices.*`): `deny` refuses the new login,
/// `revoke_oldest` ends the oldest sessions (or the oldest device's sessions) to make room.
async fn enforce_limits(
    port: &StorePort,
    engine: &Engine,
    ctx: &RequestContext,
    user_id: &str,
    device: &str,
) -> Result<()> {
    let s = &engine.settings().sessions;
    let d = &engine.settings().devices;
    if !s.limit_enabled && !d.limit_enabled {
        return Ok(());
    }
    let mut sessions = list_sessions(port, user_id).await?;
    if d.limit_enabled && !sessions.iter().any(|x| x.device == device) {
        let max = usize::try_from(d.max_devices).unwrap_or(usize::MAX);
        loop {
            // Devices in order of their oldest session.
            let mut devices: Vec<&str> = Vec::new();
            for x in &sessions {
                if !devices.contains(&x.device.as_str()) {
                    devices.push(&x.device);
                }
            }
            if devices.len() < max {
                break;
            }
            match d.limit_action {
                LimitAction::Deny => {
                    let details = json!({ "max_devices": d.max_devices });
                    return Err(refuse(
                        port,
                        engine,
                        ctx,
                        user_id,
                        ErrorCode::DeviceLimitReached,
                        details,
                    )
                    .await);
                }
                LimitAction::RevokeOldest => {
                    let Some(oldest) = devices.first().map(|x| (*x).to_owned()) else {
                        break;
                    };
                    for x in sessions.iter().filter(|x| x.device == oldest) {
                        end_session(port, x).await?;
                    }
                    sessions.retain(|x| x.device != oldest);
                    append(
                        port,
                        engine,
                        ctx,
                        AuditEntry::success("device_revoked", Some(user_id))
                            .details(json!({"reason": "device_limit"})),
                    )
                    .await?;
                }
            }
        }
    }
    if s.limit_enabled {
        let max = usize::try_from(s.max_sessions).unwrap_or(usize::MAX);
        while sessions.len() >= max {
            match s.limit_action {
                LimitAction::Deny => {
                    let details = json!({ "max_sessions": s.max_sessions });
                    return Err(refuse(
                        port,
                        engine,
                        ctx,
                        user_id,
                        ErrorCode::SessionLimitReached,
                        details,
                    )
                    .await);
                }
                LimitAction::RevokeOldest => {
                    if sessions.is_empty() {
                        break;
                    }
                    let oldest = sessions.remove(0);
                    end_session(port, &oldest).await?;
                    append(
                        port,
                        engine,
                        ctx,
                        AuditEntry::success("session_revoked", Some(user_id))
                            .details(json!({"session_id": oldest.id, "reason": "session_limit"})),
                    )
                    .await?;
                }
            }
        }
    }
    Ok(())
}

/// Audits a login refused by a limit and builds its error (a store failure while auditing
/// wins: fail closed).
async fn refuse(
    port: &StorePort,
    engine: &Engine,
    ctx: &RequestContext,
    user_id: &str,
    code: ErrorCode,
    details: Value,
) -> crate::error::Error {
    let entry = AuditEntry::failure("login", Some(user_id), code).details(details.clone());
    if let Err(store_error) = append(port, engine, ctx, entry).await {
        return store_error;
    }
    let what = if code == ErrorCode::DeviceLimitReached {
        "devices"
    } else {
        "sessions"
    };
    err(code, format!("the maximum number of {what} is reached")).with_details(details)
}
