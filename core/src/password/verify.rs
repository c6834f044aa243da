//! Verification of a password against a stored hash of any supported format, and the
//! password-history check built on it.

use super::argon2_phc::verify_phc;
use super::bcrypt_mcf::{verify_mcf, BcryptInput};
use super::django_pbkdf2::{verify_django_pbkdf2, Pbkdf2Digest};
use super::options::{BareBcrypt, Verification, VerifyOptions};
use super::{MAX_ENCODED_LEN, MAX_PASSWORD_BYTES};
use crate::error::{err, Category, ErrorCode, Result};

/// Checks `password` against a stored hash.
///
/// Formats: PHC `$argon2id$`, `$argon2i$`, `$argon2d$`; Django `argon2$argon2id$…` and
/// `argon2$argon2i$…`, `pbkdf2_sha256$…`, `pbkdf2_sha1$…`, `bcrypt_sha256$$2b$…` (bcrypt
/// over the lowercase hex SHA-256 of the password), `bcrypt$$2b$…`; bare `$2a$`, `$2b$`,
/// `$2y$` as [`VerifyOptions::bare_bcrypt`] says.
///
/// A wrong password is `Ok(valid: false)`. An unusable-password marker (empty, or
/// Django's `!…`) is `Ok(valid: false)` too, so no caller can mistake it for an error to
/// retry or to fall back from.
///
/// Errors (none of them means "wrong password"):
/// - `invalid_hash`: the stored string is malformed (or longer than [`MAX_ENCODED_LEN`]);
/// - `unsupported_hash`: a format this library does not verify (`md5$`, `scrypt$`, `$2x$`…);
/// - `unsafe_hash_parameters`: the stored cost is outside `opts.limits` (no work was done);
/// - `password_too_long`: over [`MAX_PASSWORD_BYTES`], or over 72 bytes for plain bcrypt.
pub fn verify(password: &str, encoded: &str, opts: &VerifyOptions) -> Result<Verification> {
    if encoded.is_empty() || encoded.starts_with('!') {
        return Ok(Verification::MISMATCH);
    }
    if encoded.len() > MAX_ENCODED_LEN {
        return Err(err(
            ErrorCode::InvalidHash,
            "stored hash is implausibly long",
        ));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(err(
            ErrorCode::PasswordTooLong,
            "password exceeds the input cap",
        ));
    }
    let limits = &opts.limits;
    if encoded.starts_with("$argon2") {
        return verify_phc(password, encoded, &opts.target, limits);
    }
    if let Some(rest) = encoded.strip_prefix("argon2$") {
        // Django prefixes the PHC string with its algorithm name.
        if !rest.starts_with("argon2") {
            return Err(err(
                ErrorCode::InvalidHash,
                "Django argon2 hash must be argon2$argon2…",
            ));
        }
        return verify_phc(password, &format!("${rest}"), &opts.target, limits);
    }
    if let Some(rest) = encoded.strip_prefix("pbkdf2_sha256$") {
        return verify_django_pbkdf2(password, rest, Pbkdf2Digest::Sha256, limits);
    }
    if let Some(rest) = encoded.strip_prefix("pbkdf2_sha1$") {
        return verify_django_pbkdf2(password, rest, Pbkdf2Digest::Sha1, limits);
    }
    if let Some(rest) = encoded.strip_prefix("bcrypt_sha256$") {
        return verify_mcf(password, rest, BcryptInput::Sha256Hex, limits);
    }
    if let Some(rest) = encoded.strip_prefix("bcrypt$") {
        return verify_mcf(password, rest, BcryptInput::Plain, limits);
    }
    if encoded.starts_with("$2") {
        let input = match opts.bare_bcrypt {
            BareBcrypt::Plain => BcryptInput::Plain,
            BareBcrypt::Sha256Hex => BcryptInput::Sha256Hex,
        };
        return verify_mcf(password, encoded, input, limits);
    }
    Err(err(
        ErrorCode::UnsupportedHash,
        "unrecognised password hash format",
    ))
}

/// Refuses a new password equal to any of the user's previous ones: `password_reused`
/// when any of `previous_hashes` verifies.
///
/// An entry that cannot be checked (malformed, unsupported, unsafe parameters, or a
/// plain-bcrypt entry the new password is too long for) is skipped: history is a
/// best-effort guard over old rows, and one corrupt row must not lock a user out of
/// changing their password. Such an entry cannot match anyway: a password too long for
/// bcrypt cannot have produced it without truncation. Errors outside the password
/// category (e.g. `internal`) still propagate.
pub fn check_history(password: &str, previous_hashes: &[&str], opts: &VerifyOptions) -> Result<()> {
    for (index, encoded) in previous_hashes.iter().enumerate() {
        match verify(password, encoded, opts) {
            Ok(v) if v.valid => {
                return Err(err(
                    ErrorCode::PasswordReused,
                    "the password was used recently; choose another",
                )
                .with_details(serde_json::json!({ "index": index })));
            }
            Ok(_) => {}
            Err(e) if e.category() == Category::Password => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::password::{hash, hash_django_argon2, Argon2Params, HashLimits};

    const FAST: Argon2Params = crate::password::options::TEST_PARAMS;

    fn opts() -> VerifyOptions {
        VerifyOptions {
            target: FAST,
            ..VerifyOptions::default()
        }
    }

    #[test]
    fn defaults_are_documented_values() {
        let o = VerifyOptions::default();
        assert_eq!(
            (
                o.target.memory_kib,
                o.target.iterations,
                o.target.parallelism
            ),
            (19456, 2, 1)
        );
        assert_eq!(o.bare_bcrypt, BareBcrypt::Plain);
        let l = HashLimits::default();
        assert_eq!(
            (
                l.argon2_max_memory_kib,
                l.argon2_max_iterations,
                l.argon2_max_parallelism
            ),
            (262_144, 16, 16)
        );
        assert_eq!(
            (
                l.pbkdf2_max_iterations,
                l.bcrypt_min_cost,
                l.bcrypt_max_cost
            ),
            (10_000_000, 4, 16)
        );
    }

    #[test]
    fn unusable_markers_never_verify() {
        for marker in [
            "",
            "!",
            "!abcdefghijklmnopqrstuvwxyz0123456789ABCD",
            "!$argon2id$whatever",
        ] {
            for pw in ["", "!", marker, "password"] {
                assert_eq!(
                    verify(pw, marker, &opts()).unwrap(),
                    Verification::MISMATCH,
                    "{marker:?}"
                );
            }
        }
    }

    #[test]
    fn unknown_formats_are_unsupported() {
        for enc in [
            "md5$salt$0123456789abcdef0123456789abcdef",
            "scrypt$16384$salt$8$1$AAAA",
            "sha1$salt$0123",
            "unsalted_md5$abc",
            "$6$rounds=5000$salt$hash",
            "$scrypt$ln=16,r=8,p=1$AAAA$AAAA",
            "$2x$06$DCq7YPn5Rq63x1Lad4cll.TV4S6ytwfsfvkgY8jIucDrjc8deX1s.",
            "5f4dcc3b5aa765d61d8327deb882cf99",
            "plaintext",
        ] {
            assert_eq!(
                verify("pw", enc, &opts()).unwrap_err().code(),
                ErrorCode::UnsupportedHash,
                "{enc}"
            );
        }
        assert_eq!(
            verify("pw", "argon2$bogus", &opts()).unwrap_err().code(),
            ErrorCode::InvalidHash
        );
        let long = format!("$argon2id${}", "A".repeat(MAX_ENCODED_LEN));
        assert_eq!(
            verify("pw", &long, &opts()).unwrap_err().code(),
            ErrorCode::InvalidHash
        );
    }

    #[test]
    fn dispatch_and_rehash() {
        let ours = hash("pw", &FAST).unwrap();
        assert_eq!(
            verify("pw", &ours, &opts()).unwrap(),
            Verification::matched(false)
        );
        let django = hash_django_argon2("pw", &FAST).unwrap();
        assert_eq!(
            verify("pw", &django, &opts()).unwrap(),
            Verification::matched(false)
        );
        assert_eq!(
            verify("px", &django, &opts()).unwrap(),
            Verification::MISMATCH
        );
        let too_long = "p".repeat(MAX_PASSWORD_BYTES + 1);
        assert_eq!(
            verify(&too_long, &ours, &opts()).unwrap_err().code(),
            ErrorCode::PasswordTooLong
        );
    }

    #[test]
    fn bare_bcrypt_mode_decides_the_input() {
        // Plain bcrypt of "password" (jBCrypt-style vector checked by Python's bcrypt).
        let plain = "$2a$06$m0CrhHm10qJ3lXRY.5zDGO3rS2KdeeWLuGmsfGlMfOxih58VYVfxe";
        let plain_opts = opts();
        let hex_opts = VerifyOptions {
            bare_bcrypt: BareBcrypt::Sha256Hex,
            ..opts()
        };
        assert_eq!(
            verify("a", plain, &plain_opts).unwrap(),
            Verification::matched(true)
        );
        assert!(!verify("a", plain, &hex_opts).unwrap().valid);
        // Django's bcrypt$ prefix is plain whatever the bare setting says.
        let prefixed = format!("bcrypt${plain}");
        assert!(verify("a", &prefixed, &hex_opts).unwrap().valid);
        assert!(
            !verify("a", &format!("bcrypt_sha256${plain}"), &plain_opts)
                .unwrap()
                .valid
        );
        let long = "a".repeat(73);
        assert_eq!(
            verify(&long, plain, &plain_opts).unwrap_err().code(),
            ErrorCode::PasswordTooLong
        );
        assert!(!verify(&long, plain, &hex_opts).unwrap().valid);
    }

    #[test]
    fn history() {
        let old1 = hash("first", &FAST).unwrap();
        let old2 = hash("second", &FAST).unwrap();
        let history = [
            "garbage",
            "$argon2id$v=19$m=4294967295,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA",
            "",
            old1.as_str(),
            old2.as_str(),
        ];
        assert!(check_history("third", &history, &opts()).is_ok());
        let e = check_history("second", &history, &opts()).unwrap_err();
        assert_eq!(e.code(), ErrorCode::PasswordReused);
        assert_eq!(e.details().unwrap()["index"], 4);
        assert_eq!(
            check_history("first", &history, &opts())
                .unwrap_err()
                .code(),
            ErrorCode::PasswordReused
        );
        assert!(check_history("x", &[], &opts()).is_ok());
        // A password too long for a plain-bcrypt entry skips that entry.
        let bcrypt_entry = "$2a$06$m0CrhHm10qJ3lXRY.5zDGO3rS2KdeeWLuGmsfGlMfOxih58VYVfxe";
        assert!(check_history(&"a".repeat(100), &[bcrypt_entry], &opts()).is_ok());
        assert!(check_history("a", &[bcrypt_entry], &opts()).is_err());
    }
}
