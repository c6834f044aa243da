//! The shape check every submitted code passes before any comparison.

use crate::error::{err, ErrorCode, Result};

/// Accepts exactly `digits` ASCII digits. Byte length is checked, so a string of
/// multi-byte Unicode digits (Arabic-Indic, full-width) never has the right length, and
/// signs, spaces and letters fail the digit test. pyotp NFKC-normalises before comparing,
/// which turns full-width digits into ASCII ones; we refuse them instead, so one code has
/// one spelling.
pub(crate) fn check_code_format(code: &str, digits: usize) -> Result<()> {
    if code.len() == digits && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(err(
            ErrorCode::InvalidFormat,
            format!("code must be exactly {digits} ASCII digits"),
        ))
    }
}
