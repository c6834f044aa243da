//! argon2 in PHC string form (`$argon2id$v=19$m=…,t=…,p=…$<salt>$<tag>`), and Django's
//! `argon2$argon2id$…` flavour of it.
//!
//! We encode and parse the PHC string ourselves (the salt and tag are standard base64
//! without padding, strict) and call the `argon2` crate only for the raw function, so
//! every parameter is checked against the limits before the crate allocates anything.

use argon2::{Algorithm, Argon2, Params, Version};

use super::decimal::parse_u32;
use super::options::{Argon2Params, HashLimits, Verification};
use super::MAX_PASSWORD_BYTES;
use crate::encoding::{b64_nopad_decode, b64_nopad_encode};
use crate::error::{err, ErrorCode, Result};

/// Salt length for new hashes (OWASP: at least 16 bytes from a CSPRNG).
const SALT_LEN: usize = 16;
/// Tag length for new hashes (argon2-cffi's and Django's default).
const TAG_LEN: usize = 32;
/// Stored tags shorter than this would accept a wrong password too often (one in 2^(8·len)):
/// such a hash is refused as unsafe.
const MIN_STORED_TAG_LEN: usize = 16;
/// argon2's own lower bound on the salt.
const MIN_SALT_LEN: usize = 8;
/// Django's salt alphabet (`RANDOM_STRING_CHARS`) and length for 128 bits of entropy.
const DJANGO_SALT_CHARS: &[u8; 62] =
    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const DJANGO_SALT_LEN: usize = 22;

/// Hashes `password` with argon2id under `params` and a fresh 16-byte salt, as a PHC
/// string (`$argon2id$v=19$m=…,t=…,p=…$<salt>$<tag>`, 32-byte tag) that argon2-cffi,
/// libsodium and the reference implementation verify.
///
/// Errors: `invalid_setting` when `params` are not valid argon2 parameters,
/// `password_too_long` above [`MAX_PASSWORD_BYTES`], `internal` if randomness fails.
pub fn hash(password: &str, params: &Argon2Params) -> Result<String> {
    let salt = crate::random::bytes::<SALT_LEN>()?;
    hash_with_salt(password, params, &salt)
}

/// [`hash`] with a caller-chosen salt (at least 8 bytes), for test vectors.
pub fn hash_with_salt(password: &str, params: &Argon2Params, salt: &[u8]) -> Result<String> {
    let tag = compute_new(password, params, salt)?;
    Ok(format_phc(params, salt, &tag))
}

/// Hashes like [`hash`] in Django's `Argon2PasswordHasher` format
/// (`argon2$argon2id$v=19$m=…,t=…,p=…$<salt>$<tag>`), so a Django `PASSWORD_HASHERS`
/// entry backed by this crate writes rows Django itself verifies. The salt is 22
/// characters of Django's alphanumeric alphabet, as Django draws it (shorter salts make
/// Django's `must_update` ask for a rehash on every login).
pub fn hash_django_argon2(password: &str, params: &Argon2Params) -> Result<String> {
    let mut salt = [0u8; DJANGO_SALT_LEN];
    for byte in salt.iter_mut() {
        let index = crate::random::below(62)?;
        *byte = usize::try_from(index)
            .ok()
            .and_then(|i| DJANGO_SALT_CHARS.get(i).copied())
            .ok_or_else(|| err(ErrorCode::Internal, "salt index out of range"))?;
    }
    hash_django_argon2_with_salt(password, params, &salt)
}

/// [`hash_django_argon2`] with a caller-chosen salt, for test vectors.
pub fn hash_django_argon2_with_salt(
    password: &str,
    params: &Argon2Params,
    salt: &[u8],
) -> Result<String> {
    Ok(format!("argon2{}", hash_with_salt(password, params, salt)?))
}

fn compute_new(password: &str, params: &Argon2Params, salt: &[u8]) -> Result<[u8; TAG_LEN]> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(err(
            ErrorCode::PasswordTooLong,
            "password exceeds the input cap",
        ));
    }
    if salt.len() < MIN_SALT_LEN {
        return Err(err(
            ErrorCode::InvalidInput,
            "argon2 salt must be at least 8 bytes",
        ));
    }
    let p = Params::new(
        params.memory_kib,
        params.iterations,
        params.parallelism,
        Some(TAG_LEN),
    )
    .map_err(|e| {
        err(
            ErrorCode::InvalidSetting,
            format!("argon2 parameters rejected: {e}"),
        )
    })?;
    let mut tag = [0u8; TAG_LEN];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, p)
        .hash_password_into(password.as_bytes(), salt, &mut tag)
        .map_err(|e| err(ErrorCode::Internal, format!("argon2 failed: {e}")))?;
    Ok(tag)
}

fn format_phc(params: &Argon2Params, salt: &[u8], tag: &[u8]) -> String {
    format!(
        "$argon2id$v=19$m={},t={},p={}${}${}",
        params.memory_kib,
        params.iterations,
        params.parallelism,
        b64_nopad_encode(salt),
        b64_nopad_encode(tag)
    )
}

/// A parsed PHC argon2 string.
#[derive(Debug)]
struct Phc {
    algorithm: Algorithm,
    version: Version,
    params: Argon2Params,
    salt: Vec<u8>,
    tag: Vec<u8>,
}

fn invalid(msg: &'static str) -> crate::Error {
    err(ErrorCode::InvalidHash, msg)
}

/// Parses `$argon2{id,i,d}$[v=16|v=19$]m=M,t=T,p=P$<salt>$<tag>`. The version segment
/// is optional because hashes written before argon2 1.3 omit it (meaning 0x10). Extra
/// PHC parameters (`keyid`, `data`) are refused: nothing we interoperate with writes them.
fn parse(encoded: &str) -> Result<Phc> {
    let mut parts = encoded.split('$');
    if parts.next() != Some("") {
        return Err(invalid("argon2 hash must start with '$'"));
    }
    let algorithm = match parts.next() {
        Some("argon2id") => Algorithm::Argon2id,
        Some("argon2i") => Algorithm::Argon2i,
        Some("argon2d") => Algorithm::Argon2d,
        _ => return Err(err(ErrorCode::UnsupportedHash, "not an argon2 variant")),
    };
    let rest: Vec<&str> = parts.collect();
    let (version, param_text, salt_text, tag_text) = match rest.as_slice() {
        [v, m, s, t] => {
            let version = match *v {
                "v=19" => Version::V0x13,
                "v=16" => Version::V0x10,
                _ => return Err(invalid("argon2 version must be v=16 or v=19")),
            };
            (version, *m, *s, *t)
        }
        [m, s, t] => (Version::V0x10, *m, *s, *t),
        _ => return Err(invalid("argon2 hash has the wrong number of '$' segments")),
    };
    let params = parse_params(param_text)?;
    let salt = b64_nopad_decode(salt_text).ok_or_else(|| invalid("argon2 salt is not base64"))?;
    let tag = b64_nopad_decode(tag_text).ok_or_else(|| invalid("argon2 tag is not base64"))?;
    if salt.len() < MIN_SALT_LEN {
        return Err(invalid("argon2 salt is shorter than 8 bytes"));
    }
    if tag.len() < Params::MIN_OUTPUT_LEN {
        return Err(invalid("argon2 tag is shorter than 4 bytes"));
    }
    Ok(Phc {
        algorithm,
        version,
        params,
        salt,
        tag,
    })
}

/// `m=M,t=T,p=P` in that order (the PHC specification's order, which every writer uses).
fn parse_params(text: &str) -> Result<Argon2Params> {
    let mut fields = text.split(',');
    let mut take = |name: &str| -> Result<u32> {
        fields
            .next()
            .and_then(|f| f.strip_prefix(name))
            .and_then(|f| f.strip_prefix('='))
            .and_then(parse_u32)
            .ok_or_else(|| invalid("argon2 parameters must be m=<n>,t=<n>,p=<n>"))
    };
    let memory_kib = take("m")?;
    let iterations = take("t")?;
    let parallelism = take("p")?;
    if fields.next().is_some() {
        return Err(invalid("argon2 parameters must be m=<n>,t=<n>,p=<n>"));
    }
    Ok(Argon2Params {
        memory_kib,
        iterations,
        parallelism,
    })
}

/// Verifies a PHC argon2 string. Parameters are checked against `limits` before the
/// crate allocates memory.
pub(crate) fn verify_phc(
    password: &str,
    encoded: &str,
    target: &Argon2Params,
    limits: &HashLimits,
) -> Result<Verification> {
    let phc = parse(encoded)?;
    let p = &phc.params;
    if p.memory_kib > limits.argon2_max_memory_kib
        || p.iterations > limits.argon2_max_iterations
        || p.parallelism > limits.argon2_max_parallelism
    {
        return Err(err(
            ErrorCode::UnsafeHashParameters,
            format!(
                "argon2 m={},t={},p={} exceeds the limits m<={},t<={},p<={}",
                p.memory_kib,
                p.iterations,
                p.parallelism,
                limits.argon2_max_memory_kib,
                limits.argon2_max_iterations,
                limits.argon2_max_parallelism
            ),
        ));
    }
    if phc.tag.len() < MIN_STORED_TAG_LEN {
        return Err(err(
            ErrorCode::UnsafeHashParameters,
            "argon2 tag is shorter than 16 bytes",
        ));
    }
    let params = Params::new(
        p.memory_kib,
        p.iterations,
        p.parallelism,
        Some(phc.tag.len()),
    )
    .map_err(|e| {
        err(
            ErrorCode::InvalidHash,
            format!("argon2 parameters invalid: {e}"),
        )
    })?;
    let mut out = vec![0u8; phc.tag.len()];
    Argon2::new(phc.algorithm, phc.version, params)
        .hash_password_into(password.as_bytes(), &phc.salt, &mut out)
        .map_err(|e| {
            err(
                ErrorCode::InvalidHash,
                format!("argon2 rejected the hash: {e}"),
            )
        })?;
    if !crate::ct::eq(&out, &phc.tag) {
        return Ok(Verification::MISMATCH);
    }
    let current = phc.algorithm == Algorithm::Argon2id
        && phc.version == Version::V0x13
        && phc.params == *target
        && phc.tag.len() == TAG_LEN
        && phc.salt.len() >= SALT_LEN;
    Ok(Verification::matched(!current))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAST: Argon2Params = crate::password::options::TEST_PARAMS;

    fn verify(pw: &str, enc: &str) -> Result<Verification> {
        verify_phc(pw, enc, &FAST, &HashLimits::default())
    }

    /// RFC 9106 §5.3: argon2id, v=0x13, m=32, t=3, p=4, password 32×0x01, salt 16×0x02,
    /// secret K 8×0x03, associated data X 12×0x04, 32-byte tag.
    #[test]
    fn rfc9106_argon2id_known_answer() {
        let params = argon2::ParamsBuilder::new()
            .m_cost(32)
            .t_cost(3)
            .p_cost(4)
            .output_len(32)
            .data(argon2::AssociatedData::new(&[4u8; 12]).unwrap())
            .build()
            .unwrap();
        let ctx = Argon2::new_with_secret(&[3u8; 8], Algorithm::Argon2id, Version::V0x13, params)
            .unwrap();
        let mut out = [0u8; 32];
        ctx.hash_password_into(&[1u8; 32], &[2u8; 16], &mut out)
            .unwrap();
        assert_eq!(
            crate::encoding::hex_encode(&out),
            "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659"
        );
    }

    /// The reference implementation's test vector (argon2 `test.c`, v=0x13):
    /// argon2id, t=2, m=2^16, p=1, "password" / "somesalt".
    #[test]
    fn reference_phc_vector_verifies_and_is_reproduced() {
        let enc = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc";
        let target = Argon2Params {
            memory_kib: 65536,
            iterations: 2,
            parallelism: 1,
        };
        assert_eq!(
            hash_with_salt("password", &target, b"somesalt").unwrap(),
            enc
        );
        let v = verify_phc("password", enc, &target, &HashLimits::default()).unwrap();
        // 8-byte salt: valid, but below our 16-byte salt policy, so a rehash is asked for.
        assert_eq!(v, Verification::matched(true));
        assert!(!verify("passwore", enc).unwrap().valid);
    }

    #[test]
    fn round_trip_and_rehash_on_policy_change() {
        let enc = hash("correct horse", &FAST).unwrap();
        assert!(enc.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
        assert_eq!(
            verify("correct horse", &enc).unwrap(),
            Verification::matched(false)
        );
        assert_eq!(
            verify("correct horsf", &enc).unwrap(),
            Verification::MISMATCH
        );
        let stricter = Argon2Params {
            iterations: 2,
            ..FAST
        };
        let v = verify_phc("correct horse", &enc, &stricter, &HashLimits::default()).unwrap();
        assert_eq!(v, Verification::matched(true));
        // Fresh salts: two hashes of one password differ.
        assert_ne!(enc, hash("correct horse", &FAST).unwrap());
    }

    #[test]
    fn django_flavour_prefix_and_salt_alphabet() {
        let enc = hash_django_argon2("pw", &FAST).unwrap();
        let rest = enc
            .strip_prefix("argon2$argon2id$v=19$m=64,t=1,p=1$")
            .unwrap();
        let salt_b64 = rest.split('$').next().unwrap();
        let salt = b64_nopad_decode(salt_b64).unwrap();
        assert_eq!(salt.len(), 22);
        assert!(salt.iter().all(u8::is_ascii_alphanumeric));
    }

    #[test]
    fn bad_params_for_new_hashes() {
        for p in [
            Argon2Params {
                memory_kib: 7,
                ..FAST
            },
            Argon2Params {
                iterations: 0,
                ..FAST
            },
            Argon2Params {
                parallelism: 0,
                ..FAST
            },
            Argon2Params {
                memory_kib: 15,
                parallelism: 2,
                ..FAST
            },
        ] {
            assert_eq!(
                hash("x", &p).unwrap_err().code(),
                ErrorCode::InvalidSetting,
                "{p:?}"
            );
        }
        assert_eq!(
            hash_with_salt("x", &FAST, b"short").unwrap_err().code(),
            ErrorCode::InvalidInput
        );
        let long = "a".repeat(MAX_PASSWORD_BYTES + 1);
        assert_eq!(
            hash(&long, &FAST).unwrap_err().code(),
            ErrorCode::PasswordTooLong
        );
    }

    #[test]
    fn malformed_pieces_are_invalid_hash() {
        let good = hash_with_salt("pw", &FAST, &[7u8; 16]).unwrap();
        let (head, tag) = good.rsplit_once('$').unwrap();
        let cases = [
            good.replace("v=19", "v=18"),
            good.replace("v=19", "v=019"),
            good.replace("m=64", "m=064"),
            good.replace("m=64", "m=+64"),
            good.replace("m=64,t=1,p=1", "t=1,m=64,p=1"),
            good.replace("m=64,t=1,p=1", "m=64,t=1"),
            good.replace("m=64,t=1,p=1", "m=64,t=1,p=1,keyid=AAAA"),
            good.replace("m=64,t=1,p=1", "m=64,t=1,p=1,"),
            good.replace("m=64", "m=4294967296"),
            format!("{head}$"),       // empty tag
            format!("{head}${tag}="), // padding
            // Last of 43 characters carries 2 spare bits: 'B' sets one (not canonical).
            format!("{head}${}B", &tag[..tag.len() - 1]),
            format!("{head}${tag}AA"), // 45 characters is no base64 length
            format!("{good}$extra"),
            "$argon2id$v=19$m=64,t=1,p=1$AAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA".into(), // 6-byte salt
            "$argon2id$v=19$m=64,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$AA".into(),       // 1-byte tag
            "$argon2id$v=19$m=64,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA".into(),
            "argon2id$v=19$m=64,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA".into(),
        ];
        for enc in &cases {
            let e = verify("pw", enc).expect_err(enc);
            assert_eq!(e.code(), ErrorCode::InvalidHash, "{enc}: {e}");
        }
        // argon2's own constraints (t >= 1, p >= 1, m >= 8p) are malformed, not unsafe.
        for params in ["m=64,t=0,p=1", "m=64,t=1,p=0", "m=15,t=1,p=2"] {
            let enc = good.replace("m=64,t=1,p=1", params);
            assert_eq!(
                verify("pw", &enc).unwrap_err().code(),
                ErrorCode::InvalidHash,
                "{enc}"
            );
        }
        assert_eq!(
            verify("pw", &good.replace("argon2id", "argon2x"))
                .unwrap_err()
                .code(),
            ErrorCode::UnsupportedHash
        );
    }

    #[test]
    fn unsafe_parameters_are_refused_without_work() {
        let good = hash_with_salt("pw", &FAST, &[7u8; 16]).unwrap();
        // m = 4 GiB - 1 KiB would allocate 4 GiB if we did the work: the limit check must
        // come first (this test would abort on allocation or take minutes otherwise).
        for params in [
            "m=4294967295,t=1,p=1",
            "m=64,t=4294967295,p=1",
            "m=1048576,t=1,p=17",
        ] {
            let enc = good.replace("m=64,t=1,p=1", params);
            let e = verify("pw", &enc).unwrap_err();
            assert_eq!(e.code(), ErrorCode::UnsafeHashParameters, "{enc}");
        }
        // Exactly at the limits parses fine (checked with a tiny password/salt; m at the
        // limit would take real time, so the memory edge is checked with a lowered limit).
        let limits = HashLimits {
            argon2_max_memory_kib: 64,
            argon2_max_iterations: 1,
            argon2_max_parallelism: 1,
            ..HashLimits::default()
        };
        assert!(verify_phc("pw", &good, &FAST, &limits).unwrap().valid);
        let over = HashLimits {
            argon2_max_memory_kib: 63,
            ..limits
        };
        assert_eq!(
            verify_phc("pw", &good, &FAST, &over).unwrap_err().code(),
            ErrorCode::UnsafeHashParameters
        );
        // A 12-byte tag is well-formed argon2 but too short to trust.
        let short_tag = format!(
            "{}${}",
            good.rsplit_once('$').unwrap().0,
            b64_nopad_encode(&[0u8; 12])
        );
        assert_eq!(
            verify("pw", &short_tag).unwrap_err().code(),
            ErrorCode::UnsafeHashParameters
        );
    }

    #[test]
    fn legacy_variants_verify_and_need_rehash() {
        // Built with the raw function so the test does not depend on our encoder for them.
        for (alg, name) in [
            (Algorithm::Argon2i, "argon2i"),
            (Algorithm::Argon2d, "argon2d"),
        ] {
            let params = Params::new(64, 1, 1, Some(32)).unwrap();
            let mut tag = [0u8; 32];
            Argon2::new(alg, Version::V0x13, params)
                .hash_password_into(b"pw", &[9u8; 16], &mut tag)
                .unwrap();
            let enc = format!(
                "${name}$v=19$m=64,t=1,p=1${}${}",
                b64_nopad_encode(&[9u8; 16]),
                b64_nopad_encode(&tag)
            );
            assert_eq!(
                verify("pw", &enc).unwrap(),
                Verification::matched(true),
                "{name}"
            );
            // The variant is part of the hash: relabelling it breaks verification.
            let relabelled = enc.replacen(name, "argon2id", 1);
            assert!(!verify("pw", &relabelled).unwrap().valid, "{name}");
        }
        // v=16 (no version segment) verifies under 0x10 and needs a rehash.
        let params = Params::new(64, 1, 1, Some(32)).unwrap();
        let mut tag = [0u8; 32];
        Argon2::new(Algorithm::Argon2id, Version::V0x10, params)
            .hash_password_into(b"pw", &[9u8; 16], &mut tag)
            .unwrap();
        let body = format!(
            "m=64,t=1,p=1${}${}",
            b64_nopad_encode(&[9u8; 16]),
            b64_nopad_encode(&tag)
        );
        assert_eq!(
            verify("pw", &format!("$argon2id${body}")).unwrap(),
            Verification::matched(true)
        );
        assert_eq!(
            verify("pw", &format!("$argon2id$v=16${body}")).unwrap(),
            Verification::matched(true)
        );
        assert!(
            !verify("pw", &format!("$argon2id$v=19${body}"))
                .unwrap()
                .valid
        );
    }
}
