//! The in-memory store: one `BTreeMap` behind one lock, with an injected clock.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tenxyte_core::store::{Expect, Op, OpResult, PutOutcome, Record, SyncStore};

use crate::ManualClock;

type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

#[derive(Debug, Clone)]
struct Entry {
    value: Value,
    version: u64,
    /// Unix seconds from which the entry is absent; `None` never expires.
    expires_at: Option<i64>,
}

impl Entry {
    fn live(&self, now: i64) -> bool {
        self.expires_at.is_none_or(|at| now < at)
    }
}

#[derive(Debug, Default)]
struct Inner {
    entries: BTreeMap<(String, String), Entry>,
    /// Store-wide version counter: versions never repeat for a key, even after a delete.
    last_version: u64,
}

/// A thread-safe in-memory store that follows the Store port's consistency contract.
///
/// Clones share the same data (like a connection-pool handle). Every operation runs under
/// one lock, which makes each one linearizable. Time comes from the clock closure given at
/// construction, so TTL behaviour is deterministic in tests. Expired entries are treated
/// as absent at once and removed lazily (or by [`MemoryStore::purge_expired`]).
#[derive(Clone)]
pub struct MemoryStore {
    inner: Arc<Mutex<Inner>>,
    clock: Clock,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore").finish_non_exhaustive()
    }
}

impl MemoryStore {
    /// A store reading the time (Unix seconds) from `clock`.
    pub fn with_clock(clock: impl Fn() -> i64 + Send + Sync + 'static) -> Self {
        MemoryStore {
            inner: Arc::new(Mutex::new(Inner::default())),
            clock: Arc::new(clock),
        }
    }

    /// A store on a [`ManualClock`] (tests).
    pub fn with_manual_clock(clock: &ManualClock) -> Self {
        let clock = clock.clone();
        Self::with_clock(move || clock.now())
    }

    /// A store on the system clock: the one place this crate reads real time.
    pub fn with_system_clock() -> Self {
        Self::with_clock(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        })
    }

    /// Runs one operation. Takes `&self`: clones on many threads may call it at once.
    pub fn apply(&self, op: &Op) -> OpResult {
        if op.is_effect() {
            return OpResult::failed(crate::outbox::NOT_A_MAILER);
        }
        let now = (self.clock)();
        let Ok(mut inner) = self.inner.lock() else {
            // A panic while holding the lock would leave no promise about the data.
            return OpResult::failed("memory store lock poisoned");
        };
        inner.apply(op, now)
    }

    /// Removes every expired entry and returns how many there were.
    pub fn purge_expired(&self) -> usize {
        let now = (self.clock)();
        let Ok(mut inner) = self.inner.lock() else {
            return 0;
        };
        let before = inner.entries.len();
        inner.entries.retain(|_, e| e.live(now));
        before.saturating_sub(inner.entries.len())
    }

    /// Number of entries held, expired ones not yet purged included.
    pub fn len(&self) -> usize {
        self.inner.lock().map_or(0, |i| i.entries.len())
    }

    /// True when no entry is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl SyncStore for MemoryStore {
    fn execute(&mut self, op: &Op) -> OpResult {
        self.apply(op)
    }
}

impl SyncStore for &MemoryStore {
    fn execute(&mut self, op: &Op) -> OpResult {
        self.apply(op)
    }
}

fn expiry(now: i64, ttl_secs: Option<u64>) -> Result<Option<i64>, OpResult> {
    match ttl_secs {
        None => Ok(None),
        Some(ttl) => i64::try_from(ttl)
            .ok()
            .and_then(|t| now.checked_add(t))
            .map(Some)
            .ok_or_else(|| OpResult::failed("ttl out of range")),
    }
}

impl Inner {
    fn next_version(&mut self) -> Result<u64, OpResult> {
        let v = self
            .last_version
            .checked_add(1)
            .ok_or_else(|| OpResult::failed("versions exhausted"))?;
        self.last_version = v;
        Ok(v)
    }

    fn live(&self, k: &(String, String), now: i64) -> Option<&Entry> {
        self.entries.get(k).filter(|e| e.live(now))
    }

    fn apply(&mut self, op: &Op, now: i64) -> OpResult {
        match self.try_apply(op, now) {
            Ok(r) | Err(r) => r,
        }
    }

    fn try_apply(&mut self, op: &Op, now: i64) -> Result<OpResult, OpResult> {
        match op {
            Op::Get { ns, key } => {
                let k = (ns.clone(), key.clone());
                Ok(OpResult::Got(self.live(&k, now).map(|e| Record {
                    value: e.value.clone(),
                    version: e.version,
                })))
            }
            Op::Put {
                ns,
                key,
                value,
                ttl_secs,
                expect,
            } => {
                let k = (ns.clone(), key.clone());
                let current = self.live(&k, now).map(|e| e.version);
                let holds = match expect {
                    Expect::Any => true,
                    Expect::Absent => current.is_none(),
                    Expect::Version(v) => current == Some(*v),
                };
                if !holds {
                    return Ok(OpResult::Put(PutOutcome::Conflict {
                        current_version: current,
                    }));
                }
                let expires_at = expiry(now, *ttl_secs)?;
                let version = self.next_version()?;
                self.entries.insert(
                    k,
                    Entry {
                        value: value.clone(),
                        version,
                        expires_at,
                    },
                );
                Ok(OpResult::Put(PutOutcome::Written { version }))
            }
            Op::Delete { ns, key } => {
                let k = (ns.clone(), key.clone());
                Ok(OpResult::Deleted(
                    self.entries.remove(&k).is_some_and(|e| e.live(now)),
                ))
            }
            Op::Incr {
                ns,
                key,
                delta,
                ttl_secs,
            } => {
                let k = (ns.clone(), key.clone());
                let (old, expires_at) = match self.live(&k, now) {
                    Some(e) => {
                        let old = e.value.as_i64().ok_or_else(|| {
                            OpResult::failed("incr on a record that is not an integer")
                        })?;
                        // An existing counter keeps its expiry: fixed windows.
                        (old, e.expires_at)
                    }
                    None => (0, expiry(now, *ttl_secs)?),
                };
                let new = old
                    .checked_add(*delta)
                    .ok_or_else(|| OpResult::failed("counter overflow"))?;
                let version = self.next_version()?;
                self.entries.insert(
                    k,
                    Entry {
                        value: Value::from(new),
                        version,
                        expires_at,
                    },
                );
                Ok(OpResult::Incremented(new))
            }
            Op::SendMessage(_) | Op::HttpRequest(_) => {
                Err(OpResult::failed(crate::outbox::NOT_A_MAILER))
            }
            Op::List {
                ns,
                prefix,
                limit,
                cursor,
            } => {
                if *limit == 0 {
                    return Err(OpResult::failed("list limit must be at least 1"));
                }
                let limit = usize::try_from(*limit).unwrap_or(usize::MAX);
                let lower = match cursor {
                    Some(c) if c.as_str() >= prefix.as_str() => {
                        Bound::Excluded((ns.clone(), c.clone()))
                    }
                    _ => Bound::Included((ns.clone(), prefix.clone())),
                };
                let mut live = self
                    .entries
                    .range((lower, Bound::Unbounded))
                    .take_while(|((n, k), _)| n == ns && k.starts_with(prefix.as_str()))
                    .filter(|(_, e)| e.live(now));
                let items: Vec<(String, Record)> = live
                    .by_ref()
                    .take(limit)
                    .map(|((_, k), e)| {
                        (
                            k.clone(),
                            Record {
                                value: e.value.clone(),
                                version: e.version,
                            },
                        )
                    })
                    .collect();
                let more = live.next().is_some();
                Ok(OpResult::page(items, more))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_zero_is_a_failure_not_an_empty_page() {
        let store = MemoryStore::with_clock(|| 0);
        let op = Op::List {
            ns: "n".into(),
            prefix: String::new(),
            limit: 0,
            cursor: None,
        };
        assert!(matches!(store.apply(&op), OpResult::Failed { .. }));
    }

    #[test]
    fn purge_removes_only_expired_entries() {
        let clock = ManualClock::at(100);
        let store = MemoryStore::with_manual_clock(&clock);
        for (key, ttl) in [("a", Some(5)), ("b", None), ("c", Some(50))] {
            let op = Op::Put {
                ns: "n".into(),
                key: key.into(),
                value: Value::Null,
                ttl_secs: ttl,
                expect: Expect::Any,
            };
            assert!(matches!(store.apply(&op), OpResult::Put(_)));
        }
        clock.set(105);
        assert_eq!(store.purge_expired(), 1);
        assert_eq!(store.len(), 2);
    }

    #[test]
    fn system_clock_reads_a_plausible_time() {
        // After 2020-01-01 and the store works with it.
        let store = MemoryStore::with_system_clock();
        assert!((store.clock)() > 1_577_836_800);
        assert!(store.is_empty());
    }
}
