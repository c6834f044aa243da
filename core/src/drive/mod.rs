//! The resumable flow driver: `async fn` flows over the Store port, driven by any host.
//!
//! A [`Flow`] wraps a future that awaits only [`StorePort`] operations. The host calls
//! [`Flow::start`]; each step either finishes ([`Step::Done`]) or stops at the one
//! operation the flow needs ([`Step::Need`]). The host runs that operation on its store,
//! synchronously or with `await`, and calls [`Flow::resume`] with the sequence number and
//! the result. No runtime, no threads, no waker: the future is polled with
//! [`std::task::Waker::noop`] exactly once per step.
//!
//! Misuse is refused **without advancing the flow** (`Err(flow_protocol)`): a result of
//! the wrong kind or malformed for its operation, a stale or repeated sequence number, a
//! resume before start, a second start, a resume after the end. A flow that awaits
//! something other than a store operation is ended with `flow_protocol` ("stalled")
//! instead of hanging. A panic inside the flow ends it with `internal` (on native
//! targets; wasm32 aborts on panic). Dropping a flow cancels it: its future and every
//! local it holds are dropped, and no further operation is asked for — which is why flows
//! order their writes so that every prefix of them is safe.
//!
//! `Flow` is `Send` (the mailbox is an `Arc<Mutex>`), so a binding may move it between
//! threads between steps.

mod port;
#[cfg(test)]
mod tests;

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use crate::error::{err, Error, ErrorCode, Result};
use crate::store::{Expect, Op, OpResult, PutOutcome, SyncStore};

pub use port::{Page, StorePort};

type BoxedFlow<T> = Pin<Box<dyn Future<Output = Result<T>> + Send>>;

/// What a flow needs next.
#[derive(Debug, PartialEq)]
pub enum Step<T> {
    /// Run `op` on the store and pass its result to [`Flow::resume`] with this `seq`.
    Need {
        /// The operation's sequence number (1, 2, … within this flow).
        seq: u32,
        /// The operation to run.
        op: Op,
    },
    /// The flow finished; its future has been dropped.
    Done(Result<T>),
}

enum State {
    Fresh,
    Waiting { seq: u32, op: Op },
    Finished,
}

/// A resumable flow producing a `T`. See the module documentation for the protocol.
pub struct Flow<T> {
    future: Option<BoxedFlow<T>>,
    mailbox: Arc<Mutex<port::Mailbox>>,
    state: State,
    transcript: Vec<(Op, OpResult)>,
}

impl<T> std::fmt::Debug for Flow<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match &self.state {
            State::Fresh => "fresh",
            State::Waiting { .. } => "waiting",
            State::Finished => "finished",
        };
        f.debug_struct("Flow")
            .field("state", &state)
            .field("operations", &self.transcript.len())
            .finish()
    }
}

fn protocol(message: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    err(ErrorCode::FlowProtocol, message)
}

impl<T: 'static> Flow<T> {
    /// Builds a flow from a closure that receives the store port and returns the flow's
    /// future. Inputs are moved in as owned data; nothing runs until [`Flow::start`].
    pub fn new<F, Fut>(make: F) -> Self
    where
        F: FnOnce(StorePort) -> Fut,
        Fut: Future<Output = Result<T>> + Send + 'static,
    {
        let mailbox = Arc::new(Mutex::new(port::Mailbox::default()));
        let future = make(StorePort::new(Arc::clone(&mailbox)));
        Flow {
            future: Some(Box::pin(future)),
            mailbox,
            state: State::Fresh,
            transcript: Vec::new(),
        }
    }

    /// Runs the flow up to its first store operation (or to its end).
    pub fn start(&mut self) -> Result<Step<T>> {
        match self.state {
            State::Fresh => Ok(self.poll()),
            State::Waiting { .. } => Err(protocol("the flow was already started")),
            State::Finished => Err(protocol("the flow has already finished")),
        }
    }

    /// Hands in the result of operation `seq` and runs the flow to its next operation (or
    /// to its end). On `Err` nothing changed: the flow still waits for the same `seq`.
    pub fn resume(&mut self, seq: u32, result: OpResult) -> Result<Step<T>> {
        let (expected, op) = match &self.state {
            State::Fresh => return Err(protocol("resume before start")),
            State::Finished => return Err(protocol("the flow has already finished")),
            State::Waiting { seq, op } => (*seq, op),
        };
        if seq != expected {
            return Err(protocol(format!(
                "result for operation {seq}, but operation {expected} is outstanding"
            ))
            .with_details(serde_json::json!({ "expected_seq": expected, "seq": seq })));
        }
        check_result(op, &result)?;
        let op = op.clone();
        self.transcript.push((op, result.clone()));
        crate::drive::port::lock(&self.mailbox).inbox = Some((seq, result));
        Ok(self.poll())
    }

    /// Drives the flow to its end over a synchronous store.
    pub fn run(&mut self, store: &mut impl SyncStore) -> Result<T> {
        let mut step = self.start()?;
        loop {
            match step {
                Step::Done(result) => return result,
                Step::Need { seq, op } => {
                    let result = store.execute(&op);
                    step = self.resume(seq, result)?;
                }
            }
        }
    }

    /// Every operation answered so far, with its result, in order: the flow's transcript,
    /// comparable across bindings.
    pub fn transcript(&self) -> &[(Op, OpResult)] {
        &self.transcript
    }

    /// True once the flow has finished (done, failed, stalled or panicked).
    pub fn is_finished(&self) -> bool {
        matches!(self.state, State::Finished)
    }

    fn finish(&mut self, result: Result<T>) -> Step<T> {
        // Dropping the future at once releases secrets held in its locals.
        self.future = None;
        self.state = State::Finished;
        let mut mailbox = crate::drive::port::lock(&self.mailbox);
        mailbox.outbox.clear();
        mailbox.inbox = None;
        Step::Done(result)
    }

    fn poll(&mut self) -> Step<T> {
        let Some(future) = self.future.as_mut() else {
            return self.finish(Err(protocol("the flow has already finished")));
        };
        let mut cx = Context::from_waker(Waker::noop());
        let polled = catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(&mut cx)));
        match polled {
            Err(payload) => {
                let message = payload
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "non-string panic payload".to_owned());
                self.finish(Err(err(
                    ErrorCode::Internal,
                    format!("the flow panicked: {message}"),
                )))
            }
            Ok(Poll::Ready(result)) => self.finish(result),
            Ok(Poll::Pending) => {
                let mut mailbox = crate::drive::port::lock(&self.mailbox);
                // A result the flow did not pick up (it dropped the operation) is stale now.
                mailbox.inbox = None;
                let mut outbox = std::mem::take(&mut mailbox.outbox).into_iter();
                drop(mailbox);
                match (outbox.next(), outbox.next()) {
                    (None, _) => self.finish(Err(protocol(
                        "the flow stalled: it awaited something other than a store operation",
                    ))),
                    (Some((seq, op)), None) => {
                        self.state = State::Waiting {
                            seq,
                            op: op.clone(),
                        };
                        Step::Need { seq, op }
                    }
                    (Some(_), Some(_)) => self.finish(Err(protocol(
                        "the flow issued several store operations at once; batches are not supported yet",
                    ))),
                }
            }
        }
    }
}

/// Refuses a result that does not answer `op`: the wrong kind, or a shape the contract
/// rules out (a conflict for an unconditional put, a CAS conflict naming the expected
/// version, a create-once conflict with no record, version 0, a page longer than the
/// limit, outside the prefix, out of order or not after the cursor, or a `next_cursor`
/// other than the page's last key).
fn check_result(op: &Op, result: &OpResult) -> Result<()> {
    let Some(kind) = result.kind() else {
        return Ok(()); // Failed answers any operation.
    };
    if kind != op.kind() {
        return Err(protocol(format!(
            "a {} result does not answer a {} operation",
            kind.as_str(),
            op.kind().as_str()
        ))
        .with_details(
            serde_json::json!({ "expected": op.kind().as_str(), "got": kind.as_str() }),
        ));
    }
    match (op, result) {
        (_, OpResult::Got(Some(record))) if record.version == 0 => {
            Err(protocol("a record has version 0"))
        }
        (_, OpResult::Put(PutOutcome::Written { version: 0 })) => {
            Err(protocol("a write reported version 0"))
        }
        (
            Op::Put {
                expect: Expect::Any,
                ..
            },
            OpResult::Put(PutOutcome::Conflict { .. }),
        ) => Err(protocol("an unconditional put cannot conflict")),
        (
            Op::Put {
                expect: Expect::Version(v),
                ..
            },
            OpResult::Put(PutOutcome::Conflict {
                current_version: Some(c),
            }),
        ) if c == v => Err(protocol("a conflict reported the expected version")),
        (
            Op::Put {
                expect: Expect::Absent,
                ..
            },
            OpResult::Put(PutOutcome::Conflict {
                current_version: None,
            }),
        ) => Err(protocol("a create-once put conflicted with no record")),
        (_, OpResult::Responded(response)) if !(100..=599).contains(&response.status) => {
            Err(protocol("an HTTP status must lie in 100..=599"))
        }
        (
            Op::List {
                prefix,
                limit,
                cursor,
                ..
            },
            OpResult::Listed { items, next_cursor },
        ) => {
            if items.len() > usize::try_from(*limit).unwrap_or(usize::MAX) {
                return Err(protocol("a list page is longer than its limit"));
            }
            let mut previous = cursor.as_deref();
            for (key, record) in items {
                if !key.starts_with(prefix.as_str()) {
                    return Err(protocol("a listed key lies outside the prefix"));
                }
                if previous.is_some_and(|p| key.as_str() <= p) {
                    return Err(protocol(
                        "listed keys are not ascending and after the cursor",
                    ));
                }
                if record.version == 0 {
                    return Err(protocol("a listed record has version 0"));
                }
                previous = Some(key);
            }
            // A cursor that is not the last key returned could make a paging flow loop.
            if next_cursor.is_some() && next_cursor.as_ref() != items.last().map(|(k, _)| k) {
                return Err(protocol("next_cursor must be the last key returned"));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Drives `flow` to its end over a synchronous store (the embedded stores, or a host store
/// called from Rust).
pub fn run_sync<T: 'static>(mut flow: Flow<T>, store: &mut impl SyncStore) -> Result<T> {
    flow.run(store)
}
