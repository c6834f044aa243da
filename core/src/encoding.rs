//! Byte encodings used across the core, each in its one strict form.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use base64::Engine;

/// base64url without padding (RFC 7515 §2).
pub fn b64url_encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Strict base64url: URL alphabet only, no padding, no whitespace, canonical trailing
/// bits. Anything else is `None`, so one token has exactly one encoding.
pub fn b64url_decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text.as_bytes()).ok()
}

/// Standard base64 with padding (as Django stores PBKDF2 digests).
pub fn b64_encode(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Standard base64 with padding, strict.
pub fn b64_decode(text: &str) -> Option<Vec<u8>> {
    STANDARD.decode(text.as_bytes()).ok()
}

/// Standard base64 without padding (PHC strings).
pub fn b64_nopad_encode(bytes: &[u8]) -> String {
    STANDARD_NO_PAD.encode(bytes)
}

/// Standard base64 without padding, strict (PHC strings).
pub fn b64_nopad_decode(text: &str) -> Option<Vec<u8>> {
    STANDARD_NO_PAD.decode(text.as_bytes()).ok()
}

/// Lowercase hexadecimal.
pub fn hex_encode(bytes: &[u8]) -> String {
    // Nibbles rather than `write!("{b:02x}")`: every agent request hashes its token and
    // names records by hex digests, and the formatter was a measurable share of it.
    // `from_digit` of a nibble (< 16) in radix 16 always succeeds, in lowercase.
    let digit = |n: u8| char::from_digit(u32::from(n), 16).unwrap_or('0');
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(digit(b >> 4));
        out.push(digit(b & 0x0f));
    }
    out
}

/// Hexadecimal in either case; `None` on odd length or a non-hex character.
pub fn hex_decode(text: &str) -> Option<Vec<u8>> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    bytes
        .chunks_exact(2)
        .map(|pair| match pair {
            [hi, lo] => Some(nibble(*hi)? << 4 | nibble(*lo)?),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn b64url_is_strict() {
        assert_eq!(b64url_encode(b"\xfb\xff"), "-_8");
        assert_eq!(b64url_decode("-_8").unwrap(), b"\xfb\xff");
        assert!(b64url_decode("-_8=").is_none(), "padding");
        assert!(b64url_decode("+/8").is_none(), "standard alphabet");
        assert!(b64url_decode("-_ 8").is_none(), "whitespace");
        // "-_9" decodes to the same bytes with non-zero trailing bits: not canonical.
        assert!(b64url_decode("-_9").is_none(), "trailing bits");
    }

    #[test]
    fn hex_round_trip() {
        assert_eq!(hex_encode(&[0, 0xab, 0xff]), "00abff");
        // Every byte, against the formatter it replaces.
        let all: Vec<u8> = (0..=255).collect();
        let expected: String = all.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex_encode(&all), expected);
        assert_eq!(hex_decode(&expected).unwrap(), all);
        assert_eq!(hex_decode("00ABff").unwrap(), vec![0, 0xab, 0xff]);
        assert!(hex_decode("abc").is_none());
        assert!(hex_decode("zz").is_none());
    }
}
