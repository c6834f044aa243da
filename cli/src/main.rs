//! `tenxyte`: keys, tokens, password hashes and one-time codes from the command line,
//! with JSON-lines batch modes that give test suites and benchmarks one scriptable way in.
//!
//! Exit codes: 0 success (or a valid verification), 1 a verification that failed,
//! 2 bad usage or input.

mod jsonl;
mod jwt_cmd;
mod keys;

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

fn run(cli: Cli) -> CliResult<ExitCode> {
    match cli.command {
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
