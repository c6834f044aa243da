//! Embedded stores for Tenxyte Core's Store port, and the contract every store must pass.
//!
//! - [`MemoryStore`]: thread-safe, in-process, with an injected clock (tests, single-process
//!   apps, edge isolates).
//! - [`SqliteStore`]: one SQLite file in WAL mode, shared safely by threads and processes.
//! - [`FaultStore`]: wraps any store and fails chosen operations, to prove that flows fail
//!   closed and that every prefix of their writes is safe.
//! - [`Outbox`]: wraps any store with a message log and an optional HTTP client, the
//!   embedded host for the `send_message` / `http_request` effects.
//! - [`Recorder`]: wraps any store and logs every `(op, result)` it ran.
//! - [`contract::contract_tests`]: the consistency contract of `tenxyte_core::store` as a
//!   reusable suite; every store (embedded or a host's) should pass it.
//!
//! Unlike the core, this crate may use the standard library's synchronisation and, in
//! [`MemoryStore::with_system_clock`] only, the system clock; [`SqliteStore`] does file I/O.
#![forbid(unsafe_code)]

mod clock;
pub mod contract;
mod fault;
mod memory;
mod outbox;
mod recorder;
mod sqlite;

pub use clock::ManualClock;
pub use fault::{Fault, FaultStore};
pub use memory::MemoryStore;
pub use outbox::{LoggedMessage, MessageLog, Outbox};
pub use recorder::Recorder;
pub use sqlite::SqliteStore;
