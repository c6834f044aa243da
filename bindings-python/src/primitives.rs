//! The stateless primitives: JWT, passwords, one-time codes, opaque secrets, RBAC.
//!
//! Each function takes its time as an explicit `now` (the Python wrappers default it to
//! `time.time()`), converts its inputs, runs the core inside [`guard`] and maps errors
//! to the Python hierarchy. Work that can take milliseconds (argon2, bcrypt, PBKDF2,
//! RSA) runs with the interpreter detached so other Python threads keep running.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyList, PyString, PyTuple};
use serde_json::{Map, Value};
use std::sync::Arc;

use tenxyte_core::jwt::{
    self, Algorithm, Family, Key, KeySet as CoreKeySet, SignOptions, VerifyOptions,
};
use tenxyte_core::otp::{self, Hotp, OtpKind, OtpSecret, Totp};
use tenxyte_core::password::{self, policy, Argon2Params, BareBcrypt};
use tenxyte_core::rbac::{PolicyDocument, Snapshot, Subject};
use tenxyte_core::secret::{self, SecretKind};
use tenxyte_core::{Error, ErrorCode};

use crate::clock::now_secs;
use crate::convert::{from_value, to_py, to_py_object, to_value};
use crate::errors::{guard, invalid, IntoPy};

// ----- helpers --------------------------------------------------------------------------

fn jwt_alg(name: &str) -> Result<Algorithm, Error> {
    Algorithm::parse(name).ok_or_else(|| invalid(format!("unknown JWT algorithm {name:?}")))
}

fn object(value: Value, what: &str) -> Result<Map<String, Value>, Error> {
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(invalid(format!("{what} must be a dict"))),
    }
}

/// A dict or a JSON string, as a JSON value.
fn json_arg(obj: &Bound<'_, PyAny>) -> Result<Value, Error> {
    if let Ok(s) = obj.cast::<PyString>() {
        let text = s.to_cow().map_err(|_| invalid("not valid UTF-8"))?;
        return tenxyte_core::json::parse_strict(
            text.as_bytes(),
            tenxyte_core::json::DEFAULT_MAX_DEPTH,
        )
        .map_err(|e| invalid(format!("not valid JSON: {e}")));
    }
    to_value(obj)
}

fn configure(key: Key, kid: Option<String>, algorithm: Option<&str>) -> Result<Key, Error> {
    let key = match kid {
        Some(kid) => key.with_kid(kid),
        None => key,
    };
    match algorithm {
        Some(name) => key.with_algorithm(jwt_alg(name)?),
        None => Ok(key),
    }
}

// ----- JWT ------------------------------------------------------------------------------

/// Signing and verification keys: one active signing key, any number of verification
/// keys addressed by `kid`. Immutable; the builder methods return a new set.
#[pyclass(frozen, module = "tenxyte_core._native")]
#[derive(Clone)]
pub struct KeySet {
    pub(crate) inner: CoreKeySet,
}

#[pymethods]
impl KeySet {
    #[new]
    fn new() -> Self {
        KeySet {
            inner: CoreKeySet::new(),
        }
    }

    /// A set from a JWKS (`{"keys": [...]}`, as a dict or JSON text).
    #[staticmethod]
    fn from_jwks(py: Python<'_>, jwks: &Bound<'_, PyAny>) -> PyResult<KeySet> {
        guard(|| {
            let jwks = json_arg(jwks)?;
            CoreKeySet::from_jwks(&jwks)
        })
        .map(|inner| KeySet { inner })
        .py_err(py)
    }

    /// A set holding one JWK (dict or JSON text).
    #[staticmethod]
    #[pyo3(signature = (jwk, *, kid=None, algorithm=None))]
    fn from_jwk(
        py: Python<'_>,
        jwk: &Bound<'_, PyAny>,
        kid: Option<String>,
        algorithm: Option<&str>,
    ) -> PyResult<KeySet> {
        guard(|| {
            let jwk = object(json_arg(jwk)?, "a JWK")?;
            let key = configure(jwt::key_from_jwk(&jwk)?, kid, algorithm)?;
            Ok(CoreKeySet::single(key))
        })
        .map(|inner| KeySet { inner })
        .py_err(py)
    }

    /// A set holding one PEM key (SPKI, PKCS#1, PKCS#8 or SEC1; private keys can sign).
    #[staticmethod]
    #[pyo3(signature = (pem, *, kid=None, algorithm=None))]
    fn from_pem(
        py: Python<'_>,
        pem: &str,
        kid: Option<String>,
        algorithm: Option<&str>,
    ) -> PyResult<KeySet> {
        let pem = pem.to_owned();
        // Parsing an RSA private key checks it (modular arithmetic): detach.
        py.detach(move || {
            guard(|| {
                let key = configure(
                    Key::from_pem(&pem)?,
                    kid,
                    algorithm.map(str::to_owned).as_deref(),
                )?;
                Ok(CoreKeySet::single(key))
            })
        })
        .map(|inner| KeySet { inner })
        .py_err(py)
    }

    /// A set holding one HMAC secret (at least 32/48/64 bytes for HS256/384/512).
    #[staticmethod]
    #[pyo3(signature = (secret, *, algorithm="HS256", kid=None))]
    fn from_hmac(
        py: Python<'_>,
        secret: &[u8],
        algorithm: &str,
        kid: Option<String>,
    ) -> PyResult<KeySet> {
        guard(|| {
            let key = Key::hmac(secret, jwt_alg(algorithm)?)?;
            let key = match kid {
                Some(kid) => key.with_kid(kid),
                None => key,
            };
            Ok(CoreKeySet::single(key))
        })
        .map(|inner| KeySet { inner })
        .py_err(py)
    }

    /// A fresh random key: `(KeySet, material)` where material is the PKCS#8 DER of an
    /// asymmetric key or the raw HMAC secret. RSA keys cannot be generated (import one).
    #[staticmethod]
    #[pyo3(signature = (algorithm, *, kid=None))]
    fn generate<'py>(
        py: Python<'py>,
        algorithm: &str,
        kid: Option<String>,
    ) -> PyResult<(KeySet, Bound<'py, PyBytes>)> {
        let (key, material) = guard(|| {
            let (key, material) = Key::generate(jwt_alg(algorithm)?)?;
            let key = match kid {
                Some(kid) => key.with_kid(kid),
                None => key,
            };
            Ok((key, material))
        })
        .py_err(py)?;
        Ok((
            KeySet {
                inner: CoreKeySet::single(key),
            },
            PyBytes::new(py, &material),
        ))
    }

    /// This set plus every key of `other` (kids must stay unique; the active key stays).
    fn merged(&self, py: Python<'_>, other: &KeySet) -> PyResult<KeySet> {
        guard(|| {
            let mut set = self.inner.clone();
            for key in other.inner.keys() {
                set.add(key.clone())?;
            }
            Ok(set)
        })
        .map(|inner| KeySet { inner })
        .py_err(py)
    }

    /// A copy whose signing key is the key with this `kid` (rotation).
    fn with_active(&self, py: Python<'_>, kid: &str) -> PyResult<KeySet> {
        guard(|| {
            let mut set = self.inner.clone();
            set.set_active(kid)?;
            Ok(set)
        })
        .map(|inner| KeySet { inner })
        .py_err(py)
    }

    /// The public keys as a JWKS dict (HMAC secrets are never exported).
    fn to_jwks<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.to_jwks())
    }

    /// The SPKI PEM of the key with this `kid` (the active key when `kid` is None).
    #[pyo3(signature = (kid=None))]
    fn public_pem(&self, py: Python<'_>, kid: Option<&str>) -> PyResult<String> {
        guard(|| {
            let key = match kid {
                None => self.inner.active(),
                Some(kid) => self.inner.keys().iter().find(|k| k.kid() == Some(kid)),
            }
            .ok_or_else(|| Error::new(ErrorCode::KeyNotFound, "no such key in the set"))?;
            key.to_public_pem()
                .ok_or_else(|| Error::new(ErrorCode::InvalidKey, "an HMAC key has no public form"))
        })
        .py_err(py)
    }

    /// The `kid` of every key, in order (`None` for keys without one).
    fn kids(&self) -> Vec<Option<String>> {
        self.inner
            .keys()
            .iter()
            .map(|k| k.kid().map(str::to_owned))
            .collect()
    }

    /// The `kid` of the signing key, if it has one.
    #[getter]
    fn active_kid(&self) -> Option<String> {
        self.inner.active().and_then(|k| k.kid().map(str::to_owned))
    }

    /// True when the set has a signing key.
    #[getter]
    fn can_sign(&self) -> bool {
        self.inner.active().is_some()
    }

    fn __len__(&self) -> usize {
        self.inner.keys().len()
    }

    fn __repr__(&self) -> String {
        format!(
            "KeySet(keys={}, active_kid={:?})",
            self.inner.keys().len(),
            self.active_kid()
        )
    }
}

/// Signs `claims` with the active key (or the key named `kid`).
#[pyfunction]
#[pyo3(signature = (claims, keys, *, typ=None, algorithm=None, kid=None))]
pub fn jwt_sign(
    py: Python<'_>,
    claims: &Bound<'_, PyAny>,
    keys: &KeySet,
    typ: Option<String>,
    algorithm: Option<&str>,
    kid: Option<&str>,
) -> PyResult<String> {
    let (claims, options) = guard(|| {
        let claims = object(to_value(claims)?, "claims")?;
        let algorithm = algorithm.map(jwt_alg).transpose()?;
        Ok((claims, SignOptions { typ, algorithm }))
    })
    .py_err(py)?;
    let keys = keys.inner.clone();
    let kid = kid.map(str::to_owned);
    py.detach(move || {
        guard(|| match kid {
            None => jwt::sign(&claims, &keys, &options),
            Some(kid) => {
                let key = keys
                    .keys()
                    .iter()
                    .find(|k| k.kid() == Some(kid.as_str()))
                    .ok_or_else(|| Error::new(ErrorCode::KeyNotFound, "no key with this kid"))?;
                jwt::sign_with_key(&claims, key, &options)
            }
        })
    })
    .py_err(py)
}

/// Verifies a compact JWS/JWT strictly; returns `{"header", "claims", "algorithm"}`.
///
/// The hot path of every request: `now=None` reads the host clock here, the key set is
/// borrowed rather than copied, and the interpreter is detached only when a listed
/// algorithm is not HMAC (an HMAC check takes less time than releasing the GIL).
#[pyfunction]
#[pyo3(signature = (token, keys, *, algorithms, now=None, leeway=0, issuer=None,
                    audience=None, require=None, typ=None, max_token_bytes=None,
                    claims_equal=None))]
#[allow(clippy::too_many_arguments)]
pub fn jwt_verify<'py>(
    py: Python<'py>,
    token: &str,
    keys: &KeySet,
    algorithms: &Bound<'py, PyAny>,
    now: Option<i64>,
    leeway: u64,
    issuer: Option<String>,
    audience: Option<&Bound<'py, PyAny>>,
    require: Option<Vec<String>>,
    typ: Option<String>,
    max_token_bytes: Option<usize>,
    claims_equal: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    if algorithms.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err(
            "algorithms must be a list such as [\"HS256\"], not a string",
        ));
    }
    let algorithms: Vec<String> = algorithms.extract()?;
    let options = guard(|| {
        let algorithms = algorithms
            .iter()
            .map(|a| jwt_alg(a))
            .collect::<Result<Vec<_>, _>>()?;
        let mut options = VerifyOptions::new(&algorithms, now.unwrap_or_else(now_secs));
        options.leeway = leeway;
        options.issuer = issuer;
        options.audience = match audience.map(to_value).transpose()? {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(vec![s]),
            Some(v) => Some(from_value::<Vec<String>>(v, "audience")?),
        };
        if let Some(require) = require {
            options.require = require;
        }
        options.typ = typ;
        if let Some(m) = max_token_bytes {
            options.max_token_bytes = m;
        }
        if let Some(c) = claims_equal {
            options.claims_equal = object(to_value(c)?, "claims_equal")?;
        }
        Ok(options)
    })
    .py_err(py)?;
    let keys = &keys.inner;
    let hmac_only = options
        .algorithms
        .iter()
        .all(|a| a.family() == Family::Hmac);
    let verified = if hmac_only {
        guard(|| jwt::verify(token, keys, &options))
    } else {
        py.detach(|| guard(|| jwt::verify(token, keys, &options)))
    }
    .py_err(py)?;
    let out = PyDict::new(py);
    out.set_item("header", to_py_object(py, &verified.header)?)?;
    out.set_item("claims", to_py_object(py, &verified.claims)?)?;
    out.set_item("algorithm", verified.algorithm.as_str())?;
    Ok(out.into_any())
}

/// `(header, claims)` of a token WITHOUT checking anything (for routing by `kid`/`iss`
/// before verification; never trust the result).
#[pyfunction]
pub fn jwt_decode_unverified<'py>(
    py: Python<'py>,
    token: &str,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    let (header, claims) = guard(|| jwt::decode_unverified(token)).py_err(py)?;
    Ok((to_py_object(py, &header)?, to_py_object(py, &claims)?))
}

// ----- passwords ------------------------------------------------------------------------

/// A new argon2id hash (PHC string; Django's `argon2$…` form when `django=True`).
/// `salt` (at least 8 bytes) replaces the random one: Django's hasher API hands one in.
#[pyfunction]
#[pyo3(signature = (password, *, memory_kib=19_456, iterations=2, parallelism=1, django=false,
                    salt=None))]
pub fn password_hash(
    py: Python<'_>,
    password: &str,
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
    django: bool,
    salt: Option<&[u8]>,
) -> PyResult<String> {
    let password = password.to_owned();
    let salt = salt.map(<[u8]>::to_vec);
    let params = Argon2Params {
        memory_kib,
        iterations,
        parallelism,
    };
    py.detach(move || {
        guard(|| match (django, salt) {
            (true, None) => password::hash_django_argon2(&password, &params),
            (true, Some(salt)) => password::hash_django_argon2_with_salt(&password, &params, &salt),
            (false, None) => password::hash(&password, &params),
            (false, Some(salt)) => password::hash_with_salt(&password, &params, &salt),
        })
    })
    .py_err(py)
}

/// `(valid, needs_rehash)` for a password against a stored hash of any supported format.
#[pyfunction]
#[pyo3(signature = (password, encoded, *, bare_bcrypt="plain", memory_kib=19_456, iterations=2,
                    parallelism=1))]
pub fn password_verify(
    py: Python<'_>,
    password: &str,
    encoded: &str,
    bare_bcrypt: &str,
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
) -> PyResult<(bool, bool)> {
    let bare = match bare_bcrypt {
        "plain" => BareBcrypt::Plain,
        "sha256_hex" => BareBcrypt::Sha256Hex,
        other => {
            return Err(invalid(format!(
                "bare_bcrypt must be \"plain\" or \"sha256_hex\", not {other:?}"
            )))
            .py_err(py)
        }
    };
    let opts = password::VerifyOptions {
        target: Argon2Params {
            memory_kib,
            iterations,
            parallelism,
        },
        bare_bcrypt: bare,
        ..password::VerifyOptions::default()
    };
    let (password, encoded) = (password.to_owned(), encoded.to_owned());
    py.detach(move || guard(|| password::verify(&password, &encoded, &opts)))
        .map(|v| (v.valid, v.needs_rehash))
        .py_err(py)
}

/// The policy report `{"valid", "violations", "score", "strength"}`. `rules` is
/// `"asvs"` (default), `"tenxyte"` or a dict of policy fields.
#[pyfunction]
#[pyo3(signature = (password, *, rules=None, email=None, username=None, other=Vec::new()))]
pub fn password_check_policy<'py>(
    py: Python<'py>,
    password: &str,
    rules: Option<&Bound<'py, PyAny>>,
    email: Option<String>,
    username: Option<String>,
    other: Vec<String>,
) -> PyResult<Bound<'py, PyAny>> {
    let report = guard(|| {
        let rules = match rules.map(to_value).transpose()? {
            None | Some(Value::Null) => policy::PasswordPolicy::default(),
            Some(Value::String(s)) if s == "asvs" => policy::PasswordPolicy::default(),
            Some(Value::String(s)) if s == "tenxyte" => policy::PasswordPolicy::tenxyte(),
            Some(v @ Value::Object(_)) => {
                let p: policy::PasswordPolicy = from_value(v, "password policy")?;
                p.validate()?;
                p
            }
            Some(_) => return Err(invalid("rules must be \"asvs\", \"tenxyte\" or a dict")),
        };
        if password.len() > password::MAX_PASSWORD_BYTES {
            return Err(Error::new(
                ErrorCode::PasswordTooLong,
                "password is too long",
            ));
        }
        let other: Vec<&str> = other.iter().map(String::as_str).collect();
        let ctx = policy::PolicyContext {
            email: email.as_deref(),
            username: username.as_deref(),
            other: &other,
        };
        serde_json::to_value(policy::check(password, &rules, &ctx))
            .map_err(|e| Error::new(ErrorCode::Internal, e.to_string()))
    })
    .py_err(py)?;
    to_py(py, &report)
}

// ----- one-time codes -------------------------------------------------------------------

fn otp_alg(name: &str) -> Result<otp::Algorithm, Error> {
    name.parse()
}

fn totp(
    secret_base32: &str,
    algorithm: &str,
    digits: u32,
    period: u32,
    t0: i64,
) -> Result<Totp, Error> {
    Totp::with_params(
        OtpSecret::from_base32(secret_base32)?,
        otp_alg(algorithm)?,
        digits,
        period,
        t0,
    )
}

/// The TOTP code at `now`.
#[pyfunction]
#[pyo3(signature = (secret_base32, now, *, algorithm="SHA1", digits=6, period=30, t0=0))]
pub fn totp_code(
    py: Python<'_>,
    secret_base32: &str,
    now: i64,
    algorithm: &str,
    digits: u32,
    period: u32,
    t0: i64,
) -> PyResult<String> {
    guard(|| totp(secret_base32, algorithm, digits, period, t0)?.code_at(now)).py_err(py)
}

/// Verifies a TOTP code; returns the matched step (store it as the next
/// `last_used_step`). `invalid_code` / `replayed` raise `OtpError`.
#[pyfunction]
#[pyo3(signature = (secret_base32, code, now, *, window=1, last_used_step=None, algorithm="SHA1",
                    digits=6, period=30, t0=0))]
#[allow(clippy::too_many_arguments)]
pub fn totp_verify(
    py: Python<'_>,
    secret_base32: &str,
    code: &str,
    now: i64,
    window: u32,
    last_used_step: Option<u64>,
    algorithm: &str,
    digits: u32,
    period: u32,
    t0: i64,
) -> PyResult<u64> {
    guard(|| {
        totp(secret_base32, algorithm, digits, period, t0)?.verify(
            code,
            now,
            window,
            last_used_step,
        )
    })
    .py_err(py)
}

/// The `otpauth://totp/…` provisioning URI (byte for byte pyotp's).
#[pyfunction]
#[pyo3(signature = (secret_base32, *, issuer, account, algorithm="SHA1", digits=6, period=30))]
pub fn totp_uri(
    py: Python<'_>,
    secret_base32: &str,
    issuer: &str,
    account: &str,
    algorithm: &str,
    digits: u32,
    period: u32,
) -> PyResult<String> {
    guard(|| totp(secret_base32, algorithm, digits, period, 0)?.provisioning_uri(issuer, account))
        .py_err(py)
}

/// The HOTP code for `counter`.
#[pyfunction]
#[pyo3(signature = (secret_base32, counter, *, algorithm="SHA1", digits=6))]
pub fn hotp_code(
    py: Python<'_>,
    secret_base32: &str,
    counter: u64,
    algorithm: &str,
    digits: u32,
) -> PyResult<String> {
    guard(|| {
        Hotp::with_params(
            OtpSecret::from_base32(secret_base32)?,
            otp_alg(algorithm)?,
            digits,
        )?
        .code(counter)
    })
    .py_err(py)
}

/// Verifies a HOTP code at `counter` (up to `look_ahead` ahead); returns the next counter.
#[pyfunction]
#[pyo3(signature = (secret_base32, code, counter, *, look_ahead=0, algorithm="SHA1", digits=6))]
pub fn hotp_verify(
    py: Python<'_>,
    secret_base32: &str,
    code: &str,
    counter: u64,
    look_ahead: u32,
    algorithm: &str,
    digits: u32,
) -> PyResult<u64> {
    guard(|| {
        Hotp::with_params(
            OtpSecret::from_base32(secret_base32)?,
            otp_alg(algorithm)?,
            digits,
        )?
        .verify(code, counter, look_ahead)
    })
    .py_err(py)
}

/// A fresh random shared secret (160 bits), base32.
#[pyfunction]
pub fn otp_generate_secret(py: Python<'_>) -> PyResult<String> {
    guard(|| Ok(OtpSecret::generate()?.to_base32())).py_err(py)
}

/// Parses an `otpauth://` URI strictly into a dict.
#[pyfunction]
pub fn otp_parse_uri<'py>(py: Python<'py>, uri: &str) -> PyResult<Bound<'py, PyAny>> {
    let parsed = guard(|| otp::parse_uri(uri)).py_err(py)?;
    let mut out = match &parsed.otp {
        OtpKind::Totp(t) => serde_json::json!({
            "kind": "totp", "secret_base32": t.secret().to_base32(),
            "algorithm": t.algorithm().as_str(), "digits": t.digits(), "period": t.period(),
            "counter": null,
        }),
        OtpKind::Hotp { hotp, counter } => serde_json::json!({
            "kind": "hotp", "secret_base32": hotp.secret().to_base32(),
            "algorithm": hotp.algorithm().as_str(), "digits": hotp.digits(), "period": null,
            "counter": counter,
        }),
    };
    if let Value::Object(map) = &mut out {
        map.insert("issuer".into(), parsed.issuer.clone().into());
        map.insert("account".into(), parsed.account.clone().into());
    }
    to_py(py, &out)
}

/// The data as an SVG QR code (for an `otpauth://` URI).
#[pyfunction]
pub fn otp_qr_svg(py: Python<'_>, data: &str) -> PyResult<String> {
    guard(|| otp::qr_svg(data)).py_err(py)
}

// ----- opaque secrets -------------------------------------------------------------------

fn secret_kind(name: &str) -> Result<SecretKind, Error> {
    SecretKind::ALL
        .into_iter()
        .find(|k| k.as_str() == name)
        .ok_or_else(|| {
            let names: Vec<&str> = SecretKind::ALL.iter().map(|k| k.as_str()).collect();
            invalid(format!(
                "unknown secret kind {name:?}; expected one of {names:?}"
            ))
        })
}

/// A fresh secret of `kind`: `(raw, hash)`. Give `raw` to its owner once, store `hash`.
#[pyfunction]
pub fn secret_generate(py: Python<'_>, kind: &str) -> PyResult<(String, String)> {
    guard(|| Ok(secret::generate(secret_kind(kind)?)?.into_parts())).py_err(py)
}

/// The at-rest hash of a raw secret.
#[pyfunction]
pub fn secret_hash(raw: &str) -> String {
    secret::hash(raw)
}

/// True when `raw` matches `stored_hash` (constant time).
#[pyfunction]
pub fn secret_verify(raw: &str, stored_hash: &str) -> bool {
    secret::verify(raw, stored_hash)
}

/// The kind named by a raw secret's prefix, or None.
#[pyfunction]
pub fn secret_kind_of(raw: &str) -> Option<&'static str> {
    secret::kind_of(raw).map(SecretKind::as_str)
}

// ----- RBAC -----------------------------------------------------------------------------

/// A compiled RBAC policy (permission tree, roles with inheritance). Checks are pure and
/// fast; the subject is a dict `{"roles": [...], "permissions": [...], "is_superuser"}`.
#[pyclass(frozen, module = "tenxyte_core._native")]
pub struct Policy {
    pub(crate) snapshot: Arc<Snapshot>,
}

/// A subject converted once and bound to a policy (`Policy.bind`): each check then
/// converts only the code, not the subject dict, which is most of a dict call's cost.
#[pyclass(frozen, module = "tenxyte_core._native")]
pub struct BoundSubject {
    snapshot: Arc<Snapshot>,
    subject: Subject,
}

#[pymethods]
impl BoundSubject {
    /// True when the subject holds the permission.
    fn has_permission(&self, permission: &str) -> bool {
        self.snapshot.has_permission(&self.subject, permission)
    }

    /// True when the subject holds the role, directly or through inheritance.
    fn has_role(&self, role: &str) -> bool {
        self.snapshot.has_role_inherited(&self.subject, role)
    }

    /// Raises `AuthzError` (`permission_required`) unless the subject holds it.
    fn require(&self, py: Python<'_>, permission: &str) -> PyResult<()> {
        guard(|| self.snapshot.require(&self.subject, permission)).py_err(py)
    }
}

/// A subject dict `{"roles", "permissions", "is_superuser"}` (each optional), read field
/// by field: the per-call cost of a permission check on a dict is this conversion, so it
/// skips the JSON round trip. Same rules as the core's serde form: unknown keys refused,
/// roles and permissions are lists (or tuples) of strings, `is_superuser` is a bool.
fn parse_subject(obj: &Bound<'_, PyAny>) -> Result<Subject, Error> {
    let shape = || invalid("a subject is a dict {\"roles\", \"permissions\", \"is_superuser\"}");
    let dict = obj.cast::<PyDict>().map_err(|_| shape())?;
    let mut subject = Subject::default();
    for (key, value) in dict.iter() {
        let key = key.cast::<PyString>().map_err(|_| shape())?;
        match &*key.to_cow().map_err(|_| shape())? {
            "roles" => subject.roles = strings(&value, "roles")?,
            "permissions" => subject.permissions = strings(&value, "permissions")?,
            "is_superuser" => {
                subject.is_superuser = value
                    .cast::<PyBool>()
                    .map_err(|_| invalid("subject.is_superuser must be a bool"))?
                    .is_true()
            }
            other => return Err(invalid(format!("unknown subject field {other:?}"))),
        }
    }
    Ok(subject)
}

/// A list or tuple of strings (a bare string is refused: it is not a list of codes).
fn strings(value: &Bound<'_, PyAny>, field: &str) -> Result<Vec<String>, Error> {
    let wrong = || invalid(format!("subject.{field} must be a list of strings"));
    let items = if let Ok(list) = value.cast::<PyList>() {
        list.iter().collect::<Vec<_>>()
    } else if let Ok(tuple) = value.cast::<PyTuple>() {
        tuple.iter().collect::<Vec<_>>()
    } else {
        return Err(wrong());
    };
    items
        .iter()
        .map(|item| {
            item.cast::<PyString>()
                .map_err(|_| wrong())?
                .to_cow()
                .map(|s| s.into_owned())
                .map_err(|_| wrong())
        })
        .collect()
}

#[pymethods]
impl Policy {
    /// Compiles a policy document (dict or JSON text); `None` is Tenxyte's default policy.
    #[new]
    #[pyo3(signature = (document=None))]
    fn new(py: Python<'_>, document: Option<&Bound<'_, PyAny>>) -> PyResult<Policy> {
        guard(|| {
            let doc = match document {
                None => PolicyDocument::tenxyte_default(),
                Some(d) => from_value(json_arg(d)?, "policy document")?,
            };
            Snapshot::compile(&doc)
        })
        .map(|snapshot| Policy {
            snapshot: Arc::new(snapshot),
        })
        .py_err(py)
    }

    /// The subject converted once, for many checks (see `BoundSubject`).
    fn bind(&self, py: Python<'_>, subject: &Bound<'_, PyAny>) -> PyResult<BoundSubject> {
        let subject = guard(|| parse_subject(subject)).py_err(py)?;
        Ok(BoundSubject {
            snapshot: Arc::clone(&self.snapshot),
            subject,
        })
    }

    /// `{"allowed", "reason", "matched_by"}` for one permission.
    fn check<'py>(
        &self,
        py: Python<'py>,
        subject: &Bound<'py, PyAny>,
        permission: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let s = guard(|| parse_subject(subject)).py_err(py)?;
        to_py(py, &self.snapshot.check(&s, permission).to_json())
    }

    /// True when the subject holds the permission.
    fn has_permission(
        &self,
        py: Python<'_>,
        subject: &Bound<'_, PyAny>,
        permission: &str,
    ) -> PyResult<bool> {
        let s = guard(|| parse_subject(subject)).py_err(py)?;
        Ok(self.snapshot.has_permission(&s, permission))
    }

    /// True when the subject holds the role, directly or through inheritance.
    fn has_role(&self, py: Python<'_>, subject: &Bound<'_, PyAny>, role: &str) -> PyResult<bool> {
        let s = guard(|| parse_subject(subject)).py_err(py)?;
        Ok(self.snapshot.has_role_inherited(&s, role))
    }

    /// Raises `AuthzError` (`permission_required`) unless the subject holds it.
    fn require(
        &self,
        py: Python<'_>,
        subject: &Bound<'_, PyAny>,
        permission: &str,
    ) -> PyResult<()> {
        guard(|| self.snapshot.require(&parse_subject(subject)?, permission)).py_err(py)
    }

    /// Every permission the subject holds, sorted.
    fn effective_permissions(
        &self,
        py: Python<'_>,
        subject: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<String>> {
        let s = guard(|| parse_subject(subject)).py_err(py)?;
        Ok(self
            .snapshot
            .effective_permissions(&s)
            .into_iter()
            .map(str::to_owned)
            .collect())
    }

    /// Why the subject does or does not hold the permission.
    fn explain<'py>(
        &self,
        py: Python<'py>,
        subject: &Bound<'py, PyAny>,
        permission: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let v = guard(|| {
            let s = parse_subject(subject)?;
            serde_json::to_value(self.snapshot.explain(&s, permission))
                .map_err(|e| Error::new(ErrorCode::Internal, e.to_string()))
        })
        .py_err(py)?;
        to_py(py, &v)
    }

    /// The roles new users get.
    fn default_roles(&self) -> Vec<String> {
        self.snapshot.default_roles().to_vec()
    }
}

/// The HTTP status the API answers for an error code (`None` for an unknown code).
#[pyfunction]
pub fn http_status(code: &str) -> Option<u16> {
    ErrorCode::parse(code).map(tenxyte_core::http::status_of)
}

/// Every error code with its category, as `(code, category)` pairs.
#[pyfunction]
pub fn error_codes() -> Vec<(&'static str, &'static str)> {
    ErrorCode::ALL
        .iter()
        .map(|c| (c.as_str(), c.category().as_str()))
        .collect()
}

/// Registers the primitives on the module.
pub fn register(m: &Bound<'_, pyo3::types::PyModule>) -> PyResult<()> {
    m.add_class::<KeySet>()?;
    m.add_class::<Policy>()?;
    m.add_class::<BoundSubject>()?;
    m.add_function(wrap_pyfunction!(jwt_sign, m)?)?;
    m.add_function(wrap_pyfunction!(jwt_verify, m)?)?;
    m.add_function(wrap_pyfunction!(jwt_decode_unverified, m)?)?;
    m.add_function(wrap_pyfunction!(password_hash, m)?)?;
    m.add_function(wrap_pyfunction!(password_verify, m)?)?;
    m.add_function(wrap_pyfunction!(password_check_policy, m)?)?;
    m.add_function(wrap_pyfunction!(totp_code, m)?)?;
    m.add_function(wrap_pyfunction!(totp_verify, m)?)?;
    m.add_function(wrap_pyfunction!(totp_uri, m)?)?;
    m.add_function(wrap_pyfunction!(hotp_code, m)?)?;
    m.add_function(wrap_pyfunction!(hotp_verify, m)?)?;
    m.add_function(wrap_pyfunction!(otp_generate_secret, m)?)?;
    m.add_function(wrap_pyfunction!(otp_parse_uri, m)?)?;
    m.add_function(wrap_pyfunction!(otp_qr_svg, m)?)?;
    m.add_function(wrap_pyfunction!(secret_generate, m)?)?;
    m.add_function(wrap_pyfunction!(secret_hash, m)?)?;
    m.add_function(wrap_pyfunction!(secret_verify, m)?)?;
    m.add_function(wrap_pyfunction!(secret_kind_of, m)?)?;
    m.add_function(wrap_pyfunction!(http_status, m)?)?;
    m.add_function(wrap_pyfunction!(error_codes, m)?)?;
    Ok(())
}
