//! Compact JWS signing and the one strict verification path (security.md §9):
//! size → split → strict base64url → UTF-8 → strict JSON header → `alg` allowlist →
//! `crit` → key selection by `kid` → key/alg compatibility → signature → `typ` →
//! claims (types, required, time, `iss`, `aud`, expected values).

use super::alg::Algorithm;
use super::keyset::KeySet;
use super::Key;
use crate::encoding::{b64url_decode, b64url_encode};
use crate::error::{err, Error, ErrorCode, Result};
use crate::json;
use serde::Deserialize;
use serde_json::{Map, Value};

/// Default size cap for a compact token, checked before anything is decoded.
pub const DEFAULT_MAX_TOKEN_BYTES: usize = 16 * 1024;

/// Nesting cap for header and claims JSON.
const MAX_JSON_DEPTH: usize = 16;

/// The largest integer a NumericDate may hold (2^53, exactly representable in every
/// binding's number type); larger values are `invalid_claim`, not "far future".
const MAX_NUMERIC_DATE: f64 = 9_007_199_254_740_992.0;

/// Options for [`verify`]. Build with [`VerifyOptions::new`] and adjust the public fields.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyOptions {
    /// The algorithms the caller accepts; a token naming any other fails with
    /// `alg_not_allowed`. Empty accepts nothing.
    pub algorithms: Vec<Algorithm>,
    /// The current time, Unix seconds.
    pub now: i64,
    /// Clock-skew allowance for `exp`, `nbf` and `iat`, seconds.
    #[serde(default)]
    pub leeway: u64,
    /// When set, `iss` must be present and equal.
    #[serde(default)]
    pub issuer: Option<String>,
    /// When set, `aud` must be present and contain one of these values exactly. When
    /// unset, a token that carries `aud` is refused (RFC 7519 §4.1.3).
    #[serde(default)]
    pub audience: Option<Vec<String>>,
    /// Claims that must be present. Default: `["exp"]`.
    #[serde(default = "default_required")]
    pub require: Vec<String>,
    /// When set, the header's `typ` must equal this (case-insensitively, with an optional
    /// `application/` prefix, RFC 7515 §4.1.9).
    #[serde(default)]
    pub typ: Option<String>,
    /// Size cap for the compact token, bytes.
    #[serde(default = "default_max_bytes")]
    pub max_token_bytes: usize,
    /// Claims that must be present and equal to these values.
    #[serde(default)]
    pub claims_equal: Map<String, Value>,
}

fn default_required() -> Vec<String> {
    vec!["exp".to_owned()]
}

fn default_max_bytes() -> usize {
    DEFAULT_MAX_TOKEN_BYTES
}

impl VerifyOptions {
    /// Options accepting `algorithms` at time `now`, with the strict defaults: no leeway,
    /// `exp` required, no issuer/audience/type expectations, 16 KiB cap.
    pub fn new(algorithms: &[Algorithm], now: i64) -> VerifyOptions {
        VerifyOptions {
            algorithms: algorithms.to_vec(),
            now,
            leeway: 0,
            issuer: None,
            audience: None,
            require: default_required(),
            typ: None,
            max_token_bytes: DEFAULT_MAX_TOKEN_BYTES,
            claims_equal: Map::new(),
        }
    }
}

/// A verified token: its header and claims.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    /// The protected header.
    pub header: Map<String, Value>,
    /// The claims set.
    pub claims: Map<String, Value>,
    /// The algorithm that verified.
    pub algorithm: Algorithm,
}

/// Options for [`sign`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SignOptions {
    /// The header's `typ` (for example `at+jwt`).
    pub typ: Option<String>,
    /// Overrides the key's algorithm (must fit the key).
    pub algorithm: Option<Algorithm>,
}

/// Signs `claims` with the key set's active key. The header carries `alg`, then `typ`
/// and `kid` when present.
pub fn sign(claims: &Map<String, Value>, keys: &KeySet, options: &SignOptions) -> Result<String> {
    let key = keys
        .active()
        .ok_or_else(|| err(ErrorCode::KeyNotFound, "the key set has no signing key"))?;
    sign_with_key(claims, key, options)
}

/// Signs `claims` with one key.
pub fn sign_with_key(
    claims: &Map<String, Value>,
    key: &Key,
    options: &SignOptions,
) -> Result<String> {
    let alg = options.algorithm.unwrap_or_else(|| key.signing_algorithm());
    let mut header = Map::new();
    header.insert("alg".into(), alg.as_str().into());
    if let Some(typ) = &options.typ {
        header.insert("typ".into(), typ.clone().into());
    }
    if let Some(kid) = key.kid() {
        header.insert("kid".into(), kid.into());
    }
    let header = serde_json::to_vec(&header)
        .map_err(|e| err(ErrorCode::InvalidInput, format!("header: {e}")))?;
    let payload = serde_json::to_vec(claims)
        .map_err(|e| err(ErrorCode::InvalidInput, format!("claims: {e}")))?;
    let mut token = b64url_encode(&header);
    token.push('.');
    token.push_str(&b64url_encode(&payload));
    let signature = key.sign_bytes(alg, token.as_bytes())?;
    token.push('.');
    token.push_str(&b64url_encode(&signature));
    Ok(token)
}

fn malformed(msg: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    err(ErrorCode::Malformed, msg)
}

/// A decoded but unverified token: the pieces the verifier works on.
struct Parts<'a> {
    signing_input: &'a str,
    header: Map<String, Value>,
    payload: Vec<u8>,
    signature: Vec<u8>,
}

fn split(token: &str, max_bytes: usize) -> Result<Parts<'_>> {
    if token.len() > max_bytes {
        return Err(err(
            ErrorCode::TokenTooLarge,
            format!("token is {} bytes; the limit is {max_bytes}", token.len()),
        ));
    }
    let mut segments = token.split('.');
    let (Some(h), Some(p), Some(s), None) = (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) else {
        let count = token.split('.').count();
        return Err(malformed(if count == 5 {
            "five segments: JWE is not supported".to_owned()
        } else {
            format!("a compact JWS has exactly three segments, not {count}")
        }));
    };
    let signing_input = token
        .get(..h.len() + 1 + p.len())
        .ok_or_else(|| malformed("segments"))?;
    let header_bytes =
        b64url_decode(h).ok_or_else(|| malformed("header is not canonical base64url"))?;
    let payload =
        b64url_decode(p).ok_or_else(|| malformed("payload is not canonical base64url"))?;
    let signature =
        b64url_decode(s).ok_or_else(|| malformed("signature is not canonical base64url"))?;
    // Strict JSON also rejects invalid UTF-8.
    let header = json::parse_strict_object(&header_bytes, MAX_JSON_DEPTH)
        .map_err(|e| malformed(format!("header: {e}")))?;
    Ok(Parts {
        signing_input,
        header,
        payload,
        signature,
    })
}

fn header_str<'a>(header: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>> {
    match header.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(malformed(format!("header {name:?} must be a string"))),
    }
}

fn check_alg(header: &Map<String, Value>, allowed: &[Algorithm]) -> Result<Algorithm> {
    let name = header_str(header, "alg")?.ok_or_else(|| malformed("header has no \"alg\""))?;
    let alg = Algorithm::parse(name).ok_or_else(|| {
        err(
            ErrorCode::AlgNotAllowed,
            if name.eq_ignore_ascii_case("none") {
                "unsigned tokens (alg none) are never accepted".to_owned()
            } else {
                format!("unsupported algorithm {name:?}")
            },
        )
    })?;
    if !allowed.contains(&alg) {
        return Err(err(
            ErrorCode::AlgNotAllowed,
            format!("{alg} is not among the allowed algorithms"),
        ));
    }
    Ok(alg)
}

/// RFC 7515 §4.1.11: `crit` must be a non-empty array of distinct extension names, none
/// of them registered header names. This library understands no extension (not even
/// `b64`, which changes what is signed), so any well-formed `crit` is refused.
fn check_crit(header: &Map<String, Value>) -> Result<()> {
    let Some(crit) = header.get("crit") else {
        return Ok(());
    };
    let names = crit
        .as_array()
        .filter(|a| !a.is_empty())
        .ok_or_else(|| malformed("\"crit\" must be a non-empty array"))?;
    let mut seen = Vec::with_capacity(names.len());
    for name in names {
        let name = name
            .as_str()
            .ok_or_else(|| malformed("\"crit\" entries must be strings"))?;
        if seen.contains(&name) {
            return Err(malformed("\"crit\" lists a name twice"));
        }
        seen.push(name);
    }
    Err(err(
        ErrorCode::UnsupportedCrit,
        format!("critical extensions not understood: {}", seen.join(", ")),
    ))
}

fn typ_matches(actual: &str, expected: &str) -> bool {
    fn bare(t: &str) -> &str {
        match t.get(..12) {
            Some(prefix) if prefix.eq_ignore_ascii_case("application/") => t.get(12..).unwrap_or(t),
            _ => t,
        }
    }
    bare(actual).eq_ignore_ascii_case(bare(expected))
}

/// Verifies a compact JWS/JWT against a key set. Every failure has its own code.
pub fn verify(token: &str, keys: &KeySet, options: &VerifyOptions) -> Result<Verified> {
    let parts = split(token, options.max_token_bytes)?;
    let alg = check_alg(&parts.header, &options.algorithms)?;
    check_crit(&parts.header)?;
    let kid = header_str(&parts.header, "kid")?;
    let typ = header_str(&parts.header, "typ")?;

    let mut verified = false;
    for key in keys.candidates(kid, alg)? {
        if key
            .verify_bytes(alg, parts.signing_input.as_bytes(), &parts.signature)
            .is_ok()
        {
            verified = true;
            break;
        }
    }
    if !verified {
        return Err(err(
            ErrorCode::InvalidSignature,
            "signature does not verify",
        ));
    }

    if let Some(expected) = &options.typ {
        match typ {
            Some(actual) if typ_matches(actual, expected) => {}
            Some(actual) => {
                return Err(err(
                    ErrorCode::InvalidType,
                    format!("token type {actual:?} is not {expected:?}"),
                ))
            }
            None => {
                return Err(err(
                    ErrorCode::InvalidType,
                    format!("token has no type; expected {expected:?}"),
                ))
            }
        }
    }

    // Claims are parsed only once the signature holds.
    let claims = json::parse_strict_object(&parts.payload, MAX_JSON_DEPTH)
        .map_err(|e| malformed(format!("claims: {e}")))?;
    check_claims(&claims, options)?;
    Ok(Verified {
        header: parts.header,
        claims,
        algorithm: alg,
    })
}

fn claim_error(code: ErrorCode, claim: &str, msg: String) -> Error {
    err(code, msg).with_details(serde_json::json!({ "claim": claim }))
}

/// A NumericDate claim: absent, or a finite number within range.
fn numeric_date(claims: &Map<String, Value>, name: &str) -> Result<Option<f64>> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(v) if v.is_finite() && v.abs() <= MAX_NUMERIC_DATE => Ok(Some(v)),
            _ => Err(claim_error(
                ErrorCode::InvalidClaim,
                name,
                format!("{name:?} is out of range"),
            )),
        },
        Some(_) => Err(claim_error(
            ErrorCode::InvalidClaim,
            name,
            format!("{name:?} must be a number (NumericDate)"),
        )),
    }
}

fn string_claim<'a>(claims: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(claim_error(
            ErrorCode::InvalidClaim,
            name,
            format!("{name:?} must be a string"),
        )),
    }
}

fn audience_claim(claims: &Map<String, Value>) -> Result<Option<Vec<&str>>> {
    let invalid = || {
        claim_error(
            ErrorCode::InvalidClaim,
            "aud",
            "\"aud\" must be a string or an array of strings".into(),
        )
    };
    match claims.get("aud") {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(vec![s.as_str()])),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().ok_or_else(invalid))
            .collect::<Result<Vec<_>>>()
            .map(Some),
        Some(_) => Err(invalid()),
    }
}

fn check_claims(claims: &Map<String, Value>, options: &VerifyOptions) -> Result<()> {
    // Types first: a malformed registered claim is an error, never "absent"
    // (CVE-2026-25537).
    let exp = numeric_date(claims, "exp")?;
    let nbf = numeric_date(claims, "nbf")?;
    let iat = numeric_date(claims, "iat")?;
    let iss = string_claim(claims, "iss")?;
    string_claim(claims, "sub")?;
    string_claim(claims, "jti")?;
    let aud = audience_claim(claims)?;

    for name in &options.require {
        if !claims.contains_key(name) {
            return Err(claim_error(
                ErrorCode::MissingClaim,
                name,
                format!("required claim {name:?} is missing"),
            ));
        }
    }

    let now = options.now as f64;
    let leeway = options.leeway as f64;
    if let Some(exp) = exp {
        if now >= exp + leeway {
            return Err(err(ErrorCode::Expired, "token has expired"));
        }
    }
    if let Some(nbf) = nbf {
        if now + leeway < nbf {
            return Err(claim_error(
                ErrorCode::NotYetValid,
                "nbf",
                "token is not valid yet".into(),
            ));
        }
    }
    if let Some(iat) = iat {
        if iat > now + leeway {
            return Err(claim_error(
                ErrorCode::NotYetValid,
                "iat",
                "token was issued in the future".into(),
            ));
        }
    }

    if let Some(expected) = &options.issuer {
        match iss {
            None => {
                return Err(claim_error(
                    ErrorCode::MissingClaim,
                    "iss",
                    "\"iss\" is required".into(),
                ))
            }
            Some(actual) if actual == expected => {}
            Some(_) => return Err(err(ErrorCode::InvalidIssuer, "issuer does not match")),
        }
    }

    match (&options.audience, aud) {
        (Some(_), None) => {
            return Err(claim_error(
                ErrorCode::MissingClaim,
                "aud",
                "\"aud\" is required".into(),
            ))
        }
        (Some(expected), Some(actual)) => {
            if !actual.iter().any(|a| expected.iter().any(|e| e == a)) {
                return Err(err(ErrorCode::InvalidAudience, "audience does not match"));
            }
        }
        (None, Some(_)) => {
            return Err(err(
                ErrorCode::InvalidAudience,
                "token is restricted to an audience but none was configured",
            ))
        }
        (None, None) => {}
    }

    for (name, expected) in &options.claims_equal {
        match claims.get(name) {
            None => {
                return Err(claim_error(
                    ErrorCode::MissingClaim,
                    name,
                    format!("claim {name:?} is missing"),
                ))
            }
            Some(actual) if actual == expected => {}
            Some(_) => {
                return Err(claim_error(
                    ErrorCode::InvalidClaim,
                    name,
                    format!("claim {name:?} has an unexpected value"),
                ))
            }
        }
    }
    Ok(())
}

/// Decodes a token's header and claims WITHOUT verifying anything. For debugging and
/// the CLI's `inspect` only; never use its output for a decision.
pub fn decode_unverified(token: &str) -> Result<(Map<String, Value>, Map<String, Value>)> {
    let parts = split(token, DEFAULT_MAX_TOKEN_BYTES)?;
    let claims = json::parse_strict_object(&parts.payload, MAX_JSON_DEPTH)
        .map_err(|e| malformed(format!("claims: {e}")))?;
    Ok((parts.header, claims))
}
