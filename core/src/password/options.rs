//! The parameter and option types shared by hashing and verification.

use serde::{Deserialize, Serialize};

/// Cost parameters for new argon2id hashes, and the policy that `needs_rehash` compares
/// stored hashes against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Argon2Params {
    /// Memory in KiB (`m`).
    pub memory_kib: u32,
    /// Passes over memory (`t`).
    pub iterations: u32,
    /// Lanes (`p`). This crate computes the lanes one after another; `p` still changes
    /// the result, so it must match what other verifiers expect.
    pub parallelism: u32,
}

impl Default for Argon2Params {
    /// OWASP's minimum for argon2id: m = 19 MiB, t = 2, p = 1.
    fn default() -> Self {
        Argon2Params {
            memory_kib: 19_456,
            iterations: 2,
            parallelism: 1,
        }
    }
}

/// Bounds on the cost parameters a stored hash may ask for. A hash outside them is
/// refused with `unsafe_hash_parameters` before any work is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HashLimits {
    /// Largest argon2 `m` in KiB. Default 262144 (256 MiB).
    pub argon2_max_memory_kib: u32,
    /// Largest argon2 `t`. Default 16.
    pub argon2_max_iterations: u32,
    /// Largest argon2 `p`. Default 16.
    pub argon2_max_parallelism: u32,
    /// Largest PBKDF2 iteration count (the smallest is 1). Default 10,000,000, ten times
    /// Django 5.2's default.
    pub pbkdf2_max_iterations: u32,
    /// Smallest bcrypt cost. Default 4, bcrypt's own minimum.
    pub bcrypt_min_cost: u32,
    /// Largest bcrypt cost. Default 16 (about 5 s per check on a server core).
    pub bcrypt_max_cost: u32,
}

impl Default for HashLimits {
    fn default() -> Self {
        HashLimits {
            argon2_max_memory_kib: 262_144,
            argon2_max_iterations: 16,
            argon2_max_parallelism: 16,
            pbkdf2_max_iterations: 10_000_000,
            bcrypt_min_cost: 4,
            bcrypt_max_cost: 16,
        }
    }
}

/// What a bare `$2a$`/`$2b$`/`$2y$` bcrypt hash was computed over (see the module
/// documentation: the prefix alone cannot tell).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BareBcrypt {
    /// bcrypt over the UTF-8 password itself (PHP, Node, Python `bcrypt.hashpw`).
    /// Passwords over 72 bytes are refused with `password_too_long`, never truncated.
    #[default]
    Plain,
    /// bcrypt over the 64-character lowercase hex SHA-256 of the UTF-8 password, as the
    /// original Tenxyte framework's `User.set_password` stores it.
    Sha256Hex,
}

/// How [`verify`](super::verify) treats stored hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VerifyOptions {
    /// The current hashing policy: an argon2id hash with other parameters needs a rehash.
    pub target: Argon2Params,
    /// Bounds on the parameters a stored hash may ask for.
    pub limits: HashLimits,
    /// What bare bcrypt hashes were computed over.
    pub bare_bcrypt: BareBcrypt,
}

/// The outcome of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    /// The password matches the hash.
    pub valid: bool,
    /// Only ever true together with `valid`: the hash is not argon2id under the current
    /// parameters (`VerifyOptions::target`, version 0x13, 32-byte tag, salt of at least
    /// 16 bytes), so the host should store a fresh [`hash`](super::hash) now that it
    /// holds the plaintext.
    pub needs_rehash: bool,
}

impl Verification {
    /// The answer for a wrong password (or an unusable-password marker).
    pub(crate) const MISMATCH: Verification = Verification {
        valid: false,
        needs_rehash: false,
    };

    /// The answer for a right password.
    pub(crate) fn matched(needs_rehash: bool) -> Verification {
        Verification {
            valid: true,
            needs_rehash,
        }
    }
}

/// Cheap argon2 parameters for unit tests (never a default).
#[cfg(test)]
pub(crate) const TEST_PARAMS: Argon2Params = Argon2Params {
    memory_kib: 64,
    iterations: 1,
    parallelism: 1,
};
