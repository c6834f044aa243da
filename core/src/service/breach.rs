//! The breach check as a flow step: the Pwned Passwords range query goes out as an
//! `http_request` effect the host performs (its HTTP client, `fetch`), and the answer is
//! judged here. Only the first five hex digits of the password's SHA-1 leave the host.

use serde_json::json;

use super::Engine;
use crate::drive::StorePort;
use crate::error::{err, ErrorCode, Result};
use crate::password::breach::{count_in_range, range_query};
use crate::store::HttpCall;

/// The range API.
pub const RANGE_URL: &str = "https://api.pwnedpasswords.com/range/";

/// What the check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreachVerdict {
    /// Checking is off in the settings.
    NotChecked,
    /// Not in any known breach.
    Clean,
    /// Seen this many times (only returned when the settings say to warn, not refuse).
    Breached(u64),
    /// The service could not be reached and the settings say to let the password through.
    Unavailable,
}

/// Runs the check per the settings: `password_breached` when found and `reject` is on;
/// `breach_check_unavailable` when the service fails and `reject_when_unavailable` is on.
/// `enforce: false` reports without refusing (Tenxyte's reset-confirm behaviour is a
/// defect we do not copy; callers pass `true` everywhere a password is set).
pub async fn check(
    port: &StorePort,
    engine: &Engine,
    password: &str,
    enforce: bool,
) -> Result<BreachVerdict> {
    let s = &engine.settings().breach_check;
    if !s.enabled {
        return Ok(BreachVerdict::NotChecked);
    }
    let q = range_query(password);
    let call = HttpCall {
        method: "GET".into(),
        url: format!("{RANGE_URL}{}", q.prefix),
        headers: vec![("Add-Padding".into(), "true".into())],
        body: None,
        timeout_ms: s.timeout_secs.saturating_mul(1000),
    };
    let outcome = match port.http(call).await {
        Ok(response) if response.status == 200 => {
            count_in_range(&response.body, &q.suffix).map(Some)
        }
        Ok(response) => Err(err(
            ErrorCode::UpstreamUnavailable,
            format!("the breach service answered HTTP {}", response.status),
        )),
        Err(e) if e.code() == ErrorCode::UpstreamUnavailable => Err(e),
        Err(e) => return Err(e),
    };
    match outcome {
        Ok(Some(0)) | Ok(None) => Ok(BreachVerdict::Clean),
        Ok(Some(count)) if enforce && s.reject => Err(err(
            ErrorCode::PasswordBreached,
            "this password appears in a known data breach; choose another",
        )
        .with_details(json!({ "count": count }))),
        Ok(Some(count)) => Ok(BreachVerdict::Breached(count)),
        Err(_) if enforce && s.reject_when_unavailable => Err(err(
            ErrorCode::BreachCheckUnavailable,
            "the breach check could not be completed",
        )),
        Err(_) => Ok(BreachVerdict::Unavailable),
    }
}
