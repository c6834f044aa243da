//! The inputs every implementation gets: one key of each type, one HMAC secret, one
//! claims set, one TOTP secret and one password. Keys are committed PEM files (see
//! `fixtures/README.md`) so that runs on different days measure the same keys.

use serde_json::{json, Map, Value};

/// RSA-2048 private key, PKCS#8. Benchmark-only key: never use it for anything else.
pub const RSA_PRIVATE_PEM: &str = include_str!("../fixtures/rsa2048.key.pem");
/// The matching SubjectPublicKeyInfo.
pub const RSA_PUBLIC_PEM: &str = include_str!("../fixtures/rsa2048.pub.pem");
/// P-256 private key, PKCS#8. Benchmark-only key.
pub const P256_PRIVATE_PEM: &str = include_str!("../fixtures/p256.key.pem");
/// The matching SubjectPublicKeyInfo.
pub const P256_PUBLIC_PEM: &str = include_str!("../fixtures/p256.pub.pem");
/// Ed25519 private key, PKCS#8 v2 (with the public key). Benchmark-only key.
pub const ED25519_PRIVATE_PEM: &str = include_str!("../fixtures/ed25519.key.pem");
/// The matching SubjectPublicKeyInfo.
pub const ED25519_PUBLIC_PEM: &str = include_str!("../fixtures/ed25519.pub.pem");

/// 33-byte HS256 secret (one byte over the RFC 7518 minimum, as in the reference runs).
pub const HS256_SECRET: &[u8; 33] = b"tenxyte-bench-hs256-secret-33byte";

/// Issuer every token carries and every verifier requires.
pub const ISSUER: &str = "https://auth.example.com";
/// Audience every token carries and every verifier requires.
pub const AUDIENCE: &str = "api.example.com";
/// Token lifetime, seconds.
pub const LIFETIME: i64 = 900;

/// The access-token claims: `{sub, iat, exp, jti, iss, aud, roles}`, in that order, 203
/// bytes of JSON (the size used by the reference measurements; the HS256 token is 352
/// characters).
pub fn claims(iat: i64) -> Map<String, Value> {
    claims_with(iat, iat + LIFETIME, ISSUER, AUDIENCE)
}

/// The same claims with chosen `exp`, `iss` and `aud`, for the sanity checks that prove
/// each verifier really checks them.
pub fn claims_with(iat: i64, exp: i64, iss: &str, aud: &str) -> Map<String, Value> {
    let value = json!({
        "sub": "user_8f14e45fceea167a5a36",
        "iat": iat,
        "exp": exp,
        "jti": "c4ca4238a0b923820dcc509a6f75849b",
        "iss": iss,
        "aud": aud,
        "roles": ["admin", "editor", "viewer"],
    });
    match value {
        Value::Object(map) => map,
        _ => unreachable!("a JSON object literal"),
    }
}

/// 20-byte TOTP secret (RFC 6238's SHA-1 test secret, "12345678901234567890").
pub const TOTP_SECRET: &[u8; 20] = b"12345678901234567890";
/// Pinned TOTP time: the middle of a 30-second step, so that window 1 means exactly
/// the steps t-1, t, t+1 for every implementation.
pub const TOTP_NOW: u64 = 1_700_000_025;

/// The password hashed and verified by the argon2 rows.
pub const PASSWORD: &str = "correct horse battery staple";

/// DER bytes of the single block of a PEM file (for the raw `ring` rows, which take DER).
pub fn pem_to_der(pem: &str) -> Vec<u8> {
    let body: String = pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    tenxyte_core::encoding::b64_decode(body.trim()).expect("fixture PEM is valid base64")
}
