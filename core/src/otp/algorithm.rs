//! The HMAC hash behind a code (RFC 6238 §1.2 allows SHA-1, SHA-256 and SHA-512).

use std::fmt;
use std::str::FromStr;

use ring::hmac;
use serde::{Deserialize, Serialize};

use crate::error::{err, Error, ErrorCode};

/// The hash function of the HMAC. Serialised as `"SHA1"`, `"SHA256"`, `"SHA512"` (the
/// spelling of `otpauth://` URIs); the lowercase spellings are accepted when reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Algorithm {
    /// HMAC-SHA-1: the RFC 4226 default and the only one every authenticator app supports.
    #[default]
    #[serde(rename = "SHA1", alias = "sha1")]
    Sha1,
    /// HMAC-SHA-256.
    #[serde(rename = "SHA256", alias = "sha256")]
    Sha256,
    /// HMAC-SHA-512.
    #[serde(rename = "SHA512", alias = "sha512")]
    Sha512,
}

impl Algorithm {
    /// The `otpauth://` spelling: `SHA1`, `SHA256` or `SHA512`.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Sha1 => "SHA1",
            Algorithm::Sha256 => "SHA256",
            Algorithm::Sha512 => "SHA512",
        }
    }

    /// HMAC of `message` under `key` with this hash.
    pub(crate) fn hmac(self, key: &[u8], message: &[u8]) -> hmac::Tag {
        let alg = match self {
            // SHA-1 is what RFC 4226 and every authenticator use; HMAC-SHA-1 is not
            // affected by SHA-1's collision weakness.
            Algorithm::Sha1 => hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            Algorithm::Sha256 => hmac::HMAC_SHA256,
            Algorithm::Sha512 => hmac::HMAC_SHA512,
        };
        hmac::sign(&hmac::Key::new(alg, key), message)
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = Error;

    /// Reads `SHA1`, `SHA256` or `SHA512` in any letter case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512]
            .into_iter()
            .find(|a| a.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                err(
                    ErrorCode::InvalidInput,
                    "OTP algorithm must be SHA1, SHA256 or SHA512",
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_in_any_case_and_serialise_upper() {
        assert_eq!("sha256".parse::<Algorithm>().unwrap(), Algorithm::Sha256);
        assert_eq!("SHA512".parse::<Algorithm>().unwrap(), Algorithm::Sha512);
        assert!("SHA384".parse::<Algorithm>().is_err());
        assert!("SHA-1".parse::<Algorithm>().is_err());
        assert_eq!(serde_json::to_string(&Algorithm::Sha1).unwrap(), "\"SHA1\"");
        let a: Algorithm = serde_json::from_str("\"sha512\"").unwrap();
        assert_eq!(a, Algorithm::Sha512);
        assert!(serde_json::from_str::<Algorithm>("\"md5\"").is_err());
    }
}
