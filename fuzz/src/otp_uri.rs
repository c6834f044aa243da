//! `otp_uri`: `otp::parse_uri`, then writing the result back and reading it again.
//!
//! Oracles: errors are `invalid_input` or `invalid_secret`; a parsed URI has a non-empty
//! account without leading spaces and never an empty issuer (it could not be written
//! back); writing it with `provisioning_uri` (under its own issuer, or a stand-in when it
//! has none) and parsing that gives the same generator, issuer and account; and the
//! written form is canonical: parsing and writing it again reproduces it byte for byte.

use tenxyte_core::otp::{self, KeyUri, OtpKind};
use tenxyte_core::ErrorCode;

use crate::common::assert_code;

/// `parse_uri`'s length cap (`MAX_URI_LEN` in `core/src/otp/uri.rs`). Writing percent-
/// encodes, so a URI near the cap may be written longer than it.
pub const MAX_URI_LEN: usize = 4096;
/// The issuer written for a URI that names none (`provisioning_uri` requires one).
pub const STAND_IN_ISSUER: &str = "Fuzz Issuer";

/// The libFuzzer entry point.
pub fn check(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = check_text(text);
    }
}

fn write(uri: &KeyUri, issuer: &str) -> String {
    match &uri.otp {
        OtpKind::Totp(totp) => totp.provisioning_uri(issuer, &uri.account),
        OtpKind::Hotp { hotp, counter } => hotp.provisioning_uri(issuer, &uri.account, *counter),
    }
    .expect("a parsed URI can be written back")
}

/// Parses `text`, asserts the oracles and returns the parsed URI when it parsed.
pub fn check_text(text: &str) -> Option<KeyUri> {
    let parsed = match otp::parse_uri(text) {
        Ok(parsed) => parsed,
        Err(e) => {
            assert_code(
                &e,
                &[ErrorCode::InvalidInput, ErrorCode::InvalidSecret],
                "parse_uri",
            );
            return None;
        }
    };
    assert!(!parsed.account.is_empty() && !parsed.account.starts_with(' '));
    assert_ne!(parsed.issuer.as_deref(), Some(""), "parsed an empty issuer");
    let issuer = parsed
        .issuer
        .clone()
        .unwrap_or_else(|| STAND_IN_ISSUER.to_owned());
    let written = write(&parsed, &issuer);
    if written.len() <= MAX_URI_LEN {
        let reread = otp::parse_uri(&written)
            .unwrap_or_else(|e| panic!("written URI {written:?} does not parse: {e}"));
        let expected = KeyUri {
            issuer: Some(issuer.clone()),
            ..parsed.clone()
        };
        assert_eq!(reread, expected, "round trip through {written:?}");
        assert_eq!(
            write(&reread, &issuer),
            written,
            "written form is not canonical"
        );
    }
    Some(parsed)
}
