//! A tour of Tenxyte Core as a host application uses it: settings, signing keys, a user
//! who registers, logs in, enrols 2FA and receives an email code — and the attacks the
//! core refuses along the way. The host's part (a user table, the clock) is a few lines
//! here; the decisions are the core's.
//!
//! Run: `cargo run -p tenxyte-example-rust --bin tenxyte-demo`

use serde_json::{json, Map, Value};
use std::collections::HashMap;
use tenxyte_core::config::Settings;
use tenxyte_core::encoding::b64url_encode;
use tenxyte_core::jwt::profile::{self, AccessTokenSpec};
use tenxyte_core::jwt::{self, Algorithm, Key, KeySet, SignOptions};
use tenxyte_core::otp::{self, numeric, OtpSecret};
use tenxyte_core::password::{self, backup_codes, breach, policy};
use tenxyte_core::secret::{self, SecretKind};
use tenxyte_core::{Error, ErrorCode};

/// What the host stores per user (its own table, in its own database).
struct UserRow {
    id: String,
    email: String,
    password_hash: String,
    totp_secret: Option<String>,
    totp_last_step: Option<u64>,
    backup_code_hashes: Vec<String>,
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn step(title: &str) {
    println!("\n== {title}");
}

fn show(label: &str, value: impl std::fmt::Display) {
    println!("   {label:<28} {value}");
}

fn refused(label: &str, result: Result<impl std::fmt::Debug, Error>) -> Result<(), Error> {
    match result {
        Err(e) => {
            show(label, format!("refused: {}", e.code()));
            Ok(())
        }
        Ok(v) => Err(Error::new(
            ErrorCode::Internal,
            format!("{label}: expected a refusal, got {v:?}"),
        )),
    }
}

fn run() -> Result<(), Error> {
    let t0 = now();

    step("1. Settings: one preset plus overrides");
    let settings =
        Settings::from_json(r#"{"preset": "medium", "jwt": {"issuer": "https://auth.demo"}}"#)?;
    show("preset", settings.preset.as_str());
    show(
        "access token lifetime",
        format!("{} s", settings.jwt.access_token_lifetime_secs),
    );
    show(
        "lockout after",
        format!("{} failures", settings.lockout.max_attempts),
    );
    let typo = Settings::from_json(r#"{"jwt": {"acess_token_lifetime_secs": 60}}"#);
    if let Err(e) = typo {
        show("a typo in a key", e.message());
    }

    step("2. Signing keys: an Ed25519 key set with a kid, published as JWKS");
    let (key, _pkcs8) = Key::generate(Algorithm::EdDSA)?;
    let keys = KeySet::single(key.with_kid("2026-12"));
    show("JWKS", keys.to_jwks());

    step("3. Register: password policy, then an argon2id hash");
    let mut users: HashMap<String, UserRow> = HashMap::new();
    let email = "alice@example.com";
    let rules = settings.password_policy(false);
    let ctx = policy::PolicyContext {
        email: Some(email),
        username: None,
        other: &[],
    };
    let weak = policy::check("password1", &rules, &ctx);
    let codes: Vec<&str> = weak.violations.iter().map(|v| v.code.as_str()).collect();
    show("'password1'", format!("rejected: {codes:?}"));
    let chosen = "correct horse battery staple";
    let report = policy::enforce(chosen, &rules, &ctx)?;
    show(
        "passphrase",
        format!(
            "accepted, strength {:?} ({})",
            report.strength, report.score
        ),
    );
    let q = breach::range_query(chosen);
    show(
        "breach check asks for range",
        format!("{} (the host calls the API)", q.prefix),
    );
    let hash = password::hash(chosen, &settings.argon2_params())?;
    show("stored hash", &hash);
    users.insert(
        email.into(),
        UserRow {
            id: "42".into(),
            email: email.into(),
            password_hash: hash,
            totp_secret: None,
            totp_last_step: None,
            backup_code_hashes: Vec::new(),
        },
    );

    step("4. Login: verify the password, issue an access token and a refresh token");
    let user = users
        .get(email)
        .ok_or_else(|| Error::new(ErrorCode::Internal, "user missing"))?;
    let check = password::verify(
        chosen,
        &user.password_hash,
        &settings.password_verify_options(),
    )?;
    show(
        "password",
        format!("valid={} needs_rehash={}", check.valid, check.needs_rehash),
    );
    let wrong = password::verify(
        "Correct horse battery staple",
        &user.password_hash,
        &settings.password_verify_options(),
    )?;
    show("wrong password", format!("valid={}", wrong.valid));
    let spec = AccessTokenSpec {
        user_id: user.id.clone(),
        app_id: "default".into(),
        issuer: settings.jwt.issuer.clone(),
        audience: None,
        lifetime_secs: settings.jwt.access_token_lifetime_secs,
        scope: None,
        extra: Map::new(),
        allow_pii: false,
    };
    let issued = profile::issue_access_token(&keys, &spec, t0)?;
    show(
        "access token",
        format!("{}…", issued.token.get(..48).unwrap_or(&issued.token)),
    );
    let refresh = secret::generate(SecretKind::Refresh)?;
    show(
        "refresh token (shown once)",
        format!("{}…", refresh.raw().get(..12).unwrap_or_default()),
    );
    show("stored refresh hash", refresh.hash());

    step("5. A resource server verifies the token");
    let mut opts = settings.access_token_verify_options(t0);
    opts.algorithms = vec![Algorithm::EdDSA];
    let verified = jwt::verify(&issued.token, &keys, &opts)?;
    show("claims", Value::Object(verified.claims.clone()));
    show(
        "no email or IP inside",
        !verified.claims.contains_key("email"),
    );

    step("6. What the verifier refuses");
    let unsigned = format!(
        "{}.{}.",
        b64url_encode(br#"{"alg":"none"}"#),
        issued.token.split('.').nth(1).unwrap_or_default()
    );
    refused("alg none", jwt::verify(&unsigned, &keys, &opts))?;
    let mut claims = verified.claims.clone();
    claims.insert("type".into(), "refresh".into());
    let wrong_kind = jwt::sign(
        &claims,
        &keys,
        &SignOptions {
            typ: Some("refresh+jwt".into()),
            algorithm: None,
        },
    )?;
    refused(
        "a refresh token as access",
        jwt::verify(&wrong_kind, &keys, &opts),
    )?;
    let mut parts: Vec<&str> = issued.token.split('.').collect();
    let forged_claims = b64url_encode(
        json!({"user_id": "1", "exp": t0 + 60})
            .to_string()
            .as_bytes(),
    );
    if let Some(p) = parts.get_mut(1) {
        *p = &forged_claims;
    }
    refused(
        "tampered claims",
        jwt::verify(&parts.join("."), &keys, &opts),
    )?;
    let later = settings.access_token_verify_options(issued.expires_at);
    let mut later = later;
    later.algorithms = vec![Algorithm::EdDSA];
    refused("after expiry", jwt::verify(&issued.token, &keys, &later))?;

    step("7. 2FA: enrol TOTP, verify once, refuse the replay, keep backup codes");
    let secret_b32 = OtpSecret::generate()?.to_base32();
    let totp = settings.totp(OtpSecret::from_base32(&secret_b32)?)?;
    let uri = totp.provisioning_uri(&settings.totp.issuer, email)?;
    show("otpauth URI", &uri);
    show(
        "QR code",
        format!("{} bytes of SVG", otp::qr_svg(&uri)?.len()),
    );
    let code = totp.code_at(t0)?;
    let user = users
        .get_mut(email)
        .ok_or_else(|| Error::new(ErrorCode::Internal, "user missing"))?;
    let step_used = totp.verify(&code, t0, settings.totp.valid_window, user.totp_last_step)?;
    user.totp_secret = Some(secret_b32);
    user.totp_last_step = Some(step_used);
    show(
        "code from the app",
        format!("{code}: accepted at step {step_used}"),
    );
    refused(
        "same code again",
        totp.verify(
            &code,
            t0 + 5,
            settings.totp.valid_window,
            user.totp_last_step,
        ),
    )?;
    let backup =
        backup_codes::generate(usize::try_from(settings.backup_codes.count).unwrap_or(10))?;
    user.backup_code_hashes = backup
        .iter()
        .map(|c| backup_codes::hash_code(c, &settings.argon2_params()))
        .collect::<Result<_, _>>()?;
    show(
        "backup codes",
        format!(
            "{} codes, e.g. {}",
            backup.len(),
            backup.first().map(String::as_str).unwrap_or_default()
        ),
    );
    let typed = backup
        .first()
        .map(|c| c.to_uppercase().replace('-', " "))
        .unwrap_or_default();
    let stored: Vec<&str> = user.backup_code_hashes.iter().map(String::as_str).collect();
    let hit = backup_codes::find_match(&typed, &stored, &settings.password_verify_options())?;
    show(
        "a backup code, typed loosely",
        format!("matches entry {hit:?}; the host deletes it"),
    );
    if let Some(i) = hit {
        user.backup_code_hashes.remove(i);
    }
    let stored: Vec<&str> = user.backup_code_hashes.iter().map(String::as_str).collect();
    let again = backup_codes::find_match(&typed, &stored, &settings.password_verify_options())?;
    show("the same backup code again", format!("{again:?}"));

    step("8. An email code bound to its purpose");
    let (email_code, record) = numeric::issue(6, 600, 3, "email_verification", "req-1", t0)?;
    show(&format!("code sent to {}", user.email), &email_code);
    let other = numeric::verify(&record, &email_code, "password_reset", "req-1", t0 + 10);
    show(
        "used for a password reset",
        format!("refused: {:?}", other.outcome.err().map(|e| e.code())),
    );
    let right = numeric::verify(
        &other.record,
        &email_code,
        "email_verification",
        "req-1",
        t0 + 20,
    );
    show(
        "used for verification",
        format!("accepted={}", right.is_accepted()),
    );

    step("9. Existing user tables keep working: legacy hashes verify, then upgrade");
    let django =
        "pbkdf2_sha256$3000$zg8A0iVe2jrgesR0CaGaDt$I/EUM4E2uzsarpeDGrX7fg506i+jH3S6fRQ211we/EM=";
    let v = password::verify(chosen, django, &settings.password_verify_options())?;
    show(
        "Django pbkdf2_sha256",
        format!("valid={} needs_rehash={}", v.valid, v.needs_rehash),
    );
    if v.valid && v.needs_rehash {
        let upgraded = password::hash(chosen, &settings.argon2_params())?;
        show(
            "rehashed on login to",
            format!("{}…", upgraded.get(..30).unwrap_or_default()),
        );
    }
    refused(
        "a tampered row asking 4 GiB",
        password::verify(chosen, "$argon2id$v=19$m=4194304,t=1,p=1$MDEyMzQ1Njc4OWFiY2RlZg$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &settings.password_verify_options()),
    )?;

    println!("\nDone: every decision above was made by tenxyte-core; the host kept the rows.");
    Ok(())
}

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("demo failed: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
