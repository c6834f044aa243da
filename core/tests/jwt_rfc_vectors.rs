//! Standards vectors: RFC 7515 Appendix A.1–A.3 and A.5, RFC 7519 §3.1 (the same token as
//! RFC 7515 A.1), RFC 8037 A.4. A.4 (ES512, P-521) is out of scope: P-521 is not a
//! supported curve, which the test below asserts.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use tenxyte_core::encoding::b64url_decode;
use tenxyte_core::jwt::{self, key_from_jwk_json, Algorithm, KeySet, VerifyOptions};
use tenxyte_core::ErrorCode;

const CLAIMS_B64: &str =
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
/// One second before the examples' `exp` (1300819380).
const BEFORE_EXP: i64 = 1_300_819_379;

const A1_JWK: &str = r#"{"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}"#;
const A1_TOKEN: &str = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

const A2_JWK: &str = r#"{"kty":"RSA","n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ","e":"AQAB","d":"Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-7YwVol2NXOoAJe46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439X0M_V51gfpRLI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_jTj3ccPDVZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ","p":"4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdiYrqBdss1l58BQ3KhooKeQTa9AB0Hw_Py5PJdTJNPY8cQn7ouZ2KKDcmnPGBY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGUc","q":"uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjLYsp1ZSe7zFYHj7C6ul7TjeLQeZD_YwD66t62wDmpe_HlB-TnBA-njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdc","dp":"BwKfV3Akq5_MFZDFZCnW-wzl-CCo83WoZvnLQwCTeDv8uzluRSnm71I3QCLdhrqE2e9YkxvuxdBfpT_PI7Yz-FOKnu1R6HsJeDCjn12Sk3vmAktV2zb34MCdy7cpdTh_YVr7tss2u6vneTwrA86rZtu5Mbr1C1XsmvkxHQAdYo0","dq":"h_96-mK1R_7glhsum81dZxjTnYynPbZpHziZjeeHcXYsXaaMwkOlODsWa7I9xXDoRwbKgB719rrmI2oKr6N3Do9U0ajaHF-NKJnwgjMd2w9cjz3_-kyNlxAr2v4IKhGNpmM5iIgOS1VZnOZ68m6_pbLBSp3nssTdlqvd0tIiTHU","qi":"IYd7DHOhrWvxkwPQsRM2tOgrjbcrfvtQJipd-DlcxyVuuM9sQLdgjVk2oy26F0EmpScGLq2MowX7fhd_QJQ3ydy5cY7YIBi87w93IKLEdfnbJtoOPLUW0ITrJReOgo1cq9SbsxYawBgfp_gh6A5603k2-ZQwVK0JKSHuLFkuQ3U"}"#;
const A2_SIG: &str = "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";

const A3_JWK: &str = r#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}"#;
const A3_TOKEN: &str = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

const ED_JWK: &str = r#"{"kty":"OKP","crv":"Ed25519","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
const ED_INPUT: &str = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
const ED_SIG: &str =
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

fn set(jwk: &str) -> KeySet {
    KeySet::single(key_from_jwk_json(jwk).unwrap())
}

fn opts(alg: Algorithm) -> VerifyOptions {
    let mut o = VerifyOptions::new(&[alg], BEFORE_EXP);
    o.issuer = Some("joe".into());
    o
}

#[test]
fn rfc7515_a1_hs256_verifies_and_claims_match() {
    let v = jwt::verify(A1_TOKEN, &set(A1_JWK), &opts(Algorithm::HS256)).unwrap();
    assert_eq!(v.header["typ"], "JWT");
    assert_eq!(v.claims["iss"], "joe");
    assert_eq!(v.claims["exp"], 1_300_819_380);
    assert_eq!(v.claims["http://example.com/is_root"], true);
    // RFC 7519 §3.1 uses the very same token; at `exp` it is expired.
    let mut late = opts(Algorithm::HS256);
    late.now = 1_300_819_380;
    assert_eq!(
        jwt::verify(A1_TOKEN, &set(A1_JWK), &late)
            .unwrap_err()
            .code(),
        ErrorCode::Expired
    );
}

#[test]
fn rfc7515_a1_hmac_signature_is_exact() {
    let key = key_from_jwk_json(A1_JWK).unwrap();
    let (input, sig) = A1_TOKEN.rsplit_once('.').unwrap();
    let ours = key.sign_bytes(Algorithm::HS256, input.as_bytes()).unwrap();
    assert_eq!(ours, b64url_decode(sig).unwrap());
}

#[test]
fn rfc7515_a2_rs256_signature_is_exact_and_verifies() {
    let key = key_from_jwk_json(A2_JWK).unwrap();
    let input = format!("eyJhbGciOiJSUzI1NiJ9.{CLAIMS_B64}");
    // RSASSA-PKCS1-v1_5 is deterministic: our signature must equal the RFC's byte for byte.
    let ours = key.sign_bytes(Algorithm::RS256, input.as_bytes()).unwrap();
    assert_eq!(ours, b64url_decode(A2_SIG).unwrap());
    let token = format!("{input}.{A2_SIG}");
    let public = KeySet::single(key.public_only().unwrap());
    jwt::verify(&token, &public, &opts(Algorithm::RS256)).unwrap();
}

#[test]
fn rfc7515_a3_es256_verifies_with_the_public_key() {
    let key = key_from_jwk_json(A3_JWK).unwrap();
    let public = KeySet::single(key.public_only().unwrap());
    jwt::verify(A3_TOKEN, &public, &opts(Algorithm::ES256)).unwrap();
    // Our own ES256 signatures over the same input verify too (ECDSA is randomised).
    let input = format!("eyJhbGciOiJFUzI1NiJ9.{CLAIMS_B64}");
    let sig = key.sign_bytes(Algorithm::ES256, input.as_bytes()).unwrap();
    assert_eq!(sig.len(), 64);
    key.verify_bytes(Algorithm::ES256, input.as_bytes(), &sig)
        .unwrap();
}

#[test]
fn rfc7515_a4_p521_is_not_supported() {
    let jwk = r#"{"kty":"EC","crv":"P-521","x":"AekpBQ8ST8a8VcfVOTNl353vSrDCLLJXmPk06wTjxrrjcBpXp5EOnYG_NjFZ6OvLFV1jSfS9tsz4qUxcWceqwQGk","y":"ADSmRA43Z1DSNx_RvcLI87cdL07l6jQyyBXMoxVg_l2Th-x3S1WDhjDly79ajL4Kkd0AZMaZmh9ubmf63e3kyMj2"}"#;
    assert_eq!(
        key_from_jwk_json(jwk).unwrap_err().code(),
        ErrorCode::InvalidKey
    );
}

#[test]
fn rfc7515_a5_unsecured_jws_is_refused() {
    let token = format!("eyJhbGciOiJub25lIn0.{CLAIMS_B64}.");
    let all = VerifyOptions::new(&Algorithm::ALL, BEFORE_EXP);
    let e = jwt::verify(&token, &set(A1_JWK), &all).unwrap_err();
    assert_eq!(e.code(), ErrorCode::AlgNotAllowed);
}

#[test]
fn rfc8037_a4_ed25519_signature_is_exact() {
    let key = key_from_jwk_json(ED_JWK).unwrap();
    let sig = key
        .sign_bytes(Algorithm::EdDSA, ED_INPUT.as_bytes())
        .unwrap();
    assert_eq!(sig, b64url_decode(ED_SIG).unwrap());
    let public = key.public_only().unwrap();
    public
        .verify_bytes(Algorithm::EdDSA, ED_INPUT.as_bytes(), &sig)
        .unwrap();
    // The payload "Example of Ed25519 signing" is not a JWT claims set: as a JWT it is
    // malformed, though its signature is valid.
    let token = format!("{ED_INPUT}.{ED_SIG}");
    let e = jwt::verify(
        &token,
        &KeySet::single(public),
        &VerifyOptions::new(&[Algorithm::EdDSA], 0),
    )
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Malformed);
}
