//! The vector cases. Every input is fixed (keys, salts, random bytes, times), and every
//! expected output is what the core answers, so the files are stable across runs.
//! Requests and responses of `jwt`, `password` and `otp` use the batch forms of
//! `tenxyte_core::batch` (the CLI's `--jsonl` lines), so the CLI replays them verbatim.

use serde_json::{json, Map, Value};
use tenxyte_core::agent;
use tenxyte_core::batch;
use tenxyte_core::config::Settings;
use tenxyte_core::encoding::b64url_encode;
use tenxyte_core::jwt::{self, Algorithm, Key, KeySet, SignOptions};
use tenxyte_core::org::{self, MembershipStatus};
use tenxyte_core::otp::numeric;
use tenxyte_core::password::{self, backup_codes, policy, Argon2Params};
use tenxyte_core::secret::{self, SecretKind};
use tenxyte_core::{Error, Result};

/// The fixed "now" of the JWT cases.
const NOW: i64 = 1_750_000_000;

// RFC 7515 A.2 (RSA, deterministic PKCS#1 v1.5), RFC 8037 A.1 (Ed25519), RFC 7515 A.3 (P-256).
const RSA_JWK: &str = r#"{"kty":"RSA","kid":"rsa-1","n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ","e":"AQAB","d":"Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-7YwVol2NXOoAJe46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439X0M_V51gfpRLI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_jTj3ccPDVZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ","p":"4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdiYrqBdss1l58BQ3KhooKeQTa9AB0Hw_Py5PJdTJNPY8cQn7ouZ2KKDcmnPGBY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGUc","q":"uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjLYsp1ZSe7zFYHj7C6ul7TjeLQeZD_YwD66t62wDmpe_HlB-TnBA-njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdc","dp":"BwKfV3Akq5_MFZDFZCnW-wzl-CCo83WoZvnLQwCTeDv8uzluRSnm71I3QCLdhrqE2e9YkxvuxdBfpT_PI7Yz-FOKnu1R6HsJeDCjn12Sk3vmAktV2zb34MCdy7cpdTh_YVr7tss2u6vneTwrA86rZtu5Mbr1C1XsmvkxHQAdYo0","dq":"h_96-mK1R_7glhsum81dZxjTnYynPbZpHziZjeeHcXYsXaaMwkOlODsWa7I9xXDoRwbKgB719rrmI2oKr6N3Do9U0ajaHF-NKJnwgjMd2w9cjz3_-kyNlxAr2v4IKhGNpmM5iIgOS1VZnOZ68m6_pbLBSp3nssTdlqvd0tIiTHU","qi":"IYd7DHOhrWvxkwPQsRM2tOgrjbcrfvtQJipd-DlcxyVuuM9sQLdgjVk2oy26F0EmpScGLq2MowX7fhd_QJQ3ydy5cY7YIBi87w93IKLEdfnbJtoOPLUW0ITrJReOgo1cq9SbsxYawBgfp_gh6A5603k2-ZQwVK0JKSHuLFkuQ3U"}"#;
const ED_JWK: &str = r#"{"kty":"OKP","crv":"Ed25519","kid":"ed-1","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
const ES_PUBLIC_JWK: &str = r#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#;
const ES_RFC_TOKEN: &str = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn parse_jwk(text: &str) -> Result<Value> {
    tenxyte_core::json::parse_strict(text.as_bytes(), 8)
        .map_err(|e| Error::new(tenxyte_core::ErrorCode::InvalidInput, e))
}

/// A JWKS value of the public parts (and, for HMAC, the secret, which a verifier needs).
fn hmac_jwk(secret: &[u8], kid: &str) -> Value {
    json!({"kty": "oct", "kid": kid, "k": b64url_encode(secret)})
}

/// A token over raw header and claims text, signed by `key` with `alg`.
fn raw_token(header: &str, claims: &str, key: &Key, alg: Algorithm) -> Result<String> {
    let input = format!(
        "{}.{}",
        b64url_encode(header.as_bytes()),
        b64url_encode(claims.as_bytes())
    );
    let sig = key.sign_bytes(alg, input.as_bytes())?;
    Ok(format!("{input}.{}", b64url_encode(&sig)))
}

struct JwtCases {
    out: Vec<Value>,
}

impl JwtCases {
    /// Records a case: `request` plus `token` and `jwks`, answered by the core.
    fn add(&mut self, name: &str, token: &str, jwks: &Value, mut request: Value) {
        if let Value::Object(m) = &mut request {
            m.insert("token".into(), token.into());
            m.insert("jwks".into(), jwks.clone());
            m.entry("now").or_insert(NOW.into());
        }
        let expected = batch::jwt_verify(&request, NOW);
        self.out
            .push(json!({"name": name, "request": request, "expected": expected}));
    }
}

pub fn jwt() -> Result<Value> {
    let hs = [7u8; 32];
    let hs512 = [9u8; 64];
    let hs_key = Key::hmac(&hs, Algorithm::HS256)?.with_kid("hs-1");
    let hs512_key = Key::hmac_any(&hs512)?.with_kid("hs-2");
    let rsa = jwt::key_from_jwk_json(RSA_JWK)?;
    let ed = jwt::key_from_jwk_json(ED_JWK)?;
    let hs_jwks = json!({"keys": [hmac_jwk(&hs, "hs-1"), hmac_jwk(&hs512, "hs-2")]});
    let rsa_jwks = KeySet::single(rsa.public_only()?).to_jwks();
    let ed_jwks = KeySet::single(ed.public_only()?).to_jwks();
    let es_jwks = json!({"keys": [parse_jwk(ES_PUBLIC_JWK)?]});

    let claims = obj(json!({
        "iss": "https://issuer.example", "sub": "user-42", "aud": "api",
        "iat": NOW - 10, "nbf": NOW - 10, "exp": NOW + 900, "jti": "0b7c3c62-1d53-4a3e-9f43-2b6a2d1c7e10",
        "type": "access", "user_id": "42", "app_id": "7"
    }));
    let at = SignOptions {
        typ: Some("at+jwt".into()),
        algorithm: None,
    };
    let std_req =
        json!({"algorithms": ["HS256"], "issuer": "https://issuer.example", "audience": "api"});
    let mut c = JwtCases { out: Vec::new() };

    let t = jwt::sign_with_key(&claims, &hs_key, &at)?;
    c.add("hs256 valid", &t, &hs_jwks, std_req.clone());
    c.add(
        "hs256 valid with typ and claims_equal",
        &t,
        &hs_jwks,
        json!({"algorithms": ["HS256"], "issuer": "https://issuer.example", "audience": ["other", "api"], "typ": "at+jwt", "claims_equal": {"type": "access"}, "require": ["exp", "iat", "jti", "user_id", "app_id"]}),
    );
    for alg in [Algorithm::HS384, Algorithm::HS512] {
        let t = jwt::sign_with_key(
            &claims,
            &hs512_key,
            &SignOptions {
                typ: None,
                algorithm: Some(alg),
            },
        )?;
        c.add(
            &format!("{alg} valid"),
            &t,
            &hs_jwks,
            json!({"algorithms": [alg.as_str()], "issuer": "https://issuer.example", "audience": "api"}),
        );
    }
    let t = jwt::sign_with_key(&claims, &rsa, &at)?;
    c.add(
        "rs256 valid",
        &t,
        &rsa_jwks,
        json!({"algorithms": ["RS256"], "issuer": "https://issuer.example", "audience": "api"}),
    );
    c.add(
        "rs256 token, hs256 only allowed",
        &t,
        &rsa_jwks,
        std_req.clone(),
    );
    let t = jwt::sign_with_key(&claims, &ed, &at)?;
    c.add(
        "eddsa valid",
        &t,
        &ed_jwks,
        json!({"algorithms": ["EdDSA"], "issuer": "https://issuer.example", "audience": "api"}),
    );
    c.add(
        "es256 rfc7515 a.3 valid",
        ES_RFC_TOKEN,
        &es_jwks,
        json!({"algorithms": ["ES256"], "issuer": "joe", "now": 1_300_819_379}),
    );
    c.add(
        "es256 rfc7515 a.3 expired",
        ES_RFC_TOKEN,
        &es_jwks,
        json!({"algorithms": ["ES256"], "issuer": "joe", "now": 1_300_819_380}),
    );

    // Time.
    c.add(
        "expired",
        &t_with(&hs_key, &claims, &[("exp", json!(NOW))])?,
        &hs_jwks,
        std_req.clone(),
    );
    c.add(
        "expired within leeway",
        &t_with(&hs_key, &claims, &[("exp", json!(NOW - 5))])?,
        &hs_jwks,
        merge(&std_req, json!({"leeway": 10})),
    );
    c.add(
        "nbf in the future",
        &t_with(&hs_key, &claims, &[("nbf", json!(NOW + 5))])?,
        &hs_jwks,
        std_req.clone(),
    );
    c.add(
        "iat in the future",
        &t_with(&hs_key, &claims, &[("iat", json!(NOW + 5))])?,
        &hs_jwks,
        std_req.clone(),
    );
    c.add(
        "exp as a string",
        &t_with(&hs_key, &claims, &[("exp", json!("9999999999"))])?,
        &hs_jwks,
        std_req.clone(),
    );
    c.add(
        "exp beyond 2^53",
        &t_with(&hs_key, &claims, &[("exp", json!(1e300))])?,
        &hs_jwks,
        std_req.clone(),
    );
    c.add(
        "missing exp",
        &t_with(&hs_key, &claims, &[("exp", Value::Null)])?,
        &hs_jwks,
        std_req.clone(),
    );
    c.add("custom required claim missing", &t, &ed_jwks, json!({"algorithms": ["EdDSA"], "issuer": "https://issuer.example", "audience": "api", "require": ["exp", "org_id"]}));

    // Issuer and audience.
    c.add(
        "wrong issuer",
        &t_with(
            &hs_key,
            &claims,
            &[("iss", json!("https://issuer.example/"))],
        )?,
        &hs_jwks,
        std_req.clone(),
    );
    c.add(
        "missing issuer",
        &t_with(&hs_key, &claims, &[("iss", Value::Null)])?,
        &hs_jwks,
        std_req.clone(),
    );
    c.add(
        "wrong audience",
        &t_with(&hs_key, &claims, &[("aud", json!("api2"))])?,
        &hs_jwks,
        std_req.clone(),
    );
    c.add(
        "audience array",
        &t_with(&hs_key, &claims, &[("aud", json!(["x", "api"]))])?,
        &hs_jwks,
        std_req.clone(),
    );
    c.add(
        "audience not configured",
        &jwt::sign_with_key(&claims, &hs_key, &at)?,
        &hs_jwks,
        json!({"algorithms": ["HS256"]}),
    );
    c.add(
        "audience of the wrong type",
        &t_with(&hs_key, &claims, &[("aud", json!([1]))])?,
        &hs_jwks,
        std_req.clone(),
    );

    // Type and expected values.
    let hs_t = jwt::sign_with_key(&claims, &hs_key, &at)?;
    c.add(
        "typ mismatch",
        &hs_t,
        &hs_jwks,
        merge(&std_req, json!({"typ": "refresh+jwt"})),
    );
    c.add(
        "typ with application/ prefix",
        &hs_t,
        &hs_jwks,
        merge(&std_req, json!({"typ": "application/AT+JWT"})),
    );
    c.add(
        "claims_equal mismatch",
        &hs_t,
        &hs_jwks,
        merge(&std_req, json!({"claims_equal": {"type": "refresh"}})),
    );
    c.add(
        "claims_equal missing claim",
        &hs_t,
        &hs_jwks,
        merge(&std_req, json!({"claims_equal": {"org": "acme"}})),
    );

    // Attacks.
    let payload = serde_json::to_string(&claims)
        .map_err(|e| Error::new(tenxyte_core::ErrorCode::Internal, e.to_string()))?;
    let p64 = b64url_encode(payload.as_bytes());
    c.add(
        "alg none",
        &format!("{}.{p64}.", b64url_encode(br#"{"alg":"none"}"#)),
        &hs_jwks,
        std_req.clone(),
    );
    c.add(
        "alg NoNe",
        &format!("{}.{p64}.", b64url_encode(br#"{"alg":"NoNe"}"#)),
        &hs_jwks,
        std_req.clone(),
    );
    let rsa_pem = rsa.to_public_pem().unwrap_or_default();
    let confused = raw_token(
        r#"{"alg":"HS256"}"#,
        &payload,
        &Key::hmac_any(rsa_pem.as_bytes())?,
        Algorithm::HS256,
    )?;
    c.add("rs256 public key used as hmac secret", &confused, &rsa_jwks, json!({"algorithms": ["RS256", "HS256"], "issuer": "https://issuer.example", "audience": "api"}));
    c.add(
        "unknown kid",
        &raw_token(
            r#"{"alg":"HS256","kid":"../../dev/null"}"#,
            &payload,
            &hs_key,
            Algorithm::HS256,
        )?,
        &hs_jwks,
        std_req.clone(),
    );
    c.add("kid names a key of another family", &raw_token(r#"{"alg":"HS256","kid":"rsa-1"}"#, &payload, &hs_key, Algorithm::HS256)?, &json!({"keys": [rsa.public_only()?.to_public_jwk().map(Value::Object).unwrap_or_default(), hmac_jwk(&hs, "hs-1")]}), std_req.clone());
    c.add(
        "unknown crit",
        &raw_token(
            r#"{"alg":"HS256","crit":["exp"],"exp":1}"#,
            &payload,
            &hs_key,
            Algorithm::HS256,
        )?,
        &hs_jwks,
        std_req.clone(),
    );
    c.add(
        "duplicate header member",
        &raw_token(
            r#"{"alg":"HS256","alg":"HS256"}"#,
            &payload,
            &hs_key,
            Algorithm::HS256,
        )?,
        &hs_jwks,
        std_req.clone(),
    );
    c.add(
        "duplicate claim",
        &raw_token(
            r#"{"alg":"HS256"}"#,
            &format!(r#"{{"sub":"a","sub":"b","exp":{}}}"#, NOW + 60),
            &hs_key,
            Algorithm::HS256,
        )?,
        &hs_jwks,
        json!({"algorithms": ["HS256"]}),
    );
    let good = jwt::sign_with_key(&claims, &hs_key, &SignOptions::default())?;
    c.add(
        "padded signature",
        &format!("{good}="),
        &hs_jwks,
        std_req.clone(),
    );
    c.add(
        "two segments",
        good.rsplit_once('.').map(|(a, _)| a).unwrap_or_default(),
        &hs_jwks,
        std_req.clone(),
    );
    c.add(
        "token too large",
        &good,
        &hs_jwks,
        merge(&std_req, json!({"max_token_bytes": 64})),
    );
    let tampered = {
        let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
        if let Some(p) = parts.get_mut(1) {
            let mut c2 = claims.clone();
            c2.insert("sub".into(), "admin".into());
            *p = b64url_encode(serde_json::to_string(&c2).unwrap_or_default().as_bytes());
        }
        parts.join(".")
    };
    c.add("tampered payload", &tampered, &hs_jwks, std_req.clone());
    c.add(
        "psychic ecdsa signature",
        &format!(
            "{}.{p64}.{}",
            b64url_encode(br#"{"alg":"ES256"}"#),
            b64url_encode(&[0u8; 64])
        ),
        &es_jwks,
        json!({"algorithms": ["ES256"]}),
    );
    c.add(
        "unknown algorithm in the request",
        &good,
        &hs_jwks,
        json!({"algorithms": ["HS999"]}),
    );
    Ok(Value::Array(c.out))
}

fn merge(base: &Value, extra: Value) -> Value {
    let mut out = base.clone();
    if let (Value::Object(o), Value::Object(e)) = (&mut out, extra) {
        for (k, v) in e {
            o.insert(k, v);
        }
    }
    out
}

/// Signs `claims` with some members replaced (`null` removes the member).
fn t_with(key: &Key, claims: &Map<String, Value>, changes: &[(&str, Value)]) -> Result<String> {
    let mut c = claims.clone();
    for (k, v) in changes {
        if v.is_null() {
            c.shift_remove(*k);
        } else {
            c.insert((*k).to_owned(), v.clone());
        }
    }
    jwt::sign_with_key(&c, key, &SignOptions::default())
}

pub fn password() -> Result<Value> {
    let low = Argon2Params {
        memory_kib: 256,
        iterations: 1,
        parallelism: 1,
    };
    let target = Argon2Params::default();
    let salt = b"0123456789abcdef";
    let pw = "correct horse battery staple";
    let mut cases = Vec::new();
    let mut add = |name: &str, request: Value| {
        let expected = batch::password_verify(&request);
        cases.push(json!({"name": name, "request": request, "expected": expected}));
    };
    let phc = password::hash_with_salt(pw, &low, salt)?;
    add(
        "argon2id low params: right password, rehash",
        json!({"password": pw, "encoded": phc}),
    );
    add(
        "argon2id low params: wrong password",
        json!({"password": "Correct horse battery staple", "encoded": phc}),
    );
    let phc_target = password::hash_with_salt(pw, &target, salt)?;
    add(
        "argon2id target params: no rehash",
        json!({"password": pw, "encoded": phc_target}),
    );
    let django = password::hash_django_argon2_with_salt(pw, &low, b"abcdefghijABCDEFGHIJ01")?;
    add("django argon2", json!({"password": pw, "encoded": django}));
    let unicode = password::hash_with_salt("pässwörd 🔑", &low, salt)?;
    add(
        "unicode password",
        json!({"password": "pässwörd 🔑", "encoded": unicode}),
    );
    add(
        "unicode password, other normalisation",
        json!({"password": "pa\u{0308}sswo\u{0308}rd 🔑", "encoded": unicode}),
    );
    // Legacy formats made by the reference libraries (tests/interop/gen_password_fixtures.py).
    for (name, encoded, bare) in [
        ("django pbkdf2_sha256", "pbkdf2_sha256$3000$zg8A0iVe2jrgesR0CaGaDt$I/EUM4E2uzsarpeDGrX7fg506i+jH3S6fRQ211we/EM=", None),
        ("bcrypt $2b$ plain", "$2b$04$qJPo0QTNyROvd3skfnoD/eqBbP6ZWnHP8SKrMfqzml/tYoqzdd3tm", Some("plain")),
        ("bcrypt $2b$ read as tenxyte sha256-hex", "$2b$04$qJPo0QTNyROvd3skfnoD/eqBbP6ZWnHP8SKrMfqzml/tYoqzdd3tm", Some("sha256_hex")),
    ] {
        add(name, json!({"password": pw, "encoded": encoded, "bare_bcrypt": bare}));
    }
    add(
        "unusable django marker",
        json!({"password": pw, "encoded": "!unusable"}),
    );
    add("empty stored hash", json!({"password": pw, "encoded": ""}));
    add(
        "unknown format",
        json!({"password": pw, "encoded": "md5$abc$def"}),
    );
    add(
        "malformed argon2",
        json!({"password": pw, "encoded": "$argon2id$v=19$m=256,t=1$c2FsdA$aGFzaA"}),
    );
    add(
        "unsafe argon2 memory",
        json!({"password": pw, "encoded": "$argon2id$v=19$m=4194304,t=1,p=1$MDEyMzQ1Njc4OWFiY2RlZg$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}),
    );
    add(
        "unsafe pbkdf2 iterations",
        json!({"password": pw, "encoded": "pbkdf2_sha256$4000000000$salt$AAAA"}),
    );
    add(
        "bcrypt over 72 bytes",
        json!({"password": "x".repeat(73), "encoded": "$2b$04$qJPo0QTNyROvd3skfnoD/eqBbP6ZWnHP8SKrMfqzml/tYoqzdd3tm"}),
    );
    add("request missing encoded", json!({"password": pw}));
    Ok(Value::Array(cases))
}

pub fn otp() -> Result<Value> {
    // RFC 6238 Appendix B seeds ("12345678901234567890" repeated to 20/32/64 bytes).
    let seed = |n: usize| -> String {
        let bytes: Vec<u8> = b"1234567890".iter().cycle().take(n).copied().collect();
        tenxyte_core::otp::OtpSecret::from_bytes(bytes)
            .map(|s| s.to_base32())
            .unwrap_or_default()
    };
    let (s1, s256, s512) = (seed(20), seed(32), seed(64));
    let mut cases = Vec::new();
    let mut add = |name: &str, request: Value| {
        let expected = batch::otp_verify(&request, 0);
        cases.push(json!({"name": name, "request": request, "expected": expected}));
    };
    for (t, sha1, sha256, sha512) in [
        (59_i64, "94287082", "46119246", "90693936"),
        (1_111_111_109, "07081804", "68084774", "25091201"),
        (1_234_567_890, "89005924", "91819424", "93441116"),
        (20_000_000_000, "65353130", "77737706", "47863826"),
    ] {
        add(
            &format!("rfc6238 sha1 t={t}"),
            json!({"secret_base32": s1, "algorithm": "SHA1", "digits": 8, "now": t, "window": 0, "code": sha1}),
        );
        add(
            &format!("rfc6238 sha256 t={t}"),
            json!({"secret_base32": s256, "algorithm": "SHA256", "digits": 8, "now": t, "window": 0, "code": sha256}),
        );
        add(
            &format!("rfc6238 sha512 t={t}"),
            json!({"secret_base32": s512, "algorithm": "SHA512", "digits": 8, "now": t, "window": 0, "code": sha512}),
        );
    }
    add(
        "previous step inside window 1",
        json!({"secret_base32": s1, "digits": 8, "now": 89, "window": 1, "code": "94287082"}),
    );
    add(
        "two steps back outside window 1",
        json!({"secret_base32": s1, "digits": 8, "now": 119, "window": 1, "code": "94287082"}),
    );
    add(
        "replay of the last used step",
        json!({"secret_base32": s1, "digits": 8, "now": 59, "window": 1, "last_used_step": 1, "code": "94287082"}),
    );
    add(
        "code after the last used step",
        json!({"secret_base32": s1, "digits": 8, "now": 59, "window": 1, "last_used_step": 0, "code": "94287082"}),
    );
    for (name, code) in [
        ("too short", "9428708"),
        ("spaces", "9428 082"),
        ("arabic-indic digits", "٩٤٢٨٧٠٨٢"),
        ("sign", "+4287082"),
    ] {
        add(
            &format!("format: {name}"),
            json!({"secret_base32": s1, "digits": 8, "now": 59, "code": code}),
        );
    }
    add(
        "wrong code",
        json!({"secret_base32": s1, "digits": 8, "now": 59, "window": 1, "code": "00000000"}),
    );
    add(
        "lowercase base32 secret",
        json!({"secret_base32": s1.to_lowercase(), "digits": 8, "now": 59, "window": 0, "code": "94287082"}),
    );
    add(
        "secret too short",
        json!({"secret_base32": "GEZDGNBV", "now": 59, "code": "123456"}),
    );
    add(
        "t0 and period",
        json!({"secret_base32": s1, "digits": 8, "period": 60, "t0": 30, "now": 100, "window": 0, "code": "94287082"}),
    );
    // RFC 4226 Appendix D (6 digits, counters 0..9).
    for (counter, code) in [
        "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871",
        "520489",
    ]
    .iter()
    .enumerate()
    {
        add(
            &format!("rfc4226 counter {counter}"),
            json!({"secret_base32": s1, "counter": counter, "code": code}),
        );
    }
    add(
        "hotp look-ahead finds counter 4",
        json!({"secret_base32": s1, "counter": 1, "look_ahead": 3, "code": "338314"}),
    );
    add(
        "hotp behind the counter",
        json!({"secret_base32": s1, "counter": 5, "look_ahead": 3, "code": "338314"}),
    );
    Ok(Value::Array(cases))
}

fn check_json(check: &numeric::CodeCheck) -> Value {
    json!({
        "accepted": check.is_accepted(),
        "code": check.outcome.as_ref().err().map(|e| e.code().as_str()),
        "record": check.record,
    })
}

pub fn numeric_codes() -> Result<Value> {
    let random: Vec<u8> = (0u8..=255).rev().collect();
    let (code, record) =
        numeric::issue_with_random(&random, 6, 600, 3, "email_verification", "challenge-1", NOW)?;
    let mut steps = Vec::new();
    let mut rec = record.clone();
    for (label, input, purpose, cid, now) in [
        (
            "wrong code",
            "000000",
            "email_verification",
            "challenge-1",
            NOW + 1,
        ),
        (
            "other purpose",
            code.as_str(),
            "password_reset",
            "challenge-1",
            NOW + 2,
        ),
        (
            "other challenge",
            code.as_str(),
            "email_verification",
            "challenge-2",
            NOW + 3,
        ),
        (
            "right code",
            code.as_str(),
            "email_verification",
            "challenge-1",
            NOW + 4,
        ),
        (
            "used again",
            code.as_str(),
            "email_verification",
            "challenge-1",
            NOW + 5,
        ),
    ] {
        let check = numeric::verify(&rec, input, purpose, cid, now);
        steps.push(json!({"label": label, "input": input, "purpose": purpose, "challenge_id": cid, "now": now, "expected": check_json(&check)}));
        rec = check.record;
    }
    let expired = numeric::verify(
        &record,
        &code,
        "email_verification",
        "challenge-1",
        NOW + 600,
    );
    let malformed = numeric::verify(
        &record,
        "12a456",
        "email_verification",
        "challenge-1",
        NOW + 1,
    );
    Ok(json!([{
        "name": "email code lifecycle",
        "issue": {"random_hex": tenxyte_core::encoding::hex_encode(&random), "length": 6, "lifetime_secs": 600, "max_attempts": 3, "purpose": "email_verification", "challenge_id": "challenge-1", "now": NOW},
        "expected_code": code,
        "expected_record": record,
        "steps": steps,
        "expired_at_expiry": check_json(&expired),
        "malformed_input": check_json(&malformed),
    }]))
}

pub fn secret() -> Result<Value> {
    let mut cases = Vec::new();
    for (i, kind) in SecretKind::ALL.into_iter().enumerate() {
        let mut random = [0u8; 32];
        for (j, b) in random.iter_mut().enumerate() {
            *b = (i * 32 + j) as u8;
        }
        let s = secret::generate_with_random(kind, &random);
        cases.push(json!({
            "name": kind.as_str(),
            "kind": kind.as_str(),
            "random_hex": tenxyte_core::encoding::hex_encode(&random),
            "expected_raw": s.raw(),
            "expected_hash": s.hash(),
            "kind_of_raw": secret::kind_of(s.raw()).map(SecretKind::as_str),
        }));
    }
    Ok(Value::Array(cases))
}

pub fn policy() -> Result<Value> {
    let mut cases = Vec::new();
    for (name, pw, email, tenxyte) in [
        ("asvs: short", "abc", None, false),
        ("asvs: common", "password1", None, false),
        (
            "asvs: passphrase",
            "correct horse battery staple",
            None,
            false,
        ),
        (
            "asvs: contains email local part",
            "alice-secret-2024!",
            Some("alice@example.com"),
            false,
        ),
        (
            "tenxyte: probe",
            "Str0ng!Passw0rd#2024",
            Some("bob@example.com"),
            true,
        ),
        ("tenxyte: no special", "Abcdefgh1234", None, true),
        (
            "tenxyte: sequence and repetition",
            "Qwerty!!!!1234",
            None,
            true,
        ),
        ("asvs: emoji", "🔑🔑🔑🔑 long enough", None, false),
    ] {
        let rules = if tenxyte {
            policy::PasswordPolicy::tenxyte()
        } else {
            policy::PasswordPolicy::default()
        };
        let ctx = policy::PolicyContext {
            email,
            username: None,
            other: &[],
        };
        let report = policy::check(pw, &rules, &ctx);
        cases.push(json!({"name": name, "password": pw, "email": email, "rules": if tenxyte {"tenxyte"} else {"asvs"}, "expected": report}));
    }
    Ok(Value::Array(cases))
}

pub fn backup_codes() -> Result<Value> {
    let cases: Vec<Value> = [
        "abcd-efgh-jkmn",
        "ABCD EFGH JKMN",
        "abcdefghjkmn",
        "abcd_efgh_jkmn",
        "abcd-efgh-jkm",
        "abcd-efgh-jkml",
        "0bcd-efgh-jkmn",
        "",
    ]
    .iter()
    .map(|input| json!({"input": input, "expected": backup_codes::normalize(input)}))
    .collect();
    Ok(Value::Array(cases))
}

pub fn config() -> Result<Value> {
    let mut cases = Vec::new();
    for (name, doc) in [
        ("empty document is medium", "{}"),
        ("robust", r#"{"preset": "robust"}"#),
        ("development", r#"{"preset": "development"}"#),
        (
            "override",
            r#"{"preset": "medium", "jwt": {"access_token_lifetime_secs": 600}}"#,
        ),
        (
            "unknown key",
            r#"{"jwt": {"acess_token_lifetime_secs": 600}}"#,
        ),
        (
            "wrong type",
            r#"{"jwt": {"access_token_lifetime_secs": "600"}}"#,
        ),
        (
            "contradiction",
            r#"{"jwt": {"access_token_lifetime_secs": 90000}}"#,
        ),
        (
            "duplicate key",
            r#"{"preset": "robust", "preset": "development"}"#,
        ),
        ("unknown preset", r#"{"preset": "production"}"#),
    ] {
        let expected = match Settings::from_json(doc) {
            Ok(s) => json!({"ok": true, "settings": s.to_value()?}),
            Err(e) => json!({"ok": false, "code": e.code().as_str(), "details": e.details()}),
        };
        cases.push(json!({"name": name, "document": doc, "expected": expected}));
    }
    Ok(Value::Array(cases))
}

pub fn rbac() -> Result<Value> {
    use tenxyte_core::rbac::{PermissionDef, PolicyDocument, RoleDef, Snapshot, Subject};
    let mut doc = PolicyDocument::tenxyte_default();
    // A role hierarchy on top of Tenxyte's flat seed: moderator → editor → viewer.
    doc.permissions.push(PermissionDef {
        code: "comments.moderate".into(),
        parent: None,
        description: String::new(),
    });
    for role in &mut doc.roles {
        if role.code == "editor" {
            role.inherits = vec!["viewer".into()];
        }
    }
    doc.roles.push(RoleDef {
        code: "moderator".into(),
        permissions: vec!["comments.moderate".into()],
        inherits: vec!["editor".into()],
        is_default: false,
        name: "moderator".into(),
    });
    let snap = Snapshot::compile(&doc)?;
    let subjects: Vec<(&str, Subject)> = vec![
        (
            "viewer",
            Subject {
                roles: vec!["viewer".into()],
                ..Subject::default()
            },
        ),
        (
            "moderator",
            Subject {
                roles: vec!["moderator".into()],
                ..Subject::default()
            },
        ),
        (
            "admin",
            Subject {
                roles: vec!["admin".into()],
                ..Subject::default()
            },
        ),
        (
            "direct grants",
            Subject {
                roles: vec![],
                permissions: vec!["users".into(), "system.*".into()],
                is_superuser: false,
            },
        ),
        (
            "super_admin",
            Subject {
                roles: vec!["super_admin".into()],
                ..Subject::default()
            },
        ),
        (
            "superuser",
            Subject {
                is_superuser: true,
                ..Subject::default()
            },
        ),
        ("nobody", Subject::default()),
    ];
    let queries = [
        "content.view",
        "content.edit",
        "content.publish",
        "comments.moderate",
        "users",
        "users.delete",
        "users.roles.assign",
        "system.audit",
        "gdpr.admin",
        "not.registered",
    ];
    let mut cases = Vec::new();
    for (name, subject) in &subjects {
        let mut answers = Map::new();
        for q in queries {
            answers.insert(q.to_owned(), snap.check(subject, q).to_json());
        }
        cases.push(json!({"name": name, "subject": subject, "expected": answers}));
    }
    let policy = serde_json::to_value(&doc)
        .map_err(|e| Error::new(tenxyte_core::ErrorCode::Internal, e.to_string()))?;
    Ok(json!({"policy": policy, "subjects": cases}))
}

/// A fixed organization for the `org.json` cases.
fn org_record(id: &str, parent: Option<&str>, active: bool) -> org::Organization {
    org::Organization {
        id: id.into(),
        slug: id.into(),
        name: id.to_uppercase(),
        parent_id: parent.map(Into::into),
        is_active: active,
        max_members: 0,
        created_by: "alice".into(),
        created_at: NOW - 86_400,
        metadata: Map::new(),
    }
}

fn membership(user: &str, org_id: &str, role: &str, status: MembershipStatus) -> org::Membership {
    org::Membership {
        org_id: org_id.into(),
        user_id: user.into(),
        role: role.into(),
        status,
        invited_by: None,
        joined_at: NOW - 3_600,
    }
}

fn to_value<T: serde::Serialize>(v: &T) -> Result<Value> {
    serde_json::to_value(v)
        .map_err(|e| Error::new(tenxyte_core::ErrorCode::Internal, e.to_string()))
}

fn outcome<T>(r: Result<T>, ok: impl FnOnce(T) -> Result<Value>) -> Result<Value> {
    match r {
        Ok(v) => ok(v),
        Err(e) => Ok(json!({"ok": false, "code": e.code().as_str()})),
    }
}

/// (name, invitation, token, user email, existing membership, now)
type AcceptCase<'a> = (
    &'a str,
    &'a org::Invitation,
    &'a str,
    &'a str,
    Option<&'a org::Membership>,
    i64,
);

pub fn org() -> Result<Value> {
    use MembershipStatus::{Active, Pending, Suspended};
    // acme ─┬─ eu ── fr ── paris ── ops ;  acme ── us ;  dormant (inactive) ── dormant-child
    let orgs = vec![
        org_record("acme", None, true),
        org_record("eu", Some("acme"), true),
        org_record("fr", Some("eu"), true),
        org_record("paris", Some("fr"), true),
        org_record("ops", Some("paris"), true),
        org_record("us", Some("acme"), true),
        org_record("dormant", None, false),
        org_record("dormant-child", Some("dormant"), true),
    ];
    let mut role_list = org::system_roles();
    role_list.push(org::OrgRole::new(
        "billing",
        "Billing",
        &["org.billing.*", "org.read"],
    )?);
    let roles = org::OrgRoles::new(role_list.clone())?;
    let memberships = vec![
        membership("alice", "acme", "owner", Active),
        membership("bob", "eu", "admin", Active),
        membership("carol", "fr", "member", Active),
        membership("dave", "acme", "member", Pending),
        membership("erin", "eu", "admin", Suspended),
        membership("frank", "dormant", "owner", Active),
        membership("gina", "us", "member", Active),
        membership("zoe", "eu", "billing", Active),
    ];
    let tree = org::OrgTree::new(orgs.clone(), 5)?;
    // (user, org, what, value): what is "permission", "role" or "check".
    let queries: &[(&str, &str, &str, &str)] = &[
        ("alice", "acme", "permission", "org.settings.write"),
        ("alice", "ops", "permission", "org.members.remove"),
        ("alice", "acme", "permission", "org"),
        ("alice", "acme", "permission", "orga.x"),
        ("alice", "acme", "permission", "org.*"),
        ("alice", "ops", "check", "owner"),
        ("alice", "ops", "check", "admin"),
        ("bob", "paris", "permission", "org.members.invite"),
        ("bob", "acme", "permission", "org.read"),
        ("bob", "fr", "role", "admin"),
        ("bob", "eu", "check", "owner"),
        ("carol", "eu", "permission", "org.read"),
        ("carol", "ops", "check", "member"),
        ("carol", "fr", "permission", "org.members.invite"),
        ("dave", "acme", "permission", "org.read"),
        ("erin", "fr", "permission", "org.members.invite"),
        ("frank", "dormant-child", "permission", "org.read"),
        ("gina", "acme", "check", "member"),
        ("zoe", "fr", "permission", "org.billing"),
        ("zoe", "fr", "permission", "org.billing.refund"),
        ("zoe", "fr", "permission", "org.billingx"),
        ("alice", "ghost", "permission", "org.read"),
        ("alice", "acme", "role", "ghost"),
    ];
    let mut cases = Vec::new();
    for inheritance in [true, false] {
        let authz = org::OrgAuthz::new(&tree, &roles, &memberships).with_inheritance(inheritance);
        let mut qs = Vec::new();
        for (user, o, what, value) in queries {
            let d = match (*what, *value) {
                ("permission", code) => authz.has_org_permission(user, o, code),
                ("role", role) => authz.has_org_role(user, o, role),
                (_, "member") => authz.is_member(user, o),
                (_, "owner") => authz.is_owner(user, o),
                _ => authz.is_admin(user, o),
            };
            qs.push(json!({"user": user, "org": o, *what: value, "expected": to_value(&d)?}));
        }
        cases.push(json!({
            "name": format!("decisions, inheritance {}", if inheritance { "on" } else { "off" }),
            "kind": "decisions",
            "max_depth": 5,
            "role_inheritance": inheritance,
            "organizations": to_value(&orgs)?,
            "roles": to_value(&role_list)?,
            "memberships": to_value(&memberships)?,
            "queries": qs,
        }));
    }

    for (name, mover, parent) in [
        ("move under own descendant", "eu", Some("paris")),
        ("move under itself", "eu", Some("eu")),
        ("move past max depth", "eu", Some("us")),
        ("move to the last allowed depth", "fr", Some("us")),
        ("move to root", "paris", None),
    ] {
        let expected = outcome(tree.move_org(mover, parent), |o| {
            Ok(json!({"ok": true, "organization": to_value(&o)?}))
        })?;
        cases.push(json!({
            "name": name, "kind": "move", "max_depth": 5, "organizations": to_value(&orgs)?,
            "org": mover, "new_parent": parent, "expected": expected,
        }));
    }

    // Invitation accept cases: one invitation issued by bob at eu with a fixed token.
    let authz = org::OrgAuthz::new(&tree, &roles, &memberships);
    let ops = org::OrgMembers::new(&authz, "eu", &memberships, &[])?;
    let token = secret::generate_with_random(SecretKind::Invitation, &[0x2a; 32]);
    let request = org::InviteRequest {
        id: "inv-1".into(),
        email: "New.User@Example.com".into(),
        role: Some("viewer".into()),
        lifetime_secs: 7 * 86_400,
    };
    let inv = ops.invite_with_token("bob", &request, token.raw(), NOW)?;
    let mut used = inv.clone();
    used.status = org::InvitationStatus::Accepted;
    used.accepted_at = Some(NOW);
    let other = secret::generate_with_random(SecretKind::Invitation, &[0x2b; 32]);
    let pending = membership("newbie", "eu", "member", Pending);
    let active = membership("newbie", "eu", "member", Active);
    let exp = inv.expires_at;
    let accepts: Vec<AcceptCase<'_>> = vec![
        (
            "accept",
            &inv,
            token.raw(),
            "New.User@Example.com",
            None,
            NOW + 60,
        ),
        (
            "email compared ASCII case-insensitively",
            &inv,
            token.raw(),
            " new.user@EXAMPLE.com",
            None,
            NOW + 60,
        ),
        (
            "last second",
            &inv,
            token.raw(),
            "new.user@example.com",
            None,
            exp - 1,
        ),
        (
            "now == expires_at is expired",
            &inv,
            token.raw(),
            "new.user@example.com",
            None,
            exp,
        ),
        (
            "wrong token",
            &inv,
            other.raw(),
            "new.user@example.com",
            None,
            NOW + 60,
        ),
        (
            "wrong email",
            &inv,
            token.raw(),
            "someone@example.com",
            None,
            NOW + 60,
        ),
        (
            "reuse",
            &used,
            token.raw(),
            "new.user@example.com",
            None,
            NOW + 120,
        ),
        (
            "activates a pending membership",
            &inv,
            token.raw(),
            "new.user@example.com",
            Some(&pending),
            NOW + 60,
        ),
        (
            "already active",
            &inv,
            token.raw(),
            "new.user@example.com",
            Some(&active),
            NOW + 60,
        ),
    ];
    for (name, i, t, email, existing, now) in accepts {
        let expected = outcome(org::accept(i, t, "newbie", email, existing, now), |a| {
            Ok(
                json!({"ok": true, "membership": to_value(&a.membership)?, "invitation": to_value(&a.invitation)?}),
            )
        })?;
        cases.push(json!({
            "name": name, "kind": "accept", "invitation": to_value(i)?, "token": t,
            "user_id": "newbie", "user_email": email, "existing": existing.map(to_value).transpose()?,
            "now": now, "expected": expected,
        }));
    }
    Ok(Value::Array(cases))
}

// ---------------------------------------------------------------- agents (AIRS)

/// The fixed "now" of the agent cases (second 20 of its minute).
const AGENT_NOW: i64 = 1_700_000_000;

fn agent_settings(overrides: &Value) -> Result<tenxyte_core::config::AgentSettings> {
    let mut base =
        serde_json::to_value(Settings::preset(tenxyte_core::config::Preset::Medium).agents)
            .map_err(|e| Error::new(tenxyte_core::ErrorCode::Internal, e.to_string()))?;
    if let (Value::Object(b), Value::Object(o)) = (&mut base, overrides) {
        for (k, v) in o {
            b.insert(k.clone(), v.clone());
        }
    }
    serde_json::from_value(base)
        .map_err(|e| Error::new(tenxyte_core::ErrorCode::InvalidInput, e.to_string()))
}

fn agent_token(
    perms: &[&str],
    random: u8,
    edit: impl FnOnce(&mut agent::AgentToken),
) -> Result<agent::AgentToken> {
    let everything = |_: &str, _: Option<&str>| true;
    let req = agent::CreateRequest {
        agent_id: Some("research-bot".into()),
        delegated_by: "user-1".into(),
        application_id: "app-1".into(),
        permissions: perms.iter().map(|p| (*p).to_owned()).collect(),
        ..agent::CreateRequest::default()
    };
    let settings = agent_settings(&json!({}))?;
    let mut t = agent::create(
        &req,
        &everything,
        &settings,
        &[],
        AGENT_NOW - 600,
        &[random; 32],
    )?
    .token;
    edit(&mut t);
    Ok(t)
}

struct AgentCase<'a> {
    name: &'a str,
    now: i64,
    token: agent::AgentToken,
    ancestors: Vec<agent::AgentToken>,
    global: &'a [&'a str],
    orgs: Value,
    settings: Value,
    request: Value,
    pending_action: Option<agent::PendingAction>,
    counters_before: Value,
}

fn run_agent_case(c: AgentCase<'_>) -> Result<Value> {
    let settings = agent_settings(&c.settings)?;
    let request: agent::AgentRequest = serde_json::from_value(c.request.clone())
        .map_err(|e| Error::new(tenxyte_core::ErrorCode::InvalidInput, e.to_string()))?;
    let orgs = c.orgs.clone();
    let global = c.global;
    let human = move |p: &str, org: Option<&str>| {
        global.contains(&p)
            || org.is_some_and(|o| {
                orgs.get(o)
                    .and_then(Value::as_array)
                    .is_some_and(|a| a.iter().any(|x| x.as_str() == Some(p)))
            })
    };
    let pii = agent::default_pii_keys();
    let ctx = agent::AuthorizeContext {
        token: &c.token,
        ancestors: &c.ancestors,
        human: &human,
        settings: &settings,
        pii_keys: &pii,
        request: &request,
        pending_action: c.pending_action.as_ref(),
    };
    let random = [0x5a; 32];
    let (plan, decision) = match agent::begin(&ctx, c.now)? {
        agent::Begin::Decided { decision } => (Value::Null, decision),
        agent::Begin::Count { plan } => {
            let mut values = agent::CounterValues::new();
            for op in &plan.increments {
                let before = c
                    .counters_before
                    .get(&op.key)
                    .and_then(Value::as_i64)
                    .unwrap_or(0);
                values.insert(op.key.clone(), before + op.delta);
            }
            let d = agent::decide(&ctx, &plan, &values, &random)?;
            (json!(plan.increments), d)
        }
    };
    Ok(json!({
        "name": c.name,
        "now": c.now,
        "token": c.token,
        "ancestors": c.ancestors,
        "human": {"global": c.global, "orgs": c.orgs},
        "settings": c.settings,
        "request": c.request,
        "pending_action": c.pending_action,
        "counters_before": c.counters_before,
        "random_hex": tenxyte_core::encoding::hex_encode(&random),
        "expected": {"plan": plan, "decision": decision.to_json()},
    }))
}

pub fn agent() -> Result<Value> {
    let read = agent_token(&["posts.read", "posts.delete"], 1, |_| {})?;
    let post = |perm: &str| json!({"method": "POST", "path": "/api/posts", "body": "{\"title\":\"hi\"}", "permission": perm, "trace_id": "run-1"});
    let rpm_cur = format!("{}/rpm/{}", read.id, AGENT_NOW.div_euclid(60));
    let base = |name: &'static str| AgentCase {
        name,
        now: AGENT_NOW,
        token: read.clone(),
        ancestors: Vec::new(),
        global: &["posts.read", "posts.delete"],
        orgs: json!({}),
        settings: json!({}),
        request: post("posts.read"),
        pending_action: None,
        counters_before: json!({}),
    };
    let parent = agent_token(&["posts.read", "posts.delete"], 2, |_| {})?;
    let everything = |_: &str, _: Option<&str>| true;
    let child = agent::create_sub_token(
        &parent,
        &[],
        &agent::SubTokenRequest {
            permissions: vec!["posts.read".into()],
            ..Default::default()
        },
        &everything,
        &agent_settings(&json!({}))?,
        0,
        &[],
        AGENT_NOW - 300,
        &[3; 32],
    )?
    .token;
    let hitl = json!({"confirmation_required": ["posts.delete"]});
    // A pending action for the delete, as the first request created it, then confirmed.
    let pii = agent::default_pii_keys();
    let (pending, raw) = {
        let s = agent_settings(&hitl)?;
        let req: agent::AgentRequest = serde_json::from_value(post("posts.delete"))
            .map_err(|e| Error::new(tenxyte_core::ErrorCode::InvalidInput, e.to_string()))?;
        let human = |_: &str, _: Option<&str>| true;
        let ctx = agent::AuthorizeContext {
            token: &read,
            ancestors: &[],
            human: &human,
            settings: &s,
            pii_keys: &pii,
            request: &req,
            pending_action: None,
        };
        match agent::authorize(&ctx, AGENT_NOW - 60, |op| Ok(op.delta), &[0x11; 32])? {
            agent::AgentDecision::NeedsApproval {
                pending_action,
                raw_confirmation,
                ..
            } => (*pending_action, raw_confirmation.expose().to_owned()),
            _ => {
                return Err(Error::new(
                    tenxyte_core::ErrorCode::Internal,
                    "expected a pending action",
                ))
            }
        }
    };
    let confirmed = agent::confirm(&pending, &read, "user-1", AGENT_NOW - 30, &pii)?.action;
    let consumed = agent::hitl::redeem(
        &confirmed,
        &raw,
        &confirmed.fingerprint,
        &read.id,
        AGENT_NOW - 10,
    )?;
    let mut retry = obj(post("posts.delete"));
    retry.insert("confirmation".into(), json!(raw));
    let mut changed = retry.clone();
    changed.insert("body".into(), json!("{\"title\":\"bye\"}"));
    let (retry, changed) = (Value::Object(retry), Value::Object(changed));

    let cases = vec![
        base("allow"),
        AgentCase {
            request: post("posts.write"),
            ..base("permission not delegated")
        },
        AgentCase {
            global: &["posts.delete"],
            ..base("human no longer holds the permission")
        },
        AgentCase {
            token: agent_token(&["posts.read"], 4, |t| {
                t.organization_id = Some("acme".into())
            })?,
            global: &[],
            orgs: json!({"acme": ["posts.read"]}),
            ..base("org-scoped token, permission held in the org")
        },
        AgentCase {
            token: agent_token(&["posts.read"], 5, |t| {
                t.status = agent::TokenStatus::Revoked
            })?,
            ..base("revoked")
        },
        AgentCase {
            now: read.expires_at,
            ..base("expired at expires_at, marked lazily")
        },
        AgentCase {
            token: agent_token(&["posts.read"], 6, |t| {
                t.heartbeat_every_secs = Some(60);
                t.last_heartbeat_at = Some(AGENT_NOW - 61);
            })?,
            ..base("heartbeat missed by one second")
        },
        AgentCase {
            counters_before: json!({ format!("{}/requests", read.id): 1000 }),
            ..base("lifetime cap reached (1000 admitted, 1001st suspends)")
        },
        AgentCase {
            counters_before: json!({ rpm_cur.clone(): 59 }),
            ..base("60th request of the minute admitted")
        },
        AgentCase {
            counters_before: json!({ rpm_cur.clone(): 60 }),
            ..base("61st request of the minute throttled")
        },
        AgentCase {
            counters_before: json!({ rpm_cur.clone(): 60 }),
            settings: json!({"rate_limit_breach": "suspend"}),
            ..base("61st request suspends when rate_limit_breach is suspend")
        },
        AgentCase {
            counters_before: json!({ format!("{}/failures", read.id): 10 }),
            ..base("failure cap reached")
        },
        AgentCase {
            token: agent_token(&["posts.read"], 7, |t| {
                t.budget_limit_micro_usd = Some(1_000_000)
            })?,
            counters_before: json!({ format!("{}/spend", agent_token(&["posts.read"], 7, |_| {})?.id): 1_000_000 }),
            ..base("budget exhausted")
        },
        AgentCase {
            token: child.clone(),
            ancestors: vec![parent.clone()],
            ..base("sub-token allowed")
        },
        AgentCase {
            token: child.clone(),
            ancestors: vec![agent::AgentToken {
                status: agent::TokenStatus::Revoked,
                ..parent.clone()
            }],
            ..base("sub-token of a revoked parent")
        },
        AgentCase {
            token: child,
            ancestors: vec![parent],
            request: post("posts.delete"),
            ..base("sub-token asks beyond its grant")
        },
        AgentCase {
            settings: hitl.clone(),
            request: post("posts.delete"),
            ..base("approval required")
        },
        AgentCase {
            settings: hitl.clone(),
            request: retry.clone(),
            pending_action: Some(confirmed.clone()),
            ..base("confirmed action redeemed")
        },
        AgentCase {
            settings: hitl.clone(),
            request: changed,
            pending_action: Some(confirmed.clone()),
            ..base("body changed after approval")
        },
        AgentCase {
            settings: hitl.clone(),
            request: retry.clone(),
            pending_action: Some(consumed),
            ..base("confirmation replayed")
        },
        AgentCase {
            settings: hitl.clone(),
            request: retry.clone(),
            pending_action: Some(pending),
            ..base("not yet approved")
        },
        AgentCase {
            settings: hitl,
            request: retry,
            pending_action: Some(confirmed),
            now: AGENT_NOW + 600,
            ..base("approval expired")
        },
        AgentCase {
            settings: json!({"enabled": false}),
            ..base("AIRS disabled")
        },
    ];
    let mut out = Vec::new();
    for c in cases {
        out.push(run_agent_case(c)?);
    }
    for usd in [
        "0.0123",
        "12.50",
        ".5",
        "0",
        "-1",
        "1e3",
        "NaN",
        "0.0000001",
        "",
    ] {
        let expected = match agent::parse_usd(usd) {
            Ok(m) => json!({"ok": true, "micro_usd": m}),
            Err(e) => json!({"ok": false, "code": e.code().as_str()}),
        };
        out.push(json!({"name": format!("parse_usd {usd:?}"), "usd": usd, "expected": expected}));
    }
    Ok(Value::Array(out))
}
