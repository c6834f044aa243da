//! Strict JWS/JWT (RFC 7515, 7518, 7519, 8037, 8725, 9068).
//!
//! - [`Key`]: typed keys from raw bytes, PEM, DER and JWK; the key's type fixes its
//!   algorithm family, so a public key can never act as an HMAC secret.
//! - [`KeySet`]: `kid`-addressed keys, one active signing key, JWKS export.
//! - [`sign`] / [`verify`]: the one verification path every binding uses, with a
//!   distinct error code for each failure (see `docs/error-codes.md`).
//! - [`profile`]: Tenxyte's access-token profile and mutually exclusive token kinds.
//!
//! ```
//! use tenxyte_core::jwt::{self, Algorithm, Key, KeySet, SignOptions, VerifyOptions};
//! let keys = KeySet::single(Key::hmac(&[42u8; 32], Algorithm::HS256)?);
//! let mut claims = serde_json::Map::new();
//! claims.insert("sub".into(), "alice".into());
//! claims.insert("exp".into(), 2_000.into());
//! let token = jwt::sign(&claims, &keys, &SignOptions::default())?;
//! let verified = jwt::verify(&token, &keys, &VerifyOptions::new(&[Algorithm::HS256], 1_000))?;
//! assert_eq!(verified.claims["sub"], "alice");
//! # Ok::<(), tenxyte_core::Error>(())
//! ```

mod alg;
mod der;
mod jwk;
mod key;
mod keyset;
mod pem;
pub mod profile;
mod verify;

pub use alg::{Algorithm, Family};
pub use jwk::{key_from_jwk, key_from_jwk_json};
pub use key::Key;
pub use keyset::KeySet;

/// Encodes DER as PEM text with the given label (e.g. `PRIVATE KEY` for PKCS#8).
pub fn encode_pem(label: &str, der: &[u8]) -> String {
    pem::encode(label, der)
}
pub use verify::{
    decode_unverified, sign, sign_with_key, verify, SignOptions, Verified, VerifyOptions,
    DEFAULT_MAX_TOKEN_BYTES,
};
