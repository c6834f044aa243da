//! Passwords: argon2id hashing, verification of the formats users already have in their
//! databases, the password policy, breach-check functions and backup codes.
//!
//! New hashes are always argon2id ([`hash`], or [`hash_django_argon2`] for a Django
//! `PASSWORD_HASHERS` entry). [`verify`] also reads the legacy formats (Django PBKDF2 and
//! bcrypt flavours, bare bcrypt, argon2i/argon2d) and answers `needs_rehash` so the host
//! can upgrade a hash on the next successful login.
//!
//! Verification reads its cost parameters from the stored hash, which an attacker with
//! write access to the database controls. Every parameter is checked against
//! [`HashLimits`] before any hashing work starts, so a tampered row cannot become a CPU
//! or memory denial of service (`unsafe_hash_parameters`).
//!
//! # Bare bcrypt is ambiguous
//!
//! A bare `$2a$`/`$2b$`/`$2y$` string says nothing about what was fed to bcrypt. Plain
//! bcrypt (PHP, Node, Rails, Python's `bcrypt.hashpw`) hashes the password itself; the
//! original Tenxyte framework stores bcrypt over the lowercase hex SHA-256 of the UTF-8
//! password under the same bare `$2b$` prefix. [`VerifyOptions::bare_bcrypt`] says which
//! one a deployment has ([`BareBcrypt::Plain`] by default, [`BareBcrypt::Sha256Hex`] for
//! a Tenxyte database). Choosing wrong makes every bare bcrypt hash fail to verify; it
//! never makes a wrong password pass. Django's prefixed flavours (`bcrypt$`,
//! `bcrypt_sha256$`) are unambiguous and ignore this setting.

mod argon2_phc;
pub mod backup_codes;
mod bcrypt_mcf;
pub mod breach;
mod common;
mod decimal;
mod django_pbkdf2;
mod options;
pub mod policy;
mod verify;

pub use argon2_phc::{hash, hash_django_argon2, hash_django_argon2_with_salt, hash_with_salt};
pub use options::{Argon2Params, BareBcrypt, HashLimits, Verification, VerifyOptions};
pub use verify::{check_history, verify};

/// The longest password (in UTF-8 bytes) any function here accepts: longer input is
/// `password_too_long`. The policy's own maximum (128 characters by default) is far below
/// this; the cap only keeps an oversized request body from turning into hashing work.
pub const MAX_PASSWORD_BYTES: usize = 4096;

/// The longest stored hash string [`verify`] parses; longer is `invalid_hash`. Every
/// supported format fits in well under 200 bytes.
pub const MAX_ENCODED_LEN: usize = 1024;
