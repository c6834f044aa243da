//! Writes the generated seed files under `seeds/` (tokens signed with the fixed keys, and
//! the full settings document). Not part of the normal run:
//!
//! ```text
//! cargo test --manifest-path fuzz/Cargo.toml --test generate_seeds -- --ignored
//! ```
//!
//! Token seeds are named `ok__<what>.bin` when they must verify, `<error_code>__<what>.bin`
//! when they must fail with that code; the replay test holds them to it. ECDSA and PSS
//! signatures are randomised, so re-running rewrites those files with other bytes.

use std::path::PathBuf;

use base64::Engine as _;
use serde_json::{json, Map, Value};
use tenxyte_core::config::Settings;
use tenxyte_core::jwt::{self, Algorithm, Key, SignOptions};
use tenxyte_fuzz::jwt_verify::{AUDIENCE, ISSUER, NOW, TYP};
use tenxyte_fuzz::keys::key_set;

fn seeds(target: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("seeds")
        .join(target);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn key(kid: &str) -> &'static Key {
    key_set()
        .keys()
        .iter()
        .find(|k| k.kid() == Some(kid))
        .unwrap()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A token with exactly this header and payload text, signed by `kid` with `alg`.
fn raw(header: &str, payload: &str, kid: &str, alg: Algorithm) -> String {
    let input = format!("{}.{}", b64(header.as_bytes()), b64(payload.as_bytes()));
    let sig = key(kid).sign_bytes(alg, input.as_bytes()).unwrap();
    format!("{input}.{}", b64(&sig))
}

fn claims(extra: Value) -> Map<String, Value> {
    let mut map = json!({"sub": "alice", "iat": NOW, "exp": NOW + 3600})
        .as_object()
        .unwrap()
        .clone();
    map.extend(extra.as_object().unwrap().clone());
    map
}

fn signed(kid: &str, claims: &Map<String, Value>, options: &SignOptions) -> String {
    jwt::sign_with_key(claims, key(kid), options).unwrap()
}

#[test]
#[ignore = "writes seed files; run explicitly"]
fn generate_seeds() {
    let basic = claims(json!({}));
    let plain = SignOptions::default();
    let ps256 = SignOptions {
        algorithm: Some(Algorithm::PS256),
        ..SignOptions::default()
    };
    let access =
        claims(json!({"iss": ISSUER, "aud": [AUDIENCE, "other"], "jti": "j1", "scope": "read"}));
    let at_jwt = SignOptions {
        typ: Some(TYP.to_owned()),
        ..SignOptions::default()
    };
    let exp_text = format!(r#"{{"sub":"alice","exp":{}}}"#, NOW + 60);
    // (file name, selector byte, token)
    let tokens: Vec<(&str, u8, String)> = vec![
        ("ok__hs256", 0x00, signed("hs", &basic, &plain)),
        ("ok__es256", 0x00, signed("es", &basic, &plain)),
        ("ok__eddsa", 0x00, signed("ed", &basic, &plain)),
        ("ok__rs256", 0x00, signed("rs", &basic, &plain)),
        ("ok__ps256", 0x00, signed("rs", &basic, &ps256)),
        (
            "ok__at_jwt_issuer_audience",
            0xe0,
            signed("es", &access, &at_jwt),
        ),
        (
            "ok__no_kid_hs256",
            0x00,
            raw(r#"{"alg":"HS256"}"#, &exp_text, "hs", Algorithm::HS256),
        ),
        (
            "ok__no_kid_eddsa",
            0x00,
            raw(
                r#"{"alg":"EdDSA","typ":"application/at+jwt"}"#,
                &exp_text,
                "ed",
                Algorithm::EdDSA,
            ),
        ),
        (
            "ok__nbf_within_leeway",
            0x10,
            signed("hs", &claims(json!({"nbf": NOW + 100})), &plain),
        ),
        (
            "expired__clock_after_exp",
            0x08,
            signed("ed", &basic, &plain),
        ),
        (
            "not_yet_valid__clock_at_epoch",
            0x04,
            signed("ed", &basic, &plain),
        ),
        (
            "token_too_large__cap_100",
            0x03,
            signed("hs", &basic, &plain),
        ),
        (
            "invalid_type__expected_at_jwt",
            0x20,
            signed("hs", &basic, &plain),
        ),
        (
            "invalid_audience__none_configured",
            0x00,
            signed("es", &access, &at_jwt),
        ),
        (
            "missing_claim__no_aud",
            0x40,
            signed("hs", &claims(json!({"iss": ISSUER})), &plain),
        ),
        (
            "invalid_issuer__other",
            0x40,
            signed(
                "hs",
                &claims(json!({"iss": "https://evil.example", "aud": AUDIENCE})),
                &plain,
            ),
        ),
        (
            "missing_claim__no_exp",
            0x00,
            raw(
                r#"{"alg":"HS256","kid":"hs"}"#,
                r#"{"sub":"alice"}"#,
                "hs",
                Algorithm::HS256,
            ),
        ),
        (
            "invalid_claim__exp_string",
            0x00,
            raw(
                r#"{"alg":"HS256","kid":"hs"}"#,
                r#"{"exp":"2100-01-01"}"#,
                "hs",
                Algorithm::HS256,
            ),
        ),
        (
            "malformed__claims_duplicate_sub",
            0x00,
            raw(
                r#"{"alg":"HS256","kid":"hs"}"#,
                &format!(r#"{{"sub":"a","sub":"b","exp":{}}}"#, NOW + 60),
                "hs",
                Algorithm::HS256,
            ),
        ),
        (
            "malformed__header_duplicate_alg",
            0x00,
            raw(
                r#"{"alg":"none","alg":"HS256","kid":"hs"}"#,
                &exp_text,
                "hs",
                Algorithm::HS256,
            ),
        ),
        (
            "unsupported_crit__b64",
            0x00,
            raw(
                r#"{"alg":"HS256","kid":"hs","crit":["b64"],"b64":false}"#,
                &exp_text,
                "hs",
                Algorithm::HS256,
            ),
        ),
        (
            "key_not_found__unknown_kid",
            0x00,
            raw(
                r#"{"alg":"HS256","kid":"nope"}"#,
                &exp_text,
                "hs",
                Algorithm::HS256,
            ),
        ),
        (
            "invalid_key__kid_of_other_family",
            0x00,
            raw(
                r#"{"alg":"HS256","kid":"es"}"#,
                &exp_text,
                "hs",
                Algorithm::HS256,
            ),
        ),
        (
            "alg_not_allowed__none",
            0x00,
            format!(
                "{}.{}.",
                b64(br#"{"alg":"none"}"#),
                b64(exp_text.as_bytes())
            ),
        ),
        (
            "malformed__five_segments",
            0x00,
            "eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d".to_owned(),
        ),
    ];
    let mut signature_flipped = signed("rs", &basic, &plain);
    let last = signature_flipped.pop().unwrap();
    signature_flipped.push(if last == 'A' { 'B' } else { 'A' });

    let dir = seeds("jwt_verify");
    let decode_dir = seeds("jwt_decode_unverified");
    let extra = [("invalid_signature__rs256_flipped", 0x00, signature_flipped)];
    for (name, selector, token) in tokens.iter().chain(extra.iter()) {
        let mut bytes = vec![*selector];
        bytes.extend_from_slice(token.as_bytes());
        std::fs::write(dir.join(format!("{name}.bin")), bytes).unwrap();
        std::fs::write(decode_dir.join(format!("{name}.jwt")), token).unwrap();
    }

    let full = Settings::default().to_json_pretty().unwrap();
    std::fs::write(seeds("config_json").join("medium_full.json"), full).unwrap();
}
