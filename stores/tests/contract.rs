#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! The consistency contract, run against every embedded store.

use tenxyte_core::store::{Expect, Op, OpResult, PutOutcome, SyncStore};
use tenxyte_stores::contract::contract_tests;
use tenxyte_stores::{FaultStore, MemoryStore};

#[test]
fn memory_store_meets_the_contract() {
    contract_tests(MemoryStore::with_manual_clock).unwrap();
}

/// A store that "forgets" versions across a delete (restarts them at 1) is the classic
/// ABA bug; the suite must catch it, or it proves nothing.
#[derive(Clone)]
struct RestartsVersions(MemoryStore);

impl SyncStore for RestartsVersions {
    fn execute(&mut self, op: &Op) -> OpResult {
        let result = self.0.apply(op);
        match (op, result) {
            (
                Op::Put {
                    expect: Expect::Absent,
                    ..
                },
                OpResult::Put(PutOutcome::Written { .. }),
            ) => OpResult::Put(PutOutcome::Written { version: 1 }),
            (_, r) => r,
        }
    }
}

#[test]
fn the_suite_catches_a_store_that_reuses_versions() {
    let e = contract_tests(|c| RestartsVersions(MemoryStore::with_manual_clock(c))).unwrap_err();
    assert!(e.starts_with("delete_and_no_aba"), "{e}");
}

/// A store whose incr is a non-atomic read then write loses updates under threads.
#[derive(Clone)]
struct TornIncr(MemoryStore);

impl SyncStore for TornIncr {
    fn execute(&mut self, op: &Op) -> OpResult {
        // Only counters without a ttl are torn, so the single-threaded cases still pass
        // and the concurrency case alone has to catch it.
        let Op::Incr {
            ns,
            key,
            delta,
            ttl_secs: None,
        } = op
        else {
            return self.0.apply(op);
        };
        let read = self.0.apply(&Op::Incr {
            ns: ns.clone(),
            key: key.clone(),
            delta: 0,
            ttl_secs: None,
        });
        let OpResult::Incremented(old) = read else {
            return read;
        };
        let Some(new) = old.checked_add(*delta) else {
            return OpResult::failed("overflow");
        };
        std::thread::yield_now();
        self.0.apply(&Op::Put {
            ns: ns.clone(),
            key: key.clone(),
            value: serde_json::json!(new),
            ttl_secs: None,
            expect: Expect::Any,
        });
        OpResult::Incremented(new)
    }
}

#[test]
fn the_suite_catches_a_torn_incr() {
    let e = contract_tests(|c| TornIncr(MemoryStore::with_manual_clock(c))).unwrap_err();
    assert!(e.starts_with("concurrent_incr"), "{e}");
}

#[test]
fn fault_store_fails_the_chosen_operations() {
    let get = Op::Get {
        ns: "n".into(),
        key: "k".into(),
    };
    let mut nth = FaultStore::fail_nth(MemoryStore::with_clock(|| 0), 1);
    assert!(matches!(nth.execute(&get), OpResult::Got(None)));
    assert!(matches!(nth.execute(&get), OpResult::Failed { .. }));
    assert!(matches!(nth.execute(&get), OpResult::Got(None)));
    let mut from = FaultStore::fail_from(MemoryStore::with_clock(|| 0), 1);
    assert!(matches!(from.execute(&get), OpResult::Got(None)));
    assert!(matches!(from.execute(&get), OpResult::Failed { .. }));
    assert!(matches!(from.execute(&get), OpResult::Failed { .. }));
    assert_eq!(from.seen(), 3);
}

/// A store whose `list` cursor is inclusive repeats the last item of every page.
#[derive(Clone)]
struct InclusiveCursor(MemoryStore);

impl SyncStore for InclusiveCursor {
    fn execute(&mut self, op: &Op) -> OpResult {
        let result = self.0.apply(op);
        let (
            Op::List {
                ns,
                limit,
                cursor: Some(cursor),
                ..
            },
            OpResult::Listed {
                mut items,
                next_cursor,
            },
        ) = (op, result.clone())
        else {
            return result;
        };
        if let OpResult::Got(Some(record)) = self.0.apply(&Op::Get {
            ns: ns.clone(),
            key: cursor.clone(),
        }) {
            items.insert(0, (cursor.clone(), record));
            items.truncate(*limit as usize);
        }
        OpResult::Listed { items, next_cursor }
    }
}

#[test]
fn the_suite_catches_an_inclusive_cursor() {
    let e = contract_tests(|c| InclusiveCursor(MemoryStore::with_manual_clock(c))).unwrap_err();
    assert!(e.starts_with("list_paging"), "{e}");
}

/// A store that extends a counter's ttl on every incr (a sliding window) breaks the
/// fixed-window promise the rate limits rely on.
#[derive(Clone)]
struct SlidingCounterTtl(MemoryStore);

impl SyncStore for SlidingCounterTtl {
    fn execute(&mut self, op: &Op) -> OpResult {
        let result = self.0.apply(op);
        if let (
            Op::Incr {
                ns,
                key,
                ttl_secs: Some(ttl),
                ..
            },
            OpResult::Incremented(n),
        ) = (op, &result)
        {
            self.0.apply(&Op::Put {
                ns: ns.clone(),
                key: key.clone(),
                value: serde_json::json!(n),
                ttl_secs: Some(*ttl),
                expect: Expect::Any,
            });
        }
        result
    }
}

#[test]
fn the_suite_catches_a_sliding_counter_ttl() {
    let e = contract_tests(|c| SlidingCounterTtl(MemoryStore::with_manual_clock(c))).unwrap_err();
    assert!(e.starts_with("ttl_counters"), "{e}");
}
