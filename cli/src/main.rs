//! `tenxyte`: keys, tokens, password hashes and one-time codes from the command line,
//! with JSON-lines batch modes that give test suites and benchmarks one scriptable way in.
//!
//! Exit codes: 0 success (or a valid verification), 1 a verification that failed,
//! 2 bad usage or input.

mod config_cmd;
mod demo;
mod jsonl;
mod jwt_cmd;
mod keys;
mod otp_cmd;
mod password_cmd;
mod serve;

use clap::{Parser, Subcommand};
use serde_json::Value;
use std::process::ExitCode;
use tenxyte_core::{Error, ErrorCode};

/// An error on its way to the terminal.
#[derive(Debug)]
pub struct CliError(pub Error);

impl From<Error> for CliError {
    fn from(e: Error) -> Self {
        CliError(e)
    }
}

/// Result type of the commands.
pub type CliResult<T> = Result<T, CliError>;

/// Wraps an I/O failure.
pub fn io_error(e: std::io::Error) -> CliError {
    CliError(Error::new(
        ErrorCode::InvalidInput,
        format!("I/O error: {e}"),
    ))
}

/// Reads a file, or standard input for `-`.
pub fn read_text(path: &str) -> CliResult<String> {
    if path == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s).map_err(io_error)?;
        return Ok(s);
    }
    std::fs::read_to_string(path)
        .map_err(|e| CliError(Error::new(ErrorCode::InvalidInput, format!("{path}: {e}"))))
}

/// The host clock, Unix seconds. The core never reads a clock; the CLI is a host.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[derive(Parser)]
#[command(
    name = "tenxyte",
    version,
    about = "Tenxyte Core from the command line"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate signing keys and publish JWKS.
    #[command(subcommand)]
    Keys(KeysCmd),
    /// Sign, inspect and verify JWTs.
    #[command(subcommand)]
    Jwt(JwtCmd),
    /// Hash, verify and check passwords.
    #[command(subcommand)]
    Password(PasswordCmd),
    /// TOTP/HOTP secrets, codes, URIs, QR codes and verification.
    #[command(subcommand)]
    Otp(OtpCmd),
    /// Show or check settings (preset plus overrides).
    #[command(subcommand)]
    Config(ConfigCmd),
    /// Run the HTTP API as a standalone server on SQLite.
    Serve {
        /// Interface to listen on.
        #[arg(long, default_value = "127.0.0.1")]
        host: std::net::IpAddr,
        /// Port (0: any free port; the chosen one is printed).
        #[arg(long, default_value_t = 8000)]
        port: u16,
        /// The SQLite database (created when absent; the signing key is kept beside it).
        #[arg(long, default_value = "tenxyte.sqlite")]
        db: std::path::PathBuf,
        /// Settings preset: development, medium or robust.
        #[arg(long, default_value = "medium")]
        preset: String,
        /// A JSON file of settings overrides.
        #[arg(long)]
        settings: Option<String>,
        /// Create this superuser when absent (password in TENXYTE_ADMIN_PASSWORD).
        #[arg(long)]
        admin_email: Option<String>,
        /// Worker threads (default: one per CPU).
        #[arg(long)]
        workers: Option<usize>,
    },
    /// Start the server on a fresh database and play the quickstart and the AIRS story
    /// over HTTP, printing each request and response.
    Demo {
        /// Settings preset.
        #[arg(long, default_value = "medium")]
        preset: String,
    },
    /// Print the OpenAPI document of the HTTP API (for a preset and overrides).
    Openapi {
        /// Settings preset.
        #[arg(long, default_value = "medium")]
        preset: String,
    },
}

#[derive(Subcommand)]
enum PasswordCmd {
    /// Hash a password (read from standard input) with argon2id.
    Hash {
        /// Write Django's `argon2$argon2id$...` form instead of a PHC string.
        #[arg(long)]
        django: bool,
        /// Memory in KiB.
        #[arg(long, default_value_t = 19456)]
        memory_kib: u32,
        /// Iterations.
        #[arg(long, default_value_t = 2)]
        iterations: u32,
        /// Parallelism.
        #[arg(long, default_value_t = 1)]
        parallelism: u32,
    },
    /// Verify a password (read from standard input) against a stored hash; or, with
    /// `--jsonl`, one JSON request per standard-input line.
    Verify {
        /// The stored hash (any supported format).
        #[arg(long)]
        encoded: Option<String>,
        /// Treat bare `$2b$` hashes as bcrypt over the hex SHA-256 (Tenxyte's format).
        #[arg(long)]
        tenxyte_bcrypt: bool,
        /// Batch mode (see README: `password verify --jsonl`).
        #[arg(long)]
        jsonl: bool,
    },
    /// Check a password (read from standard input) against the policy; prints the report.
    Check {
        /// The user's email (its local part must not appear in the password).
        #[arg(long)]
        email: Option<String>,
        /// The user's name.
        #[arg(long)]
        username: Option<String>,
        /// Apply Tenxyte's composition rules instead of the ASVS defaults.
        #[arg(long)]
        tenxyte: bool,
    },
}

#[derive(Subcommand)]
enum OtpCmd {
    /// Generate a base32 TOTP secret (160 bits).
    Secret,
    /// Print the TOTP code at a time (default: now).
    Code {
        #[command(flatten)]
        totp: TotpOpts,
        /// Unix seconds (default: the system clock).
        #[arg(long)]
        now: Option<i64>,
    },
    /// Print the `otpauth://` URI, or its QR code as SVG with `--qr`.
    Uri {
        #[command(flatten)]
        totp: TotpOpts,
        /// Issuer shown in the authenticator app.
        #[arg(long)]
        issuer: String,
        /// Account name (e.g. the user's email).
        #[arg(long)]
        account: String,
        /// Print an SVG QR code instead of the URI.
        #[arg(long)]
        qr: bool,
    },
    /// Verify codes in batch: one JSON request per standard-input line (`--jsonl`).
    Verify {
        /// Batch mode (required; see README: `otp verify --jsonl`).
        #[arg(long)]
        jsonl: bool,
    },
}

#[derive(clap::Args)]
struct TotpOpts {
    /// Base32 secret.
    #[arg(long)]
    secret: String,
    /// SHA1, SHA256 or SHA512.
    #[arg(long, default_value = "SHA1")]
    algorithm: String,
    /// Code length (6-8).
    #[arg(long, default_value_t = 6)]
    digits: u32,
    /// Period in seconds.
    #[arg(long, default_value_t = 30)]
    period: u32,
}

impl TotpOpts {
    fn args(self) -> CliResult<otp_cmd::TotpArgs> {
        let algorithm = self.algorithm.parse().map_err(CliError)?;
        Ok(otp_cmd::TotpArgs {
            secret: self.secret,
            algorithm,
            digits: self.digits,
            period: self.period,
        })
    }
}

#[derive(Subcommand)]
enum ConfigCmd {
    /// Print the full settings of a preset, or of a settings file (preset + overrides).
    Show {
        /// development, medium or robust.
        #[arg(long)]
        preset: Option<String>,
        /// A settings JSON file: `{"preset": ..., ...overrides}`.
        #[arg(long)]
        file: Option<String>,
    },
}

#[derive(Subcommand)]
enum KeysCmd {
    /// Generate a key; prints JSON with the private key, its public JWK and a JWKS.
    Generate {
        /// HS256, HS384, HS512, RS256, PS256, ES256, ES384 or EdDSA.
        #[arg(long)]
        alg: String,
        /// Key id (random when omitted).
        #[arg(long)]
        kid: Option<String>,
    },
    /// Print the public JWKS of key files (PEM or JWK).
    Jwks {
        /// Key files.
        #[arg(required = true)]
        files: Vec<String>,
        /// Key ids to assign, in the order of the files.
        #[arg(long = "kid")]
        kids: Vec<String>,
    },
}

#[derive(Subcommand)]
enum JwtCmd {
    /// Sign a claims set (JSON) with a key file (PEM or JWK, `oct` for HMAC).
    Sign {
        /// The key file.
        #[arg(long)]
        key: String,
        /// Claims as JSON text, or `-` to read them from standard input.
        #[arg(long)]
        claims: String,
        /// Algorithm (default: the key's).
        #[arg(long)]
        alg: Option<String>,
        /// Header `typ`, e.g. `at+jwt`.
        #[arg(long)]
        typ: Option<String>,
        /// Header `kid` (default: the key's).
        #[arg(long)]
        kid: Option<String>,
    },
    /// Decode a token WITHOUT verifying it (for debugging only).
    Inspect {
        /// The token, or `-` for standard input.
        token: String,
    },
    /// Verify a token; or, with `--jsonl`, one JSON request per standard-input line.
    Verify {
        /// The token, or `-` for standard input.
        token: Option<String>,
        /// A JWKS file or a single key file.
        #[arg(long)]
        jwks: Option<String>,
        /// Allowed algorithm (repeat for several). Required.
        #[arg(long = "alg")]
        algorithms: Vec<String>,
        /// Current time, Unix seconds (default: the system clock).
        #[arg(long)]
        now: Option<i64>,
        /// Leeway in seconds.
        #[arg(long, default_value_t = 0)]
        leeway: u64,
        /// Expected issuer.
        #[arg(long)]
        issuer: Option<String>,
        /// Accepted audience (repeat for several).
        #[arg(long = "audience")]
        audience: Vec<String>,
        /// Expected header `typ`.
        #[arg(long)]
        typ: Option<String>,
        /// Required claim (repeat; default `exp`).
        #[arg(long = "require")]
        require: Vec<String>,
        /// Batch mode (see README: `jwt verify --jsonl`).
        #[arg(long)]
        jsonl: bool,
    },
}

fn print_json(v: &Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
    );
}

fn parse_alg(name: &str) -> CliResult<tenxyte_core::jwt::Algorithm> {
    tenxyte_core::jwt::Algorithm::parse(name).ok_or_else(|| {
        CliError(Error::new(
            ErrorCode::InvalidInput,
            format!("unknown algorithm {name:?}"),
        ))
    })
}

fn token_arg(token: Option<String>) -> CliResult<String> {
    match token.as_deref() {
        None | Some("-") => Ok(read_text("-")?.trim().to_owned()),
        Some(t) => Ok(t.to_owned()),
    }
}

fn read_password() -> CliResult<String> {
    let text = read_text("-")?;
    // One trailing newline (from `echo` or a terminal) is not part of the password.
    let text = text.strip_suffix('\n').unwrap_or(&text);
    Ok(text.strip_suffix('\r').unwrap_or(text).to_owned())
}

fn parse_preset(name: &str) -> CliResult<tenxyte_core::config::Preset> {
    tenxyte_core::config::Preset::parse(name).ok_or_else(|| {
        CliError(Error::new(
            ErrorCode::InvalidInput,
            format!("unknown preset {name:?}: development, medium or robust"),
        ))
    })
}

fn run(cli: Cli) -> CliResult<ExitCode> {
    match cli.command {
        Command::Serve {
            host,
            port,
            db,
            preset,
            settings,
            admin_email,
            workers,
        } => serve::serve(serve::ServeOptions {
            host,
            port,
            db,
            preset: parse_preset(&preset)?,
            settings,
            admin_email,
            workers,
            admin_password: None,
            ready: None,
        })?,
        Command::Demo { preset } => demo::demo(parse_preset(&preset)?)?,
        Command::Openapi { preset } => {
            let settings = tenxyte_core::config::Settings::preset(parse_preset(&preset)?);
            let alg = settings.jwt.algorithm;
            let (key, _) = tenxyte_core::jwt::Key::generate(alg)?;
            let engine = tenxyte_core::service::Engine::new(
                settings,
                tenxyte_core::jwt::KeySet::single(key),
                &tenxyte_core::rbac::PolicyDocument::tenxyte_default(),
            )?;
            print_json(&tenxyte_core::http::openapi::document(&engine));
        }
        Command::Password(PasswordCmd::Hash {
            django,
            memory_kib,
            iterations,
            parallelism,
        }) => {
            let params = tenxyte_core::password::Argon2Params {
                memory_kib,
                iterations,
                parallelism,
            };
            println!(
                "{}",
                password_cmd::hash(&read_password()?, &params, django)?
            );
        }
        Command::Password(PasswordCmd::Verify { jsonl: true, .. }) => password_cmd::verify_jsonl()?,
        Command::Password(PasswordCmd::Verify {
            encoded,
            tenxyte_bcrypt,
            jsonl: false,
        }) => {
            let encoded = encoded.ok_or_else(|| {
                CliError(Error::new(ErrorCode::InvalidInput, "--encoded is required"))
            })?;
            let mode = if tenxyte_bcrypt {
                tenxyte_core::password::BareBcrypt::Sha256Hex
            } else {
                tenxyte_core::password::BareBcrypt::Plain
            };
            let out = password_cmd::verify(&read_password()?, &encoded, mode)?;
            let valid = out.get("valid") == Some(&Value::Bool(true));
            print_json(&out);
            if !valid {
                return Ok(ExitCode::from(1));
            }
        }
        Command::Password(PasswordCmd::Check {
            email,
            username,
            tenxyte,
        }) => {
            let report = password_cmd::check(
                &read_password()?,
                email.as_deref(),
                username.as_deref(),
                tenxyte,
            );
            let valid = report.get("valid") == Some(&Value::Bool(true));
            print_json(&report);
            if !valid {
                return Ok(ExitCode::from(1));
            }
        }
        Command::Otp(OtpCmd::Secret) => println!("{}", otp_cmd::secret()?),
        Command::Otp(OtpCmd::Code { totp, now }) => {
            println!(
                "{}",
                otp_cmd::code(&totp.args()?, now.unwrap_or_else(self::now))?
            );
        }
        Command::Otp(OtpCmd::Uri {
            totp,
            issuer,
            account,
            qr,
        }) => println!("{}", otp_cmd::uri(&totp.args()?, &issuer, &account, qr)?),
        Command::Otp(OtpCmd::Verify { jsonl }) => {
            if !jsonl {
                return Err(CliError(Error::new(
                    ErrorCode::InvalidInput,
                    "otp verify reads JSON lines: pass --jsonl",
                )));
            }
            otp_cmd::verify_jsonl()?;
        }
        Command::Config(ConfigCmd::Show { preset, file }) => {
            println!("{}", config_cmd::show(preset.as_deref(), file.as_deref())?);
        }
        Command::Keys(KeysCmd::Generate { alg, kid }) => {
            print_json(&keys::generate(parse_alg(&alg)?, kid)?);
        }
        Command::Keys(KeysCmd::Jwks { files, kids }) => print_json(&keys::jwks(&files, &kids)?),
        Command::Jwt(JwtCmd::Sign {
            key,
            claims,
            alg,
            typ,
            kid,
        }) => {
            let claims = if claims == "-" {
                read_text("-")?
            } else {
                claims
            };
            let alg = alg.as_deref().map(parse_alg).transpose()?;
            println!("{}", jwt_cmd::sign(&key, &claims, alg, typ, kid)?);
        }
        Command::Jwt(JwtCmd::Inspect { token }) => {
            print_json(&jwt_cmd::inspect(&token_arg(Some(token))?)?);
        }
        Command::Jwt(JwtCmd::Verify { jsonl: true, .. }) => jwt_cmd::verify_jsonl()?,
        Command::Jwt(JwtCmd::Verify {
            token,
            jwks,
            algorithms,
            now,
            leeway,
            issuer,
            audience,
            typ,
            require,
            jsonl: false,
        }) => {
            let jwks = jwks.ok_or_else(|| {
                CliError(Error::new(ErrorCode::InvalidInput, "--jwks is required"))
            })?;
            if algorithms.is_empty() {
                return Err(CliError(Error::new(
                    ErrorCode::InvalidInput,
                    "name the accepted algorithms with --alg (never inferred from the token)",
                )));
            }
            let keys = keys::load_keyset(&jwks)?;
            let mut options = tenxyte_core::jwt::VerifyOptions::new(
                &jwt_cmd::parse_algorithms(&algorithms)?,
                now.unwrap_or_else(self::now),
            );
            options.leeway = leeway;
            options.issuer = issuer;
            options.audience = (!audience.is_empty()).then_some(audience);
            options.typ = typ;
            if !require.is_empty() {
                options.require = require;
            }
            match tenxyte_core::jwt::verify(&token_arg(token)?, &keys, &options) {
                Ok(v) => print_json(&jwt_cmd::verified_json(&v)),
                Err(e) => {
                    print_json(
                        &serde_json::json!({"valid": false, "code": e.code().as_str(), "message": e.message()}),
                    );
                    return Ok(ExitCode::from(1));
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(CliError(e)) => {
            eprintln!("tenxyte: {e}");
            ExitCode::from(2)
        }
    }
}
