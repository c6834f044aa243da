//! `tenxyte jwt`: sign, inspect and verify tokens; `--jsonl` batch verification.

use crate::{jsonl, keys, CliResult};
use serde_json::{json, Value};
use std::collections::HashMap;
use tenxyte_core::jwt::{self, Algorithm, KeySet, SignOptions};
use tenxyte_core::{batch, Error, ErrorCode};

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

/// Verifies one batch line; key sets are parsed once per distinct JWKS.
fn verify_line(line: Value, cache: &mut HashMap<String, KeySet>) -> Result<Value, Error> {
    let Some(jwks) = batch::jwks_of(&line) else {
        return Ok(batch::jwt_verify(&line, crate::now()));
    };
    let cache_key = jwks.to_string();
    if !cache.contains_key(&cache_key) {
        if cache.len() > 64 {
            cache.clear();
        }
        cache.insert(cache_key.clone(), KeySet::from_jwks(jwks)?);
    }
    let keys = cache
        .get(&cache_key)
        .ok_or_else(|| Error::new(ErrorCode::Internal, "key cache"))?;
    Ok(batch::jwt_verify_with_keys(&line, keys, crate::now()))
}

/// `tenxyte jwt verify --jsonl`.
pub fn verify_jsonl() -> CliResult<()> {
    let mut cache = HashMap::new();
    jsonl::run_stdio(|line| verify_line(line, &mut cache))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Map;

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
