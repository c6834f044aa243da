#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Core flows driven over the embedded stores: the driver and the stores together.

use serde_json::json;
use tenxyte_core::drive::{run_sync, Flow};
use tenxyte_core::store::{Expect, Op, OpResult, PutOutcome, SyncStore};
use tenxyte_core::ErrorCode;
use tenxyte_stores::{FaultStore, ManualClock, MemoryStore, Recorder};

/// Shaped like a login: read the user, count the attempt (counter first), create the
/// session last and only once. Every prefix of its writes is safe.
fn open_session(user: &str, session: &str) -> Flow<i64> {
    let (user, session) = (user.to_owned(), session.to_owned());
    Flow::new(|port| async move {
        let Some(_user) = port.get("users", &user).await? else {
            return Err(tenxyte_core::Error::new(ErrorCode::InvalidInput, "no user"));
        };
        let attempts = port.incr("attempts", &user, 1, Some(300)).await?;
        match port
            .put(
                "sessions",
                &session,
                json!({"user": user}),
                Some(3600),
                Expect::Absent,
            )
            .await?
        {
            PutOutcome::Written { .. } => Ok(attempts),
            PutOutcome::Conflict { .. } => Err(tenxyte_core::Error::new(
                ErrorCode::InvalidInput,
                "session id taken",
            )),
        }
    })
}

fn seeded() -> MemoryStore {
    let mut store = MemoryStore::with_manual_clock(&ManualClock::at(1_000));
    let op = Op::Put {
        ns: "users".into(),
        key: "u1".into(),
        value: json!({"name": "Ada"}),
        ttl_secs: None,
        expect: Expect::Absent,
    };
    assert!(matches!(
        store.execute(&op),
        OpResult::Put(PutOutcome::Written { .. })
    ));
    store
}

fn session_exists(store: &MemoryStore, id: &str) -> bool {
    matches!(
        store.apply(&Op::Get {
            ns: "sessions".into(),
            key: id.into()
        }),
        OpResult::Got(Some(_))
    )
}

#[test]
fn a_flow_runs_over_the_memory_store() {
    let mut store = seeded();
    assert_eq!(run_sync(open_session("u1", "s1"), &mut store).unwrap(), 1);
    assert!(session_exists(&store, "s1"));
    // The session id is create-once.
    let e = run_sync(open_session("u1", "s1"), &mut store).unwrap_err();
    assert_eq!(e.message(), "session id taken");
    assert_eq!(run_sync(open_session("u1", "s2"), &mut store).unwrap(), 3);
}

#[test]
fn every_failure_position_fails_closed_whether_or_not_the_write_landed() {
    for position in 0..3 {
        for applied in [false, true] {
            let memory = seeded();
            let mut store = FaultStore::fail_nth(memory.clone(), position);
            if applied {
                store = store.after_applying();
            }
            let e = run_sync(open_session("u1", "s1"), &mut store).unwrap_err();
            assert_eq!(
                e.code(),
                ErrorCode::StoreUnavailable,
                "{position} {applied}"
            );
            assert_eq!(store.seen(), position + 1, "nothing after the failure");
            // Only a write that landed before its answer was lost can leave a session;
            // the caller still got an error and no session id to use.
            assert_eq!(session_exists(&memory, "s1"), applied && position == 2);
        }
    }
}

#[test]
fn a_store_that_went_down_stops_the_flow_at_once() {
    let mut store = FaultStore::fail_from(seeded(), 0);
    let mut flow = open_session("u1", "s1");
    assert_eq!(
        flow.run(&mut store).unwrap_err().code(),
        ErrorCode::StoreUnavailable
    );
    assert_eq!(flow.transcript().len(), 1);
}

#[test]
fn the_store_log_equals_the_flow_transcript_and_has_a_stable_json_form() {
    let mut store = Recorder::new(seeded());
    let mut flow = open_session("u1", "s1");
    assert_eq!(flow.run(&mut store).unwrap(), 1);
    assert_eq!(store.log(), flow.transcript());
    // The form bindings compare: an array of [op, result] pairs. Version 1 went to the
    // seeded user, so the counter and the session get 2 and 3.
    assert_eq!(
        serde_json::to_value(flow.transcript()).unwrap(),
        json!([
            [{"op": "get", "ns": "users", "key": "u1"},
             {"got": {"value": {"name": "Ada"}, "version": 1}}],
            [{"op": "incr", "ns": "attempts", "key": "u1", "delta": 1, "ttl_secs": 300},
             {"incremented": 1}],
            [{"op": "put", "ns": "sessions", "key": "s1", "value": {"user": "u1"},
              "ttl_secs": 3600, "expect": "absent"},
             {"put": {"written": {"version": 3}}}],
        ])
    );
}

#[test]
fn a_lost_answer_fails_the_flow_though_the_write_landed() {
    let mut store = Recorder::new(FaultStore::fail_nth(seeded(), 2).after_applying());
    let mut flow = open_session("u1", "s1");
    assert_eq!(
        flow.run(&mut store).unwrap_err().code(),
        ErrorCode::StoreUnavailable
    );
    // The recorder sits outside the fault wrapper, so both saw the failure...
    assert_eq!(store.log(), flow.transcript());
    // ...while the memory store underneath did write the session.
    let (fault, _) = store.into_parts();
    assert!(session_exists(fault.inner(), "s1"));
}
