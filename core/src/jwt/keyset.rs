//! Key sets: sign with the active key, verify with any configured key (rotation), and
//! publish the public keys as a JWKS.

use super::alg::Algorithm;
use super::jwk;
use super::key::Key;
use crate::error::{err, ErrorCode, Result};
use serde_json::{Map, Value};

/// An ordered set of keys with unique `kid`s and one active signing key.
#[derive(Clone, Debug, Default)]
pub struct KeySet {
    keys: Vec<Key>,
    active: Option<usize>,
}

impl KeySet {
    /// An empty set (verifies nothing).
    pub fn new() -> KeySet {
        KeySet::default()
    }

    /// A set holding one key, active when it can sign.
    pub fn single(key: Key) -> KeySet {
        let active = key.can_sign().then_some(0);
        KeySet {
            keys: vec![key],
            active,
        }
    }

    /// Adds a key. `kid`s must be unique; the first key that can sign becomes active
    /// unless another was chosen.
    pub fn add(&mut self, key: Key) -> Result<()> {
        if let Some(kid) = key.kid() {
            if self.keys.iter().any(|k| k.kid() == Some(kid)) {
                return Err(err(
                    ErrorCode::InvalidKey,
                    format!("two keys share the kid {kid:?}"),
                ));
            }
        }
        if self.active.is_none() && key.can_sign() {
            self.active = Some(self.keys.len());
        }
        self.keys.push(key);
        Ok(())
    }

    /// Builder form of [`KeySet::add`].
    pub fn with(mut self, key: Key) -> Result<KeySet> {
        self.add(key)?;
        Ok(self)
    }

    /// Makes the key with this `kid` the signing key (key rotation: add the new key,
    /// make it active, keep the old one for verification until its tokens expire).
    pub fn set_active(&mut self, kid: &str) -> Result<()> {
        let index = self
            .keys
            .iter()
            .position(|k| k.kid() == Some(kid))
            .ok_or_else(|| err(ErrorCode::KeyNotFound, format!("no key with kid {kid:?}")))?;
        let key = self
            .keys
            .get(index)
            .ok_or_else(|| err(ErrorCode::KeyNotFound, "no such key"))?;
        if !key.can_sign() {
            return Err(err(
                ErrorCode::InvalidKey,
                format!("key {kid:?} cannot sign"),
            ));
        }
        self.active = Some(index);
        Ok(())
    }

    /// The signing key, if any.
    pub fn active(&self) -> Option<&Key> {
        self.active.and_then(|i| self.keys.get(i))
    }

    /// Every key, in order.
    pub fn keys(&self) -> &[Key] {
        &self.keys
    }

    /// Parses a JWKS document `{"keys": [...]}` (public or private keys).
    pub fn from_jwks(jwks: &Value) -> Result<KeySet> {
        let keys = jwks.get("keys").and_then(Value::as_array).ok_or_else(|| {
            err(
                ErrorCode::InvalidKey,
                "a JWKS is an object with a \"keys\" array",
            )
        })?;
        let mut set = KeySet::new();
        for (i, entry) in keys.iter().enumerate() {
            let map = entry.as_object().ok_or_else(|| {
                err(
                    ErrorCode::InvalidKey,
                    format!("JWKS key {i} is not an object"),
                )
            })?;
            let key = jwk::key_from_jwk(map).map_err(|e| {
                crate::Error::new(e.code(), format!("JWKS key {i}: {}", e.message()))
            })?;
            set.add(key)?;
        }
        Ok(set)
    }

    /// Parses JWKS JSON text strictly.
    pub fn from_jwks_json(text: &str) -> Result<KeySet> {
        let value = crate::json::parse_strict(text.as_bytes(), crate::json::DEFAULT_MAX_DEPTH)
            .map_err(|e| {
                err(
                    ErrorCode::InvalidKey,
                    format!("JWKS is not valid JSON: {e}"),
                )
            })?;
        KeySet::from_jwks(&value)
    }

    /// The public keys as a JWKS (HMAC secrets are never published).
    pub fn to_jwks(&self) -> Value {
        let keys: Vec<Value> = self
            .keys
            .iter()
            .filter_map(Key::to_public_jwk)
            .map(Value::Object)
            .collect();
        let mut map = Map::new();
        map.insert("keys".into(), Value::Array(keys));
        Value::Object(map)
    }

    /// The keys a token with this `kid` and `alg` may be verified with. A `kid` only
    /// selects among configured keys (never a path, URL or query); a token without `kid`
    /// is tried against every verification key that supports `alg`.
    pub(crate) fn candidates(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<impl Iterator<Item = &Key>> {
        if let Some(kid) = kid {
            let key = self
                .keys
                .iter()
                .find(|k| k.kid() == Some(kid) && k.can_verify())
                .ok_or_else(|| err(ErrorCode::KeyNotFound, "no configured key has this kid"))?;
            if !key.supports(alg) {
                return Err(err(
                    ErrorCode::InvalidKey,
                    format!("the key with this kid cannot verify {alg}"),
                ));
            }
            return Ok(Candidates::One(Some(key)));
        }
        if !self.keys.iter().any(|k| k.can_verify() && k.supports(alg)) {
            return Err(err(
                ErrorCode::KeyNotFound,
                format!("no configured key verifies {alg}"),
            ));
        }
        Ok(Candidates::All(self.keys.iter(), alg))
    }
}

enum Candidates<'a> {
    One(Option<&'a Key>),
    All(std::slice::Iter<'a, Key>, Algorithm),
}

impl<'a> Iterator for Candidates<'a> {
    type Item = &'a Key;
    fn next(&mut self) -> Option<&'a Key> {
        match self {
            Candidates::One(k) => k.take(),
            Candidates::All(it, alg) => it.find(|k| k.can_verify() && k.supports(*alg)),
        }
    }
}
