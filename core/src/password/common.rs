//! The common-password list.
//!
//! `common-passwords.txt` is the list Django ships as
//! `django/contrib/auth/common-passwords.txt.gz` (Django 5.2, BSD-3-Clause licence,
//! Copyright (c) Django Software Foundation and individual contributors), stored
//! decompressed: 20,000 common passwords, lowercased, unhexed and deduplicated (19,640
//! lines), created by Royce Williams
//! (<https://gist.github.com/roycewilliams/226886fd01572964e1431ac8afc999ce>).
//! The original Tenxyte framework's own 80-entry list is added on top, so everything it
//! rejected we reject too.

use std::collections::HashSet;
use std::sync::OnceLock;

const DJANGO_LIST: &str = include_str!("common-passwords.txt");

/// `PasswordValidator.COMMON_PASSWORDS` of Tenxyte 0.9.6.4.2 (entries Django's list
/// already holds are harmless duplicates).
const TENXYTE_LIST: &[&str] = &[
    "password",
    "password1",
    "password123",
    "password1234",
    "123456",
    "1234567",
    "12345678",
    "123456789",
    "1234567890",
    "qwerty",
    "qwerty123",
    "azerty",
    "azerty123",
    "abc123",
    "abc1234",
    "abcdef",
    "abcd1234",
    "admin",
    "admin123",
    "administrator",
    "root",
    "root123",
    "user",
    "user123",
    "guest",
    "guest123",
    "login",
    "login123",
    "welcome",
    "welcome1",
    "welcome123",
    "letmein",
    "monkey",
    "dragon",
    "master",
    "shadow",
    "sunshine",
    "princess",
    "football",
    "baseball",
    "soccer",
    "iloveyou",
    "trustno1",
    "superman",
    "batman",
    "starwars",
    "passw0rd",
    "p@ssword",
    "p@ssw0rd",
    "pass1234",
    "test",
    "test123",
    "test1234",
    "testing",
    "demo",
    "demo123",
    "secret",
    "secret123",
    "private",
    "access",
    "changeme",
    "temp",
    "temp123",
    "temporary",
    "hello",
    "hello123",
    "bonjour",
    "salut",
    "111111",
    "000000",
    "666666",
    "888888",
    "999999",
    "aaaaaa",
    "qqqqqq",
    "zzzzzz",
    "motdepasse",
    "soleil",
    "amour",
    "france",
];

fn set() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| {
        DJANGO_LIST
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .chain(TENXYTE_LIST.iter().copied())
            .collect()
    })
}

/// True when the password, lowercased, is on the list. Like Django, surrounding
/// whitespace is ignored for the lookup (Tenxyte compared without trimming; trimming only
/// rejects more).
pub(crate) fn is_common(password: &str) -> bool {
    let lower = password.to_lowercase();
    let s = set();
    s.contains(lower.as_str()) || s.contains(lower.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_is_big_and_case_insensitive() {
        assert!(set().len() >= 19_640, "{}", set().len());
        // Entries from Django's list: the first line, one from the middle, the last line.
        assert!(is_common("123456"));
        assert!(is_common("QWERTY"));
        assert!(is_common("Fallen_Angel"));
        assert!(is_common(" password "));
        // Tenxyte-only entries.
        assert!(is_common("MotDePasse"));
        assert!(!is_common("correct horse battery staple"));
        assert!(!is_common(""));
    }
}
