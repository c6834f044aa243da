//! Backup codes: single-use lookup secrets for account recovery.
//!
//! A code is 12 symbols from a 32-symbol lowercase alphabet without look-alikes (no `0`,
//! `1`, `l`, `o`), so 60 bits from the CSPRNG, shown as `xxxx-xxxx-xxxx`. Under 112 bits,
//! ASVS 5.0 §6.5.2 asks for a salted password hash, so each code is stored as argon2id.
//! The 60 bits are what protect a code, not the hash cost: [`hash_code`] may use lighter
//! parameters than passwords, which keeps a check over 10 codes quick.
//!
//! Codes are single use: [`find_match`] returns the index of the matching stored hash and
//! the caller deletes that entry atomically (compare-and-swap on the stored list), so two
//! concurrent logins cannot both spend it.
//!
//! The original Tenxyte framework's codes (16 hex digits `xxxxxxxx-xxxxxxxx`, each stored
//! as plain bcrypt cost 12 over that dashed lowercase form) are still accepted by
//! [`find_match`] against bcrypt entries.

use super::bcrypt_mcf::{verify_mcf, BcryptInput};
use super::options::{Argon2Params, VerifyOptions};
use crate::error::{err, ErrorCode, Result};

/// The 32 symbols: digits 2–9 and the letters without `l` and `o` (which read as `1`
/// and `0`).
pub const ALPHABET: &[u8; 32] = b"23456789abcdefghijkmnpqrstuvwxyz";

/// Symbols per code (12 × 5 bits = 60 bits).
pub const CODE_SYMBOLS: usize = 12;

/// The most codes one call generates.
pub const MAX_COUNT: usize = 100;

/// `count` fresh codes, formatted `xxxx-xxxx-xxxx`. Errors: `invalid_input` when `count`
/// is 0 or above [`MAX_COUNT`]; `internal` if randomness fails.
pub fn generate(count: usize) -> Result<Vec<String>> {
    if count == 0 || count > MAX_COUNT {
        return Err(err(
            ErrorCode::InvalidInput,
            "backup code count must be 1..=100",
        ));
    }
    (0..count).map(|_| generate_one()).collect()
}

fn generate_one() -> Result<String> {
    let mut out = String::with_capacity(CODE_SYMBOLS + 2);
    for i in 0..CODE_SYMBOLS {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        let index = crate::random::below(32)?;
        let symbol = usize::try_from(index)
            .ok()
            .and_then(|i| ALPHABET.get(i))
            .ok_or_else(|| err(ErrorCode::Internal, "alphabet index out of range"))?;
        out.push(char::from(*symbol));
    }
    Ok(out)
}

/// The canonical form of a typed code: ASCII-lowercased, spaces and `-` removed, which
/// must leave exactly 12 alphabet symbols. Nothing else is rewritten (no look-alike
/// mapping), so one code has one canonical form.
pub fn normalize(input: &str) -> Option<String> {
    let canon = strip(input);
    (canon.len() == CODE_SYMBOLS && canon.bytes().all(|b| ALPHABET.contains(&b))).then_some(canon)
}

fn strip(input: &str) -> String {
    input
        .chars()
        .filter(|c| *c != ' ' && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Tenxyte's form: 16 lowercase hex digits, re-dashed as `xxxxxxxx-xxxxxxxx`.
fn normalize_legacy(input: &str) -> Option<String> {
    let canon = strip(input);
    if canon.len() != 16 || !canon.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let (a, b) = canon.split_at_checked(8)?;
    Some(format!("{a}-{b}"))
}

/// The argon2id hash to store for `code` (its canonical form is hashed, so the display
/// dashes do not matter). Errors: `invalid_input` when `code` is not a backup code.
pub fn hash_code(code: &str, params: &Argon2Params) -> Result<String> {
    let canon = normalize(code).ok_or_else(|| err(ErrorCode::InvalidInput, "not a backup code"))?;
    super::hash(&canon, params)
}

/// The index in `stored` of the hash that `input` matches, or `None`. The caller deletes
/// that entry (single use).
///
/// New-style input is checked against argon2 entries; Tenxyte-style input (16 hex
/// digits) against bcrypt entries (plain bcrypt, whatever `opts.bare_bcrypt` says: that
/// is how Tenxyte stored codes). Input of neither shape matches nothing. An entry that
/// cannot be checked (malformed, unsupported, unsafe parameters) is skipped rather than
/// failing the login: it can never be spent, and one corrupt entry must not lock the
/// user out of the others.
pub fn find_match(input: &str, stored: &[&str], opts: &VerifyOptions) -> Result<Option<usize>> {
    enum Kind {
        Current(String),
        Legacy(String),
    }
    let kind = match (normalize(input), normalize_legacy(input)) {
        (Some(code), _) => Kind::Current(code),
        (None, Some(code)) => Kind::Legacy(code),
        (None, None) => return Ok(None),
    };
    for (index, entry) in stored.iter().enumerate() {
        let outcome = match &kind {
            Kind::Current(code) if entry.starts_with("$argon2") => super::verify(code, entry, opts),
            Kind::Legacy(code) if entry.starts_with("$2") => {
                verify_mcf(code, entry, BcryptInput::Plain, &opts.limits)
            }
            _ => continue,
        };
        match outcome {
            Ok(v) if v.valid => return Ok(Some(index)),
            Ok(_) => {}
            Err(e) if e.category() == crate::error::Category::Password => {}
            Err(e) => return Err(e),
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAST: Argon2Params = crate::password::options::TEST_PARAMS;

    #[test]
    fn generated_codes_have_the_documented_shape() {
        let codes = generate(10).unwrap();
        assert_eq!(codes.len(), 10);
        let mut seen = std::collections::HashSet::new();
        for code in &codes {
            assert_eq!(code.len(), 14);
            let groups: Vec<&str> = code.split('-').collect();
            assert_eq!(groups.len(), 3);
            assert!(groups.iter().all(|g| g.len() == 4));
            assert_eq!(normalize(code).unwrap(), code.replace('-', ""));
            assert!(seen.insert(code.clone()), "duplicate code");
        }
        // Over many codes every symbol appears and nothing outside the alphabet does.
        let many = generate(100).unwrap().concat().replace('-', "");
        for b in ALPHABET {
            assert!(many.as_bytes().contains(b), "{}", char::from(*b));
        }
        assert!(many.bytes().all(|b| ALPHABET.contains(&b)));
        assert_eq!(generate(0).unwrap_err().code(), ErrorCode::InvalidInput);
        assert_eq!(generate(101).unwrap_err().code(), ErrorCode::InvalidInput);
    }

    #[test]
    fn alphabet_is_32_distinct_unambiguous_symbols() {
        let mut sorted = ALPHABET.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 32);
        for bad in b"01lo" {
            assert!(!ALPHABET.contains(bad));
        }
    }

    #[test]
    fn normalisation() {
        assert_eq!(normalize("abcd-efgh-jkmn").as_deref(), Some("abcdefghjkmn"));
        assert_eq!(
            normalize(" ABCD EFGH-JKMN ").as_deref(),
            Some("abcdefghjkmn")
        );
        assert_eq!(
            normalize("abcd--efgh  jkmn").as_deref(),
            Some("abcdefghjkmn")
        );
        for bad in [
            "abcd-efgh-jkm",   // 11 symbols
            "abcd-efgh-jkmnp", // 13
            "abcd-efgh-jkm0",  // '0' is not in the alphabet
            "abcd-efgh-jkmo",  // nor 'o'
            "abcd_efgh_jkmn",  // only spaces and '-' are separators
            "abcd\tefgh-jkmn",
            "abcd-efgh-jkmＮ", // full-width letter: no Unicode folding
            "",
        ] {
            assert_eq!(normalize(bad), None, "{bad:?}");
        }
        assert_eq!(
            normalize_legacy("A1B2C3D4 E5F6A7B8").as_deref(),
            Some("a1b2c3d4-e5f6a7b8")
        );
        assert_eq!(normalize_legacy("a1b2c3d4-e5f6a7b"), None);
        assert_eq!(normalize_legacy("a1b2c3d4-e5f6a7bg"), None);
    }

    #[test]
    fn single_match_semantics() {
        let opts = VerifyOptions {
            target: FAST,
            ..VerifyOptions::default()
        };
        let codes = generate(3).unwrap();
        let hashes: Vec<String> = codes.iter().map(|c| hash_code(c, &FAST).unwrap()).collect();
        let mut stored: Vec<&str> = hashes.iter().map(String::as_str).collect();
        // A malformed entry in front is skipped, not fatal.
        stored.insert(0, "$argon2id$garbage");
        assert_eq!(find_match(&codes[1], &stored, &opts).unwrap(), Some(2));
        assert_eq!(
            find_match(&codes[0].to_uppercase().replace('-', " "), &stored, &opts).unwrap(),
            Some(1)
        );
        // Spent: once the caller removes the entry, the same code matches nothing.
        stored.remove(2);
        assert_eq!(find_match(&codes[1], &stored, &opts).unwrap(), None);
        assert_eq!(find_match("not a code", &stored, &opts).unwrap(), None);
        assert_eq!(find_match(&codes[2], &[], &opts).unwrap(), None);
        assert_eq!(
            hash_code("nope", &FAST).unwrap_err().code(),
            ErrorCode::InvalidInput
        );
        // A code never matches a bcrypt entry, even one made from its own text.
        let b = crate::password::bcrypt_mcf::tests_support::plain_bcrypt(&codes[2]);
        assert_eq!(find_match(&codes[2], &[b.as_str()], &opts).unwrap(), None);
    }
}
