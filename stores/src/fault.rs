//! A store wrapper that fails chosen operations, for fail-closed and prefix-safety tests.

use tenxyte_core::store::{Op, OpResult, SyncStore};

/// Which operations fail (counted from 0 in the order the wrapper sees them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Only operation number `n`.
    Nth(usize),
    /// Operation number `n` and every one after it (the store went down).
    From(usize),
}

/// Wraps a store and answers [`OpResult::Failed`] for the operations its [`Fault`] picks.
///
/// By default a failed operation is not run at all. With [`FaultStore::after_applying`]
/// it is run and its answer is lost, which models a timeout after the write landed: the
/// contract says `Failed` means "may or may not have happened".
#[derive(Debug, Clone)]
pub struct FaultStore<S> {
    inner: S,
    fault: Fault,
    apply_before_failing: bool,
    seen: usize,
}

impl<S: SyncStore> FaultStore<S> {
    /// Fails only operation number `n` (0-based).
    pub fn fail_nth(inner: S, n: usize) -> Self {
        Self::new(inner, Fault::Nth(n))
    }

    /// Fails operation number `n` (0-based) and every later one.
    pub fn fail_from(inner: S, n: usize) -> Self {
        Self::new(inner, Fault::From(n))
    }

    /// Fails the operations `fault` picks.
    pub fn new(inner: S, fault: Fault) -> Self {
        FaultStore {
            inner,
            fault,
            apply_before_failing: false,
            seen: 0,
        }
    }

    /// Runs a failing operation on the inner store before reporting the failure.
    pub fn after_applying(mut self) -> Self {
        self.apply_before_failing = true;
        self
    }

    /// How many operations the wrapper has seen.
    pub fn seen(&self) -> usize {
        self.seen
    }

    /// The wrapped store.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// Unwraps the store.
    pub fn into_inner(self) -> S {
        self.inner
    }

    fn fails(&self, n: usize) -> bool {
        match self.fault {
            Fault::Nth(k) => n == k,
            Fault::From(k) => n >= k,
        }
    }
}

impl<S: SyncStore> SyncStore for FaultStore<S> {
    fn execute(&mut self, op: &Op) -> OpResult {
        let n = self.seen;
        self.seen = self.seen.saturating_add(1);
        if !self.fails(n) {
            return self.inner.execute(op);
        }
        if self.apply_before_failing {
            let _lost = self.inner.execute(op);
        }
        OpResult::failed(format!("injected fault at operation {n}"))
    }
}
