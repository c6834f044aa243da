//! `tenxyte keys`: generate keys and publish JWKS.

use crate::CliResult;
use serde_json::{json, Map, Value};
use tenxyte_core::encoding::b64url_encode;
use tenxyte_core::jwt::{self, Algorithm, Family, Key, KeySet};
use tenxyte_core::{Error, ErrorCode};

/// Reads a key file: a JWK (JSON object) or PEM text.
pub fn load_key(path: &str) -> CliResult<Key> {
    let text = crate::read_text(path)?;
    let key = if text.trim_start().starts_with('{') {
        jwt::key_from_jwk_json(&text)?
    } else {
        Key::from_pem(&text)?
    };
    Ok(key)
}

/// Reads a JWKS file, or a single key file, into a key set.
pub fn load_keyset(path: &str) -> CliResult<KeySet> {
    let text = crate::read_text(path)?;
    if text.trim_start().starts_with('{') {
        let value = tenxyte_core::json::parse_strict(text.as_bytes(), 32)
            .map_err(|e| Error::new(ErrorCode::InvalidKey, format!("{path}: {e}")))?;
        if value.get("keys").is_some() {
            return Ok(KeySet::from_jwks(&value)?);
        }
    }
    Ok(KeySet::single(load_key(path)?))
}

fn generate_rsa() -> CliResult<String> {
    use rsa::pkcs8::EncodePrivateKey;
    let mut rng = rand::rngs::OsRng;
    let private = rsa::RsaPrivateKey::new(&mut rng, 2048).map_err(|e| {
        Error::new(
            ErrorCode::Internal,
            format!("RSA key generation failed: {e}"),
        )
    })?;
    let pem = private
        .to_pkcs8_pem(rsa::pkcs8::LineEnding::LF)
        .map_err(|e| Error::new(ErrorCode::Internal, format!("PKCS#8 encoding failed: {e}")))?;
    Ok(pem.to_string())
}

/// `tenxyte keys generate`: a fresh key as JSON (private part, public JWK, JWKS).
pub fn generate(alg: Algorithm, kid: Option<String>) -> CliResult<Value> {
    let kid = match kid {
        Some(k) => k,
        None => b64url_encode(&tenxyte_core::random::bytes::<8>()?),
    };
    let mut out = Map::new();
    out.insert("alg".into(), alg.as_str().into());
    out.insert("kid".into(), kid.clone().into());
    let key = match alg.family() {
        Family::Hmac => {
            let (key, secret) = Key::generate(alg)?;
            let jwk =
                json!({"kty": "oct", "kid": kid, "alg": alg.as_str(), "k": b64url_encode(&secret)});
            out.insert("private_jwk".into(), jwk);
            key
        }
        Family::Rsa => {
            let pem = generate_rsa()?;
            let key = Key::from_pem(&pem)?.with_algorithm(alg)?;
            out.insert("private_key_pem".into(), pem.into());
            key
        }
        _ => {
            let (key, der) = Key::generate(alg)?;
            out.insert(
                "private_key_pem".into(),
                jwt::encode_pem("PRIVATE KEY", &der).into(),
            );
            key
        }
    };
    let key = key.with_kid(kid);
    if let Some(public) = key.to_public_jwk() {
        out.insert(
            "public_key_pem".into(),
            key.to_public_pem().unwrap_or_default().into(),
        );
        out.insert("public_jwk".into(), Value::Object(public));
    }
    out.insert("jwks".into(), KeySet::single(key).to_jwks());
    Ok(Value::Object(out))
}

/// `tenxyte keys jwks FILE...`: the public JWKS of the given key files.
pub fn jwks(paths: &[String], kids: &[String]) -> CliResult<Value> {
    let mut set = KeySet::new();
    for (i, path) in paths.iter().enumerate() {
        let mut key = load_key(path)?;
        if let Some(kid) = kids.get(i) {
            key = key.with_kid(kid.clone());
        }
        if key.family() == Family::Hmac {
            return Err(Error::new(
                ErrorCode::InvalidKey,
                format!("{path}: HMAC secrets are never published in a JWKS"),
            )
            .into());
        }
        set.add(key)?;
    }
    Ok(set.to_jwks())
}
