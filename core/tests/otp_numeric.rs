#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Numeric one-time codes (email / SMS): binding, expiry, attempts, format, single use.

use serde_json::Value;
use tenxyte_core::otp::numeric::{self, CodeRecord};
use tenxyte_core::ErrorCode;

const NOW: i64 = 1_700_000_000;

fn outcome(check: &numeric::CodeCheck) -> Result<(), ErrorCode> {
    check.outcome.clone().map_err(|e| e.code())
}

#[test]
fn hash_matches_the_documented_encoding_computed_by_hashlib() {
    let doc: Value = serde_json::from_str(include_str!("fixtures/otp/pyotp.json")).unwrap();
    let vectors = doc["numeric"].as_array().unwrap();
    assert!(vectors.len() >= 6);
    for v in vectors {
        let got = numeric::code_hash(
            v["purpose"].as_str().unwrap(),
            v["challenge_id"].as_str().unwrap(),
            v["code"].as_str().unwrap(),
        );
        assert_eq!(got, v["hash"].as_str().unwrap(), "{v}");
    }
    // Length prefixes keep ("ab", "c") and ("a", "bc") apart.
    assert_ne!(vectors[4]["hash"], vectors[5]["hash"]);
}

#[test]
fn issue_with_random_takes_unbiased_digits() {
    // 250..=255 are skipped; the rest give byte % 10: 7, 13, 29, 100, 249, 0 -> "739090".
    let random = [7u8, 250, 13, 255, 29, 100, 249, 0, 42, 9];
    let (code, record) =
        numeric::issue_with_random(&random, 6, 300, 3, "email_verification", "c1", NOW).unwrap();
    assert_eq!(code, "739090");
    assert_eq!(record.expires_at, NOW + 300);
    assert_eq!(record.attempts, 0);
    assert_eq!(record.max_attempts, 3);
    assert_eq!(record.length, 6);
    assert!(!record.used);
    assert_eq!(
        record.hash,
        numeric::code_hash("email_verification", "c1", "739090")
    );
    // Not enough usable bytes.
    assert_eq!(
        numeric::issue_with_random(&[255; 32], 6, 300, 3, "p", "c", NOW)
            .unwrap_err()
            .code(),
        ErrorCode::Internal
    );
}

#[test]
fn issue_validates_its_inputs() {
    let ok = |len, life, att, p: &str, c: &str| numeric::issue(len, life, att, p, c, NOW);
    assert!(ok(6, 600, 10, "p", "c").is_ok());
    assert!(ok(10, 1, 1, "p", "c").is_ok());
    for (len, life, att, p, c) in [
        (5, 300, 3, "p", "c"),
        (11, 300, 3, "p", "c"),
        (6, 0, 3, "p", "c"),
        (6, 601, 3, "p", "c"),
        (6, 300, 0, "p", "c"),
        (6, 300, 11, "p", "c"),
        (6, 300, 3, "", "c"),
        (6, 300, 3, "p", ""),
    ] {
        assert_eq!(
            ok(len, life, att, p, c).unwrap_err().code(),
            ErrorCode::InvalidInput
        );
    }
    assert_eq!(
        ok(6, 300, 3, &"p".repeat(257), "c").unwrap_err().code(),
        ErrorCode::InvalidInput
    );
    assert_eq!(
        numeric::issue(6, 300, 3, "p", "c", i64::MAX)
            .unwrap_err()
            .code(),
        ErrorCode::InvalidInput
    );
    let (code, record) = ok(8, 300, 3, "p", "c").unwrap();
    assert_eq!(code.len(), 8);
    assert!(code.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(record.length, 8);
}

#[test]
fn success_marks_used_and_counts_the_attempt() {
    let (code, record) = numeric::issue(6, 600, 3, "email_verification", "chal", NOW).unwrap();
    let check = numeric::verify(&record, &code, "email_verification", "chal", NOW + 1);
    assert_eq!(outcome(&check), Ok(()));
    assert!(check.is_accepted());
    assert_eq!(check.record.attempts, 1);
    assert!(check.record.used);
    // Presenting it again against the persisted record: single use.
    let again = numeric::verify(&check.record, &code, "email_verification", "chal", NOW + 2);
    assert_eq!(outcome(&again), Err(ErrorCode::Replayed));
    assert_eq!(again.record, check.record, "nothing new to persist");
}

#[test]
fn code_is_bound_to_purpose_and_challenge() {
    let (code, record) = numeric::issue(6, 600, 5, "email_verification", "chal-1", NOW).unwrap();
    let wrong_purpose = numeric::verify(&record, &code, "password_reset", "chal-1", NOW);
    assert_eq!(outcome(&wrong_purpose), Err(ErrorCode::InvalidCode));
    assert_eq!(wrong_purpose.record.attempts, 1);
    let wrong_challenge = numeric::verify(&record, &code, "email_verification", "chal-2", NOW);
    assert_eq!(outcome(&wrong_challenge), Err(ErrorCode::InvalidCode));
    // A record whose purpose field was swapped still fails: the hash covers the purpose.
    let mut relabelled = record.clone();
    relabelled.purpose = "password_reset".into();
    let check = numeric::verify(&relabelled, &code, "password_reset", "chal-1", NOW);
    assert_eq!(outcome(&check), Err(ErrorCode::InvalidCode));
    assert_eq!(
        outcome(&numeric::verify(
            &record,
            &code,
            "email_verification",
            "chal-1",
            NOW
        )),
        Ok(())
    );
}

#[test]
fn expiry_boundary() {
    let (code, record) = numeric::issue(6, 600, 3, "login", "c", NOW).unwrap();
    assert_eq!(record.expires_at, NOW + 600);
    let last_second = numeric::verify(&record, &code, "login", "c", NOW + 599);
    assert_eq!(outcome(&last_second), Ok(()));
    let at_expiry = numeric::verify(&record, &code, "login", "c", NOW + 600);
    assert_eq!(outcome(&at_expiry), Err(ErrorCode::CodeExpired));
    assert_eq!(at_expiry.record, record, "an expired code costs no attempt");
}

#[test]
fn attempts_are_counted_and_capped() {
    let (code, record) = numeric::issue(6, 600, 3, "login", "c", NOW).unwrap();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let mut stored = record;
    for n in 1..=3 {
        let check = numeric::verify(&stored, wrong, "login", "c", NOW);
        assert_eq!(outcome(&check), Err(ErrorCode::InvalidCode));
        assert_eq!(check.record.attempts, n);
        stored = check.record;
    }
    // Attempts used up: even the right code is refused, and nothing changes.
    let check = numeric::verify(&stored, &code, "login", "c", NOW);
    assert_eq!(outcome(&check), Err(ErrorCode::TooManyAttempts));
    assert_eq!(check.record, stored);
    // Expiry is reported before exhaustion.
    let late = numeric::verify(&stored, &code, "login", "c", NOW + 600);
    assert_eq!(outcome(&late), Err(ErrorCode::CodeExpired));
}

#[test]
fn wrong_length_and_shape_is_invalid_format_and_counts() {
    let (code, record) = numeric::issue(6, 600, 10, "login", "c", NOW).unwrap();
    let mut stored = record;
    for bad in [
        code[..5].to_string(),
        format!("{code}0"),
        format!(" {code}"),
        "\u{661}\u{662}\u{663}\u{664}\u{665}\u{666}".to_string(),
        "+12345".to_string(),
        "12345a".to_string(),
    ] {
        let check = numeric::verify(&stored, &bad, "login", "c", NOW);
        assert_eq!(outcome(&check), Err(ErrorCode::InvalidFormat), "{bad:?}");
        assert_eq!(check.record.attempts, stored.attempts + 1);
        stored = check.record;
    }
    assert_eq!(
        outcome(&numeric::verify(&stored, &code, "login", "c", NOW)),
        Ok(())
    );
}

#[test]
fn record_serialises_for_the_host() {
    let (_, record) = numeric::issue(6, 600, 3, "login", "c", NOW).unwrap();
    let json = serde_json::to_value(&record).unwrap();
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "hash",
            "purpose",
            "expires_at",
            "length",
            "attempts",
            "max_attempts",
            "used"
        ]
    );
    assert_eq!(json["hash"].as_str().unwrap().len(), 64);
    let back: CodeRecord = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(back, record);
    let mut extra = json;
    extra["code"] = "123456".into();
    assert!(
        serde_json::from_value::<CodeRecord>(extra).is_err(),
        "unknown fields refused"
    );
}
