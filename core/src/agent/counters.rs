//! Store counters of agent tokens and the arithmetic decided on their values.
//!
//! Every counter lives in namespace [`COUNTER_NS`] under a key that starts with the token
//! id. This module is the one place the layout is written down:
//!
//! | key | meaning | ttl |
//! | --- | --- | --- |
//! | `<id>/requests` | requests counted after the cheap checks | none (deleted with the token) |
//! | `<id>/failures` | denied requests | none |
//! | `<id>/spend` | admitted spend in µUSD of this token and its descendants | none |
//! | `<id>/rpm/<minute>` | requests in fixed minute `floor(now / 60)` | 120 s |
//!
//! A read is `incr(ns, key, 0, ttl)`: the port stays at one atomic operation and a read
//! can never be torn from an increment.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Namespace of every agent counter.
pub const COUNTER_NS: &str = "agent_counters";
/// Width of an RPM bucket.
pub const RPM_WINDOW_SECS: i64 = 60;
/// TTL of an RPM bucket: long enough to serve as the previous bucket for a whole minute.
pub const RPM_BUCKET_TTL_SECS: u64 = 120;

/// The values `incr` returned, keyed by counter key (all in [`COUNTER_NS`]).
pub type CounterValues = BTreeMap<String, i64>;

/// One atomic `incr(ns, key, delta, ttl)` to run; `delta` 0 is a read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CounterIncrement {
    /// Namespace ([`COUNTER_NS`]).
    pub ns: String,
    /// Key.
    pub key: String,
    /// Amount to add (negative to take back a refused charge).
    pub delta: i64,
    /// Expiry the store sets when it creates the counter.
    pub ttl_secs: Option<u64>,
}

impl CounterIncrement {
    pub(crate) fn new(key: String, delta: i64, ttl_secs: Option<u64>) -> Self {
        CounterIncrement {
            ns: COUNTER_NS.to_owned(),
            key,
            delta,
            ttl_secs,
        }
    }
}

/// Key of a token's lifetime request counter.
pub fn requests_key(token_id: &str) -> String {
    format!("{token_id}/requests")
}

/// Key of a token's denied-request counter.
pub fn failures_key(token_id: &str) -> String {
    format!("{token_id}/failures")
}

/// Key of a token's spend counter (µUSD).
pub fn spend_key(token_id: &str) -> String {
    format!("{token_id}/spend")
}

/// Key of a token's RPM bucket `minute` (`floor(now / 60)`).
pub fn rpm_key(token_id: &str, minute: i64) -> String {
    format!("{token_id}/rpm/{minute}")
}

/// The fixed minute containing `now` and the seconds elapsed in it.
pub fn rpm_position(now: i64) -> (i64, i64) {
    (
        now.div_euclid(RPM_WINDOW_SECS),
        now.rem_euclid(RPM_WINDOW_SECS),
    )
}

/// Sixty times the sliding-window estimate `prev × (1 − elapsed/60) + cur`, in exact
/// integer arithmetic (no float rounding differs between runtimes).
pub fn rpm_weighted_x60(prev: u64, cur: u64, elapsed: i64) -> u128 {
    let rest = u128::try_from(RPM_WINDOW_SECS - elapsed.clamp(0, RPM_WINDOW_SECS - 1)).unwrap_or(0);
    u128::from(prev) * rest + u128::from(cur) * 60
}

/// True when the estimate is within `limit`: `prev × (60 − elapsed) + cur × 60 ≤ limit × 60`.
/// `cur` is the value `incr` returned for this request, so it counts the request itself.
pub fn rpm_admits(prev: u64, cur: u64, elapsed: i64, limit: u64) -> bool {
    rpm_weighted_x60(prev, cur, elapsed) <= u128::from(limit) * 60
}

/// Seconds until one more request would be admitted if no other request arrived: the
/// smallest `t ≥ 1` for which the estimate at `now + t`, with this retry counted, is
/// within `limit`. At most 120 (two minutes forget everything); `limit` 0 never admits
/// and answers 120.
pub fn rpm_retry_after(prev: u64, cur: u64, elapsed: i64, limit: u64) -> u64 {
    for t in 1..=2 * RPM_WINDOW_SECS {
        let at = elapsed + t;
        let admitted = if at < RPM_WINDOW_SECS {
            rpm_admits(prev, cur.saturating_add(1), at, limit)
        } else if at < 2 * RPM_WINDOW_SECS {
            rpm_admits(cur, 1, at - RPM_WINDOW_SECS, limit)
        } else {
            limit >= 1
        };
        if admitted {
            return u64::try_from(t).unwrap_or(120);
        }
    }
    120
}
