#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Replays codes and provisioning URIs produced by pyotp (the library Tenxyte uses),
//! written by tests/interop/gen_otp_fixtures.py.

use serde_json::Value;
use tenxyte_core::otp::{parse_uri, Algorithm, Hotp, OtpKind, OtpSecret, Totp};

fn fixture() -> Value {
    serde_json::from_str(include_str!("fixtures/otp/pyotp.json")).unwrap()
}

fn alg(case: &Value) -> Algorithm {
    case["algorithm"].as_str().unwrap().parse().unwrap()
}

fn u32_of(v: &Value) -> u32 {
    u32::try_from(v.as_u64().unwrap()).unwrap()
}

#[test]
fn totp_codes_and_uris_match_pyotp() {
    let doc = fixture();
    let cases = doc["totp"].as_array().unwrap();
    assert!(cases.len() >= 20);
    let mut checked = 0;
    for case in cases {
        let secret = OtpSecret::from_base32(case["secret"].as_str().unwrap()).unwrap();
        assert_eq!(secret.to_base32(), case["secret"].as_str().unwrap());
        let totp = Totp::with_params(
            secret,
            alg(case),
            u32_of(&case["digits"]),
            u32_of(&case["period"]),
            0,
        )
        .unwrap();
        for c in case["codes"].as_array().unwrap() {
            let now = c["time"].as_i64().unwrap();
            let want = c["code"].as_str().unwrap();
            assert_eq!(totp.code_at(now).unwrap(), want, "{case} at {now}");
            // And the verifier accepts pyotp's code at that time, at the right step.
            assert_eq!(
                totp.verify(want, now, 0, None).unwrap(),
                totp.step_at(now).unwrap()
            );
            checked += 1;
        }
        let issuer = case["issuer"].as_str().unwrap();
        let account = case["account"].as_str().unwrap();
        let uri = case["uri"].as_str().unwrap();
        assert_eq!(totp.provisioning_uri(issuer, account).unwrap(), uri);

        let parsed = parse_uri(uri).unwrap();
        assert_eq!(parsed.issuer.as_deref(), Some(issuer), "{uri}");
        assert_eq!(parsed.account, account, "{uri}");
        assert_eq!(parsed.otp, OtpKind::Totp(totp.clone()), "{uri}");
    }
    assert!(checked >= 300, "{checked}");
}

#[test]
fn hotp_codes_and_uris_match_pyotp() {
    let doc = fixture();
    for case in doc["hotp"].as_array().unwrap() {
        let secret = OtpSecret::from_base32(case["secret"].as_str().unwrap()).unwrap();
        let hotp = Hotp::with_params(secret, alg(case), u32_of(&case["digits"])).unwrap();
        for c in case["codes"].as_array().unwrap() {
            let counter = c["counter"].as_u64().unwrap();
            assert_eq!(
                hotp.code(counter).unwrap(),
                c["code"].as_str().unwrap(),
                "{case}"
            );
        }
        let issuer = case["issuer"].as_str().unwrap();
        let account = case["account"].as_str().unwrap();
        let initial = case["initial_count"].as_u64().unwrap();
        let uri = case["uri"].as_str().unwrap();
        assert_eq!(
            hotp.provisioning_uri(issuer, account, initial).unwrap(),
            uri
        );
        let parsed = parse_uri(uri).unwrap();
        assert_eq!(parsed.issuer.as_deref(), Some(issuer));
        assert_eq!(parsed.account, account);
        assert_eq!(
            parsed.otp,
            OtpKind::Hotp {
                hotp: hotp.clone(),
                counter: initial
            }
        );
    }
}
