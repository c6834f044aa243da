//! The Store port: the five operations every flow awaits, and the results a host returns.
//!
//! Persistence belongs to the host. A flow never talks to a database; it asks for one of
//! five operations ([`Op`]) and receives one [`OpResult`]. The types are plain data and
//! serialise to JSON with stable snake_case tags, so a binding can hand them across as
//! native values or as JSON text (`docs/store.md` shows both forms).
//!
//! # Consistency contract (what a host store must promise)
//!
//! A store is correct for the core when, for every single key `(ns, key)`:
//!
//! 1. **Linearizable per key.** `get`, `put` (including its `expect` check), `delete` and
//!    `incr` on one key behave as if executed one at a time, in an order consistent with
//!    real time. Nothing is promised across keys: the core orders its writes so that any
//!    prefix of them is safe.
//! 2. **Versions.** Every successful write (`put`, `incr`) gives the record a version that
//!    is greater than any version that key ever had, *including before a delete or an
//!    expiry*, so a stale compare-and-swap can never match a re-created record (no ABA).
//!    Versions are `>= 1`; a store-wide counter satisfies this.
//! 3. **Compare-and-swap.** `put` with [`Expect::Absent`] writes only when no live record
//!    exists; with [`Expect::Version`] only when the live record has exactly that version.
//!    Otherwise nothing is written and the result is [`PutOutcome::Conflict`] with the
//!    current version (`None` when absent). [`Expect::Any`] never conflicts.
//! 4. **Counters.** `incr` is atomic: it adds `delta` to the integer value and returns the
//!    new value. An absent (or expired) counter starts at 0. The TTL is set only when
//!    `incr` creates the counter and is **not** extended by later increments (fixed
//!    windows). A key that holds a non-integer value, or an overflow past `i64`, is a
//!    [`OpResult::Failed`], never a silent reset.
//! 5. **TTL.** A record written with `ttl_secs = Some(t)` at time `now` expires at
//!    `now + t`; from that instant on it is absent for every operation (`get` returns none,
//!    `expect: absent` succeeds, `delete` returns false, `list` skips it). A `put` replaces
//!    the TTL: `None` means the new record never expires.
//! 6. **List.** `list(ns, prefix, limit, cursor)` returns live records of `ns` whose key
//!    starts with `prefix` and is strictly greater than `cursor` (when given), in ascending
//!    byte-wise lexicographic order of the key, at most `limit` of them (`limit >= 1`; the
//!    core never sends 0). `next_cursor` is the last key returned when more items may
//!    follow and `None` when the scan is complete; a store that cannot tell cheaply may
//!    return a cursor that leads to one empty final page. `list` needs no snapshot
//!    isolation across pages.
//! 7. **Failure.** [`OpResult::Failed`] means "the operation may or may not have happened".
//!    The core does not retry: the flow ends with `store_unavailable` and grants nothing.
//!    A store must answer `Failed` rather than guess whenever it is unsure.

pub mod keys;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One operation a flow asks the host's store to run.
///
/// JSON form: `{"op": "get", "ns": "...", "key": "..."}` and so on (see `docs/store.md`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Op {
    /// Read a record and its version.
    Get {
        /// Namespace (a table, a key prefix, a Durable Object class).
        ns: String,
        /// Key within the namespace.
        key: String,
    },
    /// Write a record, optionally conditionally (compare-and-swap).
    Put {
        /// Namespace.
        ns: String,
        /// Key.
        key: String,
        /// The document to store; hosts may keep it as JSON text.
        value: Value,
        /// Seconds until the record expires; `None` never expires.
        ttl_secs: Option<u64>,
        /// The condition under which the write happens.
        expect: Expect,
    },
    /// Remove a record.
    Delete {
        /// Namespace.
        ns: String,
        /// Key.
        key: String,
    },
    /// Atomically add `delta` to an integer counter and return the new value.
    Incr {
        /// Namespace.
        ns: String,
        /// Key.
        key: String,
        /// Amount to add; 0 reads the counter without a torn read.
        delta: i64,
        /// Expiry set when the counter is created (not extended afterwards).
        ttl_secs: Option<u64>,
    },
    /// Prefix scan in key order, one page at a time.
    List {
        /// Namespace.
        ns: String,
        /// Keys must start with this (empty: every key).
        prefix: String,
        /// Most items in this page (at least 1).
        limit: u32,
        /// Only keys strictly greater than this (the previous page's `next_cursor`).
        cursor: Option<String>,
    },
    /// Outbound effect: deliver an email or SMS (Django's `send_mail`, a Twilio client, a
    /// queue). Not a store operation, but driven the same way so a flow can wait for it.
    SendMessage(Message),
    /// Outbound effect: one HTTP request (the HIBP range query, an audit webhook).
    HttpRequest(HttpCall),
}

/// The channel of an outbound message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// E-mail; `to` is an address.
    Email,
    /// SMS; `to` is an E.164 phone number.
    Sms,
}

/// A message the host must deliver. `subject` and `text` are ready to send; `template`
/// and `data` let a host render its own version instead.
///
/// JSON form: `{"op": "send_message", "channel": "email", "to": "…", "template":
/// "login_code", "subject": "…", "text": "…", "data": {"code": "123456", …}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Message {
    /// Email or SMS.
    pub channel: Channel,
    /// The recipient.
    pub to: String,
    /// What the message is for: `email_verification`, `phone_verification`,
    /// `password_reset`, `magic_link`, `login_code`, `organization_invitation`.
    pub template: String,
    /// A subject line (unused for SMS).
    pub subject: String,
    /// The plain-text body, rendered by the core.
    pub text: String,
    /// The values the text was rendered from (`code`, `link`, `expires_in`, …).
    pub data: Value,
}

/// An HTTP request the host must perform.
///
/// JSON form: `{"op": "http_request", "method": "GET", "url": "…", "headers": [["Add-Padding",
/// "true"]], "body": null, "timeout_ms": 3000}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpCall {
    /// `GET`, `POST`, …
    pub method: String,
    /// The absolute URL.
    pub url: String,
    /// Request headers, in order.
    pub headers: Vec<(String, String)>,
    /// The request body, if any.
    pub body: Option<String>,
    /// Give up after this long and answer `failed`.
    pub timeout_ms: u64,
}

/// The host's answer to [`Op::SendMessage`]: the message was accepted for delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Delivery {
    /// The provider's message id, when it gives one (logged in the audit trail).
    pub id: Option<String>,
}

/// The host's answer to [`Op::HttpRequest`]: the response (any status; a transport error
/// is `failed`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpResponse {
    /// The status code, 100–599.
    pub status: u16,
    /// Response headers, in order.
    pub headers: Vec<(String, String)>,
    /// The body as text.
    pub body: String,
}

/// The condition of a `put`.
///
/// JSON form: `"any"`, `"absent"` or `{"version": 7}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Expect {
    /// Write unconditionally.
    Any,
    /// Write only if no live record exists (create-once: sessions, invitations, ids).
    Absent,
    /// Write only if the live record has exactly this version (compare-and-swap).
    Version(u64),
}

/// A stored document and its version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// The document as it was written.
    pub value: Value,
    /// The version the store gave the last write (`>= 1`, strictly increasing per key).
    pub version: u64,
}

/// What a `put` did.
///
/// JSON form: `{"written": {"version": 3}}` or `{"conflict": {"current_version": null}}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum PutOutcome {
    /// The record was written and has this new version.
    Written {
        /// The new version.
        version: u64,
    },
    /// The `expect` condition did not hold; nothing was written.
    Conflict {
        /// The live record's version, `None` when there is none.
        current_version: Option<u64>,
    },
}

/// The host's answer to one [`Op`].
///
/// JSON form (externally tagged): `{"got": null}`, `{"got": {"value": …, "version": 2}}`,
/// `{"put": {"written": {"version": 3}}}`, `{"deleted": true}`, `{"incremented": 5}`,
/// `{"listed": {"items": [["key", {"value": …, "version": 1}]], "next_cursor": null}}`,
/// `{"failed": {"message": "…"}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum OpResult {
    /// Answer to `get`: the live record, or none.
    Got(Option<Record>),
    /// Answer to `put`.
    Put(PutOutcome),
    /// Answer to `delete`: whether a live record was removed.
    Deleted(bool),
    /// Answer to `incr`: the counter's new value.
    Incremented(i64),
    /// Answer to `list`: one page.
    Listed {
        /// `(key, record)` pairs in ascending key order.
        items: Vec<(String, Record)>,
        /// Pass as `cursor` to get the next page; `None` when the scan is complete.
        next_cursor: Option<String>,
    },
    /// Answer to `send_message`: accepted for delivery.
    Sent(Delivery),
    /// Answer to `http_request`: the response.
    Responded(HttpResponse),
    /// The store could not run the operation (or cannot tell whether it ran). Valid as
    /// the answer to any operation; the core fails closed with `store_unavailable`
    /// (`delivery_failed` / `upstream_unavailable` for the two outbound effects).
    Failed {
        /// A message for the logs.
        message: String,
    },
}

/// The kind of an operation, used to check that a result answers the op that was asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpKind {
    /// `get`
    Get,
    /// `put`
    Put,
    /// `delete`
    Delete,
    /// `incr`
    Incr,
    /// `list`
    List,
    /// `send_message`
    SendMessage,
    /// `http_request`
    HttpRequest,
}

impl OpKind {
    /// The stable snake_case name (the `op` tag of the JSON form).
    pub fn as_str(self) -> &'static str {
        match self {
            OpKind::Get => "get",
            OpKind::Put => "put",
            OpKind::Delete => "delete",
            OpKind::Incr => "incr",
            OpKind::List => "list",
            OpKind::SendMessage => "send_message",
            OpKind::HttpRequest => "http_request",
        }
    }
}

impl Op {
    /// The kind of this operation.
    pub fn kind(&self) -> OpKind {
        match self {
            Op::Get { .. } => OpKind::Get,
            Op::Put { .. } => OpKind::Put,
            Op::Delete { .. } => OpKind::Delete,
            Op::Incr { .. } => OpKind::Incr,
            Op::List { .. } => OpKind::List,
            Op::SendMessage(_) => OpKind::SendMessage,
            Op::HttpRequest(_) => OpKind::HttpRequest,
        }
    }

    /// The namespace the operation touches; `None` for the outbound effects.
    pub fn ns(&self) -> Option<&str> {
        match self {
            Op::Get { ns, .. }
            | Op::Put { ns, .. }
            | Op::Delete { ns, .. }
            | Op::Incr { ns, .. }
            | Op::List { ns, .. } => Some(ns),
            Op::SendMessage(_) | Op::HttpRequest(_) => None,
        }
    }

    /// True for the outbound effects (`send_message`, `http_request`), which a store
    /// hands to the host's mailer or HTTP client rather than its database.
    pub fn is_effect(&self) -> bool {
        matches!(self, Op::SendMessage(_) | Op::HttpRequest(_))
    }
}

impl OpResult {
    /// The kind of operation this result answers; `None` for [`OpResult::Failed`], which
    /// answers any.
    pub fn kind(&self) -> Option<OpKind> {
        match self {
            OpResult::Got(_) => Some(OpKind::Get),
            OpResult::Put(_) => Some(OpKind::Put),
            OpResult::Deleted(_) => Some(OpKind::Delete),
            OpResult::Incremented(_) => Some(OpKind::Incr),
            OpResult::Listed { .. } => Some(OpKind::List),
            OpResult::Sent(_) => Some(OpKind::SendMessage),
            OpResult::Responded(_) => Some(OpKind::HttpRequest),
            OpResult::Failed { .. } => None,
        }
    }

    /// A failure result with a message.
    pub fn failed(message: impl Into<String>) -> Self {
        OpResult::Failed {
            message: message.into(),
        }
    }

    /// A `list` page as the contract defines it: when more items follow, the cursor is the
    /// last key returned (exclusive on the next call); otherwise there is none.
    pub fn page(items: Vec<(String, Record)>, more: bool) -> Self {
        let next_cursor = if more {
            items.last().map(|(k, _)| k.clone())
        } else {
            None
        };
        OpResult::Listed { items, next_cursor }
    }
}

/// A store the core can call directly and synchronously: the embedded stores, and host
/// stores in "Rust runs the loop" mode. [`crate::drive::run_sync`] drives a flow over one.
pub trait SyncStore {
    /// Runs one operation under the consistency contract of this module. Failures are
    /// returned as [`OpResult::Failed`], never as a panic.
    fn execute(&mut self, op: &Op) -> OpResult;
}

impl<S: SyncStore + ?Sized> SyncStore for &mut S {
    fn execute(&mut self, op: &Op) -> OpResult {
        (**self).execute(op)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // The JSON forms are the wire protocol of the JSON bindings (wasm): pin them literally.
    #[test]
    fn op_json_forms_are_stable() {
        let put = Op::Put {
            ns: "sessions".into(),
            key: "s1".into(),
            value: json!({"user": "u1"}),
            ttl_secs: Some(60),
            expect: Expect::Version(4),
        };
        assert_eq!(
            serde_json::to_value(&put).unwrap(),
            json!({"op": "put", "ns": "sessions", "key": "s1", "value": {"user": "u1"},
                   "ttl_secs": 60, "expect": {"version": 4}})
        );
        let absent = json!({"op": "put", "ns": "a", "key": "b", "value": 1, "ttl_secs": null,
                            "expect": "absent"});
        assert!(matches!(
            serde_json::from_value::<Op>(absent).unwrap(),
            Op::Put {
                expect: Expect::Absent,
                ttl_secs: None,
                ..
            }
        ));
        let list = json!({"op": "list", "ns": "m", "prefix": "o1/", "limit": 50, "cursor": null});
        assert_eq!(
            serde_json::from_value::<Op>(list.clone()).unwrap().kind(),
            OpKind::List
        );
        let incr = json!({"op": "incr", "ns": "c", "key": "k", "delta": -2, "ttl_secs": null});
        assert_eq!(
            serde_json::to_value(serde_json::from_value::<Op>(incr.clone()).unwrap()).unwrap(),
            incr
        );
    }

    #[test]
    fn result_json_forms_are_stable() {
        let cases = [
            (OpResult::Got(None), json!({"got": null})),
            (
                OpResult::Got(Some(Record {
                    value: json!("v"),
                    version: 2,
                })),
                json!({"got": {"value": "v", "version": 2}}),
            ),
            (
                OpResult::Put(PutOutcome::Written { version: 3 }),
                json!({"put": {"written": {"version": 3}}}),
            ),
            (
                OpResult::Put(PutOutcome::Conflict {
                    current_version: None,
                }),
                json!({"put": {"conflict": {"current_version": null}}}),
            ),
            (OpResult::Deleted(true), json!({"deleted": true})),
            (OpResult::Incremented(-5), json!({"incremented": -5})),
            (
                OpResult::Listed {
                    items: vec![(
                        "k".into(),
                        Record {
                            value: json!(1),
                            version: 9,
                        },
                    )],
                    next_cursor: Some("k".into()),
                },
                json!({"listed": {"items": [["k", {"value": 1, "version": 9}]], "next_cursor": "k"}}),
            ),
            (
                OpResult::failed("down"),
                json!({"failed": {"message": "down"}}),
            ),
        ];
        for (result, wire) in cases {
            assert_eq!(serde_json::to_value(&result).unwrap(), wire);
            assert_eq!(serde_json::from_value::<OpResult>(wire).unwrap(), result);
        }
    }

    #[test]
    fn effect_json_forms_are_stable() {
        let send = json!({"op": "send_message", "channel": "email", "to": "a@example.com",
                          "template": "login_code", "subject": "s", "text": "t",
                          "data": {"code": "123456"}});
        let op: Op = serde_json::from_value(send.clone()).unwrap();
        assert_eq!(op.kind(), OpKind::SendMessage);
        assert!(op.is_effect() && op.ns().is_none());
        assert_eq!(serde_json::to_value(&op).unwrap(), send);
        let http = json!({"op": "http_request", "method": "GET", "url": "https://x/range/ABCDE",
                          "headers": [["Add-Padding", "true"]], "body": null, "timeout_ms": 3000});
        let op: Op = serde_json::from_value(http.clone()).unwrap();
        assert_eq!(serde_json::to_value(&op).unwrap(), http);
        let sent = json!({"sent": {"id": null}});
        assert_eq!(
            serde_json::from_value::<OpResult>(sent).unwrap().kind(),
            Some(OpKind::SendMessage)
        );
        let responded = json!({"responded": {"status": 200, "headers": [], "body": "x"}});
        assert_eq!(
            serde_json::to_value(serde_json::from_value::<OpResult>(responded.clone()).unwrap())
                .unwrap(),
            responded
        );
        assert!(
            serde_json::from_value::<Op>(json!({"op": "send_message", "channel": "fax",
            "to": "x", "template": "t", "subject": "s", "text": "t", "data": null}))
            .is_err()
        );
        assert!(
            serde_json::from_value::<Op>(json!({"op": "send_message", "channel": "sms",
            "to": "x", "template": "t", "subject": "s", "text": "t", "data": null, "x": 1}))
            .is_err()
        );
    }

    #[test]
    fn unknown_fields_and_tags_are_refused() {
        assert!(
            serde_json::from_value::<Op>(json!({"op": "get", "ns": "a", "key": "b", "x": 1}))
                .is_err()
        );
        assert!(serde_json::from_value::<Op>(json!({"op": "scan", "ns": "a"})).is_err());
        assert!(serde_json::from_value::<OpResult>(
            json!({"got": {"value": 1, "version": 1, "extra": 0}})
        )
        .is_err());
        assert!(serde_json::from_value::<OpResult>(json!({"deleted": true, "got": null})).is_err());
        assert!(serde_json::from_value::<Expect>(json!({"version": -1})).is_err());
    }
}
