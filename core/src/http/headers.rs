//! Security headers and CORS, applied to every response from the settings.

use super::{Reply, Request, Response};
use crate::config::FrameOptions;
use crate::service::Engine;

/// Adds the security headers and, for an allowed origin, the CORS headers.
pub(crate) fn finish(e: &Engine, req: &Request, r: &mut Response) {
    let sh = &e.settings().security_headers;
    r.headers.push(("Cache-Control".into(), "no-store".into()));
    if sh.enabled {
        r.headers
            .push(("X-Content-Type-Options".into(), "nosniff".into()));
        let frame = match sh.frame_options {
            FrameOptions::DENY => "DENY",
            FrameOptions::SAMEORIGIN => "SAMEORIGIN",
        };
        r.headers.push(("X-Frame-Options".into(), frame.into()));
        r.headers
            .push(("Referrer-Policy".into(), sh.referrer_policy.clone()));
        if sh.hsts_max_age_secs > 0 {
            let mut v = format!("max-age={}", sh.hsts_max_age_secs);
            if sh.hsts_include_subdomains {
                v.push_str("; includeSubDomains");
            }
            if sh.hsts_preload {
                v.push_str("; preload");
            }
            r.headers.push(("Strict-Transport-Security".into(), v));
        }
        if let Some(csp) = &sh.content_security_policy {
            r.headers
                .push(("Content-Security-Policy".into(), csp.clone()));
        }
    }
    if let Some(origin) = allowed_origin(e, req) {
        let c = &e.settings().cors;
        r.headers
            .push(("Access-Control-Allow-Origin".into(), origin));
        r.headers.push(("Vary".into(), "Origin".into()));
        if c.allow_credentials {
            r.headers
                .push(("Access-Control-Allow-Credentials".into(), "true".into()));
        }
        if !c.exposed_headers.is_empty() {
            r.headers.push((
                "Access-Control-Expose-Headers".into(),
                c.exposed_headers.join(", "),
            ));
        }
    }
}

/// The origin to echo, when CORS is on and the request's `Origin` is allowed.
fn allowed_origin(e: &Engine, req: &Request) -> Option<String> {
    let c = &e.settings().cors;
    let origin = req.header("Origin")?;
    if !c.enabled {
        return None;
    }
    if c.allow_all_origins && !c.allow_credentials {
        return Some("*".into());
    }
    c.allowed_origins
        .iter()
        .any(|o| o == origin)
        .then(|| origin.to_owned())
}

/// The answer to a CORS preflight (`OPTIONS`): 204 with the allowed methods and headers
/// when the origin is allowed; 204 without them otherwise (the browser then refuses).
pub(crate) fn preflight(e: &Engine, req: &Request) -> Reply {
    let c = &e.settings().cors;
    let mut headers = Vec::new();
    if allowed_origin(e, req).is_some() {
        headers.push((
            "Access-Control-Allow-Methods".into(),
            c.allowed_methods.join(", "),
        ));
        headers.push((
            "Access-Control-Allow-Headers".into(),
            c.allowed_headers.join(", "),
        ));
        headers.push(("Access-Control-Max-Age".into(), c.max_age_secs.to_string()));
    }
    Reply {
        status: 204,
        body: serde_json::Value::Null,
        headers,
    }
}
