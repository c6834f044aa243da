//! `jwt_verify`: `jwt::verify` against the fixed key set with every algorithm allowed.
//!
//! Input: one selector byte, then the token (UTF-8). The selector picks the options
//! (size cap, clock, leeway, `typ`, issuer/audience, required claims) so one corpus
//! reaches every branch of the claim checks.
//!
//! Oracles:
//! - size: a token longer than the cap is `token_too_large` (checked before anything is
//!   decoded, so no other code can win), and a token within the cap never is;
//! - errors carry one of the codes `verify` documents (token and key codes) and every
//!   code is listed in `docs/error-codes.md`;
//! - an `Ok` is only possible with a real signature: the fuzzer cannot forge one, so the
//!   signature is re-checked with `ring` directly against the fixed keys' JWK members;
//!   the reported algorithm is the header's `alg`, the header and claims are exactly the
//!   decoded segments, and the claims re-serialise and parse back strictly unchanged;
//! - the claims of an `Ok` satisfy the options: `exp` in the future, `typ`, issuer and
//!   audience as configured, no `aud` when none is configured, no `crit` header.

use serde_json::Value;
use tenxyte_core::jwt::{self, Algorithm, Verified, VerifyOptions, DEFAULT_MAX_TOKEN_BYTES};
use tenxyte_core::{json, Error, ErrorCode};

use crate::common::{assert_code, b64url, selector_and_str};
use crate::keys::{independently_verified, key_set};

/// The clock of selector 0: seed tokens are issued at this time.
pub const NOW: i64 = 1_700_000_000;
/// The issuer expected when the selector asks for issuer and audience (bit 6).
pub const ISSUER: &str = "https://auth.example";
/// The audience expected when the selector asks for issuer and audience (bit 6).
pub const AUDIENCE: &str = "api";
/// The type expected when the selector asks for one (bit 5).
pub const TYP: &str = "at+jwt";

/// Size caps chosen by selector bits 0–1.
pub const CAPS: [usize; 4] = [DEFAULT_MAX_TOKEN_BYTES, 4096, 512, 100];
/// Clocks chosen by selector bits 2–3: issue time, the epoch, after every seed's `exp`,
/// and before the epoch.
pub const CLOCKS: [i64; 4] = [NOW, 0, 4_102_444_800, -1];

/// Every code `verify` may return.
pub const VERIFY_CODES: &[ErrorCode] = &[
    ErrorCode::Malformed,
    ErrorCode::TokenTooLarge,
    ErrorCode::AlgNotAllowed,
    ErrorCode::KeyNotFound,
    ErrorCode::InvalidSignature,
    ErrorCode::UnsupportedCrit,
    ErrorCode::Expired,
    ErrorCode::NotYetValid,
    ErrorCode::InvalidIssuer,
    ErrorCode::InvalidAudience,
    ErrorCode::MissingClaim,
    ErrorCode::InvalidClaim,
    ErrorCode::InvalidType,
    ErrorCode::InvalidKey,
    ErrorCode::WeakKey,
];

/// The verification options a selector byte stands for.
pub fn options_for(selector: u8) -> VerifyOptions {
    let bits = usize::from(selector);
    let mut options = VerifyOptions::new(&Algorithm::ALL, CLOCKS[(bits >> 2) & 3]);
    options.max_token_bytes = CAPS[bits & 3];
    if selector & 0x10 != 0 {
        options.leeway = 300;
    }
    if selector & 0x20 != 0 {
        options.typ = Some(TYP.to_owned());
    }
    if selector & 0x40 != 0 {
        options.issuer = Some(ISSUER.to_owned());
        options.audience = Some(vec![AUDIENCE.to_owned()]);
    }
    if selector & 0x80 != 0 {
        options.require = vec!["exp".into(), "sub".into(), "iat".into()];
    }
    options
}

/// The libFuzzer entry point.
pub fn check(data: &[u8]) {
    if let Some((selector, token)) = selector_and_str(data) {
        let _ = check_token(selector, token);
    }
}

/// Verifies `token` under the options of `selector`, asserts every oracle, and returns
/// the result (the replay test also checks which seeds must verify).
pub fn check_token(selector: u8, token: &str) -> Result<Verified, Error> {
    let options = options_for(selector);
    let result = jwt::verify(token, key_set(), &options);
    let too_large = token.len() > options.max_token_bytes;
    match &result {
        Err(e) => {
            assert_code(e, VERIFY_CODES, "jwt::verify");
            assert_eq!(
                e.code() == ErrorCode::TokenTooLarge,
                too_large,
                "token of {} bytes, cap {}: got {}",
                token.len(),
                options.max_token_bytes,
                e.code()
            );
        }
        Ok(verified) => {
            assert!(!too_large, "a token over the cap verified");
            check_verified(token, verified, &options);
        }
    }
    result
}

fn check_verified(token: &str, verified: &Verified, options: &VerifyOptions) {
    let segments: Vec<&str> = token.split('.').collect();
    let [h, p, s] = segments.as_slice() else {
        panic!("verified a token with {} segments", segments.len());
    };
    let header: Value = serde_json::from_slice(&b64url(h).expect("header base64url")).unwrap();
    let claims: Value = serde_json::from_slice(&b64url(p).expect("payload base64url")).unwrap();
    assert_eq!(header, Value::Object(verified.header.clone()), "header");
    assert_eq!(claims, Value::Object(verified.claims.clone()), "claims");

    let alg = verified.algorithm;
    assert_eq!(
        header["alg"],
        alg.as_str(),
        "reported algorithm is not the header's"
    );
    assert!(options.algorithms.contains(&alg));
    assert!(header.get("crit").is_none(), "verified a token with crit");
    let kid = header
        .get("kid")
        .map(|k| k.as_str().expect("kid is a string"));
    let signing_input = format!("{h}.{p}");
    let sig = b64url(s).expect("signature base64url");
    assert!(
        independently_verified(alg, kid, signing_input.as_bytes(), &sig),
        "verify accepted a signature that ring does not verify under any fixed key"
    );

    // The claims survive a round trip through serde_json and the strict parser.
    let text = serde_json::to_vec(&verified.claims).expect("claims serialise");
    let back = json::parse_strict_object(&text, json::DEFAULT_MAX_DEPTH).expect("claims reparse");
    assert_eq!(back, verified.claims, "claims do not round-trip");

    let now = options.now as f64;
    let leeway = options.leeway as f64;
    let exp = verified.claims["exp"].as_f64().expect("exp is a number");
    assert!(now < exp + leeway, "expired token verified");
    for name in &options.require {
        assert!(
            verified.claims.contains_key(name),
            "required {name} missing"
        );
    }
    if let Some(typ) = &options.typ {
        let actual = header["typ"]
            .as_str()
            .expect("typ present")
            .to_ascii_lowercase();
        assert!(
            actual == *typ || actual == format!("application/{typ}"),
            "typ {actual:?} accepted for {typ:?}"
        );
    }
    if let Some(issuer) = &options.issuer {
        assert_eq!(verified.claims["iss"], issuer.as_str(), "issuer");
    }
    match (&options.audience, verified.claims.get("aud")) {
        (None, None) => {}
        (None, Some(aud)) => panic!("aud {aud} accepted with no audience configured"),
        (Some(expected), Some(aud)) => {
            let listed = match aud {
                Value::String(s) => vec![s.as_str()],
                Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
                other => panic!("aud {other} accepted"),
            };
            assert!(
                listed.iter().any(|a| expected.iter().any(|e| e == a)),
                "audience {aud} accepted for {expected:?}"
            );
        }
        (Some(_), None) => panic!("token without aud accepted"),
    }
    // The debugging decoder sees the same token.
    if token.len() <= DEFAULT_MAX_TOKEN_BYTES {
        let (h, c) = jwt::decode_unverified(token).expect("decode_unverified of a verified token");
        assert_eq!((h, c), (verified.header.clone(), verified.claims.clone()));
    }
}
