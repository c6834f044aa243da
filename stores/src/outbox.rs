//! [`Outbox`]: the embedded host for the two outbound effects.
//!
//! Flows that send an email or SMS, or call out over HTTP, stop at a `send_message` or
//! `http_request` operation. A database store answers those with `failed` (it is not a
//! mailer), so a flow run on a bare store reports `delivery_failed` instead of silently
//! dropping the message. Wrapping the store in an `Outbox` gives it a mail log: every
//! message is appended to a shared, inspectable [`MessageLog`] (the demo prints it; tests
//! read codes and links from it) and acknowledged. HTTP requests go to a handler the host
//! installs with [`Outbox::with_http`]; without one they fail, which the breach check
//! treats as "unavailable".

use std::sync::{Arc, Mutex, PoisonError};

use tenxyte_core::store::{Delivery, HttpCall, Message, Op, OpResult, SyncStore};

/// What a database store answers for an outbound effect.
pub(crate) const NOT_A_MAILER: &str =
    "this store does not deliver messages or perform HTTP requests; wrap it in an Outbox";

/// A message the outbox accepted, with the id it answered.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedMessage {
    /// The id returned to the flow (`msg-1`, `msg-2`, …).
    pub id: String,
    /// The message as the flow asked for it.
    pub message: Message,
}

/// A shared, append-only log of delivered messages. Clones share the log.
#[derive(Debug, Clone, Default)]
pub struct MessageLog {
    inner: Arc<Mutex<Vec<LoggedMessage>>>,
}

impl MessageLog {
    /// An empty log.
    pub fn new() -> Self {
        MessageLog::default()
    }

    /// Every message so far, oldest first.
    pub fn messages(&self) -> Vec<LoggedMessage> {
        self.lock().clone()
    }

    /// The newest message sent to `to`, if any.
    pub fn last_to(&self, to: &str) -> Option<LoggedMessage> {
        self.lock()
            .iter()
            .rev()
            .find(|m| m.message.to == to)
            .cloned()
    }

    /// How many messages were delivered.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when nothing was delivered yet.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    fn push(&self, message: &Message) -> String {
        let mut log = self.lock();
        let id = format!("msg-{}", log.len() + 1);
        log.push(LoggedMessage {
            id: id.clone(),
            message: message.clone(),
        });
        id
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<LoggedMessage>> {
        // A poisoned log still holds whole entries (push is one Vec::push).
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

type HttpHandler = Box<dyn FnMut(&HttpCall) -> OpResult + Send>;

/// A store plus a mail log and an optional HTTP client: the embedded host.
pub struct Outbox<S> {
    store: S,
    log: MessageLog,
    http: Option<HttpHandler>,
}

impl<S> std::fmt::Debug for Outbox<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox")
            .field("messages", &self.log.len())
            .field("http", &self.http.is_some())
            .finish()
    }
}

impl<S: SyncStore> Outbox<S> {
    /// Wraps `store` with a fresh message log and no HTTP client.
    pub fn new(store: S) -> Self {
        Outbox::with_log(store, MessageLog::new())
    }

    /// Wraps `store`, appending messages to an existing (shared) log.
    pub fn with_log(store: S, log: MessageLog) -> Self {
        Outbox {
            store,
            log,
            http: None,
        }
    }

    /// Installs an HTTP client: it receives each request and answers `responded` or
    /// `failed`.
    pub fn with_http(
        mut self,
        handler: impl FnMut(&HttpCall) -> OpResult + Send + 'static,
    ) -> Self {
        self.http = Some(Box::new(handler));
        self
    }

    /// The message log (a clone shares it).
    pub fn log(&self) -> &MessageLog {
        &self.log
    }

    /// The wrapped store.
    pub fn store(&self) -> &S {
        &self.store
    }
}

impl<S: SyncStore> SyncStore for Outbox<S> {
    fn execute(&mut self, op: &Op) -> OpResult {
        match op {
            Op::SendMessage(message) => OpResult::Sent(Delivery {
                id: Some(self.log.push(message)),
            }),
            Op::HttpRequest(call) => match self.http.as_mut() {
                Some(handler) => handler(call),
                None => OpResult::failed("no HTTP client is configured"),
            },
            other => self.store.execute(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryStore;
    use serde_json::json;
    use tenxyte_core::store::{Channel, HttpResponse};

    fn message(to: &str) -> Message {
        Message {
            channel: Channel::Email,
            to: to.into(),
            template: "login_code".into(),
            subject: "Your code".into(),
            text: "123456".into(),
            data: json!({"code": "123456"}),
        }
    }

    #[test]
    fn a_bare_store_refuses_effects_and_an_outbox_logs_them() {
        let mut bare = MemoryStore::with_clock(|| 0);
        let op = Op::SendMessage(message("a@example.com"));
        assert!(matches!(bare.execute(&op), OpResult::Failed { .. }));

        let mut outbox = Outbox::new(MemoryStore::with_clock(|| 0));
        let got = outbox.execute(&op);
        assert_eq!(
            got,
            OpResult::Sent(Delivery {
                id: Some("msg-1".into())
            })
        );
        assert_eq!(outbox.log().len(), 1);
        assert_eq!(
            outbox
                .log()
                .last_to("a@example.com")
                .map(|m| m.message.text),
            Some("123456".into())
        );
        // Store operations still reach the store.
        let put = Op::Put {
            ns: "n".into(),
            key: "k".into(),
            value: json!(1),
            ttl_secs: None,
            expect: tenxyte_core::store::Expect::Absent,
        };
        assert!(matches!(outbox.execute(&put), OpResult::Put(_)));
    }

    #[test]
    fn http_goes_to_the_handler_or_fails() {
        let call = HttpCall {
            method: "GET".into(),
            url: "https://example.com/".into(),
            headers: vec![],
            body: None,
            timeout_ms: 1000,
        };
        let mut none = Outbox::new(MemoryStore::with_clock(|| 0));
        assert!(matches!(
            none.execute(&Op::HttpRequest(call.clone())),
            OpResult::Failed { .. }
        ));
        let mut some = Outbox::new(MemoryStore::with_clock(|| 0)).with_http(|c| {
            OpResult::Responded(HttpResponse {
                status: 200,
                headers: vec![],
                body: c.url.clone(),
            })
        });
        assert!(matches!(
            some.execute(&Op::HttpRequest(call)),
            OpResult::Responded(HttpResponse { status: 200, .. })
        ));
    }
}
