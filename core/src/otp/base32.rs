//! RFC 4648 §6 base32, the encoding of TOTP secrets in `otpauth://` URIs.
//!
//! Reading is lenient exactly where authenticators and pyotp are: lower case is accepted,
//! and padding may be left out (but if present it must complete the last 8-character
//! group). Everything else — whitespace, separators, the digits 0, 1, 8, 9, `=` in the
//! middle, impossible lengths — is refused. Unused trailing bits of the last character are
//! ignored, as Python's `base64.b32decode` does, because pyotp's `random_base32(n)` picks
//! characters at random and so leaves them non-zero for lengths that are not a multiple
//! of 8.

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Unpadded upper-case base32.
pub(crate) fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            push_symbol(&mut out, (buffer >> bits) & 0x1f);
        }
        // Keep only the bits not yet emitted so the buffer never overflows.
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        push_symbol(&mut out, (buffer << (5 - bits)) & 0x1f);
    }
    out
}

fn push_symbol(out: &mut String, index: u32) {
    if let Some(&c) = usize::try_from(index).ok().and_then(|i| ALPHABET.get(i)) {
        out.push(char::from(c));
    }
}

fn symbol_value(c: u8) -> Option<u32> {
    match c {
        b'A'..=b'Z' => Some(u32::from(c - b'A')),
        b'a'..=b'z' => Some(u32::from(c - b'a')),
        b'2'..=b'7' => Some(u32::from(c - b'2') + 26),
        _ => None,
    }
}

/// Decodes base32 under the rules in the module comment; `None` when the text breaks them.
pub(crate) fn decode(text: &str) -> Option<Vec<u8>> {
    let data = text.trim_end_matches('=');
    let padding = text.len() - data.len();
    // A final group of 8 symbols carries 5 bytes; 1, 3 or 6 leftover symbols cannot end
    // on a byte boundary.
    if !matches!(data.len() % 8, 0 | 2 | 4 | 5 | 7) {
        return None;
    }
    if padding >= 8 || (padding != 0 && !(data.len() + padding).is_multiple_of(8)) {
        return None;
    }
    let mut out = Vec::with_capacity(data.len() * 5 / 8);
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    for c in data.bytes() {
        buffer = (buffer << 5) | symbol_value(c)?;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((buffer >> bits) & 0xff).ok()?);
            buffer &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4648_section10_vectors() {
        let cases: [(&str, &str); 7] = [
            ("", ""),
            ("f", "MY======"),
            ("fo", "MZXQ===="),
            ("foo", "MZXW6==="),
            ("foob", "MZXW6YQ="),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI======"),
        ];
        for (plain, padded) in cases {
            assert_eq!(encode(plain.as_bytes()), padded.trim_end_matches('='));
            assert_eq!(decode(padded).unwrap(), plain.as_bytes(), "{padded}");
            assert_eq!(
                decode(padded.trim_end_matches('=')).unwrap(),
                plain.as_bytes()
            );
            assert_eq!(decode(&padded.to_lowercase()).unwrap(), plain.as_bytes());
        }
    }

    #[test]
    fn rejects_everything_else() {
        for bad in [
            "M",         // 1 leftover symbol
            "MZX",       // 3 leftover symbols
            "MZXW6Y",    // 6 leftover symbols
            "MZXW 6YTB", // space
            "MZXW-6YTB", // separator
            "MZXW6YT0",  // 0 is not in the alphabet
            "MZXW6YT1",  // nor 1
            "MZ=XW6YTB", // padding inside
            "MZXQ==",    // partial padding
            "MY=======", // too much padding
            "========",  // nothing but padding
            "MZXW6YTÉ",  // non-ASCII
        ] {
            assert!(decode(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn ignores_unused_trailing_bits_like_python() {
        // "MZXQ" and "MZXR" differ only in the last symbol's four unused bits, which
        // Python's b32decode discards too.
        assert_eq!(decode("MZXR").unwrap(), decode("MZXQ").unwrap());
    }
}
