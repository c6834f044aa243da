//! The shared HOTP/TOTP key.

use std::fmt;

use crate::error::{err, ErrorCode, Result};
use crate::random;

use super::base32;

/// The shortest accepted key: 128 bits (RFC 4226 §4 R6 requires at least 128, recommends 160).
pub const MIN_SECRET_BYTES: usize = 16;
/// The longest accepted key. RFC 6238's own seeds stop at 64 bytes; the cap only bounds the
/// work a stored or scanned value can ask for.
pub const MAX_SECRET_BYTES: usize = 256;
/// The length of a [`OtpSecret::generate`]d key: 160 bits, the RFC 4226 recommendation and
/// the size of pyotp's `random_base32()` (32 base32 characters).
pub const GENERATED_SECRET_BYTES: usize = 20;

/// A HOTP/TOTP shared secret: raw key bytes, at least [`MIN_SECRET_BYTES`] long.
///
/// `Debug` prints only the length, so a secret never lands in a log by accident. Store it
/// encrypted at rest; the core does not encrypt it for you.
#[derive(Clone, PartialEq, Eq)]
pub struct OtpSecret(Vec<u8>);

impl OtpSecret {
    /// A fresh random 160-bit secret from the system CSPRNG.
    pub fn generate() -> Result<Self> {
        Ok(OtpSecret(
            random::bytes::<GENERATED_SECRET_BYTES>()?.to_vec(),
        ))
    }

    /// Wraps raw key bytes; `invalid_secret` when shorter than 128 bits or longer than the cap.
    pub fn from_bytes(bytes: impl Into<Vec<u8>>) -> Result<Self> {
        let bytes = bytes.into();
        if bytes.len() < MIN_SECRET_BYTES {
            return Err(err(
                ErrorCode::InvalidSecret,
                format!(
                    "OTP secret is {} bits; at least {} are required",
                    bytes.len() * 8,
                    MIN_SECRET_BYTES * 8
                ),
            ));
        }
        if bytes.len() > MAX_SECRET_BYTES {
            return Err(err(
                ErrorCode::InvalidSecret,
                format!("OTP secret is longer than {MAX_SECRET_BYTES} bytes"),
            ));
        }
        Ok(OtpSecret(bytes))
    }

    /// Reads the RFC 4648 base32 form found in `otpauth://` URIs and authenticator setup
    /// screens. Lower case and missing padding are accepted; whitespace, separators and
    /// characters outside the alphabet are `invalid_secret`, as is a key under 128 bits.
    pub fn from_base32(text: &str) -> Result<Self> {
        // Bound the input before decoding: base32 is 8 characters per 5 bytes.
        if text.len() > MAX_SECRET_BYTES.div_ceil(5) * 8 {
            return Err(err(
                ErrorCode::InvalidSecret,
                format!("OTP secret is longer than {MAX_SECRET_BYTES} bytes"),
            ));
        }
        let bytes = base32::decode(text).ok_or_else(|| {
            err(
                ErrorCode::InvalidSecret,
                "OTP secret is not RFC 4648 base32 (A-Z, 2-7, optional padding)",
            )
        })?;
        Self::from_bytes(bytes)
    }

    /// Unpadded upper-case base32, the form authenticators and pyotp expect.
    pub fn to_base32(&self) -> String {
        base32::encode(&self.0)
    }

    /// The raw key bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for OtpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OtpSecret(<{} bytes redacted>)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_bounds() {
        assert_eq!(
            OtpSecret::from_bytes(vec![0u8; 15]).unwrap_err().code(),
            ErrorCode::InvalidSecret
        );
        assert!(OtpSecret::from_bytes(vec![0u8; 16]).is_ok());
        assert!(OtpSecret::from_bytes(vec![0u8; 257]).is_err());
        // 26 base32 characters = 16 bytes (128 bits); 24 characters = 15 bytes.
        assert!(OtpSecret::from_base32(&"A".repeat(26)).is_ok());
        assert_eq!(
            OtpSecret::from_base32(&"A".repeat(24)).unwrap_err().code(),
            ErrorCode::InvalidSecret
        );
        assert_eq!(
            OtpSecret::from_base32(&"A".repeat(100_000))
                .unwrap_err()
                .code(),
            ErrorCode::InvalidSecret
        );
    }

    #[test]
    fn base32_forms() {
        // RFC 6238's SHA-1 seed, "12345678901234567890", in base32.
        let s = OtpSecret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
        assert_eq!(s.as_bytes(), b"12345678901234567890");
        let lower = OtpSecret::from_base32("gezdgnbvgy3tqojqgezdgnbvgy3tqojq").unwrap();
        assert_eq!(lower, s);
        assert_eq!(s.to_base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert!(OtpSecret::from_base32("GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ").is_err());
    }

    #[test]
    fn generated_and_redacted() {
        let a = OtpSecret::generate().unwrap();
        let b = OtpSecret::generate().unwrap();
        assert_eq!(a.as_bytes().len(), 20);
        assert_ne!(a, b);
        assert_eq!(a.to_base32().len(), 32);
        let dbg = format!("{a:?}");
        assert!(!dbg.contains(&a.to_base32()), "{dbg}");
        assert_eq!(dbg, "OtpSecret(<20 bytes redacted>)");
    }
}
