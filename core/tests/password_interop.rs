//! Replays hashes and policy verdicts produced by the reference libraries (Django 5.2,
//! argon2-cffi, Python bcrypt, Tenxyte 0.9.6.4.2) — see tests/interop/gen_password_fixtures.py.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use serde_json::Value;
use tenxyte_core::password::backup_codes;
use tenxyte_core::password::policy::{check, PasswordPolicy, PolicyContext};
use tenxyte_core::password::{
    hash_django_argon2_with_salt, hash_with_salt, verify, Argon2Params, BareBcrypt, VerifyOptions,
};

fn load(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

fn params(v: &Value) -> Argon2Params {
    serde_json::from_value(v.clone()).unwrap()
}

fn replay_verification(doc: &Value) -> usize {
    let target = params(&doc["target"]);
    let mut count = 0;
    for case in doc["cases"].as_array().unwrap() {
        let label = case["label"].as_str().unwrap();
        let encoded = case["encoded"].as_str().unwrap();
        let bare_bcrypt = match case.get("bare_bcrypt").and_then(Value::as_str) {
            Some("sha256_hex") => BareBcrypt::Sha256Hex,
            _ => BareBcrypt::Plain,
        };
        let opts = VerifyOptions {
            target,
            bare_bcrypt,
            ..VerifyOptions::default()
        };
        let password = case["password"].as_str().unwrap();
        let v =
            verify(password, encoded, &opts).unwrap_or_else(|e| panic!("{label}: {encoded}: {e}"));
        assert!(v.valid, "{label}: right password rejected: {encoded}");
        assert_eq!(
            v.needs_rehash,
            case["needs_rehash"].as_bool().unwrap(),
            "{label}: {encoded}"
        );
        for wrong in case["wrong"].as_array().unwrap() {
            let wrong = wrong.as_str().unwrap();
            let v = verify(wrong, encoded, &opts).unwrap();
            assert!(!v.valid, "{label}: wrong password {wrong:?} accepted");
            assert!(!v.needs_rehash);
        }
        for e in case
            .get("errors")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let err = verify(e["password"].as_str().unwrap(), encoded, &opts).unwrap_err();
            assert_eq!(err.code().as_str(), e["code"].as_str().unwrap(), "{label}");
        }
        // Bare bcrypt read with the other mode never verifies the right password.
        if encoded.starts_with("$2") {
            let other = VerifyOptions {
                bare_bcrypt: match bare_bcrypt {
                    BareBcrypt::Plain => BareBcrypt::Sha256Hex,
                    BareBcrypt::Sha256Hex => BareBcrypt::Plain,
                },
                ..opts
            };
            if let Ok(v) = verify(password, encoded, &other) {
                assert!(
                    !v.valid,
                    "{label}: verified under the wrong bare-bcrypt mode"
                );
            }
        }
        count += 1;
    }
    count
}

#[test]
fn django_make_password_hashes_verify() {
    let doc = load(include_str!("fixtures/password/django.json"));
    assert!(replay_verification(&doc) >= 30);
}

#[test]
fn our_django_argon2_is_byte_identical_to_djangos() {
    let doc = load(include_str!("fixtures/password/django.json"));
    let cases = doc["reproduce_django_argon2"].as_array().unwrap();
    assert!(!cases.is_empty());
    for c in cases {
        let ours = hash_django_argon2_with_salt(
            c["password"].as_str().unwrap(),
            &params(&c["params"]),
            c["salt"].as_str().unwrap().as_bytes(),
        )
        .unwrap();
        assert_eq!(ours, c["encoded"].as_str().unwrap());
    }
}

#[test]
fn argon2_cffi_hashes_verify() {
    let doc = load(include_str!("fixtures/password/argon2_cffi.json"));
    assert!(replay_verification(&doc) >= 10);
}

#[test]
fn our_phc_strings_are_byte_identical_to_argon2_cffi() {
    let doc = load(include_str!("fixtures/password/argon2_cffi.json"));
    let cases = doc["reproduce_phc"].as_array().unwrap();
    assert!(!cases.is_empty());
    for c in cases {
        let salt = tenxyte_core::encoding::hex_decode(c["salt_hex"].as_str().unwrap()).unwrap();
        let ours = hash_with_salt(
            c["password"].as_str().unwrap(),
            &params(&c["params"]),
            &salt,
        )
        .unwrap();
        assert_eq!(ours, c["encoded"].as_str().unwrap());
    }
}

#[test]
fn bcrypt_and_tenxyte_hashes_verify() {
    let doc = load(include_str!("fixtures/password/bcrypt.json"));
    assert!(replay_verification(&doc) >= 20);
}

#[test]
fn tenxyte_backup_codes_match_once() {
    let doc = load(include_str!("fixtures/password/tenxyte_backup_codes.json"));
    let stored: Vec<&str> = doc["stored"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    let opts = VerifyOptions::default();
    for case in doc["cases"].as_array().unwrap() {
        let input = case["input"].as_str().unwrap();
        let expected = case["expected_index"].as_u64().map(|i| i as usize);
        assert_eq!(
            backup_codes::find_match(input, &stored, &opts).unwrap(),
            expected,
            "{input:?}"
        );
    }
    // Spending: without the matched entry, the same code no longer matches.
    let first = doc["cases"][0]["input"].as_str().unwrap();
    let remaining: Vec<&str> = stored[1..].to_vec();
    assert_eq!(
        backup_codes::find_match(first, &remaining, &opts).unwrap(),
        None
    );
}

#[test]
fn policy_matches_tenxyte_validator() {
    let doc = load(include_str!("fixtures/password/policy.json"));
    let mut compared = 0;
    for case in doc["cases"].as_array().unwrap() {
        let password = case["password"].as_str().unwrap();
        let policy = match case["policy"].as_str().unwrap() {
            "tenxyte" => PasswordPolicy::tenxyte(),
            "asvs" => PasswordPolicy::default(),
            other => panic!("unknown policy {other}"),
        };
        let ctx = PolicyContext {
            email: case["email"].as_str(),
            username: case["username"].as_str(),
            other: &[],
        };
        let r = check(password, &policy, &ctx);
        let what = format!("{} {password:?}", case["policy"]);
        assert_eq!(
            u64::from(r.score),
            case["score"].as_u64().unwrap(),
            "{what}"
        );
        assert_eq!(
            serde_json::to_value(r.strength).unwrap(),
            case["strength"],
            "{what}"
        );
        if case["compare"] == "all" {
            assert_eq!(r.valid, case["valid"].as_bool().unwrap(), "{what}");
            let codes: Vec<&str> = r.violations.iter().map(|v| v.code.as_str()).collect();
            let expected: Vec<&str> = case["codes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap())
                .collect();
            assert_eq!(codes, expected, "{what}");
        }
        compared += 1;
    }
    assert!(compared >= 50);
}
