//! JWS algorithms (RFC 7518, RFC 8037) and the key family each one belongs to.

use crate::error::{err, ErrorCode, Result};
use std::fmt;
use std::str::FromStr;

/// A JWS signature algorithm this library signs and verifies. `none` is deliberately
/// absent: it cannot be named, so it can never be allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    /// HMAC with SHA-256.
    HS256,
    /// HMAC with SHA-384.
    HS384,
    /// HMAC with SHA-512.
    HS512,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PSS with SHA-256 and MGF1-SHA-256, salt length 32.
    PS256,
    /// ECDSA on P-256 with SHA-256, signature `R || S`.
    ES256,
    /// ECDSA on P-384 with SHA-384, signature `R || S`.
    ES384,
    /// Ed25519 (RFC 8037).
    EdDSA,
}

/// The kind of key an algorithm needs. A key's type fixes its family, so a public key
/// can never be used as an HMAC secret (the RS→HS confusion attack).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// Shared secret.
    Hmac,
    /// RSA.
    Rsa,
    /// ECDSA on P-256.
    EcP256,
    /// ECDSA on P-384.
    EcP384,
    /// Ed25519.
    Ed25519,
}

impl Algorithm {
    /// Every supported algorithm.
    pub const ALL: [Algorithm; 8] = [
        Algorithm::HS256,
        Algorithm::HS384,
        Algorithm::HS512,
        Algorithm::RS256,
        Algorithm::PS256,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::EdDSA,
    ];

    /// The registered `alg` name.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::HS256 => "HS256",
            Algorithm::HS384 => "HS384",
            Algorithm::HS512 => "HS512",
            Algorithm::RS256 => "RS256",
            Algorithm::PS256 => "PS256",
            Algorithm::ES256 => "ES256",
            Algorithm::ES384 => "ES384",
            Algorithm::EdDSA => "EdDSA",
        }
    }

    /// The key family this algorithm requires.
    pub fn family(self) -> Family {
        match self {
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => Family::Hmac,
            Algorithm::RS256 | Algorithm::PS256 => Family::Rsa,
            Algorithm::ES256 => Family::EcP256,
            Algorithm::ES384 => Family::EcP384,
            Algorithm::EdDSA => Family::Ed25519,
        }
    }

    /// Exact length of a valid signature, where the algorithm fixes it (RSA depends on
    /// the key's modulus).
    pub(crate) fn fixed_signature_len(self) -> Option<usize> {
        match self {
            Algorithm::HS256 => Some(32),
            Algorithm::HS384 => Some(48),
            Algorithm::HS512 => Some(64),
            Algorithm::ES256 => Some(64),
            Algorithm::ES384 => Some(96),
            Algorithm::EdDSA => Some(64),
            Algorithm::RS256 | Algorithm::PS256 => None,
        }
    }

    /// Parses a registered name, case-sensitively (RFC 7515 §4.1.1: `alg` is case
    /// sensitive), so `hs256` or `None` never slip through.
    pub fn parse(name: &str) -> Option<Algorithm> {
        Algorithm::ALL.into_iter().find(|a| a.as_str() == name)
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<Self> {
        Algorithm::parse(s).ok_or_else(|| {
            err(
                ErrorCode::AlgNotAllowed,
                format!("unsupported algorithm {s:?}; expected one of HS256, HS384, HS512, RS256, PS256, ES256, ES384, EdDSA"),
            )
        })
    }
}

impl serde::Serialize for Algorithm {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Algorithm {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Algorithm::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unsupported algorithm {s:?}; expected one of {}",
                Algorithm::ALL.map(Algorithm::as_str).join(", ")
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_exact() {
        for a in Algorithm::ALL {
            assert_eq!(Algorithm::parse(a.as_str()), Some(a));
        }
        for bad in ["none", "None", "NONE", "hs256", "HS256 ", "RS512", ""] {
            assert_eq!(Algorithm::parse(bad), None, "{bad}");
        }
    }
}
