//! One HTTP API for every host: `Request` in, `Response` out, as a flow over the Store port.
//!
//! Django, FastAPI, Express, a Worker and `tenxyte serve` each convert their request into a
//! [`Request`], drive [`Engine::handle`] over their store like any other flow, and write
//! the [`Response`] back, so every host answers byte for byte the same. The layer owns
//! routing, JSON parsing, the body limit, error mapping (`{"error", "code", "details"}`
//! with the right status, `WWW-Authenticate` and `Retry-After`), security headers and CORS;
//! the flows own every decision.

mod errors;
mod headers;
mod resources;
mod routes;

pub mod guard;
pub mod openapi;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::drive::{Flow, StorePort};
use crate::error::{err, Error, ErrorCode, Result};
use crate::service::{Engine, RequestContext};

pub use errors::status_of;
pub use routes::{Auth, RouteSpec, ROUTES};

/// An HTTP request as the host received it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Request {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path, without the query string (`/api/v1/auth/login/email/`).
    pub path: String,
    /// The raw query string without `?` (may be empty).
    pub query: String,
    /// Headers in order; names compare case-insensitively.
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: Vec<u8>,
    /// The client's IP as the host resolved it (trusted proxies applied).
    pub client_ip: Option<String>,
}

impl Request {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A query parameter (percent-decoded; `+` is a space).
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode_component(k) == name).then(|| decode_component(v))
        })
    }
}

/// Percent-decoding of one query component; invalid escapes are kept literally.
fn decode_component(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// An HTTP response for the host to write.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Headers in order.
    pub headers: Vec<(String, String)>,
    /// The body bytes (JSON unless the route says otherwise).
    pub body: Vec<u8>,
}

impl Response {
    /// A JSON response.
    pub fn json(status: u16, body: &Value) -> Response {
        Response {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: serde_json::to_vec(body).unwrap_or_default(),
        }
    }

    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON (`Null` when it is not JSON).
    pub fn json_body(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// What a route handler answers on success.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) body: Value,
    pub(crate) headers: Vec<(String, String)>,
}

impl Reply {
    pub(crate) fn ok(body: Value) -> Reply {
        Reply {
            status: 200,
            body,
            headers: Vec::new(),
        }
    }
}

/// A request after routing: what a handler reads.
#[derive(Debug)]
pub(crate) struct Call<'a> {
    pub(crate) req: &'a Request,
    pub(crate) ctx: RequestContext,
    /// Path parameters, in the order of the route's `{…}` segments.
    pub(crate) params: Vec<String>,
    /// The parsed JSON body (`Null` when empty).
    pub(crate) body: Value,
}

impl Call<'_> {
    /// The bearer token of `Authorization: Bearer …`, or `not_authenticated`.
    pub(crate) fn bearer(&self) -> Result<String> {
        scheme_token(self.req, "Bearer").ok_or_else(|| {
            err(
                ErrorCode::NotAuthenticated,
                "Authorization: Bearer <token> is required",
            )
        })
    }

    /// The body decoded into a request type; unknown fields and wrong types are
    /// `invalid_input` naming the problem.
    pub(crate) fn input<T: for<'de> Deserialize<'de>>(&self) -> Result<T> {
        let body = if self.body.is_null() {
            Value::Object(Default::default())
        } else {
            self.body.clone()
        };
        serde_json::from_value(body).map_err(|e| {
            err(
                ErrorCode::InvalidInput,
                format!("invalid request body: {e}"),
            )
        })
    }

    /// The `n`th path parameter.
    pub(crate) fn param(&self, n: usize) -> Result<&str> {
        self.params
            .get(n)
            .map(String::as_str)
            .ok_or_else(|| err(ErrorCode::Internal, "route parameter missing"))
    }
}

/// The token of `Authorization: <scheme> <token>` (scheme case-insensitive).
pub(crate) fn scheme_token(req: &Request, scheme: &str) -> Option<String> {
    let value = req.header("Authorization")?;
    let (s, token) = value.split_once(' ')?;
    let token = token.trim();
    (s.eq_ignore_ascii_case(scheme) && !token.is_empty()).then(|| token.to_owned())
}

impl Engine {
    /// The response the API gives for `error` (status, `{"error","code","details"}`,
    /// `WWW-Authenticate`, `Retry-After`, security headers), for adapters that refuse a
    /// request before it reaches [`Engine::handle`] (a body over their own size limit).
    pub fn error_response(&self, error: &Error, req: &Request) -> Response {
        let mut r = errors::error_response(error, req);
        headers::finish(self, req, &mut r);
        r
    }

    /// Answers one HTTP request. `now` is the host's clock (Unix seconds).
    pub fn handle(&self, req: Request, now: i64) -> Flow<Response> {
        self.flow(move |e, port| async move { Ok(handle(&port, &e, req, now).await) })
    }
}

/// Nesting deeper than this is refused (no request body of ours nests more than 5).
const JSON_DEPTH: usize = 32;

/// The whole pipeline; never fails (an error becomes its response), except that a store
/// failure is a 503 response like any other error.
async fn handle(port: &StorePort, e: &Engine, req: Request, now: i64) -> Response {
    let mut response = match route_and_run(port, e, &req, now).await {
        Ok(reply) if reply.status == 204 => Response {
            status: 204,
            headers: reply.headers,
            body: Vec::new(),
        },
        Ok(reply) => {
            let mut r = Response::json(reply.status, &reply.body);
            r.headers.extend(reply.headers);
            r
        }
        Err(error) => errors::error_response(&error, &req),
    };
    headers::finish(e, &req, &mut response);
    response
}

async fn route_and_run(port: &StorePort, e: &Engine, req: &Request, now: i64) -> Result<Reply> {
    if req.method.eq_ignore_ascii_case("OPTIONS") {
        return Ok(headers::preflight(e, req));
    }
    let (route, params) = routes::resolve(e, req)?;
    let max = e.settings().api.max_body_bytes;
    if u64::try_from(req.body.len()).unwrap_or(u64::MAX) > max {
        return Err(err(
            ErrorCode::BodyTooLarge,
            format!("the request body is larger than {max} bytes"),
        ));
    }
    let body = if req.body.iter().all(u8::is_ascii_whitespace) {
        Value::Null
    } else {
        crate::json::parse_strict(&req.body, JSON_DEPTH).map_err(|e| {
            err(
                ErrorCode::InvalidInput,
                format!("the body is not valid JSON: {e}"),
            )
        })?
    };
    let mut ctx = request_context(req, now);
    ctx.app_id = application(port, e, req, &ctx).await?;
    let call = Call {
        req,
        ctx,
        params,
        body,
    };
    routes::dispatch(route, port, e, call).await
}

/// What a flow knows about the request: the time, the client, the device, the trace id
/// (the application is filled in by [`application`]).
pub(crate) fn request_context(req: &Request, now: i64) -> RequestContext {
    RequestContext {
        now,
        ip: req.client_ip.clone(),
        user_agent: req
            .header("User-Agent")
            .map(|s| s.chars().take(256).collect()),
        app_id: None,
        trace_id: req.header("X-Prompt-Trace-ID").map(str::to_owned),
    }
}

/// Application credentials (`X-Access-Key` + `X-Access-Secret`) when
/// `application_auth.enabled` and the path is not exempt: the application's id becomes the
/// context's `app_id` (tokens are bound to it). Missing or wrong: `application_invalid`.
async fn application(
    port: &StorePort,
    e: &Engine,
    req: &Request,
    ctx: &RequestContext,
) -> Result<Option<String>> {
    let a = &e.settings().application_auth;
    if !a.enabled
        || a.exempt_paths
            .iter()
            .any(|p| req.path.starts_with(p.as_str()))
    {
        return Ok(None);
    }
    let (Some(key), Some(secret)) = (req.header("X-Access-Key"), req.header("X-Access-Secret"))
    else {
        return Err(err(
            ErrorCode::ApplicationInvalid,
            "X-Access-Key and X-Access-Secret are required",
        ));
    };
    let flow = e.verify_application(key.to_owned(), secret.to_owned(), ctx.clone());
    Ok(Some(port.run_flow(flow).await?.id))
}

/// Convenience for handlers: a store-level or flow error passes through unchanged.
pub(crate) fn into_reply<T: Serialize>(status: u16, value: &T) -> Result<Reply> {
    let body = serde_json::to_value(value).map_err(|e: serde_json::Error| -> Error {
        err(ErrorCode::Internal, format!("encode: {e}"))
    })?;
    Ok(Reply {
        status,
        body,
        headers: Vec::new(),
    })
}
