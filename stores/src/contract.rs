//! The Store port's consistency contract as a reusable test suite.
//!
//! [`contract_tests`] exercises a store through [`SyncStore`] only, so any store can be
//! checked: the embedded ones here, and a host's store wrapped in a `SyncStore` adapter.
//! It returns the first violation instead of panicking, so a harness in any language can
//! report it. The suite is written against `tenxyte_core::store`'s contract, clause by
//! clause; a store passing it can back every flow.

use std::collections::BTreeSet;

use serde_json::{json, Value};
use tenxyte_core::store::{Expect, Op, OpResult, PutOutcome, Record, SyncStore};

use crate::ManualClock;

/// A contract violation: which case failed and why.
pub type Violation = String;

/// One case of the suite.
type Case<S> = fn(&mut S, &ManualClock) -> Result<(), Violation>;

/// A page of a `list`: items and the next cursor.
type ListedPage = (Vec<(String, Record)>, Option<String>);

macro_rules! check {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

/// Runs the whole suite. `make` builds a fresh, empty store reading its time from the
/// given clock (the suite moves the clock to test expiry); stores must be `Clone` handles
/// onto the same data so the concurrency cases can share one across threads.
pub fn contract_tests<S, F>(make: F) -> Result<(), Violation>
where
    S: SyncStore + Clone + Send + 'static,
    F: Fn(&ManualClock) -> S,
{
    let cases: [(&str, Case<S>); 10] = [
        ("get_put_versions", get_put_versions),
        ("expect_absent", expect_absent),
        ("expect_version", expect_version),
        ("delete_and_no_aba", delete_and_no_aba),
        ("counters", counters),
        ("ttl_records", ttl_records),
        ("ttl_counters", ttl_counters),
        ("list_paging", list_paging),
        ("concurrent_incr", concurrent_incr),
        ("concurrent_cas", concurrent_cas),
    ];
    for (name, case) in cases {
        let clock = ManualClock::at(1_000_000);
        let mut store = make(&clock);
        case(&mut store, &clock).map_err(|e| format!("{name}: {e}"))?;
    }
    Ok(())
}

fn get(s: &mut impl SyncStore, ns: &str, key: &str) -> Result<Option<Record>, Violation> {
    match s.execute(&Op::Get {
        ns: ns.into(),
        key: key.into(),
    }) {
        OpResult::Got(r) => Ok(r),
        other => Err(format!("get {ns}/{key} answered {other:?}")),
    }
}

fn put(
    s: &mut impl SyncStore,
    key: &str,
    value: Value,
    ttl_secs: Option<u64>,
    expect: Expect,
) -> Result<PutOutcome, Violation> {
    match s.execute(&Op::Put {
        ns: "c".into(),
        key: key.into(),
        value,
        ttl_secs,
        expect,
    }) {
        OpResult::Put(o) => Ok(o),
        other => Err(format!("put {key} answered {other:?}")),
    }
}

fn written(o: PutOutcome) -> Result<u64, Violation> {
    match o {
        PutOutcome::Written { version } => Ok(version),
        PutOutcome::Conflict { current_version } => Err(format!(
            "expected a write, got a conflict (current {current_version:?})"
        )),
    }
}

fn delete(s: &mut impl SyncStore, key: &str) -> Result<bool, Violation> {
    match s.execute(&Op::Delete {
        ns: "c".into(),
        key: key.into(),
    }) {
        OpResult::Deleted(b) => Ok(b),
        other => Err(format!("delete {key} answered {other:?}")),
    }
}

fn incr_op(key: &str, delta: i64, ttl_secs: Option<u64>) -> Op {
    Op::Incr {
        ns: "c".into(),
        key: key.into(),
        delta,
        ttl_secs,
    }
}

fn incr(
    s: &mut impl SyncStore,
    key: &str,
    delta: i64,
    ttl_secs: Option<u64>,
) -> Result<i64, Violation> {
    match s.execute(&incr_op(key, delta, ttl_secs)) {
        OpResult::Incremented(n) => Ok(n),
        other => Err(format!("incr {key} answered {other:?}")),
    }
}

fn get_put_versions<S: SyncStore>(s: &mut S, _: &ManualClock) -> Result<(), Violation> {
    check!(get(s, "c", "k")?.is_none(), "a fresh store has no record");
    let v1 = written(put(s, "k", json!({"a": 1}), None, Expect::Any)?)?;
    check!(v1 >= 1, "versions start at 1 or more, got {v1}");
    let r = get(s, "c", "k")?.ok_or("the record written is not read back")?;
    check!(
        r.value == json!({"a": 1}) && r.version == v1,
        "read back {r:?}"
    );
    let v2 = written(put(s, "k", json!({"a": 2}), None, Expect::Any)?)?;
    check!(v2 > v1, "versions must increase: {v1} then {v2}");
    check!(
        get(s, "other_ns", "k")?.is_none(),
        "namespaces must be separate"
    );
    Ok(())
}

fn expect_absent<S: SyncStore>(s: &mut S, _: &ManualClock) -> Result<(), Violation> {
    let v = written(put(s, "k", json!("first"), None, Expect::Absent)?)?;
    let second = put(s, "k", json!("second"), None, Expect::Absent)?;
    check!(
        second
            == PutOutcome::Conflict {
                current_version: Some(v)
            },
        "absent on an existing record must conflict with its version, got {second:?}"
    );
    let r = get(s, "c", "k")?.ok_or("record lost")?;
    check!(
        r.value == json!("first"),
        "a conflicting put must not write"
    );
    Ok(())
}

fn expect_version<S: SyncStore>(s: &mut S, _: &ManualClock) -> Result<(), Violation> {
    let missing = put(s, "k", json!(0), None, Expect::Version(1))?;
    check!(
        missing
            == PutOutcome::Conflict {
                current_version: None
            },
        "version on an absent record must conflict with none, got {missing:?}"
    );
    let v1 = written(put(s, "k", json!(1), None, Expect::Any)?)?;
    let v2 = written(put(s, "k", json!(2), None, Expect::Version(v1))?)?;
    check!(v2 > v1, "a CAS write must get a greater version");
    let stale = put(s, "k", json!(3), None, Expect::Version(v1))?;
    check!(
        stale
            == PutOutcome::Conflict {
                current_version: Some(v2)
            },
        "a stale CAS must conflict with the current version, got {stale:?}"
    );
    check!(
        get(s, "c", "k")?.map(|r| r.value) == Some(json!(2)),
        "a stale CAS must not write"
    );
    Ok(())
}

fn delete_and_no_aba<S: SyncStore>(s: &mut S, _: &ManualClock) -> Result<(), Violation> {
    check!(!delete(s, "k")?, "deleting nothing returns false");
    let old = written(put(s, "k", json!("a"), None, Expect::Any)?)?;
    check!(delete(s, "k")?, "deleting a record returns true");
    check!(get(s, "c", "k")?.is_none(), "a deleted record is absent");
    check!(!delete(s, "k")?, "a second delete returns false");
    let new = written(put(s, "k", json!("b"), None, Expect::Absent)?)?;
    check!(
        new > old,
        "a re-created record must get a version above any it had (ABA): {old} then {new}"
    );
    let aba = put(s, "k", json!("c"), None, Expect::Version(old))?;
    check!(
        matches!(aba, PutOutcome::Conflict { .. }),
        "a CAS on the pre-delete version must conflict, got {aba:?}"
    );
    Ok(())
}

fn counters<S: SyncStore>(s: &mut S, _: &ManualClock) -> Result<(), Violation> {
    check!(incr(s, "n", 0, None)? == 0, "an absent counter reads 0");
    check!(incr(s, "n", 5, None)? == 5, "incr creates at 0");
    check!(incr(s, "n", -7, None)? == -2, "negative deltas subtract");
    let before = get(s, "c", "n")?.ok_or("a counter is a record")?;
    check!(
        before.value == json!(-2),
        "a counter's value is its integer"
    );
    check!(incr(s, "n", 0, None)? == -2, "delta 0 reads");
    let after = get(s, "c", "n")?.ok_or("counter lost")?;
    check!(
        after.version > before.version,
        "every incr is a write with a new version"
    );
    written(put(s, "text", json!("abc"), None, Expect::Any)?)?;
    check!(
        matches!(
            s.execute(&incr_op("text", 1, None)),
            OpResult::Failed { .. }
        ),
        "incr on a non-integer must fail, not reset"
    );
    written(put(s, "big", json!(i64::MAX), None, Expect::Any)?)?;
    check!(
        matches!(s.execute(&incr_op("big", 1, None)), OpResult::Failed { .. }),
        "counter overflow must fail"
    );
    check!(
        get(s, "c", "big")?.map(|r| r.value) == Some(json!(i64::MAX)),
        "a failed incr must not write"
    );
    Ok(())
}

fn ttl_records<S: SyncStore>(s: &mut S, clock: &ManualClock) -> Result<(), Violation> {
    let t0 = clock.now();
    let v = written(put(s, "k", json!(1), Some(10), Expect::Any)?)?;
    clock.set(t0 + 9);
    check!(get(s, "c", "k")?.is_some(), "live one second before expiry");
    clock.set(t0 + 10);
    check!(get(s, "c", "k")?.is_none(), "absent from now + ttl on");
    let cas = put(s, "k", json!(2), None, Expect::Version(v))?;
    check!(
        cas == PutOutcome::Conflict {
            current_version: None
        },
        "an expired record has no version for CAS, got {cas:?}"
    );
    check!(!delete(s, "k")?, "deleting an expired record returns false");
    let v2 = written(put(s, "k", json!(3), Some(5), Expect::Absent)?)?;
    check!(v2 > v, "re-creation after expiry gets a greater version");
    // A put without ttl replaces the ttl: the record no longer expires.
    written(put(s, "k", json!(4), None, Expect::Any)?)?;
    clock.set(t0 + 1_000_000);
    check!(
        get(s, "c", "k")?.map(|r| r.value) == Some(json!(4)),
        "put with no ttl clears the previous ttl"
    );
    Ok(())
}

fn ttl_counters<S: SyncStore>(s: &mut S, clock: &ManualClock) -> Result<(), Violation> {
    let t0 = clock.now();
    check!(incr(s, "w", 1, Some(60))? == 1, "created with ttl");
    clock.set(t0 + 30);
    // The ttl of this incr must not push the expiry to t0 + 90.
    check!(incr(s, "w", 1, Some(60))? == 2, "counts within the window");
    clock.set(t0 + 60);
    check!(
        incr(s, "w", 1, Some(60))? == 1,
        "a counter's ttl is set at creation and not extended; expired counters restart at 0"
    );
    clock.set(t0 + 119);
    check!(incr(s, "w", 0, Some(60))? == 1, "new window lives 60 s");
    clock.set(t0 + 120);
    check!(incr(s, "w", 0, Some(60))? == 0, "new window expired");
    Ok(())
}

fn list_page<S: SyncStore>(
    s: &mut S,
    ns: &str,
    prefix: &str,
    limit: u32,
    cursor: Option<String>,
) -> Result<ListedPage, Violation> {
    match s.execute(&Op::List {
        ns: ns.into(),
        prefix: prefix.into(),
        limit,
        cursor,
    }) {
        OpResult::Listed { items, next_cursor } => Ok((items, next_cursor)),
        other => Err(format!("list answered {other:?}")),
    }
}

fn list_all<S: SyncStore>(
    s: &mut S,
    ns: &str,
    prefix: &str,
    limit: u32,
) -> Result<Vec<String>, Violation> {
    let mut keys = Vec::new();
    let mut cursor = None;
    for _ in 0..1_000 {
        let (items, next) = list_page(s, ns, prefix, limit, cursor)?;
        check!(
            items.len() <= usize::try_from(limit).unwrap_or(usize::MAX),
            "a page longer than the limit"
        );
        if let Some(c) = &next {
            check!(
                items.last().map(|(k, _)| k) == Some(c),
                "next_cursor must be the last key returned"
            );
        }
        keys.extend(items.into_iter().map(|(k, _)| k));
        match next {
            None => return Ok(keys),
            Some(c) => cursor = Some(c),
        }
    }
    Err("list never completed".into())
}

fn list_paging<S: SyncStore>(s: &mut S, clock: &ManualClock) -> Result<(), Violation> {
    let put_in = |s: &mut S, ns: &str, key: &str, ttl: Option<u64>| match s.execute(&Op::Put {
        ns: ns.into(),
        key: key.into(),
        value: json!(key),
        ttl_secs: ttl,
        expect: Expect::Any,
    }) {
        OpResult::Put(PutOutcome::Written { .. }) => Ok(()),
        other => Err(format!("put {ns}/{key} answered {other:?}")),
    };
    // Byte-wise order: "B" < "a" < "z" < "é" (0xC3…); "a/1" < "a/10" < "a/2".
    for key in [
        "a/2", "a/10", "a/1", "a/3", "a/B", "a/z", "a/é", "a/a", "b/1", "a",
    ] {
        put_in(s, "l", key, None)?;
    }
    put_in(s, "l", "a/0-expiring", Some(1))?;
    put_in(s, "other", "a/1", None)?;
    let expected = [
        "a/0-expiring",
        "a/1",
        "a/10",
        "a/2",
        "a/3",
        "a/B",
        "a/a",
        "a/z",
        "a/é",
    ];
    let all = list_all(s, "l", "a/", 100)?;
    check!(all == expected, "order and prefix: got {all:?}");
    for limit in [1, 2, 3, 4] {
        let paged = list_all(s, "l", "a/", limit)?;
        check!(paged == expected, "paging by {limit}: got {paged:?}");
    }
    let (first, next) = list_page(s, "l", "a/", 2, None)?;
    let first: Vec<_> = first.into_iter().map(|(k, _)| k).collect();
    check!(
        first == ["a/0-expiring", "a/1"] && next.as_deref() == Some("a/1"),
        "first page of 2: {first:?}, cursor {next:?}"
    );
    let (page, _) = list_page(s, "l", "a/", 10, Some("a/2".into()))?;
    let page: Vec<_> = page.into_iter().map(|(k, _)| k).collect();
    check!(
        page == ["a/3", "a/B", "a/a", "a/z", "a/é"],
        "the cursor is exclusive: {page:?}"
    );
    let (page, _) = list_page(s, "l", "a/", 1, Some("0".into()))?;
    check!(
        page.first().map(|(k, _)| k.as_str()) == Some("a/0-expiring"),
        "a cursor before the prefix starts at the prefix"
    );
    let (items, _) = list_page(s, "l", "a/", 10, None)?;
    check!(
        items
            .iter()
            .all(|(k, r)| r.value == json!(k) && r.version >= 1),
        "items carry their records"
    );
    let whole: BTreeSet<_> = list_all(s, "l", "", 3)?.into_iter().collect();
    check!(
        whole.len() == 11 && whole.contains("a") && whole.contains("b/1"),
        "an empty prefix lists the namespace (and only it): {whole:?}"
    );
    clock.advance(1);
    let live = list_all(s, "l", "a/", 1)?;
    check!(
        live.iter()
            .map(String::as_str)
            .eq(expected.iter().copied().skip(1)),
        "expired records are skipped and do not count toward the limit: {live:?}"
    );
    Ok(())
}

fn concurrent_incr<S: SyncStore + Clone + Send + 'static>(
    s: &mut S,
    _: &ManualClock,
) -> Result<(), Violation> {
    const THREADS: i64 = 8;
    const PER_THREAD: i64 = 10_000;
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let mut store = s.clone();
            std::thread::spawn(move || {
                for _ in 0..PER_THREAD {
                    if !matches!(
                        store.execute(&incr_op("hot", 1, None)),
                        OpResult::Incremented(_)
                    ) {
                        return false;
                    }
                }
                true
            })
        })
        .collect();
    for h in handles {
        check!(
            h.join().unwrap_or(false),
            "an incr failed under concurrency"
        );
    }
    let total = incr(s, "hot", 0, None)?;
    check!(
        total == THREADS * PER_THREAD,
        "incr lost updates: {total} instead of {}",
        THREADS * PER_THREAD
    );
    Ok(())
}

fn concurrent_cas<S: SyncStore + Clone + Send + 'static>(
    s: &mut S,
    _: &ManualClock,
) -> Result<(), Violation> {
    // Create-once: of many racing `expect: absent` puts exactly one wins.
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let mut store = s.clone();
            std::thread::spawn(move || {
                matches!(
                    put(&mut store, "once", json!(i), None, Expect::Absent),
                    Ok(PutOutcome::Written { .. })
                )
            })
        })
        .collect();
    let winners = handles
        .into_iter()
        .map(|h| h.join().unwrap_or(false))
        .filter(|won| *won)
        .count();
    check!(winners == 1, "{winners} create-once puts succeeded");

    // Read-modify-write with CAS retries must not lose an update.
    const THREADS: u64 = 4;
    const PER_THREAD: u64 = 300;
    written(put(s, "rmw", json!(0), None, Expect::Any)?)?;
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let mut store = s.clone();
            std::thread::spawn(move || -> Result<(), Violation> {
                for _ in 0..PER_THREAD {
                    loop {
                        let r = get(&mut store, "c", "rmw")?.ok_or("rmw record lost")?;
                        let n = r.value.as_u64().ok_or("rmw not a number")?;
                        match put(
                            &mut store,
                            "rmw",
                            json!(n + 1),
                            None,
                            Expect::Version(r.version),
                        )? {
                            PutOutcome::Written { .. } => break,
                            PutOutcome::Conflict { .. } => continue,
                        }
                    }
                }
                Ok(())
            })
        })
        .collect();
    for h in handles {
        h.join().map_err(|_| "a CAS thread panicked".to_owned())??;
    }
    let r = get(s, "c", "rmw")?.ok_or("rmw record lost")?;
    check!(
        r.value == json!(THREADS * PER_THREAD),
        "CAS lost updates: {} instead of {}",
        r.value,
        THREADS * PER_THREAD
    );
    Ok(())
}
