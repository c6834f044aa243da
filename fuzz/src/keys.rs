//! The fixed key set `jwt_verify` verifies against, and an independent signature check.
//!
//! The keys come from `fixed_keys.json` (made by `tests/interop/gen_fuzz_seed_keys.py`):
//! an HS256 secret (`kid` "hs"), a P-256 key ("es"), the RFC 8037 Ed25519 key ("ed") and
//! a 2048-bit RSA key ("rs", usable for RS256 and PS256). Seed tokens are signed with
//! them, so the fuzzer starts from tokens that verify and mutates from there.

use std::sync::OnceLock;

use ring::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use serde_json::{Map, Value};
use tenxyte_core::jwt::{Algorithm, KeySet};

/// The private JWKS of the fixed keys.
pub const FIXED_KEYS_JSON: &str = include_str!("fixed_keys.json");

/// The fixed key set, parsed once.
pub fn key_set() -> &'static KeySet {
    static SET: OnceLock<KeySet> = OnceLock::new();
    SET.get_or_init(|| KeySet::from_jwks_json(FIXED_KEYS_JSON).expect("fixed keys parse"))
}

fn fixed_jwks() -> &'static [Value] {
    static JWKS: OnceLock<Vec<Value>> = OnceLock::new();
    JWKS.get_or_init(|| {
        let doc: Value = serde_json::from_str(FIXED_KEYS_JSON).expect("fixed keys are JSON");
        doc["keys"].as_array().expect("keys array").clone()
    })
}

fn member(jwk: &Map<String, Value>, name: &str) -> Vec<u8> {
    crate::common::b64url(jwk[name].as_str().expect("string member")).expect("base64url")
}

/// Whether `signature` over `signing_input` verifies with `alg` under one of the fixed
/// keys (the one named by `kid`, when given), checked with `ring` directly from the JWK
/// members, without going through the core's `Key`, `KeySet` or verification path.
pub fn independently_verified(
    alg: Algorithm,
    kid: Option<&str>,
    signing_input: &[u8],
    sig: &[u8],
) -> bool {
    fixed_jwks()
        .iter()
        .filter_map(Value::as_object)
        .filter(|jwk| kid.is_none_or(|kid| jwk["kid"] == kid))
        .any(|jwk| {
            let kty = jwk["kty"].as_str().unwrap_or_default();
            match (alg, kty) {
                (Algorithm::HS256, "oct") => {
                    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &member(jwk, "k"));
                    ring::hmac::verify(&key, signing_input, sig).is_ok()
                }
                (Algorithm::ES256, "EC") => {
                    let mut point = vec![4u8];
                    point.extend(member(jwk, "x"));
                    point.extend(member(jwk, "y"));
                    UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                        .verify(signing_input, sig)
                        .is_ok()
                }
                (Algorithm::EdDSA, "OKP") => {
                    UnparsedPublicKey::new(&signature::ED25519, member(jwk, "x"))
                        .verify(signing_input, sig)
                        .is_ok()
                }
                (Algorithm::RS256 | Algorithm::PS256, "RSA") => {
                    let params = if alg == Algorithm::PS256 {
                        &signature::RSA_PSS_2048_8192_SHA256
                    } else {
                        &signature::RSA_PKCS1_2048_8192_SHA256
                    };
                    RsaPublicKeyComponents {
                        n: member(jwk, "n"),
                        e: member(jwk, "e"),
                    }
                    .verify(params, signing_input, sig)
                    .is_ok()
                }
                _ => false,
            }
        })
}
