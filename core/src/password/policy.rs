//! The password policy: rules a new password must meet, and a strength meter.
//!
//! The default is OWASP ASVS 5.0 (§6.2): at least 8 characters, at least 64 allowed
//! (128 by default), no composition rules, a common-password check and a check against
//! words from the user's context. The original Tenxyte framework's rules (character
//! classes, distinct characters, sequences, repetition) are available as settings;
//! [`PasswordPolicy::tenxyte`] turns them all on as Tenxyte had them.
//!
//! Lengths count Unicode scalar values. The password is never truncated or case-folded
//! for storage; comparisons against lists and context words are case-insensitive.
//!
//! # Score
//!
//! The score (0–100) is Tenxyte's `PasswordValidator` meter, the same whichever rules
//! reject (as if Tenxyte's `check_common` and `check_sequences` were on, their defaults):
//!
//! | condition | points |
//! | --- | --- |
//! | length ≥ `min_length` | +20, then +10 at ≥ 12 and +10 more at ≥ 16 |
//! | an ASCII upper-case letter / lower-case letter / digit | +10 each |
//! | a special character from ``!@#$%^&*()_+-=[]{};':"\|,.<>/?`~`` | +15 |
//! | ≥ 8 distinct characters (of the lower-cased password) and not below `min_unique_chars` | +10 |
//! | common password | −30 |
//! | a 4-character run of `0123456789`, `abc…z`, `qwertyuiop`, `azertyuiop` or their reverses (lower-cased) | −20 |
//! | contains the e-mail's local part (≥ 3 characters) | −15 |
//! | contains the username (≥ 3 characters) | −15 |
//! | one character 4 or more times in a row | −10 |
//!
//! The total never goes below 0; an empty password scores 0. Other context words are a
//! violation but cost no points (Tenxyte had none). Strength: below 30 `weak`, below 50
//! `fair`, below 70 `good`, below 90 `strong`, otherwise `excellent`. Tenxyte's own probe
//! `Str0ng!Passw0rd#2024` scores 95 (`excellent`); `tests/interop` replays scores computed
//! by Tenxyte's validator itself.

use serde::{Deserialize, Serialize};

use super::common::is_common;
use crate::error::{err, ErrorCode, Result};

/// Which rules a new password must meet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PasswordPolicy {
    /// Fewest characters (Unicode scalar values). ASVS: at least 8.
    pub min_length: usize,
    /// Most characters. ASVS: at least 64 must be allowed; default 128.
    pub max_length: usize,
    /// Require an ASCII upper-case letter (Tenxyte rule; ASVS says no composition rules).
    pub require_uppercase: bool,
    /// Require an ASCII lower-case letter (Tenxyte rule).
    pub require_lowercase: bool,
    /// Require an ASCII digit (Tenxyte rule).
    pub require_digit: bool,
    /// Require one of ``!@#$%^&*()_+-=[]{};':"\|,.<>/?`~`` (Tenxyte rule).
    pub require_special: bool,
    /// Fewest distinct characters of the lower-cased password; 0 turns the rule off
    /// (Tenxyte: 5).
    pub min_unique_chars: usize,
    /// Reject passwords on the common-password list (Django's 20,000 plus Tenxyte's list).
    pub check_common: bool,
    /// Reject passwords containing the e-mail's local part, the username or another
    /// context word (each only when at least 3 characters long).
    pub check_context_words: bool,
    /// Reject 4-character keyboard or alphabet runs such as `1234`, `abcd`, `qwer` (Tenxyte rule).
    pub reject_sequences: bool,
    /// Reject a character repeated 4 or more times in a row (Tenxyte rule).
    pub reject_repetition: bool,
}

impl Default for PasswordPolicy {
    /// ASVS: 8..=128 characters, no composition rules, common and context checks on.
    fn default() -> Self {
        PasswordPolicy {
            min_length: 8,
            max_length: 128,
            require_uppercase: false,
            require_lowercase: false,
            require_digit: false,
            require_special: false,
            min_unique_chars: 0,
            check_common: true,
            check_context_words: true,
            reject_sequences: false,
            reject_repetition: false,
        }
    }
}

impl PasswordPolicy {
    /// The original Tenxyte framework's validator defaults: every character class
    /// required, 5 distinct characters, sequences and repetition rejected.
    pub fn tenxyte() -> Self {
        PasswordPolicy {
            require_uppercase: true,
            require_lowercase: true,
            require_digit: true,
            require_special: true,
            min_unique_chars: 5,
            reject_sequences: true,
            reject_repetition: true,
            ..PasswordPolicy::default()
        }
    }

    /// Checks the policy itself: `invalid_setting` when `min_length` is 0,
    /// `max_length` is below 64 (ASVS 6.2.9) or below `min_length`.
    pub fn validate(&self) -> Result<()> {
        if self.min_length == 0 {
            return Err(err(
                ErrorCode::InvalidSetting,
                "password min_length must be at least 1",
            ));
        }
        if self.max_length < 64 {
            return Err(err(
                ErrorCode::InvalidSetting,
                "password max_length must allow at least 64 characters",
            ));
        }
        if self.max_length < self.min_length {
            return Err(err(
                ErrorCode::InvalidSetting,
                "password max_length is below min_length",
            ));
        }
        Ok(())
    }
}

/// Words from the user's context a password must not contain.
#[derive(Debug, Clone, Copy, Default)]
pub struct PolicyContext<'a> {
    /// The user's e-mail address; its local part (before the first `@`) is checked.
    pub email: Option<&'a str>,
    /// The user's username.
    pub username: Option<&'a str>,
    /// Other words: the service's name, the user's first and last names, …
    pub other: &'a [&'a str],
}

/// Which rule a password broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ViolationCode {
    /// Fewer than `min_length` characters (always the only violation of an empty password).
    TooShort,
    /// More than `max_length` characters.
    TooLong,
    /// No ASCII upper-case letter.
    MissingUppercase,
    /// No ASCII lower-case letter.
    MissingLowercase,
    /// No ASCII digit.
    MissingDigit,
    /// No special character.
    MissingSpecial,
    /// Fewer distinct characters than `min_unique_chars`.
    TooFewUniqueChars,
    /// On the common-password list.
    CommonPassword,
    /// Contains a 4-character run such as `1234` or `qwer`.
    ContainsSequence,
    /// Contains the e-mail's local part.
    ContainsEmail,
    /// Contains the username.
    ContainsUsername,
    /// Contains one of the other context words.
    ContainsContextWord,
    /// A character repeated 4 or more times in a row.
    RepeatedCharacters,
}

impl ViolationCode {
    /// The stable snake_case string of the code.
    pub fn as_str(self) -> &'static str {
        match self {
            ViolationCode::TooShort => "too_short",
            ViolationCode::TooLong => "too_long",
            ViolationCode::MissingUppercase => "missing_uppercase",
            ViolationCode::MissingLowercase => "missing_lowercase",
            ViolationCode::MissingDigit => "missing_digit",
            ViolationCode::MissingSpecial => "missing_special",
            ViolationCode::TooFewUniqueChars => "too_few_unique_chars",
            ViolationCode::CommonPassword => "common_password",
            ViolationCode::ContainsSequence => "contains_sequence",
            ViolationCode::ContainsEmail => "contains_email",
            ViolationCode::ContainsUsername => "contains_username",
            ViolationCode::ContainsContextWord => "contains_context_word",
            ViolationCode::RepeatedCharacters => "repeated_characters",
        }
    }
}

/// One broken rule, with a message for the user (English; hosts may translate by code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// Which rule.
    pub code: ViolationCode,
    /// A human-readable explanation.
    pub message: String,
}

/// The meter's verdict, from the score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strength {
    /// Score below 30.
    Weak,
    /// 30 to 49.
    Fair,
    /// 50 to 69.
    Good,
    /// 70 to 89.
    Strong,
    /// 90 and above.
    Excellent,
}

impl Strength {
    /// The strength for a score.
    pub fn from_score(score: u8) -> Strength {
        match score {
            0..=29 => Strength::Weak,
            30..=49 => Strength::Fair,
            50..=69 => Strength::Good,
            70..=89 => Strength::Strong,
            _ => Strength::Excellent,
        }
    }
}

/// The result of [`check`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyReport {
    /// True when no rule is broken.
    pub valid: bool,
    /// Every broken rule, in a fixed order.
    pub violations: Vec<Violation>,
    /// The strength meter, 0–100 (see the module documentation).
    pub score: u8,
    /// The verdict for the score.
    pub strength: Strength,
}

/// Tenxyte's special characters.
const SPECIALS: &str = "!@#$%^&*()_+-=[]{};':\"\\|,.<>/?`~";

/// Runs whose 4-character windows count as predictable sequences.
const SEQUENCES: [&str; 7] = [
    "0123456789",
    "9876543210",
    "abcdefghijklmnopqrstuvwxyz",
    "zyxwvutsrqponmlkjihgfedcba",
    "azertyuiop",
    "qwertyuiop",
    "poiuytreza",
];

fn has_sequence(lower: &str) -> bool {
    SEQUENCES.iter().any(|seq| {
        seq.as_bytes()
            .windows(4)
            .filter_map(|w| std::str::from_utf8(w).ok())
            .any(|w| lower.contains(w))
    })
}

/// A character (other than a line feed, as in Tenxyte's regex `(.)\1{3,}`) four or more
/// times in a row, case-sensitively.
fn has_repetition(password: &str) -> bool {
    let mut run = 0usize;
    let mut prev = None;
    for c in password.chars() {
        if Some(c) == prev && c != '\n' {
            run += 1;
            if run >= 4 {
                return true;
            }
        } else {
            prev = Some(c);
            run = 1;
        }
    }
    false
}

/// Contains `word`, case-insensitively, when `word` has at least 3 characters.
fn contains_word(lower_password: &str, word: &str) -> bool {
    word.chars().count() >= 3 && lower_password.contains(&word.to_lowercase())
}

fn violation(code: ViolationCode, message: String) -> Violation {
    Violation { code, message }
}

/// Checks `password` against `policy`, with the user's context words. Never fails: an
/// unreasonable policy is caught by [`PasswordPolicy::validate`] when settings load.
pub fn check(password: &str, policy: &PasswordPolicy, ctx: &PolicyContext<'_>) -> PolicyReport {
    use ViolationCode as V;
    if password.is_empty() {
        return PolicyReport {
            valid: false,
            violations: vec![violation(V::TooShort, "a password is required".into())],
            score: 0,
            strength: Strength::Weak,
        };
    }
    let mut out = Vec::new();
    let mut score: i32 = 0;
    let len = password.chars().count();
    if len < policy.min_length {
        out.push(violation(
            V::TooShort,
            format!("use at least {} characters", policy.min_length),
        ));
    } else {
        score += 20;
        if len >= 12 {
            score += 10;
        }
        if len >= 16 {
            score += 10;
        }
    }
    if len > policy.max_length {
        out.push(violation(
            V::TooLong,
            format!("use at most {} characters", policy.max_length),
        ));
    }

    let classes: [(bool, bool, i32, ViolationCode, &str); 4] = [
        (
            password.chars().any(|c| c.is_ascii_uppercase()),
            policy.require_uppercase,
            10,
            V::MissingUppercase,
            "add an upper-case letter (A-Z)",
        ),
        (
            password.chars().any(|c| c.is_ascii_lowercase()),
            policy.require_lowercase,
            10,
            V::MissingLowercase,
            "add a lower-case letter (a-z)",
        ),
        (
            password.chars().any(|c| c.is_ascii_digit()),
            policy.require_digit,
            10,
            V::MissingDigit,
            "add a digit (0-9)",
        ),
        (
            password.chars().any(|c| SPECIALS.contains(c)),
            policy.require_special,
            15,
            V::MissingSpecial,
            "add a special character such as !@#$%",
        ),
    ];
    for (present, required, points, code, message) in classes {
        if present {
            score += points;
        } else if required {
            out.push(violation(code, message.into()));
        }
    }

    let lower = password.to_lowercase();
    let unique = {
        let mut chars: Vec<char> = lower.chars().collect();
        chars.sort_unstable();
        chars.dedup();
        chars.len()
    };
    if unique < policy.min_unique_chars {
        out.push(violation(
            V::TooFewUniqueChars,
            format!(
                "use at least {} different characters",
                policy.min_unique_chars
            ),
        ));
    } else if unique >= 8 {
        score += 10;
    }

    if is_common(password) {
        score -= 30;
        if policy.check_common {
            out.push(violation(
                V::CommonPassword,
                "this password is too common".into(),
            ));
        }
    }
    if has_sequence(&lower) {
        score -= 20;
        if policy.reject_sequences {
            out.push(violation(
                V::ContainsSequence,
                "avoid predictable sequences such as 1234 or abcd".into(),
            ));
        }
    }
    let email_local = ctx.email.and_then(|e| e.split('@').next()).unwrap_or("");
    if contains_word(&lower, email_local) {
        score -= 15;
        if policy.check_context_words {
            out.push(violation(
                V::ContainsEmail,
                "do not use your e-mail address".into(),
            ));
        }
    }
    if contains_word(&lower, ctx.username.unwrap_or("")) {
        score -= 15;
        if policy.check_context_words {
            out.push(violation(
                V::ContainsUsername,
                "do not use your username".into(),
            ));
        }
    }
    if policy.check_context_words && ctx.other.iter().any(|w| contains_word(&lower, w)) {
        out.push(violation(
            V::ContainsContextWord,
            "do not use words tied to you or this service".into(),
        ));
    }
    if has_repetition(password) {
        score -= 10;
        if policy.reject_repetition {
            out.push(violation(
                V::RepeatedCharacters,
                "do not repeat a character 4 or more times in a row".into(),
            ));
        }
    }

    let score = u8::try_from(score.clamp(0, 100)).unwrap_or(0);
    PolicyReport {
        valid: out.is_empty(),
        violations: out,
        score,
        strength: Strength::from_score(score),
    }
}

/// [`check`], as an error: `weak_password` with `details.violations` (a list of
/// `{code, message}`), `details.score` and `details.strength` when a rule is broken.
pub fn enforce(
    password: &str,
    policy: &PasswordPolicy,
    ctx: &PolicyContext<'_>,
) -> Result<PolicyReport> {
    let report = check(password, policy, ctx);
    if report.valid {
        return Ok(report);
    }
    let details = serde_json::json!({
        "violations": report.violations,
        "score": report.score,
        "strength": report.strength,
    });
    Err(err(
        ErrorCode::WeakPassword,
        "the password does not meet the password policy",
    )
    .with_details(details))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(r: &PolicyReport) -> Vec<&'static str> {
        r.violations.iter().map(|v| v.code.as_str()).collect()
    }

    fn none() -> PolicyContext<'static> {
        PolicyContext::default()
    }

    #[test]
    fn tenxyte_probe_scores_95() {
        let r = check("Str0ng!Passw0rd#2024", &PasswordPolicy::tenxyte(), &none());
        assert!(r.valid, "{:?}", r.violations);
        assert_eq!((r.score, r.strength), (95, Strength::Excellent));
    }

    #[test]
    fn asvs_default_has_no_composition_rules() {
        let p = PasswordPolicy::default();
        p.validate().unwrap();
        // Lower-case letters only, spaces and emoji are fine (ASVS 6.2.5).
        let r = check("correct horse battery staple 🐎", &p, &none());
        assert!(r.valid, "{:?}", r.violations);
        assert_eq!(codes(&check("short", &p, &none())), ["too_short"]);
        // 8 scalar values, 32 bytes: counts as 8 characters.
        assert!(check("🐎🐎🐎🐎🐴🐴🐴🐴", &p, &none()).valid);
        assert_eq!(codes(&check("🐎🐎🐎🐎🐴🐴🐴", &p, &none())), ["too_short"]);
        let long = "x".repeat(129);
        assert_eq!(codes(&check(&long, &p, &none())), ["too_long"]);
        assert!(check(&"xy".repeat(64), &p, &none()).valid);
        assert_eq!(codes(&check("Password", &p, &none())), ["common_password"]);
    }

    #[test]
    fn each_tenxyte_rule() {
        let p = PasswordPolicy::tenxyte();
        let cases: [(&str, &[&str]); 9] = [
            ("", &["too_short"]),
            ("Ab1!xyz", &["too_short"]),
            ("lower9!case", &["missing_uppercase"]),
            ("UPPER9!CASE", &["missing_lowercase"]),
            ("NoDigit!here", &["missing_digit"]),
            ("NoSpecial9here", &["missing_special"]),
            ("Aa1!Aa1!Aa1!", &["too_few_unique_chars"]),
            ("Zx9!7531WxYz", &["contains_sequence"]),
            ("Q8!mzzzzrT", &["repeated_characters"]),
        ];
        for (pw, expected) in cases {
            assert_eq!(codes(&check(pw, &p, &none())), expected, "{pw:?}");
        }
        // Everything at once, in the fixed order.
        let r = check("aaaa", &p, &none());
        assert_eq!(
            codes(&r),
            [
                "too_short",
                "missing_uppercase",
                "missing_digit",
                "missing_special",
                "too_few_unique_chars",
                "common_password",
                "repeated_characters"
            ]
        );
        // Repetition is case-sensitive, like Tenxyte's regex.
        assert!(check("Q8!mzZzZrT", &p, &none()).valid);
        // Unicode upper-case is not ASCII upper-case.
        assert_eq!(
            codes(&check("élan9!Élan", &p, &none())),
            ["missing_uppercase"]
        );
    }

    #[test]
    fn context_words() {
        let p = PasswordPolicy::default();
        let ctx = PolicyContext {
            email: Some("Alice.Smith@example.com"),
            username: Some("ALS"),
            other: &["Tenxyte", "ab"],
        };
        assert_eq!(
            codes(&check("my-alice.smith-pw", &p, &ctx)),
            ["contains_email"]
        );
        assert_eq!(
            codes(&check("hello-als-world", &p, &ctx)),
            ["contains_username"]
        );
        assert_eq!(
            codes(&check("i-love-TENXYTE", &p, &ctx)),
            ["contains_context_word"]
        );
        // Words shorter than 3 characters are ignored.
        assert!(check("abababab-xyz", &p, &ctx).valid);
        let off = PasswordPolicy {
            check_context_words: false,
            ..p
        };
        assert!(check("i-love-TENXYTE-als", &off, &ctx).valid);
    }

    #[test]
    fn score_formula_cases() {
        let p = PasswordPolicy::tenxyte();
        let n = none();
        // Length only: 8 lower-case letters, 8 distinct → 20 + 10 + 10.
        assert_eq!(check("qmzrtbvk", &p, &n).score, 40);
        // 12 and 16 characters add 10 each.
        assert_eq!(check("qmzrtbvkqmzr", &p, &n).score, 50);
        assert_eq!(check("qmzrtbvkqmzrtbvk", &p, &n).score, 60);
        // Below min_length: no length points.
        assert_eq!(check("Ab1!", &p, &n).score, 45);
        // Common (-30): "password123" is 20 (length 11) + 10 lower + 10 digit + 10 (10
        // distinct) = 50, minus 30 = 20; "password1234" adds 10 for length 12 and loses 20
        // for the run "1234": 60 - 30 - 20 = 10.
        assert_eq!(check("password123", &p, &n).score, 20);
        assert_eq!(check("password1234", &p, &n).score, 10);
        // Floors at zero, never negative.
        assert_eq!(check("1234", &p, &n).score, 0);
        // Strength boundaries.
        assert_eq!(Strength::from_score(29), Strength::Weak);
        assert_eq!(Strength::from_score(30), Strength::Fair);
        assert_eq!(Strength::from_score(50), Strength::Good);
        assert_eq!(Strength::from_score(70), Strength::Strong);
        assert_eq!(Strength::from_score(89), Strength::Strong);
        assert_eq!(Strength::from_score(90), Strength::Excellent);
        // E-mail and username: −15 each. "Str0ng!Passw0rd#2024" is 95; with username
        // "passw" and e-mail "str0ng@…" (both contained) it is 95 - 15 - 15.
        let ctx = PolicyContext {
            username: Some("passw"),
            email: Some("str0ng@example.com"),
            other: &[],
        };
        assert_eq!(check("Str0ng!Passw0rd#2024", &p, &ctx).score, 65);
    }

    #[test]
    fn enforce_reports_details() {
        let e = enforce("aaaa", &PasswordPolicy::default(), &none()).unwrap_err();
        assert_eq!(e.code(), ErrorCode::WeakPassword);
        let d = e.details().unwrap();
        assert_eq!(d["violations"][0]["code"], "too_short");
        assert_eq!(d["strength"], "weak");
        assert!(enforce(
            "a fine long passphrase",
            &PasswordPolicy::default(),
            &none()
        )
        .is_ok());
    }

    #[test]
    fn policy_validation() {
        for bad in [
            PasswordPolicy {
                min_length: 0,
                ..PasswordPolicy::default()
            },
            PasswordPolicy {
                max_length: 63,
                ..PasswordPolicy::default()
            },
            PasswordPolicy {
                min_length: 100,
                max_length: 99,
                ..PasswordPolicy::default()
            },
        ] {
            assert_eq!(
                bad.validate().unwrap_err().code(),
                ErrorCode::InvalidSetting
            );
        }
        let p: PasswordPolicy = serde_json::from_str(r#"{"min_length": 15}"#).unwrap();
        assert_eq!((p.min_length, p.max_length), (15, 128));
        assert!(serde_json::from_str::<PasswordPolicy>(r#"{"min_lenght": 15}"#).is_err());
    }
}
