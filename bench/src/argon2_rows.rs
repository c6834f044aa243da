//! argon2id hash and verify at OWASP's minimum (m = 19456 KiB, t = 2, p = 1): ours beside
//! the RustCrypto `argon2` crate. Each hash draws a fresh 16-byte salt and returns a PHC
//! string; each verify parses the PHC string it is given, as a login would.

use crate::fixtures::PASSWORD;
use crate::harness::{Bench, Kind, Speed};
use crate::versions;
use argon2::{PasswordHasher as _, PasswordVerifier as _};
use ring::rand::SecureRandom as _;
use std::hint::black_box;

/// m, in KiB.
pub const MEMORY_KIB: u32 = 19_456;
/// t, passes over memory.
pub const ITERATIONS: u32 = 2;
/// p, lanes.
pub const PARALLELISM: u32 = 1;

/// Operation names shared by ours and the anchor, so that they land in one comparison.
pub const HASH_OP: &str = "argon2id hash m=19456 t=2 p=1";
/// See [`HASH_OP`].
pub const VERIFY_OP: &str = "argon2id verify m=19456 t=2 p=1";

fn rustcrypto() -> argon2::Argon2<'static> {
    let params =
        argon2::Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None).expect("valid params");
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
}

fn rustcrypto_hash(
    hasher: &argon2::Argon2<'_>,
    rng: &ring::rand::SystemRandom,
    password: &str,
) -> String {
    let mut salt = [0u8; 16];
    rng.fill(&mut salt).expect("random salt");
    hasher
        .hash_password_with_salt(password.as_bytes(), &salt)
        .expect("argon2 hash")
        .to_string()
}

/// The anchor rows (RustCrypto `argon2`), then ours.
pub fn rows(b: &mut Bench) {
    let label = "argon2 (RustCrypto)";
    if b.wants(HASH_OP, label) || b.wants(VERIFY_OP, label) {
        let hasher = rustcrypto();
        let rng = ring::rand::SystemRandom::new();
        let encoded = rustcrypto_hash(&hasher, &rng, PASSWORD);
        assert!(
            encoded.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{encoded}"
        );
        assert!(hasher
            .verify_password(PASSWORD.as_bytes(), encoded.as_str())
            .is_ok());
        assert!(hasher
            .verify_password(b"wrong password", encoded.as_str())
            .is_err());

        b.measure(
            Speed::Slow,
            HASH_OP,
            label,
            Kind::Anchor,
            versions::ARGON2,
            || rustcrypto_hash(&hasher, &rng, black_box(PASSWORD)),
        );
        b.measure(
            Speed::Slow,
            VERIFY_OP,
            label,
            Kind::Anchor,
            versions::ARGON2,
            || hasher.verify_password(black_box(PASSWORD).as_bytes(), black_box(encoded.as_str())),
        );
    }
    ours_argon2_rows(b);
}

/// Our argon2id rows: `tenxyte_core::password::hash` / `verify` at the same parameters.
fn ours_argon2_rows(b: &mut Bench) {
    use tenxyte_core::password::{self, Argon2Params, VerifyOptions};
    let label = "tenxyte-core (ours)";
    if !(b.wants(HASH_OP, label) || b.wants(VERIFY_OP, label)) {
        return;
    }
    let params = Argon2Params {
        memory_kib: MEMORY_KIB,
        iterations: ITERATIONS,
        parallelism: PARALLELISM,
    };
    let opts = VerifyOptions {
        target: params,
        ..VerifyOptions::default()
    };
    let encoded = password::hash(PASSWORD, &params).expect("ours hashes");
    assert!(
        encoded.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{encoded}"
    );
    let ok = password::verify(PASSWORD, &encoded, &opts).expect("ours verifies");
    assert!(ok.valid && !ok.needs_rehash);
    assert!(
        !password::verify("wrong password", &encoded, &opts)
            .expect("ours verifies")
            .valid
    );
    // Our hash must verify with the anchor (same PHC format).
    assert!(rustcrypto()
        .verify_password(PASSWORD.as_bytes(), encoded.as_str())
        .is_ok());

    b.measure(
        Speed::Slow,
        HASH_OP,
        label,
        Kind::Ours,
        versions::TENXYTE_CORE,
        || password::hash(black_box(PASSWORD), &params),
    );
    b.measure(
        Speed::Slow,
        VERIFY_OP,
        label,
        Kind::Ours,
        versions::TENXYTE_CORE,
        || password::verify(black_box(PASSWORD), black_box(&encoded), &opts),
    );
}
