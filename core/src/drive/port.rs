//! The flow's side of the mailbox: [`StorePort`] and the future of one operation.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

use serde_json::Value;

use crate::error::{err, ErrorCode, Result};
use crate::store::{
    Delivery, Expect, HttpCall, HttpResponse, Message, Op, OpResult, PutOutcome, Record,
};

/// Shared between a flow's store port and its driver. The lock is taken only for a few
/// pushes and pops and never held while the host runs an operation, so a re-entrant host
/// cannot deadlock it.
#[derive(Debug, Default)]
pub(crate) struct Mailbox {
    /// The sequence number the next operation gets (starts at 1).
    pub(crate) next_seq: u32,
    /// Operations issued during the current poll, in order.
    pub(crate) outbox: Vec<(u32, Op)>,
    /// The result the driver handed in for the outstanding operation.
    pub(crate) inbox: Option<(u32, OpResult)>,
}

pub(crate) type SharedMailbox = Arc<Mutex<Mailbox>>;

/// Locks the mailbox. A poisoned lock is recovered: the mailbox holds plain data that no
/// code path leaves half-updated, and the driver refuses to poll a panicked flow anyway.
pub(crate) fn lock(mailbox: &Mutex<Mailbox>) -> MutexGuard<'_, Mailbox> {
    mailbox.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A page of a `list` scan.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// `(key, record)` pairs in ascending key order.
    pub items: Vec<(String, Record)>,
    /// The cursor for the next page; `None` when the scan is complete.
    pub next_cursor: Option<String>,
}

/// The store as a flow sees it: each method issues one operation and awaits the host's
/// answer. A store failure comes back as `Err(store_unavailable)`, so flows use `?` and
/// fail closed.
#[derive(Debug, Clone)]
pub struct StorePort {
    mailbox: SharedMailbox,
}

impl StorePort {
    pub(crate) fn new(mailbox: SharedMailbox) -> Self {
        StorePort { mailbox }
    }

    /// Runs any operation and returns its (non-failed) result, checked by the driver to be
    /// of the operation's kind.
    pub async fn execute(&self, op: Op) -> Result<OpResult> {
        match (OpFuture {
            mailbox: &self.mailbox,
            state: State::Unsent(Some(op)),
        })
        .await?
        {
            OpResult::Failed { message } => Err(err(
                ErrorCode::StoreUnavailable,
                format!("store failed: {message}"),
            )),
            other => Ok(other),
        }
    }

    /// `get(ns, key)`: the live record, or none.
    pub async fn get(&self, ns: &str, key: &str) -> Result<Option<Record>> {
        let op = Op::Get {
            ns: ns.to_owned(),
            key: key.to_owned(),
        };
        match self.execute(op).await? {
            OpResult::Got(record) => Ok(record),
            other => Err(mismatch("get", &other)),
        }
    }

    /// `put(ns, key, value, ttl, expect)`: a conflict is a value, not an error.
    pub async fn put(
        &self,
        ns: &str,
        key: &str,
        value: Value,
        ttl_secs: Option<u64>,
        expect: Expect,
    ) -> Result<PutOutcome> {
        let op = Op::Put {
            ns: ns.to_owned(),
            key: key.to_owned(),
            value,
            ttl_secs,
            expect,
        };
        match self.execute(op).await? {
            OpResult::Put(outcome) => Ok(outcome),
            other => Err(mismatch("put", &other)),
        }
    }

    /// `delete(ns, key)`: whether a live record was removed.
    pub async fn delete(&self, ns: &str, key: &str) -> Result<bool> {
        let op = Op::Delete {
            ns: ns.to_owned(),
            key: key.to_owned(),
        };
        match self.execute(op).await? {
            OpResult::Deleted(removed) => Ok(removed),
            other => Err(mismatch("delete", &other)),
        }
    }

    /// `incr(ns, key, delta, ttl)`: the counter's new value.
    pub async fn incr(
        &self,
        ns: &str,
        key: &str,
        delta: i64,
        ttl_secs: Option<u64>,
    ) -> Result<i64> {
        let op = Op::Incr {
            ns: ns.to_owned(),
            key: key.to_owned(),
            delta,
            ttl_secs,
        };
        match self.execute(op).await? {
            OpResult::Incremented(value) => Ok(value),
            other => Err(mismatch("incr", &other)),
        }
    }

    /// `list(ns, prefix, limit, cursor)`: one page. `limit` 0 is refused before anything
    /// reaches the store (the contract promises stores they never see it).
    pub async fn list(
        &self,
        ns: &str,
        prefix: &str,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page> {
        if limit == 0 {
            return Err(err(
                ErrorCode::InvalidInput,
                "list limit must be at least 1",
            ));
        }
        let op = Op::List {
            ns: ns.to_owned(),
            prefix: prefix.to_owned(),
            limit,
            cursor: cursor.map(str::to_owned),
        };
        match self.execute(op).await? {
            OpResult::Listed { items, next_cursor } => Ok(Page { items, next_cursor }),
            other => Err(mismatch("list", &other)),
        }
    }
}

impl StorePort {
    /// Hands a message to the host's mailer or SMS gateway and waits for its answer. A
    /// failure is `delivery_failed`: the flow reports it, never pretends the message left.
    pub async fn send_message(&self, message: Message) -> Result<Delivery> {
        match self.effect(Op::SendMessage(message)).await? {
            OpResult::Sent(delivery) => Ok(delivery),
            OpResult::Failed { message } => Err(err(
                ErrorCode::DeliveryFailed,
                format!("the message could not be delivered: {message}"),
            )),
            other => Err(mismatch("send_message", &other)),
        }
    }

    /// Asks the host to perform one HTTP request. A transport failure or timeout is
    /// `upstream_unavailable`; any HTTP status is a response.
    pub async fn http(&self, call: HttpCall) -> Result<HttpResponse> {
        match self.effect(Op::HttpRequest(call)).await? {
            OpResult::Responded(response) => Ok(response),
            OpResult::Failed { message } => Err(err(
                ErrorCode::UpstreamUnavailable,
                format!("the HTTP request failed: {message}"),
            )),
            other => Err(mismatch("http_request", &other)),
        }
    }

    /// Runs another flow inside this one: each operation it needs is forwarded through
    /// this port (so it lands in this flow's transcript and the host sees one stream of
    /// operations), and its result is this call's result. This is how the HTTP layer
    /// reuses every `Engine` flow.
    pub async fn run_flow<T: 'static>(&self, mut flow: super::Flow<T>) -> Result<T> {
        let mut step = flow.start()?;
        loop {
            match step {
                super::Step::Done(result) => return result,
                super::Step::Need { seq, op } => {
                    let result = self.effect(op).await?;
                    step = flow.resume(seq, result)?;
                }
            }
        }
    }

    /// Like [`StorePort::execute`] but keeps `failed` as a result, for the effects whose
    /// failure has its own code.
    async fn effect(&self, op: Op) -> Result<OpResult> {
        OpFuture {
            mailbox: &self.mailbox,
            state: State::Unsent(Some(op)),
        }
        .await
    }
}

/// Unreachable in practice: the driver refuses a result of the wrong kind before it
/// reaches the flow. Kept as an error so a driver bug fails closed rather than panics.
fn mismatch(asked: &str, got: &OpResult) -> crate::error::Error {
    err(
        ErrorCode::FlowProtocol,
        format!(
            "a {asked} received a {} result",
            got.kind().map_or("failed", |k| k.as_str())
        ),
    )
}

enum State {
    /// Not yet in the outbox (the op is taken out on the first poll).
    Unsent(Option<Op>),
    /// In the outbox (or answered) under this sequence number.
    Sent(u32),
    /// The result was taken.
    Done,
}

/// One operation in flight: pushes itself to the outbox on the first poll, then waits
/// until the driver puts a result with its sequence number in the inbox.
struct OpFuture<'a> {
    mailbox: &'a Mutex<Mailbox>,
    state: State,
}

impl Future for OpFuture<'_> {
    type Output = Result<OpResult>;

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut mailbox = lock(self.mailbox);
        match &mut self.state {
            State::Unsent(op) => {
                let Some(op) = op.take() else {
                    return Poll::Ready(Err(err(ErrorCode::Internal, "operation lost")));
                };
                let seq = mailbox.next_seq.max(1);
                let Some(next) = seq.checked_add(1) else {
                    return Poll::Ready(Err(err(
                        ErrorCode::Internal,
                        "a flow ran out of sequence numbers",
                    )));
                };
                mailbox.next_seq = next;
                mailbox.outbox.push((seq, op));
                drop(mailbox);
                self.state = State::Sent(seq);
                Poll::Pending
            }
            State::Sent(seq) => {
                let seq = *seq;
                match mailbox.inbox.take() {
                    Some((got, result)) if got == seq => {
                        drop(mailbox);
                        self.state = State::Done;
                        Poll::Ready(Ok(result))
                    }
                    other => {
                        // Not ours (or nothing yet): leave it for its owner.
                        mailbox.inbox = other;
                        Poll::Pending
                    }
                }
            }
            State::Done => Poll::Ready(Err(err(
                ErrorCode::Internal,
                "an operation future was polled after it completed",
            ))),
        }
    }
}
