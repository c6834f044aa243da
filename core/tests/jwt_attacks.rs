//! The classic JWT attacks of security.md §2, one named test each. Every forged token
//! below would be accepted by a verifier with the corresponding bug.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use serde_json::{json, Map, Value};
use tenxyte_core::encoding::{b64url_decode, b64url_encode};
use tenxyte_core::jwt::{
    self, key_from_jwk_json, Algorithm, Key, KeySet, SignOptions, VerifyOptions,
};
use tenxyte_core::ErrorCode;

const NOW: i64 = 1_700_000_000;
const SECRET: &[u8] = b"an HMAC secret that is long enough for HS256";

const RSA_JWK: &str = r#"{"kty":"RSA","n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ","e":"AQAB"}"#;

fn hs_keys() -> KeySet {
    KeySet::single(Key::hmac(SECRET, Algorithm::HS256).unwrap())
}

fn claims() -> Value {
    json!({"sub": "alice", "iat": NOW, "exp": NOW + 600})
}

/// Builds a token from raw header and payload JSON text, HMAC-signed with `secret`.
fn forge_hs(header: &str, payload: &str, secret: &[u8], alg: Algorithm) -> String {
    let input = format!(
        "{}.{}",
        b64url_encode(header.as_bytes()),
        b64url_encode(payload.as_bytes())
    );
    let key = Key::hmac_any(secret).unwrap();
    let sig = key.sign_bytes(alg, input.as_bytes()).unwrap();
    format!("{input}.{}", b64url_encode(&sig))
}

fn good_hs(payload: &Value) -> String {
    forge_hs(
        r#"{"alg":"HS256"}"#,
        &payload.to_string(),
        SECRET,
        Algorithm::HS256,
    )
}

fn opts() -> VerifyOptions {
    VerifyOptions::new(&[Algorithm::HS256], NOW)
}

fn code(token: &str, keys: &KeySet, o: &VerifyOptions) -> ErrorCode {
    jwt::verify(token, keys, o).unwrap_err().code()
}

#[test]
fn baseline_token_verifies() {
    jwt::verify(&good_hs(&claims()), &hs_keys(), &opts()).unwrap();
}

#[test]
fn alg_none_in_every_spelling_is_refused() {
    let payload = b64url_encode(claims().to_string().as_bytes());
    for header in [
        r#"{"alg":"none"}"#,
        r#"{"alg":"None"}"#,
        r#"{"alg":"NONE"}"#,
        r#"{"alg":"nOnE"}"#,
        r#"{"alg":"\u006eone"}"#,
    ] {
        let h = b64url_encode(header.as_bytes());
        for token in [format!("{h}.{payload}."), format!("{h}.{payload}.c2ln")] {
            let all = VerifyOptions::new(&Algorithm::ALL, NOW);
            assert_eq!(
                code(&token, &hs_keys(), &all),
                ErrorCode::AlgNotAllowed,
                "{header}"
            );
        }
    }
}

#[test]
fn alg_outside_the_allowlist_is_refused() {
    let token = forge_hs(
        r#"{"alg":"HS512"}"#,
        &claims().to_string(),
        &[9u8; 64],
        Algorithm::HS512,
    );
    let keys = KeySet::single(Key::hmac_any(&[9u8; 64]).unwrap());
    assert_eq!(code(&token, &keys, &opts()), ErrorCode::AlgNotAllowed);
    assert_eq!(
        code(&token, &keys, &VerifyOptions::new(&[], NOW)),
        ErrorCode::AlgNotAllowed
    );
}

#[test]
fn rs_to_hs_key_confusion_is_refused_for_every_public_key_encoding() {
    let rsa = key_from_jwk_json(RSA_JWK).unwrap();
    let keys = KeySet::single(rsa.clone());
    let pem = rsa.to_public_pem().unwrap();
    let pem_ws = format!("  \n{pem}");
    let jwk = serde_json::to_string(&rsa.to_public_jwk().unwrap()).unwrap();
    let der = {
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        tenxyte_core::encoding::b64_decode(&body).unwrap()
    };
    for secret in [
        pem.as_bytes(),
        pem_ws.as_bytes(),
        jwk.as_bytes(),
        der.as_slice(),
    ] {
        let token = forge_hs(
            r#"{"alg":"HS256"}"#,
            &claims().to_string(),
            secret,
            Algorithm::HS256,
        );
        // A verifier that only expects RS256 refuses the algorithm…
        let rs_only = VerifyOptions::new(&[Algorithm::RS256], NOW);
        assert_eq!(code(&token, &keys, &rs_only), ErrorCode::AlgNotAllowed);
        // …and even one that allows both never treats the RSA key as an HMAC secret.
        let both = VerifyOptions::new(&[Algorithm::RS256, Algorithm::HS256], NOW);
        assert_eq!(code(&token, &keys, &both), ErrorCode::KeyNotFound);
    }
}

#[test]
fn kid_injection_only_selects_configured_keys() {
    let keys = KeySet::single(Key::hmac(SECRET, Algorithm::HS256).unwrap().with_kid("k1"));
    for kid in ["../../dev/null", "' OR '1'='1", "k1\u{0}", "K1", "k1 ", ""] {
        let header = json!({"alg": "HS256", "kid": kid}).to_string();
        // Signed with an empty-ish attacker secret as /dev/null would yield.
        let token = forge_hs(&header, &claims().to_string(), &[0u8; 32], Algorithm::HS256);
        assert_eq!(
            code(&token, &keys, &opts()),
            ErrorCode::KeyNotFound,
            "{kid:?}"
        );
    }
    let token = forge_hs(
        r#"{"alg":"HS256","kid":"k1"}"#,
        &claims().to_string(),
        SECRET,
        Algorithm::HS256,
    );
    jwt::verify(&token, &keys, &opts()).unwrap();
    let bad_type = forge_hs(
        r#"{"alg":"HS256","kid":7}"#,
        &claims().to_string(),
        SECRET,
        Algorithm::HS256,
    );
    assert_eq!(code(&bad_type, &keys, &opts()), ErrorCode::Malformed);
}

#[test]
fn kid_naming_a_key_of_another_family_is_invalid_key() {
    let mut keys = KeySet::new();
    keys.add(key_from_jwk_json(RSA_JWK).unwrap().with_kid("rsa"))
        .unwrap();
    let token = forge_hs(
        r#"{"alg":"HS256","kid":"rsa"}"#,
        &claims().to_string(),
        SECRET,
        Algorithm::HS256,
    );
    assert_eq!(code(&token, &keys, &opts()), ErrorCode::InvalidKey);
}

#[test]
fn embedded_jwk_jku_x5u_x5c_are_never_used_to_find_keys() {
    let (attacker, _) = Key::generate(Algorithm::ES256).unwrap();
    let attacker_jwk = Value::Object(attacker.to_public_jwk().unwrap());
    let victim = KeySet::single(Key::generate(Algorithm::ES256).unwrap().0);
    let mut signed_by_attacker = Vec::new();
    for extra in [
        json!({"jwk": attacker_jwk}),
        json!({"jku": "https://attacker.example/jwks.json"}),
        json!({"x5u": "https://attacker.example/cert.pem"}),
        json!({"x5c": ["MIIB"]}),
    ] {
        let mut header = extra.as_object().unwrap().clone();
        header.insert("alg".into(), "ES256".into());
        let input = format!(
            "{}.{}",
            b64url_encode(Value::Object(header).to_string().as_bytes()),
            b64url_encode(claims().to_string().as_bytes())
        );
        let sig = attacker
            .sign_bytes(Algorithm::ES256, input.as_bytes())
            .unwrap();
        signed_by_attacker.push(format!("{input}.{}", b64url_encode(&sig)));
    }
    let o = VerifyOptions::new(&[Algorithm::ES256], NOW);
    for token in signed_by_attacker {
        assert_eq!(code(&token, &victim, &o), ErrorCode::InvalidSignature);
    }
}

#[test]
fn unknown_or_malformed_crit_is_refused() {
    for (header, expected) in [
        (
            r#"{"alg":"HS256","crit":["exp"],"exp":1}"#,
            ErrorCode::UnsupportedCrit,
        ),
        (
            r#"{"alg":"HS256","crit":["b64"],"b64":false}"#,
            ErrorCode::UnsupportedCrit,
        ),
        (r#"{"alg":"HS256","crit":[]}"#, ErrorCode::Malformed),
        (r#"{"alg":"HS256","crit":"b64"}"#, ErrorCode::Malformed),
        (r#"{"alg":"HS256","crit":["x","x"]}"#, ErrorCode::Malformed),
    ] {
        let token = forge_hs(header, &claims().to_string(), SECRET, Algorithm::HS256);
        assert_eq!(code(&token, &hs_keys(), &opts()), expected, "{header}");
    }
}

#[test]
fn missing_or_mistyped_exp_is_never_treated_as_absent() {
    let no_exp = good_hs(&json!({"sub": "a"}));
    assert_eq!(code(&no_exp, &hs_keys(), &opts()), ErrorCode::MissingClaim);
    // CVE-2026-25537: a string exp/nbf must not silently skip validation, even when the
    // claim is not required.
    let mut lax = opts();
    lax.require.clear();
    for bad in [
        json!({"exp": "1"}),
        json!({"nbf": "99999999999"}),
        json!({"iat": true}),
        json!({"exp": null}),
        json!({"exp": 18446744073709551616.0_f64}),
        json!({"iss": 5}),
        json!({"aud": [1]}),
        json!({"aud": {"x": 1}}),
        json!({"sub": 5}),
    ] {
        assert_eq!(
            code(&good_hs(&bad), &hs_keys(), &lax),
            ErrorCode::InvalidClaim,
            "{bad}"
        );
    }
}

#[test]
fn time_boundaries_and_leeway() {
    let exp_now = good_hs(&json!({"exp": NOW}));
    assert_eq!(
        code(&exp_now, &hs_keys(), &opts()),
        ErrorCode::Expired,
        "exp == now"
    );
    jwt::verify(&good_hs(&json!({"exp": NOW + 1})), &hs_keys(), &opts()).unwrap();
    let mut leeway = opts();
    leeway.leeway = 30;
    jwt::verify(&good_hs(&json!({"exp": NOW - 29})), &hs_keys(), &leeway).unwrap();
    assert_eq!(
        code(&good_hs(&json!({"exp": NOW - 30})), &hs_keys(), &leeway),
        ErrorCode::Expired
    );
    // nbf: valid from nbf on; leeway pulls it earlier, never later.
    let nbf = json!({"exp": NOW + 100, "nbf": NOW + 1});
    assert_eq!(
        code(&good_hs(&nbf), &hs_keys(), &opts()),
        ErrorCode::NotYetValid
    );
    jwt::verify(
        &good_hs(&json!({"exp": NOW + 100, "nbf": NOW})),
        &hs_keys(),
        &opts(),
    )
    .unwrap();
    jwt::verify(&good_hs(&nbf), &hs_keys(), &leeway).unwrap();
    // iat in the future is refused.
    let iat = json!({"exp": NOW + 100, "iat": NOW + 5});
    let e = jwt::verify(&good_hs(&iat), &hs_keys(), &opts()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotYetValid);
    assert_eq!(e.details().unwrap()["claim"], "iat");
    // Fractional NumericDates are allowed (RFC 7519 §2).
    let frac = json!({"exp": NOW as f64 + 0.5});
    jwt::verify(&good_hs(&frac), &hs_keys(), &opts()).unwrap();
}

#[test]
fn audience_confusion() {
    let mut o = opts();
    o.audience = Some(vec!["api".into()]);
    let with = |aud: Value| good_hs(&json!({"exp": NOW + 60, "aud": aud}));
    jwt::verify(&with(json!("api")), &hs_keys(), &o).unwrap();
    jwt::verify(&with(json!(["other", "api"])), &hs_keys(), &o).unwrap();
    for bad in [
        json!("api2"),
        json!("ap"),
        json!("API"),
        json!(["other"]),
        json!([]),
        json!(" api"),
    ] {
        assert_eq!(
            code(&with(bad.clone()), &hs_keys(), &o),
            ErrorCode::InvalidAudience,
            "{bad}"
        );
    }
    let none = good_hs(&json!({"exp": NOW + 60}));
    assert_eq!(code(&none, &hs_keys(), &o), ErrorCode::MissingClaim);
    // A token restricted to an audience is refused by a verifier that names none.
    assert_eq!(
        code(&with(json!("api")), &hs_keys(), &opts()),
        ErrorCode::InvalidAudience
    );
}

#[test]
fn issuer_is_exact() {
    let mut o = opts();
    o.issuer = Some("https://issuer.example".into());
    let with = |iss: &str| good_hs(&json!({"exp": NOW + 60, "iss": iss}));
    jwt::verify(&with("https://issuer.example"), &hs_keys(), &o).unwrap();
    for bad in [
        "https://issuer.example/",
        "https://ISSUER.example",
        "https://issuer.example.evil",
    ] {
        assert_eq!(
            code(&with(bad), &hs_keys(), &o),
            ErrorCode::InvalidIssuer,
            "{bad}"
        );
    }
    assert_eq!(
        code(&good_hs(&json!({"exp": NOW + 60})), &hs_keys(), &o),
        ErrorCode::MissingClaim
    );
}

#[test]
fn typ_is_enforced_when_configured() {
    let mut o = opts();
    o.typ = Some("at+jwt".into());
    let with = |typ: &str| {
        forge_hs(
            &json!({"alg": "HS256", "typ": typ}).to_string(),
            &claims().to_string(),
            SECRET,
            Algorithm::HS256,
        )
    };
    for ok in [
        "at+jwt",
        "AT+JWT",
        "application/at+jwt",
        "Application/At+JWT",
    ] {
        jwt::verify(&with(ok), &hs_keys(), &o).unwrap();
    }
    for bad in ["JWT", "refresh+jwt", "at+jwt2", "application/jwt"] {
        assert_eq!(
            code(&with(bad), &hs_keys(), &o),
            ErrorCode::InvalidType,
            "{bad}"
        );
    }
    assert_eq!(
        code(&good_hs(&claims()), &hs_keys(), &o),
        ErrorCode::InvalidType
    );
}

#[test]
fn psychic_signature_r_s_zero_is_refused() {
    let keys = KeySet::single(Key::generate(Algorithm::ES256).unwrap().0);
    let input = format!(
        "{}.{}",
        b64url_encode(br#"{"alg":"ES256"}"#),
        b64url_encode(claims().to_string().as_bytes())
    );
    let token = format!("{input}.{}", b64url_encode(&[0u8; 64]));
    let o = VerifyOptions::new(&[Algorithm::ES256], NOW);
    assert_eq!(code(&token, &keys, &o), ErrorCode::InvalidSignature);
}

#[test]
fn signature_lengths_are_exact() {
    let (key, _) = Key::generate(Algorithm::ES256).unwrap();
    let keys = KeySet::single(key.clone());
    let input = format!(
        "{}.{}",
        b64url_encode(br#"{"alg":"ES256"}"#),
        b64url_encode(claims().to_string().as_bytes())
    );
    let sig = key.sign_bytes(Algorithm::ES256, input.as_bytes()).unwrap();
    let o = VerifyOptions::new(&[Algorithm::ES256], NOW);
    jwt::verify(&format!("{input}.{}", b64url_encode(&sig)), &keys, &o).unwrap();
    let mut long = sig.clone();
    long.push(0);
    let mut padded = vec![0u8];
    padded.extend_from_slice(&sig);
    for bad in [&sig[..63], &long[..], &padded[..], &[][..]] {
        let token = format!("{input}.{}", b64url_encode(bad));
        assert_eq!(code(&token, &keys, &o), ErrorCode::InvalidSignature);
    }
    // A DER-encoded ECDSA signature is not the JWS R||S form.
    let (r, s) = sig.split_at(32);
    let mut der = vec![0x30, 0x44, 0x02, 0x20];
    der.extend_from_slice(r);
    der.extend_from_slice(&[0x02, 0x20]);
    der.extend_from_slice(s);
    let token = format!("{input}.{}", b64url_encode(&der));
    assert_eq!(code(&token, &keys, &o), ErrorCode::InvalidSignature);
    // A truncated HMAC tag never verifies.
    let good = good_hs(&claims());
    let (head, tag) = good.rsplit_once('.').unwrap();
    let tag = b64url_decode(tag).unwrap();
    let short = format!("{head}.{}", b64url_encode(&tag[..16]));
    assert_eq!(
        code(&short, &hs_keys(), &opts()),
        ErrorCode::InvalidSignature
    );
}

#[test]
fn rsa_signature_without_or_with_extra_leading_zero_is_refused() {
    let key = key_from_jwk_json(RSA_JWK).unwrap();
    let keys = KeySet::single(key);
    let a2 = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
    let sig = b64url_decode("cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw").unwrap();
    let o = VerifyOptions::new(&[Algorithm::RS256], 1_300_819_379);
    jwt::verify(&format!("{a2}.{}", b64url_encode(&sig)), &keys, &o).unwrap();
    let mut extra = vec![0u8];
    extra.extend_from_slice(&sig);
    assert_eq!(
        code(&format!("{a2}.{}", b64url_encode(&extra)), &keys, &o),
        ErrorCode::InvalidSignature
    );
    assert_eq!(
        code(&format!("{a2}.{}", b64url_encode(&sig[1..])), &keys, &o),
        ErrorCode::InvalidSignature
    );
}

#[test]
fn ed25519_non_canonical_s_is_refused() {
    let (key, _) = Key::generate(Algorithm::EdDSA).unwrap();
    let msg = b"header.payload";
    let sig = key.sign_bytes(Algorithm::EdDSA, msg).unwrap();
    // S' = S + L (RFC 8032 §5.1.7 requires S < L).
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let mut forged = sig.clone();
    let mut carry = 0u16;
    for i in 0..32 {
        let v = u16::from(forged[32 + i]) + u16::from(L[i]) + carry;
        forged[32 + i] = v as u8;
        carry = v >> 8;
    }
    assert_eq!(carry, 0);
    key.verify_bytes(Algorithm::EdDSA, msg, &sig).unwrap();
    assert_eq!(
        key.verify_bytes(Algorithm::EdDSA, msg, &forged)
            .unwrap_err()
            .code(),
        ErrorCode::InvalidSignature
    );
}

#[test]
fn duplicate_members_are_refused_in_header_and_claims() {
    for (header, payload) in [
        (r#"{"alg":"HS256","alg":"none"}"#, claims().to_string()),
        (
            r#"{"alg":"HS256","\u0061lg":"HS256"}"#,
            claims().to_string(),
        ),
        (
            r#"{"alg":"HS256"}"#,
            format!(r#"{{"sub":"alice","sub":"admin","exp":{}}}"#, NOW + 60),
        ),
        (
            r#"{"alg":"HS256"}"#,
            format!(r#"{{"sub":"alice","\u0073ub":"admin","exp":{}}}"#, NOW + 60),
        ),
        (
            r#"{"alg":"HS256"}"#,
            format!(r#"{{"exp":{},"exp":{}}}"#, NOW - 10, NOW + 60),
        ),
    ] {
        let token = forge_hs(header, &payload, SECRET, Algorithm::HS256);
        assert_eq!(
            code(&token, &hs_keys(), &opts()),
            ErrorCode::Malformed,
            "{header} {payload}"
        );
    }
}

#[test]
fn oversized_and_deep_tokens_are_refused_before_work() {
    let big = "a".repeat(jwt::DEFAULT_MAX_TOKEN_BYTES + 1);
    assert_eq!(code(&big, &hs_keys(), &opts()), ErrorCode::TokenTooLarge);
    let mut small_cap = opts();
    small_cap.max_token_bytes = 64;
    assert_eq!(
        code(&good_hs(&claims()), &hs_keys(), &small_cap),
        ErrorCode::TokenTooLarge
    );
    let deep = format!(
        r#"{{"exp":{},"x":{}{}}}"#,
        NOW + 60,
        "[".repeat(64),
        "]".repeat(64)
    );
    assert_eq!(
        code(
            &forge_hs(r#"{"alg":"HS256"}"#, &deep, SECRET, Algorithm::HS256),
            &hs_keys(),
            &opts()
        ),
        ErrorCode::Malformed
    );
}

#[test]
fn non_canonical_encodings_are_refused() {
    let good = good_hs(&claims());
    let parts: Vec<&str> = good.split('.').collect();
    let mut cases = vec![
        format!("{}=.{}.{}", parts[0], parts[1], parts[2]),
        format!("{}.{}.{}=", parts[0], parts[1], parts[2]),
        format!(
            "{}.{}.{}",
            parts[0],
            parts[1],
            parts[2].replace('-', "+").replace('_', "/")
        ),
        format!(" {good}"),
        format!("{good}\n"),
        format!("{}.{} .{}", parts[0], parts[1], parts[2]),
        format!("{}.{}", parts[0], parts[1]),
        format!("{good}.x"),
        format!("{good}.x.y"),
        String::new(),
        "..".into(),
    ];
    // Non-zero trailing bits in the last base64url character of the signature.
    let sig = parts[2];
    let last = sig.chars().last().unwrap();
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let idx = alphabet.find(last).unwrap();
    let tweaked = alphabet.chars().nth(idx ^ 1).unwrap();
    cases.push(format!(
        "{}.{}.{}{tweaked}",
        parts[0],
        parts[1],
        &sig[..sig.len() - 1]
    ));
    for token in cases {
        assert_eq!(
            code(&token, &hs_keys(), &opts()),
            ErrorCode::Malformed,
            "{token:?}"
        );
    }
}

#[test]
fn invalid_utf8_bom_and_non_object_json_are_malformed() {
    let payload = b64url_encode(claims().to_string().as_bytes());
    for header in [
        &b"\xff\xfe{\"alg\":\"HS256\"}"[..],
        &b"\xef\xbb\xbf{\"alg\":\"HS256\"}"[..],
        &b"[\"HS256\"]"[..],
        &b"{\"alg\":\"HS256\"} x"[..],
        &b"{\"alg\":\"HS256\",\"x\":\"\\ud800\"}"[..],
    ] {
        let input = format!("{}.{payload}", b64url_encode(header));
        let key = Key::hmac(SECRET, Algorithm::HS256).unwrap();
        let sig = key.sign_bytes(Algorithm::HS256, input.as_bytes()).unwrap();
        let token = format!("{input}.{}", b64url_encode(&sig));
        assert_eq!(code(&token, &hs_keys(), &opts()), ErrorCode::Malformed);
    }
    let array_claims = forge_hs(r#"{"alg":"HS256"}"#, "[1,2]", SECRET, Algorithm::HS256);
    assert_eq!(
        code(&array_claims, &hs_keys(), &opts()),
        ErrorCode::Malformed
    );
}

#[test]
fn weak_keys_are_refused_at_creation() {
    assert_eq!(
        Key::hmac(b"short", Algorithm::HS256).unwrap_err().code(),
        ErrorCode::WeakKey
    );
    let n_1024 = b64url_encode(&[0xc5u8; 128]);
    let jwk = format!(r#"{{"kty":"RSA","n":"{n_1024}","e":"AQAB"}}"#);
    assert_eq!(
        key_from_jwk_json(&jwk).unwrap_err().code(),
        ErrorCode::WeakKey
    );
}

#[test]
fn claims_equal_and_rotation() {
    let old = Key::hmac(SECRET, Algorithm::HS256).unwrap().with_kid("old");
    let new = Key::hmac(&[3u8; 32], Algorithm::HS256)
        .unwrap()
        .with_kid("new");
    let mut keys = KeySet::new();
    keys.add(old.clone()).unwrap();
    keys.add(new).unwrap();
    keys.set_active("new").unwrap();
    let claims: Map<String, Value> = json!({"exp": NOW + 60, "type": "access"})
        .as_object()
        .unwrap()
        .clone();
    let fresh = jwt::sign(&claims, &keys, &SignOptions::default()).unwrap();
    let (header, _) = jwt::decode_unverified(&fresh).unwrap();
    assert_eq!(header["kid"], "new");
    let legacy = jwt::sign_with_key(&claims, &old, &SignOptions::default()).unwrap();
    let mut o = opts();
    o.claims_equal.insert("type".into(), "access".into());
    jwt::verify(&fresh, &keys, &o).unwrap();
    jwt::verify(&legacy, &keys, &o).unwrap();
    o.claims_equal.insert("type".into(), "refresh".into());
    assert_eq!(code(&fresh, &keys, &o), ErrorCode::InvalidClaim);
    o.claims_equal.insert("role".into(), "admin".into());
    o.claims_equal.shift_remove("type");
    assert_eq!(code(&fresh, &keys, &o), ErrorCode::MissingClaim);
}
