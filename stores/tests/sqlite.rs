#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! SqliteStore: the consistency contract, and atomicity across connections and processes.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use serde_json::json;
use tenxyte_core::store::{Expect, Op, OpResult};
use tenxyte_stores::contract::contract_tests;
use tenxyte_stores::{ManualClock, SqliteStore};

/// A database file in the temp dir, unique per process and test, removed (with its WAL
/// and shared-memory files) when dropped.
struct TempDb(PathBuf);

impl TempDb {
    fn new(tag: &str) -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!(
            "tenxyte-sqlite-{tag}-{}-{}-{nanos}.db",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        );
        TempDb(std::env::temp_dir().join(name))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut p = self.0.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }
}

fn manual(clock: &ManualClock) -> impl Fn() -> i64 + Send + Sync + 'static {
    let clock = clock.clone();
    move || clock.now()
}

fn incr(key: &str) -> Op {
    Op::Incr {
        ns: "c".into(),
        key: key.into(),
        delta: 1,
        ttl_secs: None,
    }
}

fn incr_n(store: &SqliteStore, key: &str, n: u32) {
    for _ in 0..n {
        let r = store.apply(&incr(key));
        assert!(matches!(r, OpResult::Incremented(_)), "{r:?}");
    }
}

fn read(store: &SqliteStore, key: &str) -> i64 {
    match store.apply(&Op::Incr {
        ns: "c".into(),
        key: key.into(),
        delta: 0,
        ttl_secs: None,
    }) {
        OpResult::Incremented(n) => n,
        other => panic!("{other:?}"),
    }
}

#[test]
fn in_memory_sqlite_meets_the_contract() {
    contract_tests(|c| SqliteStore::open_in_memory(manual(c)).unwrap()).unwrap();
}

#[test]
fn file_sqlite_meets_the_contract() {
    // One file per case: the suite expects a fresh store each time.
    let dbs = std::sync::Mutex::new(Vec::new());
    contract_tests(|c| {
        let db = TempDb::new("contract");
        let store = SqliteStore::open(db.path(), manual(c)).unwrap();
        dbs.lock().unwrap().push(db);
        store
    })
    .unwrap();
}

#[test]
fn data_and_versions_survive_reopening() {
    let db = TempDb::new("reopen");
    let clock = ManualClock::at(1_000);
    let put = |store: &SqliteStore, expect| {
        store.apply(&Op::Put {
            ns: "n".into(),
            key: "k".into(),
            value: json!({"a": [1, "é"]}),
            ttl_secs: None,
            expect,
        })
    };
    let first = SqliteStore::open(db.path(), manual(&clock)).unwrap();
    let OpResult::Put(tenxyte_core::store::PutOutcome::Written { version: v1 }) =
        put(&first, Expect::Any)
    else {
        panic!("first put failed");
    };
    assert!(matches!(
        first.apply(&Op::Delete {
            ns: "n".into(),
            key: "k".into()
        }),
        OpResult::Deleted(true)
    ));
    drop(first);
    // A new connection (a restarted process) continues the version counter: no ABA.
    let second = SqliteStore::open(db.path(), manual(&clock)).unwrap();
    let OpResult::Put(tenxyte_core::store::PutOutcome::Written { version: v2 }) =
        put(&second, Expect::Absent)
    else {
        panic!("second put failed");
    };
    assert!(v2 > v1, "{v1} then {v2}");
    let OpResult::Got(Some(r)) = second.apply(&Op::Get {
        ns: "n".into(),
        key: "k".into(),
    }) else {
        panic!("record lost");
    };
    assert_eq!(r.value, json!({"a": [1, "é"]}));
}

#[test]
fn purge_removes_only_expired_rows() {
    let clock = ManualClock::at(100);
    let store = SqliteStore::open_in_memory(manual(&clock)).unwrap();
    for (key, ttl) in [("a", Some(5)), ("b", None), ("c", Some(50))] {
        let op = Op::Put {
            ns: "n".into(),
            key: key.into(),
            value: json!(null),
            ttl_secs: ttl,
            expect: Expect::Any,
        };
        assert!(matches!(store.apply(&op), OpResult::Put(_)));
    }
    clock.set(105);
    assert_eq!(store.purge_expired().unwrap(), 1);
    assert_eq!(store.purge_expired().unwrap(), 0);
    clock.set(150);
    assert_eq!(store.purge_expired().unwrap(), 1);
    assert!(matches!(
        store.apply(&Op::Get {
            ns: "n".into(),
            key: "b".into()
        }),
        OpResult::Got(Some(_))
    ));
}

#[test]
fn an_unopenable_path_is_store_unavailable() {
    let dir = TempDb::new("dir");
    std::fs::create_dir(dir.path()).unwrap();
    let e = SqliteStore::open(dir.path(), || 0).unwrap_err();
    std::fs::remove_dir(dir.path()).unwrap();
    assert_eq!(e.code(), tenxyte_core::ErrorCode::StoreUnavailable);
}

/// Eight connections (one per thread, so SQLite's own lock is what serialises them, not
/// the in-process mutex of a shared handle) incrementing one counter in one file.
#[test]
fn eight_connections_on_one_file_lose_no_increment() {
    let db = TempDb::new("threads");
    drop(SqliteStore::open(db.path(), || 0).unwrap());
    let started = Instant::now();
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let store = SqliteStore::open(db.path(), || 0).unwrap();
            std::thread::spawn(move || incr_n(&store, "hot", 5_000))
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let store = SqliteStore::open(db.path(), || 0).unwrap();
    assert_eq!(read(&store, "hot"), 40_000);
    eprintln!("8 x 5000 incr in {:?}", started.elapsed());
}

const CHILD_FILE: &str = "TENXYTE_SQLITE_CHILD_FILE";
const PER_PROCESS: u32 = 2_000;

/// Two child processes (this test binary, re-run with [`CHILD_FILE`] set) and this
/// process increment one counter in one file at the same time.
#[test]
fn two_processes_share_one_file() {
    if let Ok(path) = std::env::var(CHILD_FILE) {
        // Child mode: count, and report failure through the exit status (a panic).
        let store = SqliteStore::open(&path, || 0).unwrap();
        incr_n(&store, "shared", PER_PROCESS);
        return;
    }
    let db = TempDb::new("procs");
    let store = SqliteStore::open(db.path(), || 0).unwrap();
    let exe = std::env::current_exe().unwrap();
    let started = Instant::now();
    let children: Vec<_> = (0..2)
        .map(|_| {
            Command::new(&exe)
                .args([
                    "--exact",
                    "two_processes_share_one_file",
                    "--test-threads=1",
                ])
                .env(CHILD_FILE, db.path())
                .spawn()
                .unwrap()
        })
        .collect();
    incr_n(&store, "shared", PER_PROCESS);
    for mut child in children {
        assert!(child.wait().unwrap().success(), "a child process failed");
    }
    assert_eq!(read(&store, "shared"), i64::from(PER_PROCESS) * 3);
    eprintln!(
        "3 processes x {PER_PROCESS} incr in {:?}",
        started.elapsed()
    );
}

/// The rate-limit pattern: three actors admit a request only when the counter they
/// incremented is at most the cap. However they interleave, exactly CAP are admitted.
#[test]
fn a_cap_admits_exactly_cap_across_connections() {
    const CAP: i64 = 1_500;
    let db = TempDb::new("cap");
    drop(SqliteStore::open(db.path(), || 0).unwrap());
    let handles: Vec<_> = (0..3)
        .map(|_| {
            let store = SqliteStore::open(db.path(), || 0).unwrap();
            std::thread::spawn(move || {
                let mut admitted = 0_i64;
                for _ in 0..1_000 {
                    match store.apply(&incr("quota")) {
                        OpResult::Incremented(n) if n <= CAP => admitted += 1,
                        OpResult::Incremented(_) => {}
                        other => panic!("{other:?}"),
                    }
                }
                admitted
            })
        })
        .collect();
    let admitted: i64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(admitted, CAP);
    let store = SqliteStore::open(db.path(), || 0).unwrap();
    assert_eq!(read(&store, "quota"), 3_000);
}
