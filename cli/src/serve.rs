//! `tenxyte serve`: the HTTP API as a standalone server on one SQLite file.
//!
//! The server is a thin host: it converts each axum request into a core `Request`, drives
//! `Engine::handle` over the SQLite store on a blocking thread (argon2 and SQLite are
//! synchronous work), and writes the core `Response` back. Messages the flows send are
//! printed as JSON lines on stdout (the embedded mail log); the breach check's range query
//! goes out with a blocking HTTP client. Signing keys live next to the database
//! (`<db>.key.json`, created on first start), and on first start an application is created
//! and its credentials printed once.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::body::{to_bytes, Body};
use axum::extract::{ConnectInfo, Request as AxRequest, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response as AxResponse;
use axum::Router;
use serde_json::{json, Value};
use tenxyte_core::config::{Preset, Settings};
use tenxyte_core::drive::run_sync;
use tenxyte_core::http::{Request, Response};
use tenxyte_core::jwt::{self, Algorithm, Family, Key, KeySet};
use tenxyte_core::rbac::PolicyDocument;
use tenxyte_core::service::applications::CreateApplicationRequest;
use tenxyte_core::service::{Engine, RequestContext};
use tenxyte_core::store::{keys, Delivery, HttpCall, HttpResponse, Op, OpResult, SyncStore};
use tenxyte_core::{Error, ErrorCode};
use tenxyte_stores::SqliteStore;

use crate::{now, CliError, CliResult};

/// What `tenxyte serve` was asked for.
pub struct ServeOptions {
    /// Interface to bind (127.0.0.1 unless told otherwise).
    pub host: IpAddr,
    /// Port (0: any free port; the chosen one is printed).
    pub port: u16,
    /// The SQLite file.
    pub db: PathBuf,
    /// Settings preset.
    pub preset: Preset,
    /// A JSON file of settings overrides.
    pub settings: Option<String>,
    /// Create this superuser on start when absent (password from `TENXYTE_ADMIN_PASSWORD`).
    pub admin_email: Option<String>,
    /// Worker threads for the flows (default: the number of CPUs).
    pub workers: Option<usize>,
    /// The superuser's password when `admin_email` is set (default: `TENXYTE_ADMIN_PASSWORD`).
    pub admin_password: Option<String>,
    /// Told the bound address and the first-start credentials once the server listens
    /// (the demo runs the server in-process).
    pub ready: Option<std::sync::mpsc::Sender<Ready>>,
}

/// What an in-process caller learns when the server is up.
#[derive(Debug, Clone)]
pub struct Ready {
    /// The bound address.
    pub addr: SocketAddr,
    /// `(access_key, access_secret)` of the application created on first start.
    pub application: Option<(String, String)>,
}

struct App {
    engine: Engine,
    store: SqliteStore,
}

/// The store as the server hosts it: SQLite for the five store operations, stdout for
/// messages, a blocking HTTP client for outbound requests.
struct Host {
    store: SqliteStore,
}

impl SyncStore for Host {
    fn execute(&mut self, op: &Op) -> OpResult {
        match op {
            Op::SendMessage(m) => {
                let id = format!("msg-{}", now());
                let line = json!({"event": "message", "id": id, "channel": m.channel, "to": m.to,
                                  "template": m.template, "subject": m.subject, "text": m.text, "data": m.data});
                println!("tenxyte serve: {line}");
                OpResult::Sent(Delivery { id: Some(id) })
            }
            Op::HttpRequest(call) => http(call),
            other => self.store.apply(other),
        }
    }
}

fn http(call: &HttpCall) -> OpResult {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_millis(call.timeout_ms.max(1)))
        .build();
    let mut req = agent.request(&call.method, &call.url);
    for (k, v) in &call.headers {
        req = req.set(k, v);
    }
    let answer = match &call.body {
        Some(body) => req.send_string(body),
        None => req.call(),
    };
    let response = match answer {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => return OpResult::failed(format!("{e}")),
    };
    let status = response.status();
    let headers = response
        .headers_names()
        .into_iter()
        .filter_map(|n| response.header(&n).map(|v| (n.clone(), v.to_owned())))
        .collect();
    match response.into_string() {
        Ok(body) => OpResult::Responded(HttpResponse {
            status,
            headers,
            body,
        }),
        Err(e) => OpResult::failed(format!("reading the response: {e}")),
    }
}

fn fail(message: impl Into<String>) -> CliError {
    CliError(Error::new(ErrorCode::InvalidInput, message.into()))
}

/// The signing key: `<db>.key.json` (created with mode 0600 on first start).
fn signing_keys(db: &Path, alg: Algorithm) -> CliResult<KeySet> {
    let mut path = db.as_os_str().to_owned();
    path.push(".key.json");
    let path = PathBuf::from(path);
    if !path.exists() {
        let generated = crate::keys::generate(alg, None)?;
        let keep = json!({
            "alg": generated.get("alg"), "kid": generated.get("kid"),
            "private_jwk": generated.get("private_jwk"), "private_key_pem": generated.get("private_key_pem"),
        });
        write_private(
            &path,
            &serde_json::to_string_pretty(&keep).unwrap_or_default(),
        )?;
        eprintln!(
            "tenxyte serve: created signing key {} ({})",
            path.display(),
            alg.as_str()
        );
    }
    let text = crate::read_text(&path.to_string_lossy())?;
    let doc: Value =
        serde_json::from_str(&text).map_err(|e| fail(format!("{}: {e}", path.display())))?;
    let kid = doc
        .get("kid")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let pem = doc.get("private_key_pem").and_then(Value::as_str);
    let key = match (doc.get("private_jwk").filter(|v| !v.is_null()), pem) {
        (Some(jwk), _) => jwt::key_from_jwk_json(&jwk.to_string())?,
        (None, Some(pem)) => {
            let key = Key::from_pem(pem)?;
            if key.family() == Family::Rsa {
                key.with_algorithm(alg)?
            } else {
                key
            }
        }
        (None, None) => return Err(fail(format!("{}: no private key", path.display()))),
    };
    if key.algorithm().is_some_and(|a| a != alg) {
        return Err(fail(format!(
            "{} holds a key for another algorithm than jwt.algorithm ({})",
            path.display(),
            alg.as_str()
        )));
    }
    Ok(KeySet::single(key.with_kid(kid)))
}

fn write_private(path: &Path, text: &str) -> CliResult<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path).map_err(crate::io_error)?;
    f.write_all(text.as_bytes()).map_err(crate::io_error)
}

fn settings(opts: &ServeOptions) -> CliResult<Settings> {
    let base = Settings::preset(opts.preset);
    match &opts.settings {
        None => Ok(base),
        Some(file) => {
            let text = crate::read_text(file)?;
            let overrides: Value =
                serde_json::from_str(&text).map_err(|e| fail(format!("{file}: {e}")))?;
            Ok(base.with_overrides(overrides)?)
        }
    }
}

fn ctx() -> RequestContext {
    RequestContext {
        now: now(),
        ip: Some("127.0.0.1".into()),
        user_agent: Some("tenxyte serve".into()),
        ..RequestContext::default()
    }
}

/// First start: an application (credentials printed once) and, when asked, a superuser.
fn bootstrap(app: &App, opts: &ServeOptions) -> CliResult<Option<(String, String)>> {
    let mut created = None;
    let mut host = Host {
        store: app.store.clone(),
    };
    let listed = host.execute(&Op::List {
        ns: keys::APPLICATIONS.into(),
        prefix: String::new(),
        limit: 1,
        cursor: None,
    });
    let empty = matches!(&listed, OpResult::Listed { items, .. } if items.is_empty());
    if empty {
        let req = CreateApplicationRequest {
            name: "default".into(),
            description: "created by tenxyte serve on first start".into(),
            ..CreateApplicationRequest::default()
        };
        let creds = run_sync(app.engine.bootstrap_application(req, ctx()), &mut host)?;
        println!(
            "tenxyte serve: {}",
            json!({"event": "application_created", "name": "default",
                   "access_key": creds.application.access_key, "access_secret": creds.access_secret})
        );
        println!("tenxyte serve: send X-Access-Key and X-Access-Secret with every request; the secret is shown only now");
        created = Some((
            creds.application.access_key.clone(),
            creds.access_secret.clone(),
        ));
    }
    if let Some(email) = &opts.admin_email {
        let password = match &opts.admin_password {
            Some(p) => p.clone(),
            None => std::env::var("TENXYTE_ADMIN_PASSWORD")
                .map_err(|_| fail("--admin-email needs the password in TENXYTE_ADMIN_PASSWORD"))?,
        };
        match run_sync(
            app.engine
                .bootstrap_superuser(email.clone(), password, ctx()),
            &mut host,
        ) {
            Ok(id) => println!(
                "tenxyte serve: {}",
                json!({"event": "superuser_created", "email": email, "user_id": id})
            ),
            Err(e) if e.code() == ErrorCode::EmailTaken => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(created)
}

/// Runs the server until Ctrl-C.
pub fn serve(opts: ServeOptions) -> CliResult<()> {
    let settings = settings(&opts)?;
    let keys = signing_keys(&opts.db, settings.jwt.algorithm)?;
    let store = SqliteStore::open(&opts.db, now)?;
    let engine = Engine::new(settings, keys, &PolicyDocument::tenxyte_default())?;
    let app = Arc::new(App { engine, store });
    let application = bootstrap(&app, &opts)?;
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(w) = opts.workers {
        runtime.worker_threads(w.max(1));
    }
    let runtime = runtime.enable_all().build().map_err(crate::io_error)?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(SocketAddr::new(opts.host, opts.port))
            .await
            .map_err(crate::io_error)?;
        let local = listener.local_addr().map_err(crate::io_error)?;
        println!(
            "tenxyte serve: listening on http://{local} (store {}, preset {})",
            opts.db.display(),
            opts.preset.as_str()
        );
        if let Some(tx) = &opts.ready {
            let _ = tx.send(Ready {
                addr: local,
                application,
            });
        }
        let router = Router::new().fallback(handle).with_state(app);
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(crate::io_error)
    })
}

async fn handle(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: AxRequest,
) -> AxResponse {
    let (parts, body) = req.into_parts();
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .filter_map(|(k, v)| {
            v.to_str()
                .ok()
                .map(|v| (k.as_str().to_owned(), v.to_owned()))
        })
        .collect();
    let mut core = Request {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or_default().to_owned(),
        headers,
        body: Vec::new(),
        client_ip: Some(client_ip(&app.engine, peer.ip(), &parts.headers)),
    };
    let limit = usize::try_from(app.engine.settings().api.max_body_bytes).unwrap_or(usize::MAX);
    match to_bytes(body, limit).await {
        Ok(bytes) => core.body = bytes.to_vec(),
        Err(_) => {
            let e = Error::new(
                ErrorCode::BodyTooLarge,
                format!("the request body is larger than {limit} bytes"),
            );
            return into_axum(app.engine.error_response(&e, &core));
        }
    }
    let worker = Arc::clone(&app);
    let answered = tokio::task::spawn_blocking(move || {
        let mut host = Host {
            store: worker.store.clone(),
        };
        run_sync(worker.engine.handle(core, now()), &mut host)
    })
    .await;
    match answered {
        Ok(Ok(response)) => into_axum(response),
        Ok(Err(e)) => into_axum(Response::json(
            500,
            &json!({"error": e.message(), "code": e.code().as_str(), "details": {}}),
        )),
        Err(_) => into_axum(Response::json(
            500,
            &json!({"error": "the request handler failed", "code": "internal", "details": {}}),
        )),
    }
}

/// The client's address: the peer, or the `X-Forwarded-For` entry `trusted_proxy_count`
/// from the right when the peer is a listed trusted proxy.
fn client_ip(e: &Engine, peer: IpAddr, headers: &axum::http::HeaderMap) -> String {
    let c = &e.settings().client_ip;
    let trusted = c.trusted_proxy_count > 0
        && c.trusted_proxies
            .iter()
            .any(|p| p.parse::<IpAddr>().ok() == Some(peer));
    if trusted {
        let chain: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        let n = usize::try_from(c.trusted_proxy_count).unwrap_or(usize::MAX);
        if let Some(ip) = chain.len().checked_sub(n).and_then(|i| chain.get(i)) {
            if ip.parse::<IpAddr>().is_ok() {
                return (*ip).to_owned();
            }
        }
    }
    peer.to_string()
}

fn into_axum(r: Response) -> AxResponse {
    let mut out = AxResponse::new(Body::from(r.body));
    *out.status_mut() = StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (k, v) in r.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(&v),
        ) {
            out.headers_mut().append(name, value);
        }
    }
    out
}
