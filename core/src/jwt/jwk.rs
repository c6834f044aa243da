//! JSON Web Keys (RFC 7517, 7518 §6, 8037 §2): import into typed [`Key`]s.
//!
//! `use`, `key_ops` and `alg` are honoured (Wycheproof `rejectWrongUse`,
//! `rejectWrongKeyOps`): a key marked for encryption never verifies a signature.

use super::alg::{Algorithm, Family};
use super::key::Key;
use crate::encoding::b64url_decode;
use crate::error::{err, ErrorCode, Result};
use serde_json::{Map, Value};

fn invalid(msg: impl Into<std::borrow::Cow<'static, str>>) -> crate::Error {
    err(ErrorCode::InvalidKey, msg)
}

fn member<'a>(jwk: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>> {
    match jwk.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(invalid(format!("JWK member {name:?} must be a string"))),
    }
}

fn required<'a>(jwk: &'a Map<String, Value>, name: &str) -> Result<&'a str> {
    member(jwk, name)?.ok_or_else(|| invalid(format!("JWK lacks {name:?}")))
}

fn bytes(jwk: &Map<String, Value>, name: &str) -> Result<Vec<u8>> {
    b64url_decode(required(jwk, name)?)
        .ok_or_else(|| invalid(format!("JWK member {name:?} is not canonical base64url")))
}

fn opt_bytes(jwk: &Map<String, Value>, name: &str) -> Result<Option<Vec<u8>>> {
    match member(jwk, name)? {
        None => Ok(None),
        Some(s) => b64url_decode(s)
            .map(Some)
            .ok_or_else(|| invalid(format!("JWK member {name:?} is not canonical base64url"))),
    }
}

/// Parses one JWK (public or private; `oct` secrets included) from its JSON object.
pub fn key_from_jwk(jwk: &Map<String, Value>) -> Result<Key> {
    let kty = required(jwk, "kty")?;
    let key = match kty {
        "oct" => Key::hmac_any(&bytes(jwk, "k")?)?,
        "RSA" => rsa(jwk)?,
        "EC" => ec(jwk)?,
        "OKP" => okp(jwk)?,
        other => return Err(invalid(format!("unsupported JWK kty {other:?}"))),
    };
    let key = match member(jwk, "kid")? {
        Some(kid) => key.with_kid(kid),
        None => key,
    };
    let key = match member(jwk, "alg")? {
        Some(name) => {
            let alg = Algorithm::parse(name)
                .ok_or_else(|| invalid(format!("unsupported JWK alg {name:?}")))?;
            key.with_algorithm(alg)?
        }
        None => key,
    };
    let (mut sign, mut verify) = (true, true);
    match member(jwk, "use")? {
        None | Some("sig") => {}
        Some(other) => return Err(invalid(format!("JWK use {other:?} is not for signatures"))),
    }
    if let Some(ops) = jwk.get("key_ops") {
        let ops = ops
            .as_array()
            .ok_or_else(|| invalid("JWK key_ops must be an array"))?;
        let names: Vec<&str> = ops
            .iter()
            .map(|v| {
                v.as_str()
                    .ok_or_else(|| invalid("JWK key_ops entries must be strings"))
            })
            .collect::<Result<_>>()?;
        sign = names.contains(&"sign");
        verify = names.contains(&"verify");
        if !sign && !verify {
            return Err(invalid("JWK key_ops allow neither sign nor verify"));
        }
    }
    Ok(key.with_usage(sign, verify))
}

/// Parses a JWK from JSON text (strict: duplicate members rejected).
pub fn key_from_jwk_json(text: &str) -> Result<Key> {
    let map = crate::json::parse_strict_object(text.as_bytes(), crate::json::DEFAULT_MAX_DEPTH)
        .map_err(|e| invalid(format!("JWK is not a valid JSON object: {e}")))?;
    key_from_jwk(&map)
}

fn rsa(jwk: &Map<String, Value>) -> Result<Key> {
    let n = bytes(jwk, "n")?;
    let e = bytes(jwk, "e")?;
    let Some(d) = opt_bytes(jwk, "d")? else {
        return Key::rsa_public(&n, &e);
    };
    let crt = ["p", "q", "dp", "dq", "qi"]
        .iter()
        .map(|name| opt_bytes(jwk, name))
        .collect::<Result<Vec<_>>>()?;
    let [Some(p), Some(q), Some(dp), Some(dq), Some(qi)] = crt.as_slice() else {
        return Err(invalid(
            "RSA private JWKs need p, q, dp, dq and qi (keys with only d are not supported)",
        ));
    };
    // Check the modulus size before the backend sees it, for a precise error.
    Key::rsa_public(&n, &e)?;
    let components = ring::rsa::KeyPairComponents {
        public_key: ring::rsa::PublicKeyComponents {
            n: n.as_slice(),
            e: e.as_slice(),
        },
        d: d.as_slice(),
        p: p.as_slice(),
        q: q.as_slice(),
        dP: dp.as_slice(),
        dQ: dq.as_slice(),
        qInv: qi.as_slice(),
    };
    let pair = ring::rsa::KeyPair::from_components(&components)
        .map_err(|e| invalid(format!("RSA private JWK rejected: {e}")))?;
    Key::from_rsa_key_pair(pair)
}

fn ec(jwk: &Map<String, Value>) -> Result<Key> {
    let (family, coord) = match required(jwk, "crv")? {
        "P-256" => (Family::EcP256, 32),
        "P-384" => (Family::EcP384, 48),
        other => return Err(invalid(format!("unsupported EC curve {other:?}"))),
    };
    let x = bytes(jwk, "x")?;
    let y = bytes(jwk, "y")?;
    if x.len() != coord || y.len() != coord {
        return Err(invalid(
            "EC coordinates have the wrong length for the curve",
        ));
    }
    let mut point = Vec::with_capacity(1 + 2 * coord);
    point.push(4);
    point.extend_from_slice(&x);
    point.extend_from_slice(&y);
    let Some(d) = opt_bytes(jwk, "d")? else {
        return Key::ec_public(family, &point);
    };
    if d.len() != coord {
        return Err(invalid(
            "EC private scalar has the wrong length for the curve",
        ));
    }
    Key::ec_private(family, &d, &point)
}

fn okp(jwk: &Map<String, Value>) -> Result<Key> {
    match required(jwk, "crv")? {
        "Ed25519" => {}
        other => return Err(invalid(format!("unsupported OKP curve {other:?}"))),
    }
    let x = bytes(jwk, "x")?;
    match opt_bytes(jwk, "d")? {
        None => Key::ed25519_public(&x),
        Some(d) => Key::ed25519_private(&d, &x),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    // RFC 8037 Appendix A.1/A.2.
    const ED_D: &str = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
    const ED_X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";

    #[test]
    fn okp_private_and_public() {
        let private =
            key_from_jwk(&obj(json!({"kty":"OKP","crv":"Ed25519","d":ED_D,"x":ED_X}))).unwrap();
        assert!(private.can_sign());
        let public = key_from_jwk(&obj(json!({"kty":"OKP","crv":"Ed25519","x":ED_X}))).unwrap();
        assert!(!public.can_sign());
        assert_eq!(public.to_public_jwk().unwrap()["x"], ED_X);
        // A private key whose public half does not match is refused.
        let wrong_x = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURp";
        assert!(key_from_jwk(&obj(
            json!({"kty":"OKP","crv":"Ed25519","d":ED_D,"x":wrong_x})
        ))
        .is_err());
    }

    #[test]
    fn use_key_ops_and_alg_are_honoured() {
        let enc = obj(json!({"kty":"OKP","crv":"Ed25519","x":ED_X,"use":"enc"}));
        assert_eq!(
            key_from_jwk(&enc).unwrap_err().code(),
            ErrorCode::InvalidKey
        );
        let ops = obj(json!({"kty":"OKP","crv":"Ed25519","x":ED_X,"key_ops":["encrypt"]}));
        assert!(key_from_jwk(&ops).is_err());
        let verify_only =
            obj(json!({"kty":"OKP","crv":"Ed25519","d":ED_D,"x":ED_X,"key_ops":["verify"]}));
        let k = key_from_jwk(&verify_only).unwrap();
        assert!(!k.can_sign() && k.can_verify());
        let wrong_alg = obj(json!({"kty":"OKP","crv":"Ed25519","x":ED_X,"alg":"ES256"}));
        assert!(key_from_jwk(&wrong_alg).is_err());
        let none_alg = obj(
            json!({"kty":"oct","k":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","alg":"none"}),
        );
        assert!(key_from_jwk(&none_alg).is_err());
    }

    #[test]
    fn malformed_members() {
        for bad in [
            json!({"kty":"OKP","crv":"Ed25519","x":ED_X.to_owned() + "="}),
            json!({"kty":"OKP","crv":"Ed25519","x":5}),
            json!({"kty":"OKP","crv":"X25519","x":ED_X}),
            json!({"kty":"EC","crv":"P-256","x":ED_X,"y":ED_X}),
            json!({"kty":"oct","k":"c2hvcnQ"}),
            json!({"kty":"DSA"}),
            json!({"crv":"Ed25519","x":ED_X}),
        ] {
            assert!(key_from_jwk(&obj(bad.clone())).is_err(), "{bad}");
        }
        assert!(key_from_jwk_json(r#"{"kty":"OKP","kty":"oct","k":"x"}"#).is_err());
    }
}
