//! Opaque random secrets with a kind prefix, stored as their SHA-256.
//!
//! A secret looks like `txr_` followed by 43 base64url characters: 32 bytes (256 bits)
//! from the system CSPRNG, well above the 128 bits ASVS asks of session and refresh
//! tokens. base64url keeps it safe in URLs (magic links), headers (`AgentBearer`) and
//! JSON without escaping. The prefix names what the secret is for:
//!
//! | kind | prefix | Tenxyte counterpart |
//! | --- | --- | --- |
//! | [`SecretKind::Agent`] | `txa_` | agent token (48 alphanumerics, SHA-256 hex stored) |
//! | [`SecretKind::Approval`] | `txp_` | HITL confirmation token (`token_urlsafe(64)`) |
//! | [`SecretKind::MagicLink`] | `txm_` | magic-link token (`token_urlsafe(32)`, SHA-256 hex stored) |
//! | [`SecretKind::Invitation`] | `txi_` | organization invitation token |
//! | [`SecretKind::Refresh`] | `txr_` | refresh token (UUID4, SHA-256 hex stored) |
//! | [`SecretKind::AppSecret`] | `txs_` | application secret (`token_hex(32)`) |
//! | [`SecretKind::AppKey`] | `txk_` | application access key (`token_hex(32)`) |
//!
//! The prefix does two jobs: secret scanners and people can tell what a leaked string is,
//! and [`check_kind`] refuses a secret of one kind where another is expected, so a refresh
//! token can never be presented as an agent token even if both tables were searched.
//!
//! Only [`Secret::hash`] is stored: the lowercase hex SHA-256 of the whole raw string,
//! prefix included. A 256-bit random value needs no salt or slow hash (ASVS v5 6.5.2
//! allows a plain hash from 112 bits up), and the hash doubles as the lookup key.
//!
//! Tenxyte's existing rows hold the same thing for unprefixed tokens — SHA-256 hex of the
//! raw agent token or refresh UUID — so [`verify`] (alias [`legacy_hash_matches`]) works on
//! them unchanged: a migrated deployment keeps accepting old tokens while issuing new,
//! prefixed ones. [`kind_of`] returns `None` for legacy tokens, and the host decides
//! whether to still accept them.

use std::fmt;

use ring::digest;

use crate::error::{err, ErrorCode, Result};
use crate::{ct, encoding, random};

/// Random bytes in a generated secret (256 bits).
pub const SECRET_BYTES: usize = 32;
/// Characters of the base64url body of a generated secret.
pub const BODY_LEN: usize = 43;
/// The longest raw secret [`verify`] hashes; longer input is refused unhashed. Generated
/// secrets are 47 characters and Tenxyte's longest (`token_urlsafe(64)`) 86.
pub const MAX_RAW_LEN: usize = 512;

/// What a secret is for; each kind has its own prefix (module table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretKind {
    /// An AI agent's bearer token (`AgentBearer`).
    Agent,
    /// A human-in-the-loop approval (confirmation) token.
    Approval,
    /// A magic-link login token.
    MagicLink,
    /// An organization invitation token.
    Invitation,
    /// An opaque refresh token.
    Refresh,
    /// An application's secret (`X-Access-Secret`).
    AppSecret,
    /// An application's access key (`X-Access-Key`).
    AppKey,
}

impl SecretKind {
    /// Every kind.
    pub const ALL: [SecretKind; 7] = [
        SecretKind::Agent,
        SecretKind::Approval,
        SecretKind::MagicLink,
        SecretKind::Invitation,
        SecretKind::Refresh,
        SecretKind::AppSecret,
        SecretKind::AppKey,
    ];

    /// The prefix, underscore included.
    pub fn prefix(self) -> &'static str {
        match self {
            SecretKind::Agent => "txa_",
            SecretKind::Approval => "txp_",
            SecretKind::MagicLink => "txm_",
            SecretKind::Invitation => "txi_",
            SecretKind::Refresh => "txr_",
            SecretKind::AppSecret => "txs_",
            SecretKind::AppKey => "txk_",
        }
    }

    /// A stable snake_case name for messages and bindings.
    pub fn as_str(self) -> &'static str {
        match self {
            SecretKind::Agent => "agent",
            SecretKind::Approval => "approval",
            SecretKind::MagicLink => "magic_link",
            SecretKind::Invitation => "invitation",
            SecretKind::Refresh => "refresh",
            SecretKind::AppSecret => "app_secret",
            SecretKind::AppKey => "app_key",
        }
    }
}

/// A freshly generated secret: the raw value to hand out once, and the hash to store.
///
/// `Debug` redacts the raw value, so logging a `Secret` leaks nothing usable.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    kind: SecretKind,
    raw: String,
    hash: String,
}

impl Secret {
    /// What the secret is for.
    pub fn kind(&self) -> SecretKind {
        self.kind
    }

    /// The raw value: show it to its owner once, never store it.
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// Lowercase hex SHA-256 of [`raw`](Self::raw): what the host stores and looks up by.
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// Splits into `(raw, hash)`.
    pub fn into_parts(self) -> (String, String) {
        (self.raw, self.hash)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secret")
            .field("kind", &self.kind)
            .field("raw", &format_args!("{}<redacted>", self.kind.prefix()))
            .field("hash", &self.hash)
            .finish()
    }
}

/// A new secret of `kind` from 32 bytes of the system CSPRNG.
pub fn generate(kind: SecretKind) -> Result<Secret> {
    Ok(generate_with_random(
        kind,
        &random::bytes::<SECRET_BYTES>()?,
    ))
}

/// [`generate`] with the 32 random bytes supplied, for test vectors.
pub fn generate_with_random(kind: SecretKind, random: &[u8; SECRET_BYTES]) -> Secret {
    let raw = format!("{}{}", kind.prefix(), encoding::b64url_encode(random));
    let hash = hash(&raw);
    Secret { kind, raw, hash }
}

/// Lowercase hex SHA-256 of the whole raw string (prefix included), as UTF-8 bytes.
pub fn hash(raw: &str) -> String {
    encoding::hex_encode(digest::digest(&digest::SHA256, raw.as_bytes()).as_ref())
}

/// True when `stored_hash` (64 hex digits, either case) is the SHA-256 of `raw`, compared
/// in constant time. False for a malformed stored hash or a raw value over
/// [`MAX_RAW_LEN`] bytes. Works for prefixed and legacy unprefixed secrets alike.
pub fn verify(raw: &str, stored_hash: &str) -> bool {
    if raw.len() > MAX_RAW_LEN {
        return false;
    }
    let Some(stored) = encoding::hex_decode(stored_hash).filter(|d| d.len() == 32) else {
        return false;
    };
    let actual = digest::digest(&digest::SHA256, raw.as_bytes());
    ct::eq(actual.as_ref(), &stored)
}

/// Tenxyte's stored tokens (agent tokens, refresh UUIDs, magic links) are the SHA-256 hex
/// of the unprefixed raw value, which is exactly what [`verify`] checks; this name says so
/// at call sites that handle pre-migration rows.
pub fn legacy_hash_matches(raw: &str, sha256_hex: &str) -> bool {
    verify(raw, sha256_hex)
}

/// The kind of a well-formed generated secret: known prefix followed by exactly 43
/// canonical base64url characters (32 bytes). `None` for anything else, including
/// Tenxyte's legacy unprefixed tokens.
pub fn kind_of(raw: &str) -> Option<SecretKind> {
    let kind = SecretKind::ALL
        .into_iter()
        .find(|k| raw.starts_with(k.prefix()))?;
    let body = raw.get(kind.prefix().len()..)?;
    let well_formed = body.len() == BODY_LEN
        && encoding::b64url_decode(body).is_some_and(|b| b.len() == SECRET_BYTES);
    well_formed.then_some(kind)
}

/// `Ok(())` when `raw` is a well-formed secret of `expected` kind; `invalid_input`
/// otherwise (other kind, no prefix, malformed body). Call it before looking up the hash,
/// so a secret issued for one purpose is never tried against another purpose's rows.
pub fn check_kind(raw: &str, expected: SecretKind) -> Result<()> {
    match kind_of(raw) {
        Some(kind) if kind == expected => Ok(()),
        Some(kind) => Err(err(
            ErrorCode::InvalidInput,
            format!(
                "expected a {} secret, got a {} secret",
                expected.as_str(),
                kind.as_str()
            ),
        )),
        None => Err(err(
            ErrorCode::InvalidInput,
            format!(
                "not a well-formed {} secret ({}<43 base64url characters>)",
                expected.as_str(),
                expected.prefix()
            ),
        )),
    }
}
