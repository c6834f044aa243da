//! `tenxyte password`: hash, verify and check passwords; `--jsonl` batch verification.

use crate::{jsonl, CliResult};
use serde_json::{json, Value};
use tenxyte_core::password::{self, policy, Argon2Params, BareBcrypt, VerifyOptions};
use tenxyte_core::Error;

/// `tenxyte password hash`: an argon2id PHC string (or Django's `argon2$` form).
pub fn hash(pw: &str, params: &Argon2Params, django: bool) -> CliResult<String> {
    Ok(if django {
        password::hash_django_argon2(pw, params)?
    } else {
        password::hash(pw, params)?
    })
}

/// `tenxyte password verify`: `{"valid", "needs_rehash"}`.
pub fn verify(pw: &str, encoded: &str, bare_bcrypt: BareBcrypt) -> CliResult<Value> {
    let opts = VerifyOptions {
        bare_bcrypt,
        ..VerifyOptions::default()
    };
    let v = password::verify(pw, encoded, &opts)?;
    Ok(json!({"valid": v.valid, "needs_rehash": v.needs_rehash}))
}

/// `tenxyte password check`: the policy report (ASVS defaults, or Tenxyte's rules).
pub fn check(pw: &str, email: Option<&str>, username: Option<&str>, tenxyte: bool) -> Value {
    let rules = if tenxyte {
        policy::PasswordPolicy::tenxyte()
    } else {
        policy::PasswordPolicy::default()
    };
    let ctx = policy::PolicyContext {
        email,
        username,
        other: &[],
    };
    let report = policy::check(pw, &rules, &ctx);
    serde_json::to_value(&report).unwrap_or_else(|e| json!({"error": e.to_string()}))
}

fn verify_line(line: Value) -> Result<Value, Error> {
    Ok(tenxyte_core::batch::password_verify(&line))
}

/// `tenxyte password verify --jsonl`.
pub fn verify_jsonl() -> CliResult<()> {
    jsonl::run_stdio(verify_line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_lines() {
        let params = Argon2Params {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        };
        let encoded = password::hash("correct horse", &params).unwrap();
        let ok = verify_line(json!({"password": "correct horse", "encoded": encoded})).unwrap();
        assert_eq!(ok, json!({"valid": true, "needs_rehash": true}));
        let bad = verify_line(json!({"password": "wrong", "encoded": encoded})).unwrap();
        assert_eq!(bad, json!({"valid": false, "needs_rehash": false}));
        let junk = verify_line(json!({"password": "x", "encoded": "$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"})).unwrap();
        assert_eq!(junk["code"], "unsafe_hash_parameters");
        let missing = verify_line(json!({"password": "x"}));
        assert_eq!(missing.unwrap()["code"], "invalid_input");
    }
}
