//! Typed keys. A key knows its family (HMAC, RSA, P-256, P-384, Ed25519) from the way it
//! was built, never from sniffing bytes, so no API takes "bytes that might be a PEM"
//! (security.md §2, CVE-2022-29217, CVE-2023-48223). This module is the only place that
//! names the crypto backend (`ring`).

use super::alg::{Algorithm, Family};
use super::der::{self, KeyAlgorithm};
use super::pem;
use crate::encoding::b64url_encode;
use crate::error::{err, ErrorCode, Result};
use ring::signature::{self, KeyPair as _};
use std::fmt;
use std::sync::Arc;

/// A signing and/or verification key with optional `kid` and algorithm restriction.
/// Cloning is cheap: the key material is shared.
#[derive(Clone)]
pub struct Key {
    kid: Option<String>,
    /// When set, the key is used with this algorithm only (JWK `alg`, or the caller's
    /// choice); otherwise with any algorithm of its family that the verifier allows.
    alg: Option<Algorithm>,
    usage: Usage,
    material: Arc<Material>,
}

struct Material {
    public: Public,
    private: Option<Private>,
}

/// What a key may be used for (JWK `use` / `key_ops`).
#[derive(Clone, Copy)]
struct Usage {
    sign: bool,
    verify: bool,
}

enum Public {
    Hmac(Box<HmacKeys>),
    /// Big-endian modulus and exponent, without leading zeros.
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    /// Uncompressed point `04 || x || y`.
    Ec {
        family: Family,
        point: Vec<u8>,
    },
    Ed25519([u8; 32]),
}

enum Private {
    Rsa(signature::RsaKeyPair),
    Ec(signature::EcdsaKeyPair),
    Ed25519(signature::Ed25519KeyPair),
}

/// HMAC keys prepared once per hash, for every hash the secret is long enough for.
struct HmacKeys {
    len: usize,
    hs256: Option<ring::hmac::Key>,
    hs384: Option<ring::hmac::Key>,
    hs512: Option<ring::hmac::Key>,
}

impl HmacKeys {
    fn for_alg(&self, alg: Algorithm) -> Option<&ring::hmac::Key> {
        match alg {
            Algorithm::HS256 => self.hs256.as_ref(),
            Algorithm::HS384 => self.hs384.as_ref(),
            Algorithm::HS512 => self.hs512.as_ref(),
            _ => None,
        }
    }
}

fn invalid_key(msg: impl Into<std::borrow::Cow<'static, str>>) -> crate::Error {
    err(ErrorCode::InvalidKey, msg)
}

fn rejected(what: &str, e: ring::error::KeyRejected) -> crate::Error {
    invalid_key(format!("{what} rejected: {e}"))
}

/// RFC 7518 §3.3: RSA keys of 2048 bits or more.
/// The fixed DER prefix of a v1 PKCS#8 Ed25519 private key (RFC 8410 §7): SEQUENCE,
/// version 0, AlgorithmIdentifier id-Ed25519, then the OCTET STRING holding the
/// CurvePrivateKey OCTET STRING of the 32-byte seed that follows.
const ED25519_PKCS8_V1_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

const MIN_RSA_MODULUS_BYTES: usize = 256;
/// Upper bound so a hostile JWK cannot make every verification slow.
const MAX_RSA_MODULUS_BYTES: usize = 1024;

impl Key {
    fn new(public: Public, private: Option<Private>) -> Key {
        Key {
            kid: None,
            alg: None,
            usage: Usage {
                sign: true,
                verify: true,
            },
            material: Arc::new(Material { public, private }),
        }
    }

    // ----- constructors -------------------------------------------------------------

    /// An HMAC secret for `alg` (HS256/384/512). RFC 7518 §3.2 requires at least as many
    /// bytes as the hash output (32/48/64); shorter secrets are `weak_key`.
    pub fn hmac(secret: &[u8], alg: Algorithm) -> Result<Key> {
        if alg.family() != Family::Hmac {
            return Err(invalid_key(format!("{alg} is not an HMAC algorithm")));
        }
        let key = Key::hmac_any(secret)?;
        key.material
            .public
            .hmac()
            .and_then(|h| h.for_alg(alg))
            .ok_or_else(|| {
                err(
                    ErrorCode::WeakKey,
                    format!(
                        "{alg} needs a secret of at least {} bytes; this one has {}",
                        alg.fixed_signature_len().unwrap_or(32),
                        secret.len()
                    ),
                )
            })?;
        Ok(key.with_algorithm_unchecked(alg))
    }

    /// An HMAC secret usable with every HS algorithm its length allows (at least 32 bytes).
    pub fn hmac_any(secret: &[u8]) -> Result<Key> {
        if secret.len() < 32 {
            return Err(err(
                ErrorCode::WeakKey,
                format!(
                    "HMAC secrets need at least 32 bytes (RFC 7518 §3.2); this one has {}",
                    secret.len()
                ),
            ));
        }
        let make =
            |alg, min: usize| (secret.len() >= min).then(|| ring::hmac::Key::new(alg, secret));
        Ok(Key::new(
            Public::Hmac(Box::new(HmacKeys {
                len: secret.len(),
                hs256: make(ring::hmac::HMAC_SHA256, 32),
                hs384: make(ring::hmac::HMAC_SHA384, 48),
                hs512: make(ring::hmac::HMAC_SHA512, 64),
            })),
            None,
        ))
    }

    /// An RSA public key from its big-endian modulus and exponent.
    pub fn rsa_public(n: &[u8], e: &[u8]) -> Result<Key> {
        let n = strip_zeros(n);
        let e = strip_zeros(e);
        if n.len() < MIN_RSA_MODULUS_BYTES {
            return Err(err(
                ErrorCode::WeakKey,
                format!(
                    "RSA keys need at least 2048 bits; this one has {}",
                    n.len() * 8
                ),
            ));
        }
        if n.len() > MAX_RSA_MODULUS_BYTES || e.is_empty() || e.len() > 4 {
            return Err(invalid_key("RSA modulus or exponent out of range"));
        }
        Ok(Key::new(
            Public::Rsa {
                n: n.to_vec(),
                e: e.to_vec(),
            },
            None,
        ))
    }

    /// An EC public key (P-256 or P-384) from its uncompressed point `04 || x || y`.
    /// The point is checked to lie on the curve (RFC 8725 §3.4).
    pub fn ec_public(family: Family, point: &[u8]) -> Result<Key> {
        let (coord, agreement) = match family {
            Family::EcP256 => (32, &ring::agreement::ECDH_P256),
            Family::EcP384 => (48, &ring::agreement::ECDH_P384),
            _ => return Err(invalid_key("not an EC family")),
        };
        if point.len() != 1 + 2 * coord || point.first() != Some(&4) {
            return Err(invalid_key("EC public key must be an uncompressed point"));
        }
        // ring offers no standalone point check; an ECDH with a throwaway key performs
        // exactly the validation (on-curve, not the identity) and fails otherwise.
        let rng = ring::rand::SystemRandom::new();
        let ephemeral = ring::agreement::EphemeralPrivateKey::generate(agreement, &rng)
            .map_err(|_| err(ErrorCode::Internal, "random source unavailable"))?;
        let peer = ring::agreement::UnparsedPublicKey::new(agreement, point);
        ring::agreement::agree_ephemeral(ephemeral, &peer, |_| ())
            .map_err(|_| invalid_key("EC public key is not a valid point on its curve"))?;
        Ok(Key::new(
            Public::Ec {
                family,
                point: point.to_vec(),
            },
            None,
        ))
    }

    /// An Ed25519 public key from its 32 raw bytes.
    pub fn ed25519_public(raw: &[u8]) -> Result<Key> {
        let bytes: [u8; 32] = raw
            .try_into()
            .map_err(|_| invalid_key("Ed25519 public keys are 32 bytes"))?;
        Ok(Key::new(Public::Ed25519(bytes), None))
    }

    /// An Ed25519 private key from its 32-byte seed (RFC 8032 private key).
    pub fn ed25519_from_seed(seed: &[u8]) -> Result<Key> {
        let pair = signature::Ed25519KeyPair::from_seed_unchecked(seed)
            .map_err(|e| rejected("Ed25519 seed", e))?;
        Key::from_ed25519_pair(pair)
    }

    /// An Ed25519 private key from its seed and public key; the two must match.
    pub fn ed25519_private(seed: &[u8], public: &[u8]) -> Result<Key> {
        let pair = signature::Ed25519KeyPair::from_seed_and_public_key(seed, public)
            .map_err(|e| rejected("Ed25519 key pair", e))?;
        Key::from_ed25519_pair(pair)
    }

    /// An EC private key from its scalar and uncompressed public point; they must match.
    pub fn ec_private(family: Family, scalar: &[u8], point: &[u8]) -> Result<Key> {
        let alg = match family {
            Family::EcP256 => &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            Family::EcP384 => &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
            _ => return Err(invalid_key("not an EC family")),
        };
        let rng = ring::rand::SystemRandom::new();
        let pair =
            signature::EcdsaKeyPair::from_private_key_and_public_key(alg, scalar, point, &rng)
                .map_err(|e| rejected("EC key pair", e))?;
        Ok(Key::from_ec_pair(family, pair))
    }

    pub(crate) fn from_rsa_key_pair(pair: signature::RsaKeyPair) -> Result<Key> {
        Key::from_rsa_pair(pair)
    }

    fn from_ed25519_pair(pair: signature::Ed25519KeyPair) -> Result<Key> {
        let public: [u8; 32] = pair
            .public_key()
            .as_ref()
            .try_into()
            .map_err(|_| invalid_key("Ed25519 public key length"))?;
        Ok(Key::new(
            Public::Ed25519(public),
            Some(Private::Ed25519(pair)),
        ))
    }

    fn from_ec_pair(family: Family, pair: signature::EcdsaKeyPair) -> Key {
        let point = pair.public_key().as_ref().to_vec();
        Key::new(Public::Ec { family, point }, Some(Private::Ec(pair)))
    }

    fn from_rsa_pair(pair: signature::RsaKeyPair) -> Result<Key> {
        let (n, e) = der::parse_rsa_public_key(pair.public().as_ref())
            .ok_or_else(|| invalid_key("RSA public key encoding"))?;
        let public = Key::rsa_public(n, e)?;
        let Public::Rsa { n, e } = &public.material.public else {
            return Err(invalid_key("RSA public key"));
        };
        Ok(Key::new(
            Public::Rsa {
                n: n.clone(),
                e: e.clone(),
            },
            Some(Private::Rsa(pair)),
        ))
    }

    /// A private key from PKCS#8 DER (RSA, P-256, P-384 or Ed25519).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Key> {
        let alg = der::pkcs8_algorithm(der)
            .ok_or_else(|| invalid_key("not a PKCS#8 key of a supported type"))?;
        let rng = ring::rand::SystemRandom::new();
        match alg {
            KeyAlgorithm::Rsa => Key::from_rsa_pair(
                signature::RsaKeyPair::from_pkcs8(der).map_err(|e| rejected("RSA key", e))?,
            ),
            KeyAlgorithm::EcP256 => Ok(Key::from_ec_pair(
                Family::EcP256,
                signature::EcdsaKeyPair::from_pkcs8(
                    &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                    der,
                    &rng,
                )
                .map_err(|e| rejected("P-256 key", e))?,
            )),
            KeyAlgorithm::EcP384 => Ok(Key::from_ec_pair(
                Family::EcP384,
                signature::EcdsaKeyPair::from_pkcs8(
                    &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
                    der,
                    &rng,
                )
                .map_err(|e| rejected("P-384 key", e))?,
            )),
            KeyAlgorithm::Ed25519 => Key::from_ed25519_pair(
                signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
                    .map_err(|e| rejected("Ed25519 key", e))?,
            ),
        }
    }

    /// A public key from SubjectPublicKeyInfo DER.
    pub fn from_spki_der(der: &[u8]) -> Result<Key> {
        let (alg, key) = der::parse_spki(der)
            .ok_or_else(|| invalid_key("not a supported SubjectPublicKeyInfo"))?;
        match alg {
            KeyAlgorithm::Rsa => {
                let (n, e) = der::parse_rsa_public_key(key)
                    .ok_or_else(|| invalid_key("malformed RSA public key"))?;
                Key::rsa_public(n, e)
            }
            KeyAlgorithm::EcP256 => Key::ec_public(Family::EcP256, key),
            KeyAlgorithm::EcP384 => Key::ec_public(Family::EcP384, key),
            KeyAlgorithm::Ed25519 => Key::ed25519_public(key),
        }
    }

    /// A key from PEM text: `PUBLIC KEY` (SPKI), `RSA PUBLIC KEY` (PKCS#1), `PRIVATE KEY`
    /// (PKCS#8), `RSA PRIVATE KEY` (PKCS#1) or `EC PRIVATE KEY` (SEC1). Certificates and
    /// encrypted keys are refused. HMAC secrets are never read from PEM.
    pub fn from_pem(text: &str) -> Result<Key> {
        let blocks = pem::decode_all(text).ok_or_else(|| invalid_key("not valid PEM"))?;
        let mut keys = blocks.iter().filter(|b| b.label != "EC PARAMETERS");
        let block = keys.next().ok_or_else(|| invalid_key("PEM holds no key"))?;
        if keys.next().is_some() {
            return Err(invalid_key("PEM holds more than one key"));
        }
        match block.label.as_str() {
            "PUBLIC KEY" => Key::from_spki_der(&block.der),
            "RSA PUBLIC KEY" => {
                let (n, e) = der::parse_rsa_public_key(&block.der)
                    .ok_or_else(|| invalid_key("malformed RSA public key"))?;
                Key::rsa_public(n, e)
            }
            "PRIVATE KEY" => Key::from_pkcs8_der(&block.der),
            "RSA PRIVATE KEY" => Key::from_rsa_pair(
                signature::RsaKeyPair::from_der(&block.der).map_err(|e| rejected("RSA key", e))?,
            ),
            "EC PRIVATE KEY" => {
                let curve = der::sec1_curve(&block.der)
                    .ok_or_else(|| invalid_key("EC key without a supported named curve"))?;
                let pkcs8 =
                    der::sec1_to_pkcs8(&block.der, curve).ok_or_else(|| invalid_key("EC key"))?;
                Key::from_pkcs8_der(&pkcs8)
            }
            other => Err(invalid_key(format!("unsupported PEM label {other:?}"))),
        }
    }

    /// A fresh random key for `alg`, returned with its PKCS#8 DER (for asymmetric keys) or
    /// raw secret (HMAC, 64 bytes) so the caller can store it. RSA keys cannot be
    /// generated here (the backend has no RSA key generation); import them instead.
    pub fn generate(alg: Algorithm) -> Result<(Key, Vec<u8>)> {
        let rng = ring::rand::SystemRandom::new();
        let unavailable = |_| err(ErrorCode::Internal, "random source unavailable");
        let (key, bytes) = match alg.family() {
            Family::Hmac => {
                let secret = crate::random::bytes::<64>()?.to_vec();
                (Key::hmac(&secret, alg)?, secret)
            }
            Family::EcP256 => {
                let doc = signature::EcdsaKeyPair::generate_pkcs8(
                    &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                    &rng,
                )
                .map_err(unavailable)?;
                (Key::from_pkcs8_der(doc.as_ref())?, doc.as_ref().to_vec())
            }
            Family::EcP384 => {
                let doc = signature::EcdsaKeyPair::generate_pkcs8(
                    &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
                    &rng,
                )
                .map_err(unavailable)?;
                (Key::from_pkcs8_der(doc.as_ref())?, doc.as_ref().to_vec())
            }
            Family::Ed25519 => {
                // ring's `generate_pkcs8` writes the RFC 5958 v2 form (version 1 plus the
                // public key), which pyca/cryptography 45+ and python-ecdsa refuse to load.
                // Write the v1 form of RFC 8410 §7 instead, as OpenSSL does: every PKCS#8
                // reader takes it, and the public key is derived from the seed anyway.
                let seed = crate::random::bytes::<32>()?;
                let der = [ED25519_PKCS8_V1_PREFIX.as_slice(), seed.as_slice()].concat();
                (Key::from_pkcs8_der(&der)?, der)
            }
            Family::Rsa => {
                return Err(invalid_key(
                    "RSA keys cannot be generated by the core; import a PKCS#8 or PKCS#1 key",
                ))
            }
        };
        Ok((key.with_algorithm_unchecked(alg), bytes))
    }

    // ----- builders -----------------------------------------------------------------

    /// Sets the key id (`kid`). Keys are configured before they are shared.
    pub fn with_kid(self, kid: impl Into<String>) -> Key {
        Key {
            kid: Some(kid.into()),
            ..self
        }
    }

    /// Restricts the key to one algorithm, which must belong to the key's family (and,
    /// for HMAC, fit the secret's length).
    pub fn with_algorithm(self, alg: Algorithm) -> Result<Key> {
        self.check_algorithm(alg)?;
        Ok(self.with_algorithm_unchecked(alg))
    }

    fn with_algorithm_unchecked(self, alg: Algorithm) -> Key {
        Key {
            alg: Some(alg),
            ..self
        }
    }

    pub(crate) fn with_usage(self, sign: bool, verify: bool) -> Key {
        Key {
            usage: Usage { sign, verify },
            ..self
        }
    }

    // ----- accessors ----------------------------------------------------------------

    /// The key id, if any.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The algorithm restriction, if any.
    pub fn algorithm(&self) -> Option<Algorithm> {
        self.alg
    }

    /// The key's family.
    pub fn family(&self) -> Family {
        match &self.material.public {
            Public::Hmac(_) => Family::Hmac,
            Public::Rsa { .. } => Family::Rsa,
            Public::Ec { family, .. } => *family,
            Public::Ed25519(_) => Family::Ed25519,
        }
    }

    /// Whether this key can sign (a private key or an HMAC secret, allowed to sign).
    pub fn can_sign(&self) -> bool {
        self.usage.sign
            && (self.material.private.is_some() || matches!(self.material.public, Public::Hmac(_)))
    }

    /// Whether this key may verify.
    pub fn can_verify(&self) -> bool {
        self.usage.verify
    }

    /// The algorithm this key signs with: its restriction, or the natural one of its
    /// family (HS256 for HMAC, RS256 for RSA).
    pub fn signing_algorithm(&self) -> Algorithm {
        self.alg.unwrap_or(match self.family() {
            Family::Hmac => Algorithm::HS256,
            Family::Rsa => Algorithm::RS256,
            Family::EcP256 => Algorithm::ES256,
            Family::EcP384 => Algorithm::ES384,
            Family::Ed25519 => Algorithm::EdDSA,
        })
    }

    /// Whether the key may be used with `alg` (family, restriction, HMAC length).
    pub fn supports(&self, alg: Algorithm) -> bool {
        self.check_algorithm(alg).is_ok()
    }

    fn check_algorithm(&self, alg: Algorithm) -> Result<()> {
        if alg.family() != self.family() {
            return Err(invalid_key(format!(
                "a {:?} key cannot be used with {alg}",
                self.family()
            )));
        }
        if let Some(fixed) = self.alg {
            if fixed != alg {
                return Err(invalid_key(format!("this key is restricted to {fixed}")));
            }
        }
        if let Public::Hmac(h) = &self.material.public {
            if h.for_alg(alg).is_none() {
                return Err(err(
                    ErrorCode::WeakKey,
                    format!("secret of {} bytes is too short for {alg}", h.len),
                ));
            }
        }
        Ok(())
    }

    // ----- operations ---------------------------------------------------------------

    /// Signs raw bytes with `alg` (the JWS signature over a signing input).
    pub fn sign_bytes(&self, alg: Algorithm, message: &[u8]) -> Result<Vec<u8>> {
        self.check_algorithm(alg)?;
        if !self.can_sign() {
            return Err(invalid_key(
                "this key cannot sign (public key, or key_ops/use forbid it)",
            ));
        }
        let rng = ring::rand::SystemRandom::new();
        let failed = |_| err(ErrorCode::Internal, "signing failed");
        match (&self.material.public, &self.material.private) {
            (Public::Hmac(h), _) => {
                let key = h
                    .for_alg(alg)
                    .ok_or_else(|| invalid_key("HMAC key too short"))?;
                Ok(ring::hmac::sign(key, message).as_ref().to_vec())
            }
            (_, Some(Private::Rsa(pair))) => {
                let padding: &'static dyn signature::RsaEncoding = match alg {
                    Algorithm::PS256 => &signature::RSA_PSS_SHA256,
                    _ => &signature::RSA_PKCS1_SHA256,
                };
                let mut sig = vec![0u8; pair.public().modulus_len()];
                pair.sign(padding, &rng, message, &mut sig)
                    .map_err(failed)?;
                Ok(sig)
            }
            (_, Some(Private::Ec(pair))) => {
                Ok(pair.sign(&rng, message).map_err(failed)?.as_ref().to_vec())
            }
            (_, Some(Private::Ed25519(pair))) => Ok(pair.sign(message).as_ref().to_vec()),
            (_, None) => Err(invalid_key("this key cannot sign")),
        }
    }

    /// Verifies a raw signature over `message` with `alg`; lengths are checked exactly.
    pub fn verify_bytes(&self, alg: Algorithm, message: &[u8], sig: &[u8]) -> Result<()> {
        self.check_algorithm(alg)?;
        let bad = || err(ErrorCode::InvalidSignature, "signature does not verify");
        let expected_len = match &self.material.public {
            Public::Rsa { n, .. } => n.len(),
            _ => alg.fixed_signature_len().unwrap_or(0),
        };
        if sig.len() != expected_len {
            return Err(bad());
        }
        match &self.material.public {
            Public::Hmac(h) => {
                let key = h.for_alg(alg).ok_or_else(bad)?;
                // ring compares the full tag in constant time.
                ring::hmac::verify(key, message, sig).map_err(|_| bad())
            }
            Public::Rsa { n, e } => {
                let params: &signature::RsaParameters = match alg {
                    Algorithm::PS256 => &signature::RSA_PSS_2048_8192_SHA256,
                    _ => &signature::RSA_PKCS1_2048_8192_SHA256,
                };
                signature::RsaPublicKeyComponents { n, e }
                    .verify(params, message, sig)
                    .map_err(|_| bad())
            }
            Public::Ec { family, point } => {
                let verifier: &dyn signature::VerificationAlgorithm = match family {
                    Family::EcP384 => &signature::ECDSA_P384_SHA384_FIXED,
                    _ => &signature::ECDSA_P256_SHA256_FIXED,
                };
                signature::UnparsedPublicKey::new(verifier, point)
                    .verify(message, sig)
                    .map_err(|_| bad())
            }
            Public::Ed25519(public) => {
                signature::UnparsedPublicKey::new(&signature::ED25519, public)
                    .verify(message, sig)
                    .map_err(|_| bad())
            }
        }
    }

    // ----- export -------------------------------------------------------------------

    /// The public part as a JWK (`kty`, key members, `kid`, `alg`, `use: sig`). HMAC
    /// secrets are never exported: `None`.
    pub fn to_public_jwk(&self) -> Option<serde_json::Map<String, serde_json::Value>> {
        let mut jwk = serde_json::Map::new();
        match &self.material.public {
            Public::Hmac(_) => return None,
            Public::Rsa { n, e } => {
                jwk.insert("kty".into(), "RSA".into());
                jwk.insert("n".into(), b64url_encode(n).into());
                jwk.insert("e".into(), b64url_encode(e).into());
            }
            Public::Ec { family, point } => {
                let (crv, coord) = match family {
                    Family::EcP384 => ("P-384", 48),
                    _ => ("P-256", 32),
                };
                let xy = point.get(1..)?;
                let (x, y) = xy.split_at_checked(coord)?;
                jwk.insert("kty".into(), "EC".into());
                jwk.insert("crv".into(), crv.into());
                jwk.insert("x".into(), b64url_encode(x).into());
                jwk.insert("y".into(), b64url_encode(y).into());
            }
            Public::Ed25519(x) => {
                jwk.insert("kty".into(), "OKP".into());
                jwk.insert("crv".into(), "Ed25519".into());
                jwk.insert("x".into(), b64url_encode(x).into());
            }
        }
        if let Some(kid) = &self.kid {
            jwk.insert("kid".into(), kid.clone().into());
        }
        jwk.insert("use".into(), "sig".into());
        jwk.insert("alg".into(), self.signing_algorithm().as_str().into());
        Some(jwk)
    }

    /// The public part as SubjectPublicKeyInfo PEM (HMAC: `None`).
    pub fn to_public_pem(&self) -> Option<String> {
        let der = match &self.material.public {
            Public::Hmac(_) => return None,
            Public::Rsa { n, e } => {
                der::encode_spki(KeyAlgorithm::Rsa, &der::encode_rsa_public_key(n, e))
            }
            Public::Ec { family, point } => {
                let alg = if *family == Family::EcP384 {
                    KeyAlgorithm::EcP384
                } else {
                    KeyAlgorithm::EcP256
                };
                der::encode_spki(alg, point)
            }
            Public::Ed25519(x) => der::encode_spki(KeyAlgorithm::Ed25519, x),
        };
        Some(pem::encode("PUBLIC KEY", &der))
    }

    /// The key with its private part dropped (for handing verification keys around).
    pub fn public_only(&self) -> Result<Key> {
        let public = match &self.material.public {
            Public::Hmac(_) => return Err(invalid_key("an HMAC secret has no public part")),
            Public::Rsa { n, e } => Public::Rsa {
                n: n.clone(),
                e: e.clone(),
            },
            Public::Ec { family, point } => Public::Ec {
                family: *family,
                point: point.clone(),
            },
            Public::Ed25519(x) => Public::Ed25519(*x),
        };
        Ok(Key {
            kid: self.kid.clone(),
            alg: self.alg,
            usage: Usage {
                sign: false,
                verify: self.usage.verify,
            },
            material: Arc::new(Material {
                public,
                private: None,
            }),
        })
    }
}

impl Public {
    fn hmac(&self) -> Option<&HmacKeys> {
        match self {
            Public::Hmac(h) => Some(h),
            _ => None,
        }
    }
}

/// Key material never appears in debug output.
impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("family", &self.family())
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("private", &self.can_sign())
            .finish_non_exhaustive()
    }
}

fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    bytes.get(skip..).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_length_rules() {
        assert_eq!(
            Key::hmac(&[1; 31], Algorithm::HS256).unwrap_err().code(),
            ErrorCode::WeakKey
        );
        assert!(Key::hmac(&[1; 32], Algorithm::HS256).is_ok());
        assert_eq!(
            Key::hmac(&[1; 32], Algorithm::HS512).unwrap_err().code(),
            ErrorCode::WeakKey
        );
        let any = Key::hmac_any(&[1; 48]).unwrap();
        assert!(any.supports(Algorithm::HS384));
        assert!(!any.supports(Algorithm::HS512));
        assert!(!any.supports(Algorithm::RS256));
        assert!(Key::hmac(&[1; 64], Algorithm::RS256).is_err());
    }

    #[test]
    fn generated_keys_sign_and_verify_and_export() {
        for alg in [
            Algorithm::ES256,
            Algorithm::ES384,
            Algorithm::EdDSA,
            Algorithm::HS512,
        ] {
            let (key, _) = Key::generate(alg).unwrap();
            let sig = key.sign_bytes(alg, b"msg").unwrap();
            key.verify_bytes(alg, b"msg", &sig).unwrap();
            assert_eq!(
                key.verify_bytes(alg, b"msh", &sig).unwrap_err().code(),
                ErrorCode::InvalidSignature
            );
            if alg != Algorithm::HS512 {
                let public = key.public_only().unwrap();
                assert!(!public.can_sign());
                public.verify_bytes(alg, b"msg", &sig).unwrap();
                let pem = key.to_public_pem().unwrap();
                let back = Key::from_pem(&pem).unwrap();
                back.verify_bytes(alg, b"msg", &sig).unwrap();
            } else {
                assert!(key.to_public_jwk().is_none());
            }
        }
    }

    #[test]
    fn generated_ed25519_pkcs8_is_the_v1_form() {
        // Regression: the v2 form (with the public key) did not load in pyca/cryptography.
        // The prefix is taken from RFC 8410 §10.3's example private key, not from our code.
        let rfc_example = crate::encoding::b64_decode(
            "MC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC",
        )
        .unwrap();
        let (key, der) = Key::generate(Algorithm::EdDSA).unwrap();
        assert_eq!(der.len(), rfc_example.len());
        assert_eq!(der[..16], rfc_example[..16]);
        // The stored DER is the same key: it reloads and verifies the generated key's signature.
        let sig = key.sign_bytes(Algorithm::EdDSA, b"msg").unwrap();
        let reloaded = Key::from_pem(&pem::encode("PRIVATE KEY", &der)).unwrap();
        reloaded
            .verify_bytes(Algorithm::EdDSA, b"msg", &sig)
            .unwrap();
        assert_eq!(reloaded.to_public_jwk(), key.to_public_jwk());
        // And the RFC example itself loads.
        assert!(Key::from_pkcs8_der(&rfc_example).unwrap().can_sign());
    }

    #[test]
    fn invalid_ec_point_rejected() {
        let mut point = vec![4u8];
        point.extend_from_slice(&[1u8; 64]);
        assert_eq!(
            Key::ec_public(Family::EcP256, &point).unwrap_err().code(),
            ErrorCode::InvalidKey
        );
    }

    #[test]
    fn debug_hides_material() {
        let key = Key::hmac(b"0123456789abcdef0123456789abcdef", Algorithm::HS256).unwrap();
        let shown = format!("{key:?}");
        assert!(!shown.contains("0123456789"));
    }
}
