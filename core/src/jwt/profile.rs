//! Tenxyte's token profile: access tokens and purpose-bound tokens whose kinds are
//! mutually exclusive (RFC 8725 §3.11–3.12).
//!
//! Access tokens carry `typ: at+jwt` (RFC 9068) and Tenxyte's claim set
//! (`type, jti, user_id, app_id, iat, nbf, exp, iss[, aud][, scope]`, plus `sub`), so a
//! resource server that knows either profile accepts them. Tokens issued by an existing
//! Tenxyte deployment (`typ: JWT`, `type: "access"`) verify when the caller opts in with
//! `accept_legacy`. No personal data (email, IP address) goes into a token unless the
//! caller explicitly allows it.

use super::alg::Algorithm;
use super::keyset::KeySet;
use super::verify::{sign, verify, SignOptions, Verified, VerifyOptions};
use crate::error::{err, ErrorCode, Result};
use serde_json::{Map, Value};

/// The kinds of JWT this library issues. Each has its own `typ`, so one kind never
/// verifies as another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenKind {
    /// A user's access token: `at+jwt`.
    Access,
    /// An AI agent's delegated token: `agent+jwt`.
    Agent,
    /// Any other purpose (`<purpose>+jwt`), e.g. `email-verify`.
    Purpose(String),
}

impl TokenKind {
    /// The header `typ` for this kind.
    pub fn typ(&self) -> String {
        match self {
            TokenKind::Access => "at+jwt".to_owned(),
            TokenKind::Agent => "agent+jwt".to_owned(),
            TokenKind::Purpose(p) => format!("{p}+jwt"),
        }
    }
}

/// Claims that extra claims may not override.
const PROTECTED_CLAIMS: &[&str] = &[
    "type", "jti", "user_id", "app_id", "sub", "iat", "nbf", "exp", "iss", "aud", "scope",
];

/// Claim names that carry personal data (Tenxyte's list); refused unless allowed.
pub const PII_CLAIMS: &[&str] = &[
    "email",
    "password",
    "phone",
    "phone_number",
    "ip",
    "ip_address",
    "address",
    "ssn",
    "credit_card",
    "dob",
    "date_of_birth",
];

/// What goes into an access token.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessTokenSpec {
    /// The user's id.
    pub user_id: String,
    /// The application's id (`"default"` when there is none, as in Tenxyte).
    pub app_id: String,
    /// `iss`.
    pub issuer: String,
    /// `aud`, when configured.
    pub audience: Option<String>,
    /// Lifetime in seconds.
    pub lifetime_secs: u64,
    /// A restricted scope (Tenxyte: `2fa_setup_only`, `password_change_only`).
    pub scope: Option<String>,
    /// Extra claims; protected names are refused, and PII names unless `allow_pii`.
    pub extra: Map<String, Value>,
    /// Permit PII claim names in `extra`.
    pub allow_pii: bool,
}

/// An issued token with the values a caller stores (the `jti` for blacklisting, `exp`).
#[derive(Debug, Clone, PartialEq)]
pub struct IssuedToken {
    /// The compact token.
    pub token: String,
    /// Its unique id.
    pub jti: String,
    /// Its expiry, Unix seconds.
    pub expires_at: i64,
}

/// A random UUID v4 string, for `jti`.
pub fn new_jti() -> Result<String> {
    let mut b = crate::random::bytes::<16>()?;
    if let Some(v) = b.get_mut(6) {
        *v = (*v & 0x0f) | 0x40;
    }
    if let Some(v) = b.get_mut(8) {
        *v = (*v & 0x3f) | 0x80;
    }
    let h = crate::encoding::hex_encode(&b);
    let piece = |r: std::ops::Range<usize>| h.get(r).unwrap_or_default().to_owned();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        piece(0..8),
        piece(8..12),
        piece(12..16),
        piece(16..20),
        piece(20..32)
    ))
}

/// The claim set of an access token, without signing it (`jti` given).
pub fn access_claims(spec: &AccessTokenSpec, jti: &str, now: i64) -> Result<Map<String, Value>> {
    for name in spec.extra.keys() {
        if PROTECTED_CLAIMS.contains(&name.as_str()) {
            return Err(err(
                ErrorCode::InvalidInput,
                format!("extra claim {name:?} would override a protected claim"),
            ));
        }
        if !spec.allow_pii && PII_CLAIMS.contains(&name.to_ascii_lowercase().as_str()) {
            return Err(err(
                ErrorCode::InvalidInput,
                format!("extra claim {name:?} carries personal data; tokens are readable by anyone who holds them"),
            ));
        }
    }
    let lifetime = i64::try_from(spec.lifetime_secs)
        .ok()
        .filter(|l| *l > 0)
        .ok_or_else(|| err(ErrorCode::InvalidInput, "lifetime must be positive"))?;
    let exp = now
        .checked_add(lifetime)
        .ok_or_else(|| err(ErrorCode::InvalidInput, "lifetime overflows"))?;
    let mut claims = Map::new();
    claims.insert("type".into(), "access".into());
    claims.insert("jti".into(), jti.into());
    claims.insert("sub".into(), spec.user_id.clone().into());
    claims.insert("user_id".into(), spec.user_id.clone().into());
    claims.insert("app_id".into(), spec.app_id.clone().into());
    claims.insert("iat".into(), now.into());
    claims.insert("nbf".into(), now.into());
    claims.insert("exp".into(), exp.into());
    claims.insert("iss".into(), spec.issuer.clone().into());
    if let Some(aud) = &spec.audience {
        claims.insert("aud".into(), aud.clone().into());
    }
    if let Some(scope) = &spec.scope {
        claims.insert("scope".into(), scope.clone().into());
    }
    for (k, v) in &spec.extra {
        claims.insert(k.clone(), v.clone());
    }
    Ok(claims)
}

/// Issues an access token signed by the key set's active key.
pub fn issue_access_token(keys: &KeySet, spec: &AccessTokenSpec, now: i64) -> Result<IssuedToken> {
    let jti = new_jti()?;
    let claims = access_claims(spec, &jti, now)?;
    let expires_at = claims.get("exp").and_then(Value::as_i64).unwrap_or(now);
    let token = sign(
        &claims,
        keys,
        &SignOptions {
            typ: Some(TokenKind::Access.typ()),
            algorithm: None,
        },
    )?;
    Ok(IssuedToken {
        token,
        jti,
        expires_at,
    })
}

/// How to verify an access token.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessVerify {
    /// Allowed algorithms.
    pub algorithms: Vec<Algorithm>,
    /// Current time, Unix seconds.
    pub now: i64,
    /// Leeway, seconds.
    pub leeway: u64,
    /// Expected issuer (Tenxyte's default is `"tenxyte"`).
    pub issuer: String,
    /// Expected audience, when configured.
    pub audience: Option<String>,
    /// Also accept tokens from an existing Tenxyte deployment (`typ: JWT`).
    pub accept_legacy: bool,
}

/// Verifies an access token: `at+jwt` (or, when allowed, a legacy Tenxyte `JWT`), with
/// `type == "access"` and Tenxyte's required claims.
pub fn verify_access_token(token: &str, keys: &KeySet, v: &AccessVerify) -> Result<Verified> {
    let mut options = VerifyOptions::new(&v.algorithms, v.now);
    options.leeway = v.leeway;
    options.issuer = Some(v.issuer.clone());
    options.audience = v.audience.clone().map(|a| vec![a]);
    options.require = ["exp", "iat", "jti", "user_id", "app_id"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    options.typ = Some(TokenKind::Access.typ());
    options
        .claims_equal
        .insert("type".into(), Value::String("access".into()));
    match verify(token, keys, &options) {
        Err(e) if e.code() == ErrorCode::InvalidType && v.accept_legacy => {
            options.typ = Some("JWT".into());
            verify(token, keys, &options)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::Key;

    fn keys() -> KeySet {
        KeySet::single(Key::hmac(&[7u8; 32], Algorithm::HS256).unwrap())
    }

    fn spec() -> AccessTokenSpec {
        AccessTokenSpec {
            user_id: "42".into(),
            app_id: "7".into(),
            issuer: "tenxyte".into(),
            audience: None,
            lifetime_secs: 900,
            scope: None,
            extra: Map::new(),
            allow_pii: false,
        }
    }

    fn verifier(now: i64) -> AccessVerify {
        AccessVerify {
            algorithms: vec![Algorithm::HS256],
            now,
            leeway: 0,
            issuer: "tenxyte".into(),
            audience: None,
            accept_legacy: false,
        }
    }

    #[test]
    fn access_round_trip_and_expiry() {
        let issued = issue_access_token(&keys(), &spec(), 1_000).unwrap();
        let v = verify_access_token(&issued.token, &keys(), &verifier(1_000)).unwrap();
        assert_eq!(v.header["typ"], "at+jwt");
        assert_eq!(v.claims["user_id"], "42");
        assert_eq!(v.claims["jti"], issued.jti.as_str());
        assert_eq!(issued.expires_at, 1_900);
        let e = verify_access_token(&issued.token, &keys(), &verifier(1_900)).unwrap_err();
        assert_eq!(e.code(), ErrorCode::Expired);
    }

    #[test]
    fn purpose_token_never_passes_as_access() {
        let claims = access_claims(&spec(), "j", 1_000).unwrap();
        for typ in ["refresh+jwt", "agent+jwt", "JWT"] {
            let token = sign(
                &claims,
                &keys(),
                &SignOptions {
                    typ: Some(typ.into()),
                    algorithm: None,
                },
            )
            .unwrap();
            let e = verify_access_token(&token, &keys(), &verifier(1_000)).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidType, "{typ}");
        }
    }

    #[test]
    fn legacy_tenxyte_tokens_need_opt_in_and_type_access() {
        let mut claims = access_claims(&spec(), "j", 1_000).unwrap();
        let legacy = |claims: &Map<String, Value>| {
            sign(
                claims,
                &keys(),
                &SignOptions {
                    typ: Some("JWT".into()),
                    algorithm: None,
                },
            )
            .unwrap()
        };
        let mut v = verifier(1_000);
        v.accept_legacy = true;
        assert!(verify_access_token(&legacy(&claims), &keys(), &v).is_ok());
        claims.insert("type".into(), "refresh".into());
        let e = verify_access_token(&legacy(&claims), &keys(), &v).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidClaim);
    }

    #[test]
    fn pii_and_protected_claims_refused() {
        let mut s = spec();
        s.extra.insert("email".into(), "a@b.c".into());
        assert_eq!(
            access_claims(&s, "j", 0).unwrap_err().code(),
            ErrorCode::InvalidInput
        );
        s.allow_pii = true;
        assert!(access_claims(&s, "j", 0).is_ok());
        let mut s = spec();
        s.extra.insert("exp".into(), 1.into());
        assert_eq!(
            access_claims(&s, "j", 0).unwrap_err().code(),
            ErrorCode::InvalidInput
        );
    }

    #[test]
    fn jti_is_uuid_v4() {
        let j = new_jti().unwrap();
        assert_eq!(j.len(), 36);
        assert_eq!(j.as_bytes()[14], b'4');
        assert!(matches!(j.as_bytes()[19], b'8' | b'9' | b'a' | b'b'));
        assert_ne!(j, new_jti().unwrap());
    }
}
