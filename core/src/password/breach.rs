//! Breached-password checks through the Pwned Passwords k-anonymity range API
//! (ASVS 6.2.12): only the first 5 hex digits of the password's SHA-1 leave the host.
//!
//! The core does no I/O: the host sends `GET /range/<prefix>` (with the header
//! `Add-Padding: true`, so the response size does not reveal the prefix's population)
//! and hands the body to [`count_in_range`]. What to do when the service is unreachable
//! (fail open or closed) is the host's policy.

use crate::error::{err, ErrorCode, Result};

/// The two halves of the password's upper-case hex SHA-1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeQuery {
    /// The first 5 hex digits: the only part sent to the service.
    pub prefix: String,
    /// The remaining 35 hex digits, looked up locally in the response.
    pub suffix: String,
}

/// Splits the SHA-1 of the UTF-8 password into the range prefix and the suffix to look for.
pub fn range_query(password: &str) -> RangeQuery {
    let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, password.as_bytes());
    let hex = crate::encoding::hex_encode(digest.as_ref()).to_ascii_uppercase();
    let (prefix, suffix) = hex.split_at_checked(5).unwrap_or((&hex, ""));
    RangeQuery {
        prefix: prefix.to_string(),
        suffix: suffix.to_string(),
    }
}

fn is_suffix(text: &str) -> bool {
    text.len() == 35 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// How often `suffix` appears in a range response body (lines `SUFFIX:COUNT`, CRLF or LF
/// separated). 0 when it does not appear; padding entries carry count 0, so matching one
/// also gives 0.
///
/// Errors: `invalid_input` when `suffix` is not 35 hex digits or a non-empty line is not
/// `<35 hex>:<decimal>`: a garbled response must not read as "not breached".
pub fn count_in_range(body: &str, suffix: &str) -> Result<u64> {
    if !is_suffix(suffix) {
        return Err(err(ErrorCode::InvalidInput, "suffix must be 35 hex digits"));
    }
    let wanted = suffix.to_ascii_uppercase();
    let mut found = 0u64;
    for line in body.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        let (entry, count) = line
            .split_once(':')
            .filter(|(entry, _)| is_suffix(entry))
            .ok_or_else(|| err(ErrorCode::InvalidInput, "range line is not SUFFIX:COUNT"))?;
        let count = super::decimal::parse_u32(count)
            .map(u64::from)
            .or_else(|| parse_u64(count))
            .ok_or_else(|| err(ErrorCode::InvalidInput, "range count is not a decimal"))?;
        // Keep scanning after a hit so a malformed later line is still refused and the
        // time taken does not depend on where the suffix is.
        if crate::ct::eq(entry.to_ascii_uppercase().as_bytes(), wanted.as_bytes()) {
            found = found.max(count);
        }
    }
    Ok(found)
}

/// Counts above `u32::MAX` (the most-breached passwords are near 10^8, so this is only
/// defence in depth): plain digits, no leading zero.
fn parse_u64(text: &str) -> Option<u64> {
    if text.is_empty() || text.starts_with('0') || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_sha1() {
        // SHA-1("password") = 5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8.
        let q = range_query("password");
        assert_eq!(q.prefix, "5BAA6");
        assert_eq!(q.suffix, "1E4C9B93F3F0682250B6CF8331B7EE68FD8");
        // SHA-1("") = DA39A3EE5E6B4B0D3255BFEF95601890AFD80709.
        let q = range_query("");
        assert_eq!(
            (q.prefix.as_str(), q.suffix.as_str()),
            ("DA39A", "3EE5E6B4B0D3255BFEF95601890AFD80709")
        );
    }

    #[test]
    fn parses_padded_responses() {
        let body = "003D68EB55068C33ACE09247EE4C639306B:3\r\n\
                    1E4C9B93F3F0682250B6CF8331B7EE68FD8:10434004\r\n\
                    1E4C9B93F3F0682250B6CF8331B7EE68FD9:0\r\n\
                    FFFFF0BB9D9A1A1C3F6D7E8A9B0C1D2E3F4:0\r\n";
        assert_eq!(
            count_in_range(body, "1E4C9B93F3F0682250B6CF8331B7EE68FD8").unwrap(),
            10_434_004
        );
        assert_eq!(
            count_in_range(body, "1e4c9b93f3f0682250b6cf8331b7ee68fd8").unwrap(),
            10_434_004
        );
        // A padding entry (count 0) and an absent suffix both give 0.
        assert_eq!(
            count_in_range(body, "1E4C9B93F3F0682250B6CF8331B7EE68FD9").unwrap(),
            0
        );
        assert_eq!(
            count_in_range(body, "0000000000000000000000000000000000A").unwrap(),
            0
        );
        // LF-only and a missing final newline are fine; the empty body is "not found".
        assert_eq!(
            count_in_range(
                "003D68EB55068C33ACE09247EE4C639306B:3",
                "003D68EB55068C33ACE09247EE4C639306B"
            )
            .unwrap(),
            3
        );
        assert_eq!(
            count_in_range("", "003D68EB55068C33ACE09247EE4C639306B").unwrap(),
            0
        );
        assert_eq!(
            count_in_range(
                &format!("003D68EB55068C33ACE09247EE4C639306B:{}\n", u64::MAX),
                "003D68EB55068C33ACE09247EE4C639306B"
            )
            .unwrap(),
            u64::MAX
        );
    }

    #[test]
    fn malformed_input_is_refused() {
        let s = "003D68EB55068C33ACE09247EE4C639306B";
        for body in [
            "003D68EB55068C33ACE09247EE4C639306B",
            "003D68EB55068C33ACE09247EE4C639306B:",
            "003D68EB55068C33ACE09247EE4C639306B:x",
            "003D68EB55068C33ACE09247EE4C639306B:-1",
            "003D68EB55068C33ACE09247EE4C639306B:01",
            "003D68EB55068C33ACE09247EE4C639306B: 1",
            "003D68EB55068C33ACE09247EE4C63930:1",
            "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:1",
            "ZZZD68EB55068C33ACE09247EE4C639306B:1",
            "<html>rate limited</html>",
            "003D68EB55068C33ACE09247EE4C639306B:3\r\ngarbage\r\n",
        ] {
            assert_eq!(
                count_in_range(body, s).unwrap_err().code(),
                ErrorCode::InvalidInput,
                "{body:?}"
            );
        }
        for bad in [
            "",
            "5BAA6",
            "1E4C9B93F3F0682250B6CF8331B7EE68FD8X",
            "1E4C9B93F3F0682250B6CF8331B7EE68FDG",
        ] {
            assert_eq!(
                count_in_range("", bad).unwrap_err().code(),
                ErrorCode::InvalidInput
            );
        }
    }
}
