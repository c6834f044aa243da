//! Replays every committed seed under `seeds/<target>/` through that target's oracles,
//! on stable Rust and without libFuzzer, so CI exercises them:
//!
//! ```text
//! cargo test --manifest-path fuzz/Cargo.toml
//! ```
//!
//! Beyond "the oracles hold", seeds with an expected outcome in their name are held to
//! it: `jwt_verify/ok__*.bin` must verify and `jwt_verify/<code>__*.bin` must fail with
//! that code.

use std::path::{Path, PathBuf};

use tenxyte_core::ErrorCode;
use tenxyte_fuzz as fuzz;

fn seed_dir(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("seeds")
        .join(target)
}

/// Every seed file of `target`, sorted, with its name; at least one must exist.
fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = seed_dir(target);
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no seeds for {target}");
    files
}

fn text(name: &str, bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap_or_else(|_| panic!("{name} is not UTF-8"))
}

#[test]
fn every_seed_directory_has_a_target() {
    let known = [
        "config_json",
        "jwk_parse",
        "jwt_decode_unverified",
        "jwt_verify",
        "otp_uri",
        "password_verify",
        "pem_key",
        "strict_json",
    ];
    for entry in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            known.contains(&name.as_str()),
            "seeds/{name} matches no target"
        );
    }
}

#[test]
fn jwt_verify_seeds() {
    let mut ok = 0;
    for (name, bytes) in seeds("jwt_verify") {
        let (&selector, token) = bytes.split_first().unwrap();
        let token = text(&name, token);
        let result = fuzz::jwt_verify::check_token(selector, &token);
        let expected = name.split("__").next().unwrap();
        match (expected, &result) {
            ("ok", Ok(_)) => ok += 1,
            ("ok", Err(e)) => panic!("{name}: expected to verify, got {e}"),
            (code, Err(e)) => assert_eq!(e.code().as_str(), code, "{name}"),
            (code, Ok(_)) => panic!("{name}: expected {code}, verified"),
        }
        // Every prefix of a seed is an input too; it must keep the oracles.
        for cut in (0..token.len()).step_by(7) {
            if token.is_char_boundary(cut) {
                let _ = fuzz::jwt_verify::check_token(selector, &token[..cut]);
            }
        }
        // And every selector on the same token.
        for other in 0..=255u8 {
            let _ = fuzz::jwt_verify::check_token(other, &token);
        }
    }
    assert!(ok >= 5, "only {ok} seeds verify");
}

#[test]
fn jwt_decode_unverified_seeds() {
    for (name, bytes) in seeds("jwt_decode_unverified") {
        fuzz::jwt_decode_unverified::check_token(&text(&name, &bytes));
    }
    let huge = format!(
        "{}.e30.",
        "e".repeat(tenxyte_core::jwt::DEFAULT_MAX_TOKEN_BYTES)
    );
    fuzz::jwt_decode_unverified::check_token(&huge);
}

#[test]
fn jwk_parse_seeds() {
    let mut imported = 0;
    for (name, bytes) in seeds("jwk_parse") {
        let text = text(&name, &bytes);
        fuzz::jwk_parse::check_text(&text);
        if fuzz::jwk_parse::is_jwks(&text) {
            tenxyte_core::jwt::KeySet::from_jwks_json(&text)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        } else {
            tenxyte_core::jwt::key_from_jwk_json(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        imported += 1;
    }
    // The fixed key set itself is a JWKS seed too.
    fuzz::jwk_parse::check_text(fuzz::keys::FIXED_KEYS_JSON);
    assert!(imported >= 10);
}

#[test]
fn pem_key_seeds() {
    for (name, bytes) in seeds("pem_key") {
        let key = fuzz::pem_key::check_text(&text(&name, &bytes));
        // Every committed PEM imports, except the encrypted one, which must be refused.
        assert_eq!(key.is_some(), !name.contains("encrypted"), "{name}");
    }
}

#[test]
fn strict_json_seeds() {
    for (name, bytes) in seeds("strict_json") {
        let (&first, json) = bytes.split_first().unwrap();
        let cap = usize::from(first & 0x3f);
        let parsed = fuzz::strict_json::check_text(cap, json);
        let must_fail = [
            "duplicate",
            "depth3_cap2",
            "empty_array_cap0",
            "lone_surrogate",
            "huge_number",
            "nested_empty_object_cap1",
        ];
        assert_eq!(
            parsed,
            !must_fail.iter().any(|m| name.starts_with(m)),
            "{name}"
        );
        // Every cap from 0 to 40 on the same text.
        for cap in 0..=40 {
            fuzz::strict_json::check_text(cap, json);
        }
    }
}

#[test]
fn otp_uri_seeds() {
    for (name, bytes) in seeds("otp_uri") {
        let parsed = fuzz::otp_uri::check_text(&text(&name, &bytes));
        let must_fail = ["bad_secret", "hotp_without_counter", "issuer_mismatch"];
        assert_eq!(
            parsed.is_some(),
            !must_fail.iter().any(|m| name.starts_with(m)),
            "{name}"
        );
    }
}

#[test]
fn config_json_seeds() {
    for (name, bytes) in seeds("config_json") {
        let settings = fuzz::config_json::check_text(&text(&name, &bytes));
        let must_fail = ["duplicate", "preset_typo", "unknown_key", "wrong_type"];
        assert_eq!(
            settings.is_some(),
            !must_fail.iter().any(|m| name.starts_with(m)),
            "{name}"
        );
    }
}

#[test]
fn password_verify_seeds() {
    for (name, bytes) in seeds("password_verify") {
        fuzz::password_verify::check(&bytes);
        let (&n, rest) = bytes.split_first().unwrap();
        let (password, encoded) = rest.split_at(usize::from(n));
        let result =
            fuzz::password_verify::check_pair(&text(&name, password), &text(&name, encoded));
        let valid = result.is_some_and(|v| v.valid);
        let expect_valid = !["over_limit", "mismatch", "unusable", "unsupported"]
            .iter()
            .any(|m| name.contains(m));
        assert_eq!(valid, expect_valid, "{name}");
    }
}

#[test]
fn password_fuzz_limits_are_within_the_defaults() {
    use tenxyte_core::password::VerifyOptions;
    let d = VerifyOptions::default().limits;
    let f = fuzz::password_verify::FUZZ_LIMITS;
    assert!(f.argon2_max_memory_kib <= d.argon2_max_memory_kib);
    assert!(f.argon2_max_iterations <= d.argon2_max_iterations);
    assert!(f.argon2_max_parallelism <= d.argon2_max_parallelism);
    assert!(f.pbkdf2_max_iterations <= d.pbkdf2_max_iterations);
    assert!(f.bcrypt_min_cost >= d.bcrypt_min_cost && f.bcrypt_max_cost <= d.bcrypt_max_cost);
}

#[test]
fn error_codes_used_by_the_oracles_are_documented() {
    // assert_code checks the docs table; make sure it fails on a code that is absent.
    let e = tenxyte_core::Error::new(ErrorCode::Malformed, "x");
    fuzz::common::assert_code(&e, &[ErrorCode::Malformed], "self-check");
    let caught = std::panic::catch_unwind(|| {
        fuzz::common::assert_code(&e, &[ErrorCode::Expired], "self-check")
    });
    assert!(
        caught.is_err(),
        "assert_code accepted a code outside the allowed list"
    );
}
