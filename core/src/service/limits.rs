//! Fixed-window rate limits over `incr`: the count is what the atomic increment returned,
//! so concurrent servers never admit one request past a window's cap.

use serde_json::json;

use crate::config::RateWindow;
use crate::drive::StorePort;
use crate::error::{err, ErrorCode, Result};
use crate::store::keys;

/// [`hit`] keyed by the client IP, with the engine's `rate_limit.enabled` switch: the
/// form every public endpoint uses.
pub async fn per_client(
    port: &StorePort,
    engine: &super::Engine,
    ctx: &super::RequestContext,
    scope: &str,
    windows: &[RateWindow],
) -> Result<()> {
    let enabled = engine.settings().rate_limit.enabled;
    hit(port, enabled, scope, ctx.client_key(), windows, ctx.now).await
}

/// Counts one hit of `subject` against every window of `scope`; refuses with
/// `too_many_requests` (`details.retry_after`, seconds) when any window is over its cap.
/// Every window is counted even when an earlier one refuses, so a refused client keeps
/// paying in every window (no free retries in the long window while the short one is full).
pub async fn hit(
    port: &StorePort,
    enabled: bool,
    scope: &str,
    subject: &str,
    windows: &[RateWindow],
    now: i64,
) -> Result<()> {
    if !enabled {
        return Ok(());
    }
    let mut retry_after: Option<i64> = None;
    for w in windows {
        let Ok(len) = i64::try_from(w.window_secs) else {
            continue;
        };
        if len <= 0 {
            continue;
        }
        let start = now - now.rem_euclid(len);
        let count = port
            .incr(
                keys::RATE_LIMITS,
                &keys::rate_limit(scope, subject, start),
                1,
                Some(w.window_secs),
            )
            .await?;
        if count > i64::from(w.max_requests) {
            let wait = start + len - now;
            retry_after = Some(retry_after.map_or(wait, |r| r.max(wait)));
        }
    }
    match retry_after {
        None => Ok(()),
        Some(wait) => Err(err(
            ErrorCode::TooManyRequests,
            format!("too many {scope} requests; retry in {wait} s"),
        )
        .with_details(json!({ "retry_after": wait, "scope": scope }))),
    }
}
