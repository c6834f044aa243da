//! Strict decimal numbers inside stored hashes.

/// Parses a canonical decimal `u32`: ASCII digits only, no sign, no leading zero (except
/// `"0"` itself), no whitespace. Anything else is `None`, so a stored hash has exactly one
/// spelling for each parameter.
pub(crate) fn parse_u32(text: &str) -> Option<u32> {
    let bytes = text.as_bytes();
    let canonical = match bytes {
        [] => false,
        [b'0'] => true,
        [b'0', ..] => false,
        _ => bytes.iter().all(u8::is_ascii_digit),
    };
    if canonical {
        text.parse().ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::parse_u32;

    #[test]
    fn only_canonical_digits() {
        assert_eq!(parse_u32("0"), Some(0));
        assert_eq!(parse_u32("19456"), Some(19456));
        assert_eq!(parse_u32("4294967295"), Some(u32::MAX));
        for bad in [
            "",
            "01",
            "+1",
            "-1",
            " 1",
            "1 ",
            "1_000",
            "4294967296",
            "１",
        ] {
            assert_eq!(parse_u32(bad), None, "{bad:?}");
        }
    }
}
