//! The HMAC hash behind a code (RFC 6238 §1.2 allows SHA-1, SHA-256 and SHA-512).

use std::fmt;
use std::str::FromStr;

use hmac::{Hmac, KeyInit, Mac};
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

    /// The HMAC keyed once with `key`, ready for many counters.
    pub(crate) fn keyed(self, key: &[u8]) -> KeyedMac {
        // HMAC accepts keys of any length, so these constructors cannot fail; an empty
        // fallback keeps the code panic-free regardless.
        match self {
            // SHA-1 is what RFC 4226 and every authenticator use; HMAC-SHA-1 is not
            // affected by SHA-1's collision weakness.
            Algorithm::Sha1 => KeyedMac::Sha1(
                <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(key)
                    .unwrap_or_else(|_| <Hmac<sha1::Sha1> as KeyInit>::new(&Default::default())),
            ),
            Algorithm::Sha256 => KeyedMac::Sha256(
                <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key)
                    .unwrap_or_else(|_| <Hmac<sha2::Sha256> as KeyInit>::new(&Default::default())),
            ),
            Algorithm::Sha512 => KeyedMac::Sha512(
                <Hmac<sha2::Sha512> as KeyInit>::new_from_slice(key)
                    .unwrap_or_else(|_| <Hmac<sha2::Sha512> as KeyInit>::new(&Default::default())),
            ),
        }
    }
}

/// An HMAC state keyed with the shared secret; cloned for each counter so the key
/// schedule (two compression-function calls) runs once per verification, not per step.
#[derive(Clone)]
pub(crate) enum KeyedMac {
    Sha1(Hmac<sha1::Sha1>),
    Sha256(Hmac<sha2::Sha256>),
    Sha512(Hmac<sha2::Sha512>),
}

impl KeyedMac {
    /// RFC 4226 §5.3 dynamic truncation of HMAC(counter): a 31-bit integer.
    pub(crate) fn truncated(&self, counter: u64) -> u32 {
        let msg = counter.to_be_bytes();
        match self {
            KeyedMac::Sha1(m) => truncate(&m.clone().chain_update(msg).finalize().into_bytes()),
            KeyedMac::Sha256(m) => truncate(&m.clone().chain_update(msg).finalize().into_bytes()),
            KeyedMac::Sha512(m) => truncate(&m.clone().chain_update(msg).finalize().into_bytes()),
        }
    }
}

/// The low nibble of the last byte picks where 4 bytes start (§5.4). Every hash here is at
/// least 20 bytes long, so offset + 3 <= 18 always lies inside it.
fn truncate(mac: &[u8]) -> u32 {
    let offset = usize::from(mac.last().copied().unwrap_or(0) & 0x0f);
    let mut word = [0u8; 4];
    if let Some(window) = mac.get(offset..offset + 4) {
        word.copy_from_slice(window);
    }
    u32::from_be_bytes(word) & 0x7fff_ffff
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
