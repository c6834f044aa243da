//! Django's PBKDF2 hashers: `pbkdf2_sha256$<iterations>$<salt>$<base64 digest>` and
//! `pbkdf2_sha1$…` (verification only).

use std::num::NonZeroU32;

use ring::pbkdf2;

use super::decimal::parse_u32;
use super::options::{HashLimits, Verification};
use crate::encoding::b64_decode;
use crate::error::{err, ErrorCode, Result};

/// Which HMAC Django's hasher used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pbkdf2Digest {
    /// `pbkdf2_sha256` (Django's default hasher).
    Sha256,
    /// `pbkdf2_sha1` (Django's legacy hasher).
    Sha1,
}

fn invalid(msg: &'static str) -> crate::Error {
    err(ErrorCode::InvalidHash, msg)
}

/// Verifies the part after `pbkdf2_sha256$` / `pbkdf2_sha1$`: `<iterations>$<salt>$<digest>`.
///
/// The salt is used as its UTF-8 bytes (Django salts are ASCII strings). The digest must
/// be exactly the hash's output length, as Django writes it (Django compares whole
/// encoded strings, so no other length ever verifies there either).
pub(crate) fn verify_django_pbkdf2(
    password: &str,
    rest: &str,
    digest: Pbkdf2Digest,
    limits: &HashLimits,
) -> Result<Verification> {
    let mut parts = rest.split('$');
    let (Some(iter_text), Some(salt), Some(dk_text), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid(
            "PBKDF2 hash must be <algorithm>$<iterations>$<salt>$<digest>",
        ));
    };
    let iterations = parse_u32(iter_text)
        .and_then(NonZeroU32::new)
        .ok_or_else(|| invalid("PBKDF2 iterations must be a positive decimal"))?;
    if iterations.get() > limits.pbkdf2_max_iterations {
        return Err(err(
            ErrorCode::UnsafeHashParameters,
            format!(
                "PBKDF2 iterations {iterations} exceed the limit {}",
                limits.pbkdf2_max_iterations
            ),
        ));
    }
    if salt.is_empty() {
        return Err(invalid("PBKDF2 salt is empty"));
    }
    let stored = b64_decode(dk_text).ok_or_else(|| invalid("PBKDF2 digest is not base64"))?;
    let (algorithm, len) = match digest {
        Pbkdf2Digest::Sha256 => (pbkdf2::PBKDF2_HMAC_SHA256, 32),
        Pbkdf2Digest::Sha1 => (pbkdf2::PBKDF2_HMAC_SHA1, 20),
    };
    if stored.len() != len {
        return Err(invalid("PBKDF2 digest has the wrong length"));
    }
    let mut out = vec![0u8; len];
    pbkdf2::derive(
        algorithm,
        iterations,
        salt.as_bytes(),
        password.as_bytes(),
        &mut out,
    );
    Ok(if crate::ct::eq(&out, &stored) {
        Verification::matched(true)
    } else {
        Verification::MISMATCH
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(pw: &str, rest: &str, d: Pbkdf2Digest) -> Result<bool> {
        verify_django_pbkdf2(pw, rest, d, &HashLimits::default()).map(|v| v.valid)
    }

    /// RFC 6070 (PBKDF2-HMAC-SHA1) and RFC 7914 §11 (PBKDF2-HMAC-SHA256), truncated to the
    /// hash's output length as Django stores them.
    #[test]
    fn rfc_vectors_in_django_form() {
        // RFC 6070: P="password", S="salt", c=4096, DK=4b007901b765489abead49d926f721d065a429c1.
        let dk = crate::encoding::hex_decode("4b007901b765489abead49d926f721d065a429c1").unwrap();
        let rest = format!("4096$salt${}", crate::encoding::b64_encode(&dk));
        assert!(check("password", &rest, Pbkdf2Digest::Sha1).unwrap());
        assert!(!check("Password", &rest, Pbkdf2Digest::Sha1).unwrap());
        // RFC 7914 §11: P="passwd", S="salt", c=1, first 32 bytes of the 64-byte DK.
        let dk = crate::encoding::hex_decode(
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc",
        )
        .unwrap();
        let rest = format!("1$salt${}", crate::encoding::b64_encode(&dk));
        assert!(check("passwd", &rest, Pbkdf2Digest::Sha256).unwrap());
        assert!(!check(
            "passwd",
            &rest.replacen("1$", "2$", 1),
            Pbkdf2Digest::Sha256
        )
        .unwrap());
    }

    #[test]
    fn errors() {
        let dk = crate::encoding::b64_encode(&[0u8; 32]);
        let s256 = Pbkdf2Digest::Sha256;
        for rest in [
            format!("0$salt${dk}"),
            format!("01$salt${dk}"),
            format!("-1$salt${dk}"),
            format!("$salt${dk}"),
            format!("10$${dk}"),
            "10$salt$".to_string(),
            format!("10$salt${}", &dk[..dk.len() - 1]),
            format!("10$salt${}", crate::encoding::b64_encode(&[0u8; 31])),
            format!("10$salt${dk}$x"),
            "10$salt".to_string(),
            format!("4294967296$salt${dk}"),
        ] {
            assert_eq!(
                check("pw", &rest, s256).unwrap_err().code(),
                ErrorCode::InvalidHash,
                "{rest}"
            );
        }
        // 20 bytes is right for SHA-1 but not for SHA-256.
        let dk20 = crate::encoding::b64_encode(&[0u8; 20]);
        assert_eq!(
            check("pw", &format!("10$salt${dk20}"), s256)
                .unwrap_err()
                .code(),
            ErrorCode::InvalidHash
        );
        assert!(!check("pw", &format!("10$salt${dk20}"), Pbkdf2Digest::Sha1).unwrap());
        // 4 billion iterations would take an hour: refused up front.
        let e = check("pw", &format!("4000000000$salt${dk}"), s256).unwrap_err();
        assert_eq!(e.code(), ErrorCode::UnsafeHashParameters);
        let e = check("pw", &format!("10000001$salt${dk}"), s256).unwrap_err();
        assert_eq!(e.code(), ErrorCode::UnsafeHashParameters);
    }
}
