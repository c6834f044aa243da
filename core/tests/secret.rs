#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Opaque prefixed secrets: shape, entropy, hashing (checked against hashlib), kind
//! confusion, legacy Tenxyte tokens, Debug redaction.

use std::collections::HashSet;

use serde_json::Value;
use tenxyte_core::encoding::{b64url_decode, hex_decode};
use tenxyte_core::secret::{self, SecretKind};
use tenxyte_core::ErrorCode;

fn fixture() -> Value {
    serde_json::from_str(include_str!("fixtures/otp/pyotp.json")).unwrap()
}

#[test]
fn sha256_of_a_published_vector() {
    // FIPS 180-2 Appendix B.1: SHA-256("abc").
    assert_eq!(
        secret::hash("abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn generated_form_and_hash_match_python() {
    let doc = fixture();
    let mut prefixes = Vec::new();
    for v in doc["secrets"].as_array().unwrap() {
        let raw = v["raw"].as_str().unwrap();
        let sha = v["sha256"].as_str().unwrap();
        assert_eq!(secret::hash(raw), sha, "{raw}");
        assert!(secret::verify(raw, sha));
        assert!(secret::verify(raw, &sha.to_uppercase()));
        if let Some(hex) = v["random_hex"].as_str() {
            let bytes: [u8; 32] = hex_decode(hex).unwrap().try_into().unwrap();
            let kind = secret::kind_of(raw).unwrap();
            let s = secret::generate_with_random(kind, &bytes);
            assert_eq!(s.raw(), raw);
            assert_eq!(s.hash(), sha);
            prefixes.push(kind.prefix());
        } else {
            // Tenxyte's unprefixed agent token / refresh UUID rows keep verifying.
            assert!(secret::legacy_hash_matches(raw, sha));
            assert_eq!(secret::kind_of(raw), None);
        }
    }
    assert_eq!(prefixes.len(), 7);
}

#[test]
fn every_kind_has_its_own_prefix_and_full_entropy() {
    let prefixes: HashSet<&str> = SecretKind::ALL.iter().map(|k| k.prefix()).collect();
    assert_eq!(prefixes.len(), SecretKind::ALL.len());
    let mut seen = HashSet::new();
    for kind in SecretKind::ALL {
        for _ in 0..50 {
            let s = secret::generate(kind).unwrap();
            assert_eq!(s.kind(), kind);
            let body = s.raw().strip_prefix(kind.prefix()).unwrap();
            assert_eq!(body.len(), 43);
            // The body is 32 bytes = 256 bits, well above ASVS's 128.
            assert_eq!(b64url_decode(body).unwrap().len(), 32);
            assert_eq!(s.hash().len(), 64);
            assert_eq!(s.hash(), secret::hash(s.raw()));
            assert!(seen.insert(s.raw().to_owned()), "repeat");
            assert_eq!(secret::kind_of(s.raw()), Some(kind));
        }
    }
}

#[test]
fn kinds_cannot_be_confused() {
    let refresh = secret::generate(SecretKind::Refresh).unwrap();
    assert!(secret::check_kind(refresh.raw(), SecretKind::Refresh).is_ok());
    let e = secret::check_kind(refresh.raw(), SecretKind::Agent).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidInput);
    assert!(e.message().contains("refresh"), "{}", e.message());
    // Re-prefixing a refresh token as an agent token passes the shape check but its hash
    // differs, because the prefix is hashed too.
    let forged = refresh.raw().replacen("txr_", "txa_", 1);
    assert!(secret::check_kind(&forged, SecretKind::Agent).is_ok());
    assert!(!secret::verify(&forged, refresh.hash()));
    let body = &refresh.raw()[4..];
    for bad in [
        body.to_string(),                        // no prefix
        format!("txr_{}", &body[..42]),          // short
        format!("txr_{body}A"),                  // long
        format!("txr_{}+", &body[..42]),         // standard alphabet
        format!("TXR_{body}"),                   // case matters
        format!("txr_{body}").replace('_', "-"), // wrong separator
        "txq_".to_string() + body,               // unknown prefix
    ] {
        assert_eq!(secret::kind_of(&bad), None, "{bad}");
        assert!(
            secret::check_kind(&bad, SecretKind::Refresh).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn verify_refuses_wrong_or_malformed_input() {
    let s = secret::generate(SecretKind::MagicLink).unwrap();
    assert!(secret::verify(s.raw(), s.hash()));
    let mut other = s.raw().to_owned();
    other.pop();
    other.push(if s.raw().ends_with('A') { 'B' } else { 'A' });
    assert!(!secret::verify(&other, s.hash()));
    assert!(!secret::verify(s.raw(), &s.hash()[..63]));
    assert!(!secret::verify(s.raw(), &format!("{}0", s.hash())));
    assert!(!secret::verify(
        s.raw(),
        &s.hash().replace(|c: char| c.is_ascii_digit(), "z")
    ));
    assert!(!secret::verify(s.raw(), ""));
    let long = "a".repeat(513);
    assert!(
        !secret::verify(&long, &secret::hash(&long)),
        "over the length cap"
    );
    let ok = "a".repeat(512);
    assert!(secret::verify(&ok, &secret::hash(&ok)));
}

#[test]
fn debug_redacts_the_raw_value() {
    let s = secret::generate(SecretKind::Agent).unwrap();
    let dbg = format!("{s:?}");
    let body = &s.raw()[4..];
    assert!(!dbg.contains(body), "{dbg}");
    assert!(dbg.contains("txa_<redacted>"), "{dbg}");
    assert!(dbg.contains(s.hash()));
    let pretty = format!("{s:#?}");
    assert!(!pretty.contains(body));
}
