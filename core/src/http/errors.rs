//! Errors as HTTP: one status per code, the JSON error body, and the headers RFC 6750
//! (`WWW-Authenticate`) and RFC 9110 (`Retry-After`) ask for.

use serde_json::{json, Value};

use super::{Request, Response};
use crate::error::{Category, Error, ErrorCode};

/// The HTTP status of an error code. One mapping for every host.
pub fn status_of(code: ErrorCode) -> u16 {
    use ErrorCode as C;
    match code {
        C::ApprovalRequired => 202,
        C::RouteNotFound
        | C::UserNotFound
        | C::SessionNotFound
        | C::ApplicationNotFound
        | C::OrgNotFound
        | C::OrgRoleNotFound
        | C::AgentTokenNotFound
        | C::PendingActionNotFound => 404,
        C::MethodNotAllowed => 405,
        C::BodyTooLarge => 413,
        C::EmailTaken
        | C::PhoneTaken
        | C::OrgSlugTaken
        | C::AlreadyMember
        | C::AlreadyInvited
        | C::MfaAlreadyEnabled => 409,
        // Bad input that happens to carry another category's code.
        C::InvalidCost
        | C::ChallengeInvalid
        | C::MfaNotEnabled
        | C::OrgCycle
        | C::OrgContextRequired
        | C::InvitationInvalid => 400,
        C::AccountLocked => 423,
        C::TooManyRequests | C::RateLimited => 429,
        C::NotAuthenticated
        | C::InvalidCredentials
        | C::TokenRevoked
        | C::RefreshTokenInvalid
        | C::RefreshTokenReused
        | C::MfaRequired
        | C::MagicLinkInvalid
        | C::ApplicationInvalid
        | C::AgentTokenSuspended
        | C::AgentTokenRevoked
        | C::AgentTokenExpired
        | C::AgentTokenInvalid
        | C::HeartbeatMissing => 401,
        C::DeliveryFailed | C::UpstreamUnavailable => 502,
        C::BreachCheckUnavailable => 503,
        C::FlowProtocol => 500,
        _ => match code.category() {
            Category::Token => 401,
            Category::Authz | Category::Agent => 403,
            Category::Auth => 403,
            Category::Password | Category::Otp | Category::Input => 400,
            Category::Store => 503,
            Category::Key | Category::Config | Category::Internal => 500,
        },
    }
}

/// The response for an error: `{"error", "code", "details"}` with its status and headers.
pub(crate) fn error_response(error: &Error, req: &Request) -> Response {
    let code = error.code();
    let status = status_of(code);
    let details = error.details().cloned().unwrap_or_else(|| json!({}));
    let body = json!({
        "error": error.message(),
        "code": code.as_str(),
        "details": details,
    });
    let mut r = Response::json(status, &body);
    if status == 401 {
        r.headers
            .push(("WWW-Authenticate".into(), challenge(code, req)));
    }
    if let Some(wait) = retry_after(&details) {
        r.headers.push(("Retry-After".into(), wait.to_string()));
    }
    r
}

/// RFC 6750 §3: `invalid_token` when a token was presented and refused; a bare challenge
/// when none was. Agent routes challenge the `AgentBearer` scheme.
fn challenge(code: ErrorCode, req: &Request) -> String {
    let agent = code.category() == Category::Agent
        || req.header("Authorization").is_some_and(|h| {
            h.len() >= 12
                && h.get(..12)
                    .is_some_and(|p| p.eq_ignore_ascii_case("AgentBearer "))
        });
    let scheme = if agent { "AgentBearer" } else { "Bearer" };
    let presented = req.header("Authorization").is_some();
    let token_error = matches!(code.category(), Category::Token | Category::Agent)
        || matches!(
            code,
            ErrorCode::TokenRevoked
                | ErrorCode::RefreshTokenInvalid
                | ErrorCode::RefreshTokenReused
        );
    if presented && token_error {
        format!(
            "{scheme} realm=\"tenxyte\", error=\"invalid_token\", error_description=\"{}\"",
            code.as_str()
        )
    } else {
        format!("{scheme} realm=\"tenxyte\"")
    }
}

fn retry_after(details: &Value) -> Option<u64> {
    details
        .get("retry_after")
        .and_then(Value::as_i64)
        .and_then(|s| u64::try_from(s).ok())
        .map(|s| s.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/http.md: every `*_not_found` of a resource is 404 (`key_not_found` is a token's
    /// unknown `kid`, answered like the other key errors).
    #[test]
    fn every_missing_resource_is_404() {
        for code in ErrorCode::ALL {
            let name = code.as_str();
            if name.ends_with("_not_found") && name != "key_not_found" {
                assert_eq!(status_of(*code), 404, "{name}");
            }
        }
    }
}
