//! `password_verify`: `password::verify` on a fuzzed password and stored hash.
//!
//! Input: one byte `n`, then the password (the next `n` bytes, or all that remain) and the
//! encoded hash (the rest); both UTF-8.
//!
//! The target runs with [`FUZZ_LIMITS`], far tighter than the defaults, so that any hash
//! the verifier agrees to compute finishes in milliseconds; run libFuzzer with
//! `-timeout=` to turn "took longer than the limits allow" into a reported crash.
//!
//! Oracles: never panics; errors are password codes (`invalid_hash`, `unsupported_hash`,
//! `unsafe_hash_parameters`, `password_too_long`); an unusable-password marker (empty or
//! `!…`) is `valid: false`; `needs_rehash` implies `valid`; and the parameter oracle: when
//! `verify` returns `Ok` for a real hash, its cost parameters, read here independently of
//! the core's parsers, lie within [`FUZZ_LIMITS`] (and so within
//! `VerifyOptions::default().limits`).

use tenxyte_core::password::{self, HashLimits, VerifyOptions};
use tenxyte_core::ErrorCode;

use crate::common::assert_code;

/// Limits under which every accepted hash is cheap (argon2 64 KiB × 2 passes, PBKDF2 2000
/// iterations, bcrypt cost 5).
pub const FUZZ_LIMITS: HashLimits = HashLimits {
    argon2_max_memory_kib: 64,
    argon2_max_iterations: 2,
    argon2_max_parallelism: 2,
    pbkdf2_max_iterations: 2_000,
    bcrypt_min_cost: 4,
    bcrypt_max_cost: 5,
};

/// The codes `verify` documents.
pub const PASSWORD_CODES: &[ErrorCode] = &[
    ErrorCode::InvalidHash,
    ErrorCode::UnsupportedHash,
    ErrorCode::UnsafeHashParameters,
    ErrorCode::PasswordTooLong,
];

/// Cost parameters read from an encoded hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cost {
    /// argon2 `m` (KiB), `t`, `p`.
    Argon2 { m: u64, t: u64, p: u64 },
    /// PBKDF2 iterations.
    Pbkdf2(u64),
    /// bcrypt log2 rounds.
    Bcrypt(u64),
}

/// Reads the cost parameters of a stored hash without the core's code. `None` when the
/// string is not in a shape this reader knows.
pub fn cost_of(encoded: &str) -> Option<Cost> {
    if let Some(rest) = encoded.strip_prefix("argon2$") {
        return argon2_cost(rest);
    }
    if let Some(rest) = encoded
        .strip_prefix('$')
        .filter(|r| r.starts_with("argon2"))
    {
        return argon2_cost(rest);
    }
    for prefix in ["pbkdf2_sha256$", "pbkdf2_sha1$"] {
        if let Some(rest) = encoded.strip_prefix(prefix) {
            return rest.split('$').next()?.parse().ok().map(Cost::Pbkdf2);
        }
    }
    let mcf = encoded
        .strip_prefix("bcrypt_sha256$")
        .or_else(|| encoded.strip_prefix("bcrypt$"))
        .unwrap_or(encoded);
    let mut fields = mcf.strip_prefix("$2")?.split('$');
    let _variant = fields.next()?;
    fields.next()?.parse().ok().map(Cost::Bcrypt)
}

fn argon2_cost(phc_without_dollar: &str) -> Option<Cost> {
    let params = phc_without_dollar.split('$').find(|f| f.contains("m="))?;
    let (mut m, mut t, mut p) = (None, None, None);
    for pair in params.split(',') {
        let (name, value) = pair.split_once('=')?;
        let value: u64 = value.parse().ok()?;
        match name {
            "m" => m = Some(value),
            "t" => t = Some(value),
            "p" => p = Some(value),
            _ => {}
        }
    }
    Some(Cost::Argon2 {
        m: m?,
        t: t?,
        p: p?,
    })
}

/// Whether `cost` lies within `limits`.
pub fn within(cost: Cost, limits: &HashLimits) -> bool {
    match cost {
        Cost::Argon2 { m, t, p } => {
            m <= u64::from(limits.argon2_max_memory_kib)
                && t <= u64::from(limits.argon2_max_iterations)
                && p <= u64::from(limits.argon2_max_parallelism)
        }
        Cost::Pbkdf2(n) => (1..=u64::from(limits.pbkdf2_max_iterations)).contains(&n),
        Cost::Bcrypt(c) => {
            (u64::from(limits.bcrypt_min_cost)..=u64::from(limits.bcrypt_max_cost)).contains(&c)
        }
    }
}

/// The libFuzzer entry point.
pub fn check(data: &[u8]) {
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let (password, encoded) = rest.split_at(usize::from(n).min(rest.len()));
    if let (Ok(password), Ok(encoded)) =
        (std::str::from_utf8(password), std::str::from_utf8(encoded))
    {
        check_pair(password, encoded);
    }
}

/// Verifies `password` against `encoded` under [`FUZZ_LIMITS`] and asserts the oracles.
pub fn check_pair(password: &str, encoded: &str) -> Option<password::Verification> {
    let options = VerifyOptions {
        limits: FUZZ_LIMITS,
        ..VerifyOptions::default()
    };
    match password::verify(password, encoded, &options) {
        Err(e) => {
            assert_code(&e, PASSWORD_CODES, "password::verify");
            None
        }
        Ok(v) => {
            assert!(!v.needs_rehash || v.valid, "needs_rehash without valid");
            if encoded.is_empty() || encoded.starts_with('!') {
                assert!(!v.valid, "an unusable-password marker verified");
                return Some(v);
            }
            let cost = cost_of(encoded)
                .unwrap_or_else(|| panic!("verify accepted {encoded:?}, whose cost is unreadable"));
            assert!(
                within(cost, &FUZZ_LIMITS),
                "verify ran {cost:?}, outside the limits"
            );
            assert!(within(cost, &VerifyOptions::default().limits));
            Some(v)
        }
    }
}
