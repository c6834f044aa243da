//! Register, login (e-mail or phone + password), refresh, logout, logout-all, and
//! authenticating a bearer token (`me`).

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::audit::{append, AuditEntry};
use super::records::{RefreshToken, Session, User};
use super::second_factor;
use super::sessions::{
    end_all_sessions, end_session, mint_access, open_session, put_refresh_token, token_response,
    TokenResponse, SCOPE_PASSWORD_CHANGE_ONLY,
};
use super::users::{
    claim_index, find_by_email, find_by_phone, load, load_user, new_id, normalize_email,
    normalize_phone, public_view, store, subject, update_user,
};
use super::{breach, limits, Engine, RequestContext};
use crate::drive::{Flow, StorePort};
use crate::error::{err, ErrorCode, Result};
use crate::jwt::profile::{verify_access_token, AccessVerify};
use crate::password::policy::{enforce, PolicyContext};
use crate::secret::{self, SecretKind};
use crate::store::{keys, Expect};

/// `POST register/`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RegisterRequest {
    /// E-mail (at least one of e-mail and phone).
    pub email: Option<String>,
    /// E.164 phone.
    pub phone: Option<String>,
    /// The password, checked against the policy and (when on) the breach service.
    pub password: String,
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// Also log the new user in and return tokens.
    pub login: bool,
    /// Device description for the session when `login`.
    pub device_info: Option<String>,
}

/// The answer to a registration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Registered {
    /// The new user, as the API shows it.
    pub user: Value,
    /// Tokens, when the request asked to log in.
    pub tokens: Option<TokenResponse>,
}

/// `POST login/email/` and `POST login/phone/`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoginRequest {
    /// E-mail (exactly one of e-mail and phone).
    pub email: Option<String>,
    /// E.164 phone.
    pub phone: Option<String>,
    /// The password.
    pub password: String,
    /// TOTP or backup code, for accounts with 2FA.
    pub totp_code: Option<String>,
    /// Device description for the session (default: the User-Agent).
    pub device_info: Option<String>,
}

/// Who a valid bearer token belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Principal {
    /// The user record (hashes included: never serialise this to a client; use
    /// [`public_view`]).
    pub user: User,
    /// The session (`sid`).
    pub session_id: String,
    /// The token's `jti`.
    pub jti: String,
    /// The token's `exp`.
    pub expires_at: i64,
    /// The token's application.
    pub app_id: String,
    /// A restricted scope, when the token has one.
    pub scope: Option<String>,
}

impl Principal {
    /// Refuses a restricted token (`scope_restricted`) unless its scope is `allowed`.
    pub fn require_scope(&self, allowed: &[&str]) -> Result<()> {
        match &self.scope {
            None => Ok(()),
            Some(s) if allowed.contains(&s.as_str()) => Ok(()),
            Some(s) => Err(err(
                ErrorCode::ScopeRestricted,
                format!("this token only allows {s}"),
            )
            .with_details(json!({ "token_scope": s }))),
        }
    }
}

/// `GET me/`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Me {
    /// The user, as the API shows it.
    pub user: Value,
    /// Global roles.
    pub roles: Vec<String>,
    /// Effective permissions (roles, inheritance, direct grants).
    pub permissions: Vec<String>,
    /// The session of the token.
    pub session_id: String,
}

/// `POST logout/`: the refresh token is optional (the session of the access token is
/// ended either way).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogoutRequest {
    /// A refresh token to revoke as well (it must belong to the same user).
    pub refresh_token: Option<String>,
}

impl Engine {
    /// Registers a user: rate limit, identifiers, password policy, breach check, default
    /// roles; optionally logs in.
    pub fn register(&self, req: RegisterRequest, ctx: RequestContext) -> Flow<Registered> {
        self.flow(move |e, port| async move { register(&port, &e, &req, &ctx).await })
    }

    /// Logs in by e-mail or phone and password (lockout, rate limits, 2FA gate, session
    /// limits; equal work for unknown users).
    pub fn login(&self, req: LoginRequest, ctx: RequestContext) -> Flow<TokenResponse> {
        self.flow(move |e, port| async move { login(&port, &e, &req, &ctx).await })
    }

    /// Exchanges a refresh token for new tokens (rotation; reuse revokes the family).
    pub fn refresh(&self, refresh_token: String, ctx: RequestContext) -> Flow<TokenResponse> {
        self.flow(move |e, port| async move { refresh(&port, &e, &refresh_token, &ctx).await })
    }

    /// Verifies a bearer access token against the store (blacklist, session, user).
    pub fn authenticate(&self, access_token: String, ctx: RequestContext) -> Flow<Principal> {
        self.flow(move |e, port| async move { authenticate(&port, &e, &access_token, &ctx).await })
    }

    /// The current user with roles and effective permissions.
    pub fn me(&self, access_token: String, ctx: RequestContext) -> Flow<Me> {
        self.flow(move |e, port| async move { me(&port, &e, &access_token, &ctx).await })
    }

    /// Logs out: the access token's `jti` is blacklisted until it expires, its session
    /// (and so its refresh token) ends.
    pub fn logout(
        &self,
        access_token: String,
        req: LogoutRequest,
        ctx: RequestContext,
    ) -> Flow<Value> {
        self.flow(move |e, port| async move { logout(&port, &e, &access_token, &req, &ctx).await })
    }

    /// Ends every session of the token's user and blacklists the presented token.
    pub fn logout_all(&self, access_token: String, ctx: RequestContext) -> Flow<Value> {
        self.flow(move |e, port| async move { logout_all(&port, &e, &access_token, &ctx).await })
    }
}

pub(crate) async fn me(
    port: &StorePort,
    e: &Engine,
    token: &str,
    ctx: &RequestContext,
) -> Result<Me> {
    let p = authenticate(port, e, token, ctx).await?;
    p.require_scope(&[])?;
    let subject = subject(&p.user);
    Ok(Me {
        user: public_view(&p.user),
        roles: p.user.roles.clone(),
        permissions: e
            .policy()
            .effective_permissions(&subject)
            .into_iter()
            .map(str::to_owned)
            .collect(),
        session_id: p.session_id,
    })
}

pub(crate) async fn logout_all(
    port: &StorePort,
    e: &Engine,
    token: &str,
    ctx: &RequestContext,
) -> Result<Value> {
    let p = authenticate(port, e, token, ctx).await?;
    blacklist(port, &p.jti, p.expires_at, ctx.now).await?;
    let ended = end_all_sessions(port, &p.user.id).await?;
    append(
        port,
        e,
        ctx,
        AuditEntry::success("logout_all", Some(&p.user.id)).details(json!({ "sessions": ended })),
    )
    .await?;
    Ok(json!({ "message": "logged out everywhere", "sessions_ended": ended }))
}

pub(crate) async fn register(
    port: &StorePort,
    e: &Engine,
    req: &RegisterRequest,
    ctx: &RequestContext,
) -> Result<Registered> {
    limits::per_client(port, e, ctx, "register", &e.settings().rate_limit.register).await?;
    let email = match &req.email {
        Some(raw) => Some(normalize_email(raw).ok_or_else(|| {
            err(
                ErrorCode::InvalidInput,
                "email is not a valid e-mail address",
            )
            .with_details(json!({ "field": "email" }))
        })?),
        None => None,
    };
    let phone = match &req.phone {
        Some(raw) => Some(normalize_phone(raw).ok_or_else(|| {
            err(
                ErrorCode::InvalidInput,
                "phone must be an E.164 number (+ and 8 to 15 digits)",
            )
            .with_details(json!({ "field": "phone" }))
        })?),
        None => None,
    };
    if email.is_none() && phone.is_none() {
        return Err(err(
            ErrorCode::InvalidInput,
            "give an email or a phone number",
        ));
    }
    check_names(&req.first_name, &req.last_name)?;
    let words = [req.first_name.as_str(), req.last_name.as_str()];
    let others: Vec<&str> = words.iter().copied().filter(|w| !w.is_empty()).collect();
    enforce(
        &req.password,
        &e.settings().password_policy(false),
        &PolicyContext {
            email: email.as_deref(),
            username: None,
            other: &others,
        },
    )?;
    breach::check(port, e, &req.password, true).await?;
    let hash = crate::password::hash(&req.password, e.argon2())?;
    let user = User {
        id: new_id()?,
        email: email.clone(),
        phone: phone.clone(),
        password_hash: Some(hash.clone()),
        first_name: req.first_name.trim().to_owned(),
        last_name: req.last_name.trim().to_owned(),
        is_active: true,
        roles: e.policy().default_roles().to_vec(),
        password_history: vec![hash],
        password_changed_at: Some(ctx.now),
        must_change_password: false,
        created_at: ctx.now,
        metadata: json!({}),
        ..User::default()
    };
    // The user first, then the identifiers: an index entry always points at a user that
    // exists, and a lost race on the identifier removes the record it made.
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
    if let Some(email) = &email {
        if !claim_index(
            port,
            keys::USERS_BY_EMAIL,
            &keys::user_by_email(email),
            &user.id,
        )
        .await?
        {
            port.delete(keys::USERS, &keys::user(&user.id)).await?;
            return Err(err(
                ErrorCode::EmailTaken,
                "an account with this e-mail already exists",
            ));
        }
    }
    if let Some(phone) = &phone {
        if !claim_index(
            port,
            keys::USERS_BY_PHONE,
            &keys::user_by_phone(phone),
            &user.id,
        )
        .await?
        {
            if let Some(email) = &email {
                port.delete(keys::USERS_BY_EMAIL, &keys::user_by_email(email))
                    .await?;
            }
            port.delete(keys::USERS, &keys::user(&user.id)).await?;
            return Err(err(
                ErrorCode::PhoneTaken,
                "an account with this phone number already exists",
            ));
        }
    }
    append(
        port,
        e,
        ctx,
        AuditEntry::success("register", Some(&user.id)),
    )
    .await?;
    let tokens = if req.login {
        Some(
            open_session(
                port,
                e,
                ctx,
                &user,
                "password",
                req.device_info.as_deref(),
                None,
            )
            .await?,
        )
    } else {
        None
    };
    Ok(Registered {
        user: public_view(&user),
        tokens,
    })
}

fn check_names(first: &str, last: &str) -> Result<()> {
    for (field, v) in [("first_name", first), ("last_name", last)] {
        if v.chars().count() > 150 || v.chars().any(char::is_control) {
            return Err(err(
                ErrorCode::InvalidInput,
                format!("{field} is too long or has control characters"),
            )
            .with_details(json!({ "field": field })));
        }
    }
    Ok(())
}

pub(crate) async fn login(
    port: &StorePort,
    e: &Engine,
    req: &LoginRequest,
    ctx: &RequestContext,
) -> Result<TokenResponse> {
    limits::per_client(port, e, ctx, "login", &e.settings().rate_limit.login).await?;
    let found = match (&req.email, &req.phone) {
        (Some(email), None) => find_by_email(port, email).await?,
        (None, Some(phone)) => find_by_phone(port, phone).await?,
        _ => {
            return Err(err(
                ErrorCode::InvalidInput,
                "give exactly one of email and phone",
            ))
        }
    };
    let identifier = req
        .email
        .as_deref()
        .or(req.phone.as_deref())
        .unwrap_or_default();
    let Some(found) = found else {
        // Equal work: an unknown identifier costs one real hash verification too.
        let _ = crate::password::verify(&req.password, e.dummy_hash(), e.verify_options());
        append(
            port,
            e,
            ctx,
            AuditEntry::failure("login_failed", None, ErrorCode::InvalidCredentials)
                .details(json!({ "email": identifier, "reason": "unknown_identifier" })),
        )
        .await?;
        return Err(invalid_credentials());
    };
    let user = found.value;
    if let Some(until) = user.lock.locked_until.filter(|u| *u > ctx.now) {
        let _ = crate::password::verify(&req.password, e.dummy_hash(), e.verify_options());
        append(
            port,
            e,
            ctx,
            AuditEntry::failure("login_failed", Some(&user.id), ErrorCode::AccountLocked),
        )
        .await?;
        return Err(locked(until, ctx.now));
    }
    let verification = match user.password_hash.as_deref() {
        Some(hash) => crate::password::verify(&req.password, hash, e.verify_options()).ok(),
        None => {
            let _ = crate::password::verify(&req.password, e.dummy_hash(), e.verify_options());
            None
        }
    };
    let Some(verification) = verification.filter(|v| v.valid) else {
        return Err(record_failure(port, e, ctx, &user.id, "password").await);
    };
    if !user.is_active {
        append(
            port,
            e,
            ctx,
            AuditEntry::failure("login_failed", Some(&user.id), ErrorCode::AccountInactive),
        )
        .await?;
        return Err(err(
            ErrorCode::AccountInactive,
            "this account is deactivated",
        ));
    }
    if user.mfa.enabled {
        let Some(code) = req.totp_code.as_deref().filter(|c| !c.trim().is_empty()) else {
            return Err(err(ErrorCode::MfaRequired, "a two-factor code is required")
                .with_details(json!({ "requires_2fa": true })));
        };
        if let Err(e2) = second_factor::verify(port, e, &user.id, code, ctx.now, true).await {
            if e2.category() == crate::Category::Store {
                return Err(e2);
            }
            let answer = record_failure(port, e, ctx, &user.id, "2fa").await;
            // A store failure while counting wins (fail closed); a lock that this attempt
            // triggered is reported as such; otherwise the code's own error.
            if matches!(answer.category(), crate::Category::Store)
                || answer.code() == ErrorCode::AccountLocked
            {
                return Err(answer);
            }
            return Err(e2);
        }
    }
    // Success: forget failures, reset escalation, rehash a legacy or outdated hash.
    port.delete(keys::LOGIN_FAILURES, &keys::login_failures(&user.id))
        .await?;
    let rehash = if verification.needs_rehash {
        Some(crate::password::hash(&req.password, e.argon2())?)
    } else {
        None
    };
    let user = update_user(port, &user.id, |u| {
        u.last_login = Some(ctx.now);
        u.lock = Default::default();
        if let Some(h) = &rehash {
            u.password_hash = Some(h.clone());
        }
        Ok(())
    })
    .await?;
    let scope = (user.must_change_password && e.settings().password.force_change_on_first_login)
        .then_some(SCOPE_PASSWORD_CHANGE_ONLY);
    open_session(
        port,
        e,
        ctx,
        &user,
        "password",
        req.device_info.as_deref(),
        scope,
    )
    .await
}

fn invalid_credentials() -> crate::error::Error {
    err(
        ErrorCode::InvalidCredentials,
        "the identifier or the password is wrong",
    )
}

fn locked(until: i64, now: i64) -> crate::error::Error {
    let retry_after = until.saturating_sub(now).max(1);
    err(
        ErrorCode::AccountLocked,
        "too many failed logins; the account is locked",
    )
    .with_details(json!({ "retry_after": retry_after, "locked_until": until }))
}

/// Counts a failed login; locks the account when the count reaches the limit (duration
/// doubling per lockout when escalation is on, capped). Returns the error to answer.
async fn record_failure(
    port: &StorePort,
    e: &Engine,
    ctx: &RequestContext,
    user_id: &str,
    factor: &str,
) -> crate::error::Error {
    match record_failure_inner(port, e, ctx, user_id, factor).await {
        Ok(error) | Err(error) => error,
    }
}

async fn record_failure_inner(
    port: &StorePort,
    e: &Engine,
    ctx: &RequestContext,
    user_id: &str,
    factor: &str,
) -> Result<crate::error::Error> {
    let l = &e.settings().lockout;
    let base = if factor == "password" {
        invalid_credentials()
    } else {
        err(ErrorCode::InvalidCode, "the two-factor code is wrong")
    };
    append(
        port,
        e,
        ctx,
        AuditEntry::failure("login_failed", Some(user_id), base.code())
            .details(json!({ "factor": factor })),
    )
    .await?;
    if !l.enabled {
        return Ok(base);
    }
    let failures = port
        .incr(
            keys::LOGIN_FAILURES,
            &keys::login_failures(user_id),
            1,
            Some(l.failure_window_secs),
        )
        .await?;
    if failures < i64::from(l.max_attempts) {
        return Ok(base);
    }
    let user = update_user(port, user_id, |u| {
        let count = u.lock.lockout_count.saturating_add(1);
        let mut duration = l.duration_secs;
        if l.escalation_enabled {
            let doublings = count.saturating_sub(1).min(32);
            duration = duration
                .saturating_mul(1u64 << doublings)
                .min(l.max_duration_secs.max(l.duration_secs));
        }
        u.lock.lockout_count = count;
        u.lock.locked_until = Some(
            ctx.now
                .saturating_add(i64::try_from(duration).unwrap_or(i64::MAX)),
        );
        Ok(())
    })
    .await?;
    // A fresh count after the lock ends: the next window starts from zero.
    port.delete(keys::LOGIN_FAILURES, &keys::login_failures(user_id))
        .await?;
    let until = user.lock.locked_until.unwrap_or(ctx.now);
    append(
        port,
        e,
        ctx,
        AuditEntry::failure("account_locked", Some(user_id), ErrorCode::AccountLocked)
            .details(json!({ "locked_until": until, "lockout_count": user.lock.lockout_count })),
    )
    .await?;
    Ok(locked(until, ctx.now))
}

pub(crate) async fn refresh(
    port: &StorePort,
    e: &Engine,
    raw: &str,
    ctx: &RequestContext,
) -> Result<TokenResponse> {
    limits::per_client(port, e, ctx, "refresh", &e.settings().rate_limit.refresh).await?;
    let invalid = || {
        err(
            ErrorCode::RefreshTokenInvalid,
            "the refresh token is invalid or expired",
        )
    };
    if secret::check_kind(raw, SecretKind::Refresh).is_err() {
        return Err(invalid());
    }
    let hash = secret::hash(raw);
    let key = keys::refresh_token(&hash);
    let Some(found) = load::<RefreshToken>(port, keys::REFRESH_TOKENS, &key).await? else {
        return Err(invalid());
    };
    let record = found.value;
    if record.expires_at <= ctx.now {
        return Err(invalid());
    }
    let session = load::<Session>(port, keys::SESSIONS, &keys::session(&record.session_id)).await?;
    let Some(session) = session else {
        return Err(invalid());
    };
    if record.rotated_at.is_some() || session.value.current_refresh_hash != hash {
        return Err(reuse(port, e, ctx, &session.value).await);
    }
    let Some(user) = load_user(port, &record.user_id).await? else {
        end_session(port, &session.value).await?;
        return Err(invalid());
    };
    let user = user.value;
    if !user.is_active {
        end_session(port, &session.value).await?;
        return Err(err(
            ErrorCode::AccountInactive,
            "this account is deactivated",
        ));
    }
    if let Some(until) = user.lock.locked_until.filter(|u| *u > ctx.now) {
        return Err(locked(until, ctx.now));
    }
    if let Some(app) = &ctx.app_id {
        if *app != record.app_id {
            return Err(invalid());
        }
    }
    if !e.settings().jwt.refresh_token_rotation {
        let access = mint_access(e, &user, &session.value, None, ctx.now)?;
        return Ok(token_response(
            e,
            &user,
            &session.value,
            access,
            Some(raw.to_owned()),
            None,
            ctx.now,
        ));
    }
    // Rotation: mark the old token spent (CAS), move the session to the new token (CAS),
    // then write the new token. A lost race on either CAS is a concurrent use of the same
    // token, i.e. reuse.
    let mut spent = record.clone();
    spent.rotated_at = Some(ctx.now);
    let ttl = u64::try_from(record.expires_at.saturating_sub(ctx.now))
        .ok()
        .filter(|t| *t > 0);
    if !store(
        port,
        keys::REFRESH_TOKENS,
        &key,
        &spent,
        ttl,
        Expect::Version(found.version),
    )
    .await?
    {
        return Err(reuse(port, e, ctx, &session.value).await);
    }
    let next = secret::generate(SecretKind::Refresh)?;
    let mut moved = session.value.clone();
    moved.current_refresh_hash = next.hash().to_owned();
    moved.last_used_at = ctx.now;
    let lifetime = e.settings().jwt.refresh_token_lifetime_secs;
    if !store(
        port,
        keys::SESSIONS,
        &keys::session(&moved.id),
        &moved,
        Some(lifetime),
        Expect::Version(session.version),
    )
    .await?
    {
        return Err(reuse(port, e, ctx, &session.value).await);
    }
    put_refresh_token(port, e, &moved, next.hash(), ctx.now).await?;
    port.put(
        keys::USER_SESSIONS,
        &keys::user_session(&user.id, &moved.id),
        json!({}),
        Some(lifetime),
        Expect::Any,
    )
    .await?;
    let access = mint_access(e, &user, &moved, None, ctx.now)?;
    append(
        port,
        e,
        ctx,
        AuditEntry::success("token_refreshed", Some(&user.id))
            .details(json!({ "session_id": moved.id })),
    )
    .await?;
    Ok(token_response(
        e,
        &user,
        &moved,
        access,
        Some(next.raw().to_owned()),
        None,
        ctx.now,
    ))
}

/// A rotated refresh token came back: someone holds a copy. End the whole family.
async fn reuse(
    port: &StorePort,
    e: &Engine,
    ctx: &RequestContext,
    session: &Session,
) -> crate::error::Error {
    let outcome: Result<()> = async {
        end_session(port, session).await?;
        append(
            port,
            e,
            ctx,
            AuditEntry::failure(
                "refresh_token_reuse",
                Some(&session.user_id),
                ErrorCode::RefreshTokenReused,
            )
            .details(json!({ "session_id": session.id })),
        )
        .await
    }
    .await;
    match outcome {
        Ok(()) => err(
            ErrorCode::RefreshTokenReused,
            "this refresh token was already used; the session is revoked",
        ),
        Err(store_error) => store_error,
    }
}

/// The access-token verification options of this deployment.
pub(crate) fn access_verify(e: &Engine, now: i64) -> AccessVerify {
    let j = &e.settings().jwt;
    AccessVerify {
        algorithms: vec![j.algorithm],
        now,
        leeway: j.leeway_secs,
        issuer: j.issuer.clone(),
        audience: j.audience.clone(),
        accept_legacy: false,
    }
}

/// Verifies a bearer token and checks it against the store: not blacklisted, its session
/// alive and the user's, the user active and not locked, the application matching.
pub async fn authenticate(
    port: &StorePort,
    e: &Engine,
    token: &str,
    ctx: &RequestContext,
) -> Result<Principal> {
    if token.is_empty() {
        return Err(err(ErrorCode::NotAuthenticated, "no access token"));
    }
    if u64::try_from(token.len()).unwrap_or(u64::MAX) > e.settings().jwt.max_token_bytes {
        return Err(err(
            ErrorCode::TokenTooLarge,
            "the access token is too large",
        ));
    }
    let verified = verify_access_token(token, e.keys(), &access_verify(e, ctx.now))?;
    let c = &verified.claims;
    let text = |name: &str| c.get(name).and_then(Value::as_str).map(str::to_owned);
    let (Some(jti), Some(user_id), Some(app_id)) = (text("jti"), text("user_id"), text("app_id"))
    else {
        return Err(err(
            ErrorCode::InvalidClaim,
            "jti, user_id and app_id must be strings",
        ));
    };
    let Some(sid) = text("sid") else {
        return Err(err(
            ErrorCode::MissingClaim,
            "the token has no session (sid)",
        ));
    };
    let iat = c.get("iat").and_then(Value::as_i64).unwrap_or(i64::MIN);
    let exp = c.get("exp").and_then(Value::as_i64).unwrap_or(ctx.now);
    if let Some(app) = &ctx.app_id {
        if *app != app_id {
            return Err(err(
                ErrorCode::InvalidClaim,
                "the token belongs to another application",
            )
            .with_details(json!({ "claim": "app_id" })));
        }
    }
    if port
        .get(keys::JWT_BLACKLIST, &keys::blacklisted_jti(&jti))
        .await?
        .is_some()
    {
        return Err(err(ErrorCode::TokenRevoked, "the token was revoked"));
    }
    let session = load::<Session>(port, keys::SESSIONS, &keys::session(&sid)).await?;
    if session.as_ref().is_none_or(|s| s.value.user_id != user_id) {
        return Err(err(
            ErrorCode::TokenRevoked,
            "the token's session has ended",
        ));
    }
    let Some(user) = load_user(port, &user_id).await? else {
        return Err(err(
            ErrorCode::TokenRevoked,
            "the token's user no longer exists",
        ));
    };
    let user = user.value;
    if !user.is_active {
        return Err(err(
            ErrorCode::AccountInactive,
            "this account is deactivated",
        ));
    }
    if e.settings().lockout.enabled {
        if let Some(until) = user.lock.locked_until.filter(|u| *u > ctx.now) {
            return Err(locked(until, ctx.now));
        }
    }
    if user.tokens_valid_after.is_some_and(|t| iat < t) {
        return Err(err(
            ErrorCode::TokenRevoked,
            "the token predates a credential change",
        ));
    }
    Ok(Principal {
        user,
        session_id: sid,
        jti,
        expires_at: exp,
        app_id,
        scope: text("scope"),
    })
}

/// Blacklists a `jti` until the token's own expiry (then the TTL drops it).
pub(crate) async fn blacklist(port: &StorePort, jti: &str, exp: i64, now: i64) -> Result<()> {
    let ttl = u64::try_from(exp.saturating_sub(now)).unwrap_or(0).max(1);
    port.put(
        keys::JWT_BLACKLIST,
        &keys::blacklisted_jti(jti),
        json!({ "exp": exp }),
        Some(ttl),
        Expect::Any,
    )
    .await?;
    Ok(())
}

pub(crate) async fn logout(
    port: &StorePort,
    e: &Engine,
    token: &str,
    req: &LogoutRequest,
    ctx: &RequestContext,
) -> Result<Value> {
    let p = authenticate(port, e, token, ctx).await?;
    // Revocations first.
    blacklist(port, &p.jti, p.expires_at, ctx.now).await?;
    if let Some(s) = load::<Session>(port, keys::SESSIONS, &keys::session(&p.session_id)).await? {
        end_session(port, &s.value).await?;
    }
    if let Some(raw) = &req.refresh_token {
        let hash = secret::hash(raw);
        if let Some(r) =
            load::<RefreshToken>(port, keys::REFRESH_TOKENS, &keys::refresh_token(&hash)).await?
        {
            if r.value.user_id == p.user.id {
                if let Some(s) =
                    load::<Session>(port, keys::SESSIONS, &keys::session(&r.value.session_id))
                        .await?
                {
                    end_session(port, &s.value).await?;
                }
                port.delete(keys::REFRESH_TOKENS, &keys::refresh_token(&hash))
                    .await?;
            }
        }
    }
    append(
        port,
        e,
        ctx,
        AuditEntry::success("logout", Some(&p.user.id))
            .details(json!({ "session_id": p.session_id })),
    )
    .await?;
    Ok(json!({ "message": "logged out" }))
}
