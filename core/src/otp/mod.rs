//! One-time codes: HOTP (RFC 4226), TOTP (RFC 6238), `otpauth://` provisioning URIs and
//! their QR codes, and the numeric codes sent by email or SMS ([`numeric`]).
//!
//! Everything here is a pure function of its inputs: the time is a `now` value, replay
//! state (`last_used_step` for TOTP, the counter for HOTP, the [`numeric::CodeRecord`] for
//! sent codes) comes in and the new state goes out, and the host persists it. Keeping the
//! replay state in the signature means no binding can forget it: pyotp, which Tenxyte used,
//! leaves replay prevention to the caller.
//!
//! Codes are compared as fixed-length ASCII digit strings in constant time; leading zeros
//! matter, and Unicode digits, signs, spaces or a wrong length are `invalid_format` before
//! any comparison happens.

mod algorithm;
mod base32;
mod format;
mod hotp;
pub mod numeric;
mod qr;
mod shared_secret;
mod totp;
mod uri;

pub use algorithm::Algorithm;
pub use hotp::{hotp_code, Hotp, MAX_LOOK_AHEAD};
pub use qr::qr_svg;
pub use shared_secret::{OtpSecret, GENERATED_SECRET_BYTES, MAX_SECRET_BYTES, MIN_SECRET_BYTES};
pub use totp::{Totp, DEFAULT_PERIOD, DEFAULT_WINDOW, MAX_WINDOW};
pub use uri::{parse_uri, KeyUri, OtpKind};

/// The smallest number of digits a code may have (RFC 4226 §5.3).
pub const MIN_DIGITS: u32 = 6;
/// The largest number of digits a code may have: 31 bits of truncated HMAC give at most
/// 8 full decimal digits (RFC 4226 §5.3, RFC 6238 §1.2).
pub const MAX_DIGITS: u32 = 8;
/// The number of digits used when none is given (RFC 4226, pyotp, Google Authenticator).
pub const DEFAULT_DIGITS: u32 = 6;
