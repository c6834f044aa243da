//! `tenxyte jwt`: sign, inspect and verify tokens; `--jsonl` batch verification.

use crate::{jsonl, keys, CliResult};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use tenxyte_core::jwt::{self, Algorithm, KeySet, SignOptions, VerifyOptions};
use tenxyte_core::{Error, ErrorCode};

/// Parses algorithm names; an unknown name is bad input, not a verification failure.
pub fn parse_algorithms(names: &[String]) -> CliResult<Vec<Algorithm>> {
    names
        .iter()
        .map(|n| {
            Algorithm::parse(n).ok_or_else(|| {
                Error::new(ErrorCode::InvalidInput, format!("unknown algorithm {n:?}")).into()
            })
        })
        .collect()
}

/// `tenxyte jwt sign`.
pub fn sign(
    key_path: &str,
    claims: &str,
    alg: Option<Algorithm>,
    typ: Option<String>,
    kid: Option<String>,
) -> CliResult<String> {
    let mut key = keys::load_key(key_path)?;
    if let Some(kid) = kid {
        key = key.with_kid(kid);
    }
    let claims = tenxyte_core::json::parse_strict_object(claims.as_bytes(), 32)
        .map_err(|e| Error::new(ErrorCode::InvalidInput, format!("claims: {e}")))?;
    Ok(jwt::sign_with_key(
        &claims,
        &key,
        &SignOptions {
            typ,
            algorithm: alg,
        },
    )?)
}

/// `tenxyte jwt inspect`: header and claims, NOT verified.
pub fn inspect(token: &str) -> CliResult<Value> {
    let (header, claims) = jwt::decode_unverified(token.trim())?;
    Ok(json!({"verified": false, "header": header, "claims": claims}))
}

/// A verified token as the CLI prints it.
pub fn verified_json(v: &jwt::Verified) -> Value {
    json!({"valid": true, "header": v.header, "claims": v.claims})
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

/// One `jwt verify --jsonl` input line.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyLine {
    token: String,
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

/// Verifies one batch line; key sets are parsed once per distinct JWKS.
fn verify_line(line: Value, cache: &mut HashMap<String, KeySet>) -> Result<Value, Error> {
    let line: VerifyLine = jsonl::parse_line(line)?;
    let algorithms = parse_algorithms(&line.algorithms).map_err(|e| e.0)?;
    let cache_key = line.jwks.to_string();
    if !cache.contains_key(&cache_key) {
        if cache.len() > 64 {
            cache.clear();
        }
        cache.insert(cache_key.clone(), KeySet::from_jwks(&line.jwks)?);
    }
    let keys = cache
        .get(&cache_key)
        .ok_or_else(|| Error::new(ErrorCode::Internal, "key cache"))?;
    let mut options = VerifyOptions::new(&algorithms, line.now.unwrap_or_else(crate::now));
    if let Some(l) = line.leeway {
        options.leeway = l;
    }
    options.issuer = line.issuer;
    options.audience = line.audience.map(|a| match a {
        Audience::One(s) => vec![s],
        Audience::Many(v) => v,
    });
    if let Some(r) = line.require {
        options.require = r;
    }
    options.typ = line.typ;
    if let Some(m) = line.max_token_bytes {
        options.max_token_bytes = m;
    }
    if let Some(c) = line.claims_equal {
        options.claims_equal = c;
    }
    match jwt::verify(&line.token, keys, &options) {
        Ok(v) => Ok(verified_json(&v)),
        Err(e) => Ok(jsonl::failure(&e)),
    }
}

/// `tenxyte jwt verify --jsonl`.
pub fn verify_jsonl() -> CliResult<()> {
    let mut cache = HashMap::new();
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    jsonl::run(stdin.lock(), stdout.lock(), |line| {
        verify_line(line, &mut cache)
    })
    .map_err(crate::io_error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_lines_report_codes_and_survive_garbage() {
        let key = tenxyte_core::jwt::Key::hmac(&[5u8; 32], Algorithm::HS256).unwrap();
        let jwk = json!({"kty": "oct", "k": tenxyte_core::encoding::b64url_encode(&[5u8; 32])});
        let mut claims = Map::new();
        claims.insert("exp".into(), 100.into());
        let token = jwt::sign_with_key(&claims, &key, &SignOptions::default()).unwrap();
        let input = format!(
            "{}\nnot json\n{}\n[1]\n{}\n",
            json!({"token": token, "jwks": {"keys": [jwk]}, "algorithms": ["HS256"], "now": 50, "leeway": null}),
            json!({"token": token, "jwks": {"keys": [jwk]}, "algorithms": ["HS256"], "now": 100}),
            json!({"token": token, "jwks": {"keys": [jwk]}, "algorithms": ["XX1"], "now": 1}),
        );
        let mut out = Vec::new();
        let mut cache = HashMap::new();
        jsonl::run(input.as_bytes(), &mut out, |l| verify_line(l, &mut cache)).unwrap();
        let lines: Vec<Value> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 5);
        assert_eq!(lines[0]["valid"], true);
        assert_eq!(lines[0]["claims"]["exp"], 100);
        assert_eq!(lines[1]["code"], "invalid_input");
        assert_eq!(lines[2]["code"], "expired");
        assert_eq!(lines[3]["code"], "invalid_input");
        assert_eq!(lines[4]["code"], "invalid_input");
    }
}
