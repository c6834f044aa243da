//! A clock tests can set: the time every embedded store reads through its closure.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// A shared, settable clock in Unix seconds. Clones read and move the same time.
#[derive(Debug, Clone, Default)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    /// A clock showing `now`.
    pub fn at(now: i64) -> Self {
        ManualClock(Arc::new(AtomicI64::new(now)))
    }

    /// The current time.
    pub fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }

    /// Sets the time.
    pub fn set(&self, now: i64) {
        self.0.store(now, Ordering::SeqCst);
    }

    /// Moves the time forward by `secs`.
    pub fn advance(&self, secs: i64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }
}
