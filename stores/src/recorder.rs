//! A store wrapper that records every operation and the answer the store gave.

use tenxyte_core::store::{Op, OpResult, SyncStore};

/// Records `(op, result)` for every operation run through it, in order.
///
/// A flow's own [`transcript`](tenxyte_core::drive::Flow::transcript) says what the flow
/// was told; this log says what the store did, which differs only when something between
/// the two (a binding, a fault wrapper) changes answers. Comparing the two, or a log
/// against a committed vector, catches conversion bugs in bindings.
#[derive(Debug, Clone)]
pub struct Recorder<S> {
    inner: S,
    log: Vec<(Op, OpResult)>,
}

impl<S: SyncStore> Recorder<S> {
    /// Wraps `inner` with an empty log.
    pub fn new(inner: S) -> Self {
        Recorder {
            inner,
            log: Vec::new(),
        }
    }

    /// Everything recorded so far.
    pub fn log(&self) -> &[(Op, OpResult)] {
        &self.log
    }

    /// The wrapped store and the log.
    pub fn into_parts(self) -> (S, Vec<(Op, OpResult)>) {
        (self.inner, self.log)
    }
}

impl<S: SyncStore> SyncStore for Recorder<S> {
    fn execute(&mut self, op: &Op) -> OpResult {
        let result = self.inner.execute(op);
        self.log.push((op.clone(), result.clone()));
        result
    }
}
