//! JSON request/response forms of the verifiers.
//!
//! One definition of the batch formats that the `tenxyte` CLI's `--jsonl` modes speak,
//! that `tests/vectors/` are written in, and that bindings can expose as a JSON entry
//! point. Every function returns a response value and never fails: a request of the wrong
//! shape answers `{"valid": false, "code": "invalid_input"}`. Absent and `null` members
//! take the defaults.
//!
//! | request | response |
//! | --- | --- |
//! | [`jwt_verify`]: `{"token", "jwks", "algorithms", "now", "leeway", "issuer", "audience", "require", "typ", "max_token_bytes", "claims_equal"}` | `{"valid": true, "header", "claims"}` |
//! | [`password_verify`]: `{"password", "encoded", "bare_bcrypt"}` | `{"valid", "needs_rehash"}` |
//! | [`otp_verify`] (TOTP): `{"secret_base32", "algorithm", "digits", "period", "t0", "now", "window", "last_used_step", "code"}` | `{"valid": true, "step"}` |
//! | [`otp_verify`] (HOTP, when `counter` is present): `{"secret_base32", "algorithm", "digits", "counter", "look_ahead", "code"}` | `{"valid": true, "new_counter"}` |
//!
//! Failures answer `{"valid": false, "code": "<error code>"}`.

use crate::error::{err, Error, ErrorCode, Result};
use crate::jwt::{self, Algorithm, KeySet, VerifyOptions};
use crate::otp::{self, Hotp, OtpSecret, Totp};
use crate::password::{self, BareBcrypt};
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// The failure response for an error.
pub fn failure(e: &Error) -> Value {
    json!({"valid": false, "code": e.code().as_str()})
}

fn respond(result: Result<Value>) -> Value {
    result.unwrap_or_else(|e| failure(&e))
}

/// Deserialises a request, treating `null` members as absent.
fn parse<T: serde::de::DeserializeOwned>(request: &Value) -> Result<T> {
    let mut request = request.clone();
    match &mut request {
        Value::Object(map) => map.retain(|_, v| !v.is_null()),
        _ => return Err(err(ErrorCode::InvalidInput, "a request is a JSON object")),
    }
    serde_json::from_value(request)
        .map_err(|e| err(ErrorCode::InvalidInput, format!("bad request: {e}")))
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JwtRequest {
    token: String,
    #[allow(dead_code)] // read separately so callers can cache the parsed key set
    jwks: Value,
    algorithms: Vec<String>,
    now: Option<i64>,
    leeway: Option<u64>,
    issuer: Option<String>,
    audience: Option<Audience>,
    require: Option<Vec<String>>,
    typ: Option<String>,
    max_token_bytes: Option<usize>,
    claims_equal: Option<Map<String, Value>>,
}

/// The `jwks` member of a `jwt_verify` request, for callers that cache key sets.
pub fn jwks_of(request: &Value) -> Option<&Value> {
    request.get("jwks")
}

/// `jwt verify`: parses the request's `jwks` and verifies.
pub fn jwt_verify(request: &Value, default_now: i64) -> Value {
    respond((|| {
        let jwks = jwks_of(request)
            .ok_or_else(|| err(ErrorCode::InvalidInput, "bad request: missing field `jwks`"))?;
        let keys = KeySet::from_jwks(jwks)?;
        Ok(jwt_verify_with_keys(request, &keys, default_now))
    })())
}

/// `jwt verify` with an already parsed key set (the request's `jwks` is not re-read).
pub fn jwt_verify_with_keys(request: &Value, keys: &KeySet, default_now: i64) -> Value {
    respond((|| {
        let r: JwtRequest = parse(request)?;
        let algorithms = r
            .algorithms
            .iter()
            .map(|name| {
                Algorithm::parse(name).ok_or_else(|| {
                    err(
                        ErrorCode::InvalidInput,
                        format!("unknown algorithm {name:?}"),
                    )
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let mut options = VerifyOptions::new(&algorithms, r.now.unwrap_or(default_now));
        if let Some(l) = r.leeway {
            options.leeway = l;
        }
        options.issuer = r.issuer;
        options.audience = r.audience.map(|a| match a {
            Audience::One(s) => vec![s],
            Audience::Many(v) => v,
        });
        if let Some(req) = r.require {
            options.require = req;
        }
        options.typ = r.typ;
        if let Some(m) = r.max_token_bytes {
            options.max_token_bytes = m;
        }
        if let Some(c) = r.claims_equal {
            options.claims_equal = c;
        }
        let v = jwt::verify(&r.token, keys, &options)?;
        Ok(json!({"valid": true, "header": v.header, "claims": v.claims}))
    })())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordRequest {
    password: String,
    encoded: String,
    bare_bcrypt: Option<BareBcrypt>,
}

/// `password verify`.
pub fn password_verify(request: &Value) -> Value {
    respond((|| {
        let r: PasswordRequest = parse(request)?;
        let opts = password::VerifyOptions {
            bare_bcrypt: r.bare_bcrypt.unwrap_or_default(),
            ..password::VerifyOptions::default()
        };
        let v = password::verify(&r.password, &r.encoded, &opts)?;
        Ok(json!({"valid": v.valid, "needs_rehash": v.needs_rehash}))
    })())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OtpRequest {
    secret_base32: String,
    code: String,
    algorithm: Option<otp::Algorithm>,
    digits: Option<u32>,
    period: Option<u32>,
    t0: Option<i64>,
    now: Option<i64>,
    window: Option<u32>,
    last_used_step: Option<u64>,
    counter: Option<u64>,
    look_ahead: Option<u32>,
}

/// `otp verify`: HOTP when `counter` is present, TOTP otherwise.
pub fn otp_verify(request: &Value, default_now: i64) -> Value {
    respond((|| {
        let r: OtpRequest = parse(request)?;
        let secret = OtpSecret::from_base32(&r.secret_base32)?;
        let algorithm = r.algorithm.unwrap_or_default();
        let digits = r.digits.unwrap_or(otp::DEFAULT_DIGITS);
        if let Some(counter) = r.counter {
            let hotp = Hotp::with_params(secret, algorithm, digits)?;
            let next = hotp.verify(&r.code, counter, r.look_ahead.unwrap_or(0))?;
            return Ok(json!({"valid": true, "new_counter": next}));
        }
        let totp = Totp::with_params(
            secret,
            algorithm,
            digits,
            r.period.unwrap_or(otp::DEFAULT_PERIOD),
            r.t0.unwrap_or(0),
        )?;
        let step = totp.verify(
            &r.code,
            r.now.unwrap_or(default_now),
            r.window.unwrap_or(otp::DEFAULT_WINDOW),
            r.last_used_step,
        )?;
        Ok(json!({"valid": true, "step": step}))
    })())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_and_defaults() {
        assert_eq!(password_verify(&json!([1]))["code"], "invalid_input");
        assert_eq!(
            password_verify(&json!({"password": "x"}))["code"],
            "invalid_input"
        );
        assert_eq!(
            otp_verify(
                &json!({"secret_base32": "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "code": "x", "extra": 1}),
                0
            )["code"],
            "invalid_input"
        );
        assert_eq!(
            jwt_verify(&json!({"token": "a.b.c"}), 0)["code"],
            "invalid_input"
        );
        // RFC 6238 Appendix B, SHA-1, T = 59 → 94287082, step 1.
        let r = json!({"secret_base32": "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "digits": 8, "now": 59, "window": 0, "code": "94287082", "t0": null});
        assert_eq!(otp_verify(&r, 0), json!({"valid": true, "step": 1}));
    }
}
