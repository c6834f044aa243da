//! What a flow knows about the request that started it.

use serde::{Deserialize, Serialize};

/// The request context every flow takes: the time and who is asking from where.
///
/// `now` is Unix seconds from the host's clock (the core never reads one). The other
/// fields are what the HTTP layer or the host's framework knows; absent ones are `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RequestContext {
    /// Current time, Unix seconds.
    pub now: i64,
    /// The client's IP address, as the host resolved it (trusted proxies applied).
    pub ip: Option<String>,
    /// The `User-Agent`, or the device description the client sent.
    pub user_agent: Option<String>,
    /// The authenticated application's id (`X-Access-Key`), when there is one.
    pub app_id: Option<String>,
    /// `X-Prompt-Trace-ID`, kept in audit entries.
    pub trace_id: Option<String>,
}

impl RequestContext {
    /// A context at `now` with nothing else known.
    pub fn at(now: i64) -> Self {
        RequestContext {
            now,
            ..RequestContext::default()
        }
    }

    /// The application id tokens carry: Tenxyte's `"default"` when none authenticated.
    pub fn app_or_default(&self) -> String {
        self.app_id.clone().unwrap_or_else(|| "default".to_owned())
    }

    /// The subject of per-client rate limits: the IP, or `"unknown"`.
    pub fn client_key(&self) -> &str {
        self.ip.as_deref().unwrap_or("unknown")
    }
}
