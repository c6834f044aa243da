//! bcrypt in its modular-crypt form `$2b$<cost>$<22-char salt><31-char hash>`
//! (verification only: new hashes are argon2id).
//!
//! We parse the string ourselves and call only the `bcrypt` crate's raw function, so the
//! cost is checked against the limits, and the input length against bcrypt's 72-byte
//! window, before any work. bcrypt silently ignores bytes past 72; we refuse them
//! (`password_too_long`) rather than let two different passwords share a hash.

use base64::alphabet::BCRYPT;
use base64::engine::general_purpose::NO_PAD;
use base64::engine::GeneralPurpose;
use base64::Engine;

use super::options::{HashLimits, Verification};
use crate::encoding::hex_encode;
use crate::error::{err, ErrorCode, Result};

/// bcrypt's own base64 (`./A-Za-z0-9`, no padding). Decoding is strict about trailing
/// bits, like Python's `bcrypt` (which uses the same Rust crate and engine).
const BCRYPT_B64: GeneralPurpose = GeneralPurpose::new(&BCRYPT, NO_PAD);

/// The longest input bcrypt takes without truncation.
pub(crate) const BCRYPT_MAX_INPUT: usize = 72;

/// What bcrypt is fed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BcryptInput {
    /// The UTF-8 password itself.
    Plain,
    /// The lowercase hex SHA-256 of the UTF-8 password (Django `bcrypt_sha256`, Tenxyte).
    Sha256Hex,
}

/// A parsed bcrypt string.
struct Mcf {
    cost: u32,
    salt: [u8; 16],
    hash: [u8; 23],
}

fn invalid(msg: &'static str) -> crate::Error {
    err(ErrorCode::InvalidHash, msg)
}

fn parse(encoded: &str) -> Result<Mcf> {
    let bytes = encoded.as_bytes();
    let (version, cost, body) = match bytes {
        [b'$', b'2', v, b'$', c1, c2, b'$', body @ ..] => (*v, [*c1, *c2], body),
        _ => return Err(invalid("bcrypt hash must look like $2b$NN$...")),
    };
    match version {
        b'a' | b'b' | b'y' => {}
        // `$2x$` marks crypt_blowfish's pre-2011 sign-extension bug: its hashes are not
        // standard bcrypt and cannot be verified correctly here.
        _ => {
            return Err(err(
                ErrorCode::UnsupportedHash,
                "bcrypt variant is not $2a$/$2b$/$2y$",
            ))
        }
    }
    let cost = match cost {
        [c1 @ b'0'..=b'9', c2 @ b'0'..=b'9'] => u32::from(c1 - b'0') * 10 + u32::from(c2 - b'0'),
        _ => return Err(invalid("bcrypt cost must be two digits")),
    };
    if !(4..=31).contains(&cost) {
        return Err(invalid("bcrypt cost must be between 04 and 31"));
    }
    let (salt_text, hash_text) = match body.split_at_checked(22) {
        Some((salt, hash)) if hash.len() == 31 => (salt, hash),
        _ => return Err(invalid("bcrypt hash must be 60 characters")),
    };
    let mut salt = [0u8; 16];
    let mut hash = [0u8; 23];
    decode_exact(salt_text, &mut salt)
        .ok_or_else(|| invalid("bcrypt salt is not bcrypt base64"))?;
    decode_exact(hash_text, &mut hash)
        .ok_or_else(|| invalid("bcrypt hash is not bcrypt base64"))?;
    Ok(Mcf { cost, salt, hash })
}

fn decode_exact(text: &[u8], out: &mut [u8]) -> Option<()> {
    let decoded = BCRYPT_B64.decode(text).ok()?;
    if decoded.len() != out.len() {
        return None;
    }
    out.copy_from_slice(&decoded);
    Some(())
}

/// Verifies `password` against a bare bcrypt string (the part after Django's `bcrypt$` or
/// `bcrypt_sha256$` prefix, or a bare stored hash).
pub(crate) fn verify_mcf(
    password: &str,
    encoded: &str,
    input: BcryptInput,
    limits: &HashLimits,
) -> Result<Verification> {
    let mcf = parse(encoded)?;
    if mcf.cost < limits.bcrypt_min_cost || mcf.cost > limits.bcrypt_max_cost {
        return Err(err(
            ErrorCode::UnsafeHashParameters,
            format!(
                "bcrypt cost {} is outside {}..={}",
                mcf.cost, limits.bcrypt_min_cost, limits.bcrypt_max_cost
            ),
        ));
    }
    let key: Vec<u8> = match input {
        BcryptInput::Plain => password.as_bytes().to_vec(),
        BcryptInput::Sha256Hex => {
            let digest = ring::digest::digest(&ring::digest::SHA256, password.as_bytes());
            hex_encode(digest.as_ref()).into_bytes()
        }
    };
    if key.len() > BCRYPT_MAX_INPUT {
        return Err(err(
            ErrorCode::PasswordTooLong,
            "bcrypt takes at most 72 bytes; longer input is refused, never truncated",
        ));
    }
    // bcrypt's key is the input followed by a NUL byte, cut at 72 bytes (so a 72-byte
    // password loses only the terminator, as in OpenBSD's implementation). A NUL inside
    // the password is kept, as Python's bcrypt does; C implementations stop at it, so they
    // never produce a hash that such a password could wrongly match here.
    let mut cstr = key;
    cstr.push(0);
    cstr.truncate(BCRYPT_MAX_INPUT);
    let out = ::bcrypt::bcrypt(mcf.cost, mcf.salt, &cstr);
    let computed = out.get(..23).unwrap_or(&[]);
    Ok(if crate::ct::eq(computed, &mcf.hash) {
        Verification::matched(true)
    } else {
        Verification::MISMATCH
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(pw: &str, enc: &str) -> Result<bool> {
        verify_mcf(pw, enc, BcryptInput::Plain, &HashLimits::default()).map(|v| v.valid)
    }

    /// OpenBSD / jBCrypt test vectors (as used by every bcrypt implementation's test suite).
    #[test]
    fn openbsd_vectors() {
        let vectors = [
            (
                "",
                "$2a$06$DCq7YPn5Rq63x1Lad4cll.TV4S6ytwfsfvkgY8jIucDrjc8deX1s.",
            ),
            (
                "a",
                "$2a$06$m0CrhHm10qJ3lXRY.5zDGO3rS2KdeeWLuGmsfGlMfOxih58VYVfxe",
            ),
            (
                "abc",
                "$2a$06$If6bvum7DFjUnE9p2uDeDu0YHzrHM6tf.iqN8.yx.jNN1ILEf7h0i",
            ),
            (
                "abcdefghijklmnopqrstuvwxyz",
                "$2a$06$.rCVZVOThsIa97pEDOxvGuRRgzG64bvtJ0938xuqzv18d3ZpQhstC",
            ),
            (
                "~!@#$%^&*()      ~!@#$%^&*()PNBFRD",
                "$2a$06$fPIsBO8qRqkjj273rfaOI.HtSV9jLDpTbZn782DC6/t7qT67P6FfO",
            ),
        ];
        for (pw, enc) in vectors {
            assert!(check(pw, enc).unwrap(), "{pw:?}");
            assert!(!check(&format!("{pw}x"), enc).unwrap(), "{pw:?}+x");
            // $2a$, $2b$ and $2y$ are the same algorithm for inputs under 256 bytes.
            assert!(check(pw, &enc.replacen("$2a$", "$2b$", 1)).unwrap());
            assert!(check(pw, &enc.replacen("$2a$", "$2y$", 1)).unwrap());
        }
    }

    #[test]
    fn longer_than_72_bytes_is_refused_not_truncated() {
        // A hash of the first 72 bytes: a truncating verifier would accept the longer input.
        let base = "x".repeat(72);
        let salt = [5u8; 16];
        let mut key = base.clone().into_bytes();
        key.truncate(72);
        let out = ::bcrypt::bcrypt(4, salt, &key);
        let enc = format!(
            "$2b$04${}{}",
            BCRYPT_B64.encode(salt),
            BCRYPT_B64.encode(&out[..23])
        );
        assert!(check(&base, &enc).unwrap(), "72 bytes is inside the window");
        let e = check(&format!("{base}y"), &enc).unwrap_err();
        assert_eq!(e.code(), ErrorCode::PasswordTooLong);
        // 72 bytes counted in UTF-8, not characters: 25 × "é" (2 bytes) = 50 bytes passes,
        // 37 × "é" = 74 bytes is refused.
        assert!(!check(&"é".repeat(25), &enc).unwrap());
        assert_eq!(
            check(&"é".repeat(37), &enc).unwrap_err().code(),
            ErrorCode::PasswordTooLong
        );
        // The SHA-256 hex pre-hash is always 64 bytes, so any length works there.
        let v = verify_mcf(
            &"z".repeat(500),
            &enc,
            BcryptInput::Sha256Hex,
            &HashLimits::default(),
        );
        assert!(!v.unwrap().valid);
    }

    #[test]
    fn sha256_hex_input() {
        // bcrypt over sha256("password").hexdigest(); the hash is built with the raw
        // function from the published SHA-256 of "password".
        let hex = "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8";
        let mut key = hex.as_bytes().to_vec();
        key.push(0);
        let salt = [1u8; 16];
        let out = ::bcrypt::bcrypt(4, salt, &key);
        let enc = format!(
            "$2b$04${}{}",
            BCRYPT_B64.encode(salt),
            BCRYPT_B64.encode(&out[..23])
        );
        let lim = HashLimits::default();
        assert!(
            verify_mcf("password", &enc, BcryptInput::Sha256Hex, &lim)
                .unwrap()
                .valid
        );
        assert!(
            !verify_mcf("password", &enc, BcryptInput::Plain, &lim)
                .unwrap()
                .valid
        );
        assert!(
            verify_mcf(hex, &enc, BcryptInput::Plain, &lim)
                .unwrap()
                .valid
        );
        // Upper-case hex is a different input.
        assert!(
            !verify_mcf(&hex.to_uppercase(), &enc, BcryptInput::Plain, &lim)
                .unwrap()
                .valid
        );
    }

    #[test]
    fn cost_limits_apply_before_work() {
        let v = "$2a$06$DCq7YPn5Rq63x1Lad4cll.TV4S6ytwfsfvkgY8jIucDrjc8deX1s.";
        // Cost 31 would run for days: it must be refused up front.
        for cost in ["17", "20", "31"] {
            let enc = v.replacen("$06$", &format!("${cost}$"), 1);
            assert_eq!(
                check("", &enc).unwrap_err().code(),
                ErrorCode::UnsafeHashParameters,
                "{cost}"
            );
        }
        let limits = HashLimits {
            bcrypt_min_cost: 10,
            ..HashLimits::default()
        };
        assert_eq!(
            verify_mcf("", v, BcryptInput::Plain, &limits)
                .unwrap_err()
                .code(),
            ErrorCode::UnsafeHashParameters
        );
    }

    #[test]
    fn malformed_pieces() {
        let v = "$2a$06$DCq7YPn5Rq63x1Lad4cll.TV4S6ytwfsfvkgY8jIucDrjc8deX1s.";
        let cases = [
            v.replacen("$06$", "$6$", 1),
            v.replacen("$06$", "$03$", 1),
            v.replacen("$06$", "$32$", 1),
            v.replacen("$06$", "$0a$", 1),
            v[..59].to_string(),
            format!("{v}."),
            v.replacen("DCq7", "DC+7", 1),
            // Last salt character with non-zero trailing bits ('.' -> '/' is not canonical).
            v.replacen("cll.", "cll/", 1),
            v.replacen("$2a", "$3a", 1),
            "$2a$06$".to_string(),
        ];
        for enc in &cases {
            assert_eq!(
                check("", enc).unwrap_err().code(),
                ErrorCode::InvalidHash,
                "{enc}"
            );
        }
        for enc in [v.replacen("$2a$", "$2x$", 1), v.replacen("$2a$", "$2c$", 1)] {
            assert_eq!(
                check("", &enc).unwrap_err().code(),
                ErrorCode::UnsupportedHash,
                "{enc}"
            );
        }
    }
}

/// Builds bcrypt strings for other modules' tests (cost 4, fixed salt).
#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;

    /// `$2b$04$…` over `text` itself.
    pub(crate) fn plain_bcrypt(text: &str) -> String {
        let salt = [3u8; 16];
        let mut key = text.as_bytes().to_vec();
        key.push(0);
        key.truncate(BCRYPT_MAX_INPUT);
        let out = ::bcrypt::bcrypt(4, salt, &key);
        format!(
            "$2b$04${}{}",
            BCRYPT_B64.encode(salt),
            BCRYPT_B64.encode(&out[..23])
        )
    }
}
