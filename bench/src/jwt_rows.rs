//! JWT sign and verify for HS256, RS256, ES256 and EdDSA: ours, `jsonwebtoken` with an
//! equivalent `Validation`, and raw `ring` over the same signing input (crypto only).
//!
//! Every library signs the same claims with the same key and verifies a token it signed
//! itself. Keys are parsed once, before any timing. Before timing, each verifier is shown
//! to refuse a wrong issuer, a wrong audience, an expired token and a bad signature, so
//! that the rows compare verifiers doing the same checks.

use crate::fixtures::{self, AUDIENCE, ISSUER};
use crate::harness::{Bench, Kind, Speed};
use crate::versions;
use jsonwebtoken as jwt_rs;
use ring::signature::{self as sig, KeyPair as _};
use serde_json::{Map, Value};
use std::hint::black_box;
use tenxyte_core::jwt::{self, Algorithm, Key, KeySet, SignOptions, VerifyOptions};

/// `jsonwebtoken` decodes into the same dynamic map our verifier returns, so both do the
/// same JSON work.
type Claims = Map<String, Value>;

struct Keys {
    alg: Algorithm,
    ours_sign: KeySet,
    ours_verify: KeySet,
    rs_alg: jwt_rs::Algorithm,
    rs_encoding: jwt_rs::EncodingKey,
    rs_decoding: jwt_rs::DecodingKey,
    raw: Raw,
}

/// Parsed `ring` keys plus the public key bytes ring's verifiers take.
enum Raw {
    Hmac(ring::hmac::Key),
    Rsa(sig::RsaKeyPair),
    Ec(sig::EcdsaKeyPair),
    Ed(sig::Ed25519KeyPair),
}

const OURS: &str = "tenxyte-core (ours)";
const JSONWEBTOKEN: &str = "jsonwebtoken [aws-lc-rs]";

fn raw_label(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::HS256 => "ring raw HMAC (crypto only)",
        Algorithm::RS256 => "ring raw RSA PKCS#1 (crypto only)",
        Algorithm::ES256 => "ring raw ECDSA (crypto only)",
        _ => "ring raw Ed25519 (crypto only)",
    }
}

impl Raw {
    fn sign(&self, rng: &ring::rand::SystemRandom, message: &[u8]) -> Vec<u8> {
        match self {
            Raw::Hmac(key) => ring::hmac::sign(key, message).as_ref().to_vec(),
            Raw::Rsa(pair) => {
                let mut out = vec![0u8; pair.public().modulus_len()];
                pair.sign(&sig::RSA_PKCS1_SHA256, rng, message, &mut out)
                    .expect("RSA sign");
                out
            }
            Raw::Ec(pair) => pair
                .sign(rng, message)
                .expect("ECDSA sign")
                .as_ref()
                .to_vec(),
            Raw::Ed(pair) => pair.sign(message).as_ref().to_vec(),
        }
    }

    fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match self {
            Raw::Hmac(key) => ring::hmac::verify(key, message, signature).is_ok(),
            Raw::Rsa(pair) => sig::UnparsedPublicKey::new(
                &sig::RSA_PKCS1_2048_8192_SHA256,
                pair.public().as_ref(),
            )
            .verify(message, signature)
            .is_ok(),
            Raw::Ec(pair) => {
                sig::UnparsedPublicKey::new(&sig::ECDSA_P256_SHA256_FIXED, pair.public_key())
                    .verify(message, signature)
                    .is_ok()
            }
            Raw::Ed(pair) => sig::UnparsedPublicKey::new(&sig::ED25519, pair.public_key())
                .verify(message, signature)
                .is_ok(),
        }
    }
}

fn keys(alg: Algorithm) -> Keys {
    let rng = ring::rand::SystemRandom::new();
    let ours = |private: &str, public: &str| {
        let signing = Key::from_pem(private)
            .and_then(|k| k.with_algorithm(alg))
            .expect("our key parses");
        let verifying = Key::from_pem(public)
            .and_then(|k| k.with_algorithm(alg))
            .expect("our public key parses");
        (KeySet::single(signing), KeySet::single(verifying))
    };
    match alg {
        Algorithm::HS256 => {
            let key = Key::hmac(fixtures::HS256_SECRET, alg).expect("HMAC key");
            Keys {
                alg,
                ours_sign: KeySet::single(key.clone()),
                ours_verify: KeySet::single(key),
                rs_alg: jwt_rs::Algorithm::HS256,
                rs_encoding: jwt_rs::EncodingKey::from_secret(&fixtures::HS256_SECRET[..])
                    .expect("jsonwebtoken HMAC key"),
                rs_decoding: jwt_rs::DecodingKey::from_secret(&fixtures::HS256_SECRET[..])
                    .expect("jsonwebtoken HMAC key"),
                raw: Raw::Hmac(ring::hmac::Key::new(
                    ring::hmac::HMAC_SHA256,
                    fixtures::HS256_SECRET,
                )),
            }
        }
        Algorithm::RS256 => {
            let (ours_sign, ours_verify) =
                ours(fixtures::RSA_PRIVATE_PEM, fixtures::RSA_PUBLIC_PEM);
            let der = fixtures::pem_to_der(fixtures::RSA_PRIVATE_PEM);
            Keys {
                alg,
                ours_sign,
                ours_verify,
                rs_alg: jwt_rs::Algorithm::RS256,
                rs_encoding: jwt_rs::EncodingKey::from_rsa_pem(
                    fixtures::RSA_PRIVATE_PEM.as_bytes(),
                )
                .expect("jsonwebtoken RSA key"),
                rs_decoding: jwt_rs::DecodingKey::from_rsa_pem(fixtures::RSA_PUBLIC_PEM.as_bytes())
                    .expect("jsonwebtoken RSA public key"),
                raw: Raw::Rsa(sig::RsaKeyPair::from_pkcs8(&der).expect("ring RSA key")),
            }
        }
        Algorithm::ES256 => {
            let (ours_sign, ours_verify) =
                ours(fixtures::P256_PRIVATE_PEM, fixtures::P256_PUBLIC_PEM);
            let der = fixtures::pem_to_der(fixtures::P256_PRIVATE_PEM);
            Keys {
                alg,
                ours_sign,
                ours_verify,
                rs_alg: jwt_rs::Algorithm::ES256,
                rs_encoding: jwt_rs::EncodingKey::from_ec_pem(
                    fixtures::P256_PRIVATE_PEM.as_bytes(),
                )
                .expect("jsonwebtoken P-256 key"),
                rs_decoding: jwt_rs::DecodingKey::from_ec_pem(fixtures::P256_PUBLIC_PEM.as_bytes())
                    .expect("jsonwebtoken P-256 public key"),
                raw: Raw::Ec(
                    sig::EcdsaKeyPair::from_pkcs8(
                        &sig::ECDSA_P256_SHA256_FIXED_SIGNING,
                        &der,
                        &rng,
                    )
                    .expect("ring P-256 key"),
                ),
            }
        }
        Algorithm::EdDSA => {
            let (ours_sign, ours_verify) =
                ours(fixtures::ED25519_PRIVATE_PEM, fixtures::ED25519_PUBLIC_PEM);
            let der = fixtures::pem_to_der(fixtures::ED25519_PRIVATE_PEM);
            Keys {
                alg,
                ours_sign,
                ours_verify,
                rs_alg: jwt_rs::Algorithm::EdDSA,
                rs_encoding: jwt_rs::EncodingKey::from_ed_pem(
                    fixtures::ED25519_PRIVATE_PEM.as_bytes(),
                )
                .expect("jsonwebtoken Ed25519 key"),
                rs_decoding: jwt_rs::DecodingKey::from_ed_pem(
                    fixtures::ED25519_PUBLIC_PEM.as_bytes(),
                )
                .expect("jsonwebtoken Ed25519 public key"),
                raw: Raw::Ed(
                    sig::Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der)
                        .expect("ring Ed25519 key"),
                ),
            }
        }
        other => unimplemented!("no benchmark for {other}"),
    }
}

/// `typ: JWT` in both headers, so that our token and jsonwebtoken's have the same length.
fn ours_sign_options() -> SignOptions {
    SignOptions {
        typ: Some("JWT".to_owned()),
        algorithm: None,
    }
}

fn ours_verify_options(alg: Algorithm, now: i64) -> VerifyOptions {
    let mut options = VerifyOptions::new(&[alg], now);
    options.issuer = Some(ISSUER.to_owned());
    options.audience = Some(vec![AUDIENCE.to_owned()]);
    options
}

/// What our options check, spelled for jsonwebtoken: signature, `exp` with no leeway,
/// `iss` and `aud`, all three required.
fn rs_validation(alg: jwt_rs::Algorithm) -> jwt_rs::Validation {
    let mut validation = jwt_rs::Validation::new(alg);
    validation.leeway = 0;
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    validation.set_required_spec_claims(&["exp", "iss", "aud"]);
    validation
}

fn signing_input_and_signature(token: &str) -> (&str, Vec<u8>) {
    let (input, signature) = token.rsplit_once('.').expect("three segments");
    let signature = tenxyte_core::encoding::b64url_decode(signature).expect("base64url");
    (input, signature)
}

/// `header.payload(other).signature`: a valid signature over different claims.
fn swap_payload(token: &str, other: &str) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let other: Vec<&str> = other.split('.').collect();
    format!("{}.{}.{}", parts[0], other[1], parts[2])
}

/// Each verifier accepts the good token and refuses the bad ones; panics otherwise.
fn sanity(k: &Keys, iat: i64, claims: &Claims) {
    let bad_claims = [
        (
            "wrong iss",
            fixtures::claims_with(iat, iat + 900, "https://evil.example", AUDIENCE),
        ),
        (
            "wrong aud",
            fixtures::claims_with(iat, iat + 900, ISSUER, "other.example.com"),
        ),
        (
            "expired",
            fixtures::claims_with(iat - 1000, iat - 100, ISSUER, AUDIENCE),
        ),
    ];
    let (alg, opts, validation) = (
        k.alg,
        ours_verify_options(k.alg, iat),
        rs_validation(k.rs_alg),
    );

    let ours = jwt::sign(claims, &k.ours_sign, &ours_sign_options()).expect("ours signs");
    let verified = jwt::verify(&ours, &k.ours_verify, &opts).expect("ours verifies");
    assert_eq!(&verified.claims, claims, "{alg}: ours round trip");
    let header = jwt_rs::Header::new(k.rs_alg);
    let theirs = jwt_rs::encode(&header, claims, &k.rs_encoding).expect("jsonwebtoken signs");
    let decoded = jwt_rs::decode::<Claims>(&theirs, &k.rs_decoding, &validation)
        .expect("jsonwebtoken verifies");
    assert_eq!(&decoded.claims, claims, "{alg}: jsonwebtoken round trip");
    assert_eq!(ours.len(), theirs.len(), "{alg}: same token length");

    for (what, bad) in &bad_claims {
        let t = jwt::sign(bad, &k.ours_sign, &ours_sign_options()).expect("ours signs");
        assert!(
            jwt::verify(&t, &k.ours_verify, &opts).is_err(),
            "{alg}: ours accepted {what}"
        );
        let t = jwt_rs::encode(&header, bad, &k.rs_encoding).expect("jsonwebtoken signs");
        assert!(
            jwt_rs::decode::<Claims>(&t, &k.rs_decoding, &validation).is_err(),
            "{alg}: jsonwebtoken accepted {what}"
        );
    }
    let (other_ours, other_theirs) = {
        let other = &bad_claims[0].1;
        (
            jwt::sign(other, &k.ours_sign, &ours_sign_options()).expect("sign"),
            jwt_rs::encode(&header, other, &k.rs_encoding).expect("sign"),
        )
    };
    let forged = swap_payload(&ours, &other_ours);
    assert!(
        jwt::verify(&forged, &k.ours_verify, &opts).is_err(),
        "{alg}: ours forged"
    );
    let forged = swap_payload(&theirs, &other_theirs);
    assert!(
        jwt_rs::decode::<Claims>(&forged, &k.rs_decoding, &validation).is_err(),
        "{alg}: jsonwebtoken forged"
    );

    let rng = ring::rand::SystemRandom::new();
    let (input, _) = signing_input_and_signature(&ours);
    let raw = k.raw.sign(&rng, input.as_bytes());
    assert!(
        k.raw.verify(input.as_bytes(), &raw),
        "{alg}: ring round trip"
    );
    assert!(!k.raw.verify(b"other input", &raw), "{alg}: ring forged");
}

/// Token length for the header lines, e.g. "HS256 token: 352 chars".
pub fn token_length(alg: Algorithm, iat: i64) -> usize {
    let k = keys(alg);
    jwt::sign(&fixtures::claims(iat), &k.ours_sign, &ours_sign_options())
        .expect("sign")
        .len()
}

/// The JWT rows, for `iat` = the run's start time (jsonwebtoken checks `exp` against the
/// system clock, so the claims must be current; ours is given the same instant).
pub fn rows(b: &mut Bench, iat: i64) {
    let claims = fixtures::claims(iat);
    for alg in [
        Algorithm::HS256,
        Algorithm::RS256,
        Algorithm::ES256,
        Algorithm::EdDSA,
    ] {
        let sign_op = format!("{alg} sign");
        let verify_op = format!("{alg} verify");
        let wanted = [&sign_op, &verify_op].iter().any(|op| {
            [OURS, JSONWEBTOKEN, raw_label(alg)]
                .iter()
                .any(|i| b.wants(op, i))
        });
        if !wanted {
            continue;
        }
        let k = keys(alg);
        sanity(&k, iat, &claims);
        one_alg(b, &k, iat, &claims, &sign_op, &verify_op);
    }
}

fn one_alg(b: &mut Bench, k: &Keys, iat: i64, claims: &Claims, sign_op: &str, verify_op: &str) {
    let rng = ring::rand::SystemRandom::new();
    let sign_options = ours_sign_options();
    let verify_options = ours_verify_options(k.alg, iat);
    let header = jwt_rs::Header::new(k.rs_alg);
    let validation = rs_validation(k.rs_alg);
    let ours_token = jwt::sign(claims, &k.ours_sign, &sign_options).expect("sign");
    let rs_token = jwt_rs::encode(&header, claims, &k.rs_encoding).expect("sign");
    let (input, _) = signing_input_and_signature(&ours_token);
    let raw_signature = k.raw.sign(&rng, input.as_bytes());
    let (ours_v, rs_v, ring_v) = (
        versions::TENXYTE_CORE,
        versions::JSONWEBTOKEN,
        versions::RING,
    );

    b.measure(Speed::Fast, sign_op, OURS, Kind::Ours, ours_v, || {
        jwt::sign(black_box(claims), &k.ours_sign, &sign_options)
    });
    b.measure(
        Speed::Fast,
        sign_op,
        JSONWEBTOKEN,
        Kind::Anchor,
        rs_v,
        || jwt_rs::encode(&header, black_box(claims), &k.rs_encoding),
    );
    b.measure(
        Speed::Fast,
        sign_op,
        raw_label(k.alg),
        Kind::CryptoOnly,
        ring_v,
        || k.raw.sign(&rng, black_box(input.as_bytes())),
    );

    b.measure(Speed::Fast, verify_op, OURS, Kind::Ours, ours_v, || {
        jwt::verify(black_box(&ours_token), &k.ours_verify, &verify_options)
    });
    b.measure(
        Speed::Fast,
        verify_op,
        JSONWEBTOKEN,
        Kind::Anchor,
        rs_v,
        || jwt_rs::decode::<Claims>(black_box(&rs_token), &k.rs_decoding, &validation),
    );
    b.measure(
        Speed::Fast,
        verify_op,
        raw_label(k.alg),
        Kind::CryptoOnly,
        ring_v,
        || {
            k.raw
                .verify(black_box(input.as_bytes()), black_box(&raw_signature))
        },
    );
}
