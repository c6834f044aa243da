use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde_json::{json, Value};

use super::*;
use crate::store::{Expect, Op, OpResult, PutOutcome, Record, SyncStore};

/// A deliberately tiny store for driver tests: no TTL, versions from one counter, and an
/// optional failure at operation number `fail_at` (0-based).
#[derive(Default)]
struct TinyStore {
    data: HashMap<(String, String), Record>,
    next_version: u64,
    executed: usize,
    fail_at: Option<usize>,
}

impl TinyStore {
    fn version(&mut self) -> u64 {
        self.next_version += 1;
        self.next_version
    }
}

impl SyncStore for TinyStore {
    fn execute(&mut self, op: &Op) -> OpResult {
        let n = self.executed;
        self.executed += 1;
        if self.fail_at == Some(n) {
            return OpResult::failed("injected");
        }
        match op {
            Op::Get { ns, key } => {
                OpResult::Got(self.data.get(&(ns.clone(), key.clone())).cloned())
            }
            Op::Put {
                ns,
                key,
                value,
                expect,
                ..
            } => {
                let k = (ns.clone(), key.clone());
                let current = self.data.get(&k).map(|r| r.version);
                let ok = match expect {
                    Expect::Any => true,
                    Expect::Absent => current.is_none(),
                    Expect::Version(v) => current == Some(*v),
                };
                if !ok {
                    return OpResult::Put(PutOutcome::Conflict {
                        current_version: current,
                    });
                }
                let version = self.version();
                self.data.insert(
                    k,
                    Record {
                        value: value.clone(),
                        version,
                    },
                );
                OpResult::Put(PutOutcome::Written { version })
            }
            Op::Delete { ns, key } => {
                OpResult::Deleted(self.data.remove(&(ns.clone(), key.clone())).is_some())
            }
            Op::Incr { ns, key, delta, .. } => {
                let k = (ns.clone(), key.clone());
                let old = self
                    .data
                    .get(&k)
                    .and_then(|r| r.value.as_i64())
                    .unwrap_or(0);
                let version = self.version();
                self.data.insert(
                    k,
                    Record {
                        value: json!(old + delta),
                        version,
                    },
                );
                OpResult::Incremented(old + delta)
            }
            Op::List { .. } => OpResult::Listed {
                items: vec![],
                next_cursor: None,
            },
            Op::SendMessage(m) => OpResult::Sent(crate::store::Delivery {
                id: Some(format!("to:{}", m.to)),
            }),
            Op::HttpRequest(c) => OpResult::Responded(crate::store::HttpResponse {
                status: 200,
                headers: vec![],
                body: c.url.clone(),
            }),
        }
    }
}

#[derive(Debug, PartialEq)]
enum Outcome {
    Created { count: i64 },
    AlreadyThere { count: i64 },
}

/// The sample flow: read a record, count the attempt, then create the record only if it is
/// still absent. Written as a plain `async fn` borrowing the port across awaits.
async fn sample(port: &StorePort, id: &str) -> Result<Outcome> {
    let existing = port.get("things", id).await?;
    let count = port.incr("attempts", id, 1, Some(60)).await?;
    if existing.is_some() {
        return Ok(Outcome::AlreadyThere { count });
    }
    match port
        .put("things", id, json!({"id": id}), None, Expect::Absent)
        .await?
    {
        PutOutcome::Written { .. } => Ok(Outcome::Created { count }),
        PutOutcome::Conflict { .. } => Ok(Outcome::AlreadyThere { count }),
    }
}

fn sample_flow(id: &str) -> Flow<Outcome> {
    let id = id.to_owned();
    Flow::new(|port| async move { sample(&port, &id).await })
}

fn get(ns: &str, key: &str) -> Op {
    Op::Get {
        ns: ns.into(),
        key: key.into(),
    }
}

fn need<T>(step: Step<T>) -> (u32, Op) {
    match step {
        Step::Need { seq, op } => (seq, op),
        Step::Done(_) => panic!("expected Need"),
    }
}

fn done<T>(step: Step<T>) -> Result<T> {
    match step {
        Step::Done(r) => r,
        Step::Need { op, .. } => panic!("expected Done, got Need({op:?})"),
    }
}

#[test]
fn flow_is_send() {
    fn assert_send<T: Send>() {}
    assert_send::<Flow<()>>();
    assert_send::<Flow<Outcome>>();
    assert_send::<StorePort>();
}

#[test]
fn sample_flow_runs_and_its_transcript_is_the_expected_op_list() {
    let mut store = TinyStore::default();
    let mut flow = sample_flow("t1");
    assert_eq!(flow.run(&mut store).unwrap(), Outcome::Created { count: 1 });
    let expected = vec![
        (get("things", "t1"), OpResult::Got(None)),
        (
            Op::Incr {
                ns: "attempts".into(),
                key: "t1".into(),
                delta: 1,
                ttl_secs: Some(60),
            },
            OpResult::Incremented(1),
        ),
        (
            Op::Put {
                ns: "things".into(),
                key: "t1".into(),
                value: json!({"id": "t1"}),
                ttl_secs: None,
                expect: Expect::Absent,
            },
            OpResult::Put(PutOutcome::Written { version: 2 }),
        ),
    ];
    assert_eq!(flow.transcript(), expected.as_slice());
    assert!(flow.is_finished());

    // The second run sees the record: two operations, no write.
    let mut again = sample_flow("t1");
    assert_eq!(
        again.run(&mut store).unwrap(),
        Outcome::AlreadyThere { count: 2 }
    );
    assert_eq!(again.transcript().len(), 2);
    assert_eq!(
        run_sync(sample_flow("t2"), &mut store).unwrap(),
        Outcome::Created { count: 1 }
    );
}

#[test]
fn sequence_numbers_count_from_one_and_a_stale_or_repeated_seq_is_refused() {
    let mut flow = sample_flow("a");
    let (seq1, op1) = need(flow.start().unwrap());
    assert_eq!((seq1, op1), (1, get("things", "a")));
    let (seq2, _) = need(flow.resume(1, OpResult::Got(None)).unwrap());
    assert_eq!(seq2, 2);
    // The answer to operation 1, delivered twice (a retried host call), is stale now
    // even though "got" would not fit anyway; an incremented with seq 1 is the dangerous
    // case: the right kind for the wrong operation.
    let e = flow.resume(1, OpResult::Incremented(99)).unwrap_err();
    assert_eq!(e.code(), ErrorCode::FlowProtocol);
    assert_eq!(e.details().unwrap()["expected_seq"], 2);
    let e = flow.resume(3, OpResult::Incremented(99)).unwrap_err();
    assert_eq!(e.code(), ErrorCode::FlowProtocol);
    // Not advanced: the right answer still works and 99 was never seen.
    let (seq3, op3) = need(flow.resume(2, OpResult::Incremented(1)).unwrap());
    assert_eq!(seq3, 3);
    assert!(matches!(op3, Op::Put { .. }));
    let out = done(
        flow.resume(3, OpResult::Put(PutOutcome::Written { version: 5 }))
            .unwrap(),
    );
    assert_eq!(out.unwrap(), Outcome::Created { count: 1 });
    assert_eq!(flow.transcript().len(), 3);
}

#[test]
fn a_result_of_the_wrong_kind_is_refused_without_advancing() {
    let mut flow = sample_flow("a");
    let (seq, _) = need(flow.start().unwrap());
    for wrong in [
        OpResult::Incremented(1),
        OpResult::Deleted(false),
        OpResult::Put(PutOutcome::Written { version: 1 }),
        OpResult::Listed {
            items: vec![],
            next_cursor: None,
        },
    ] {
        let e = flow.resume(seq, wrong).unwrap_err();
        assert_eq!(e.code(), ErrorCode::FlowProtocol);
        assert_eq!(e.details().unwrap()["expected"], "get");
    }
    // A record with version 0 breaks the contract and is refused too.
    let e = flow
        .resume(
            seq,
            OpResult::Got(Some(Record {
                value: json!(1),
                version: 0,
            })),
        )
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::FlowProtocol);
    assert!(flow.transcript().is_empty());
    let (seq2, _) = need(flow.resume(seq, OpResult::Got(None)).unwrap());
    assert_eq!(seq2, 2);
}

#[test]
fn malformed_put_and_list_results_are_refused() {
    let mut put_any =
        Flow::new(|port| async move { port.put("n", "k", json!(1), None, Expect::Any).await });
    let (seq, _) = need(put_any.start().unwrap());
    let conflict = OpResult::Put(PutOutcome::Conflict {
        current_version: Some(3),
    });
    assert_eq!(
        put_any.resume(seq, conflict).unwrap_err().code(),
        ErrorCode::FlowProtocol
    );

    let mut cas =
        Flow::new(
            |port| async move { port.put("n", "k", json!(1), None, Expect::Version(3)).await },
        );
    let (seq, _) = need(cas.start().unwrap());
    let same = OpResult::Put(PutOutcome::Conflict {
        current_version: Some(3),
    });
    assert_eq!(
        cas.resume(seq, same).unwrap_err().code(),
        ErrorCode::FlowProtocol
    );
    let genuine = OpResult::Put(PutOutcome::Conflict {
        current_version: Some(4),
    });
    assert_eq!(
        done(cas.resume(seq, genuine).unwrap()).unwrap(),
        PutOutcome::Conflict {
            current_version: Some(4)
        }
    );

    let mut create =
        Flow::new(|port| async move { port.put("n", "k", json!(1), None, Expect::Absent).await });
    let (seq, _) = need(create.start().unwrap());
    let phantom = OpResult::Put(PutOutcome::Conflict {
        current_version: None,
    });
    assert_eq!(
        create.resume(seq, phantom).unwrap_err().code(),
        ErrorCode::FlowProtocol
    );

    let rec = |v| Record {
        value: json!(null),
        version: v,
    };
    let mut list = Flow::new(|port| async move { port.list("m", "o1/", 2, Some("o1/b")).await });
    let (seq, _) = need(list.start().unwrap());
    let c = |k: &str| ("o1/".to_owned() + k, rec(1));
    let bad_pages = [
        // Longer than the limit.
        (vec![c("c"), c("d"), c("e")], None),
        // Outside the prefix.
        (vec![("o2/c".to_owned(), rec(1))], None),
        // Not after the cursor (the cursor is exclusive).
        (vec![c("b")], None),
        // Out of order.
        (vec![c("d"), c("c")], None),
        // A cursor that is not the last key, or a cursor after an empty page: a paging
        // flow would loop on either.
        (vec![c("c"), c("d")], Some("o1/c".to_owned())),
        (vec![], Some("o1/b".to_owned())),
    ];
    for (items, next_cursor) in bad_pages {
        let r = OpResult::Listed { items, next_cursor };
        assert_eq!(
            list.resume(seq, r).unwrap_err().code(),
            ErrorCode::FlowProtocol
        );
    }
    let good = OpResult::Listed {
        items: vec![("o1/c".to_owned(), rec(1))],
        next_cursor: Some("o1/c".into()),
    };
    let page = done(list.resume(seq, good).unwrap()).unwrap();
    assert_eq!(page.next_cursor.as_deref(), Some("o1/c"));
}

#[test]
fn list_limit_zero_never_reaches_the_store() {
    let mut flow = Flow::new(|port| async move { port.list("m", "", 0, None).await });
    let e = done(flow.start().unwrap()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidInput);
    assert!(flow.transcript().is_empty());
}

#[test]
fn resume_before_start_start_twice_and_after_done_are_refused() {
    let mut flow = sample_flow("a");
    assert_eq!(
        flow.resume(1, OpResult::Got(None)).unwrap_err().code(),
        ErrorCode::FlowProtocol
    );
    need(flow.start().unwrap());
    assert_eq!(flow.start().unwrap_err().code(), ErrorCode::FlowProtocol);

    let mut store = TinyStore::default();
    let mut flow = sample_flow("b");
    flow.run(&mut store).unwrap();
    assert_eq!(
        flow.resume(3, OpResult::Put(PutOutcome::Written { version: 9 }))
            .unwrap_err()
            .code(),
        ErrorCode::FlowProtocol
    );
    assert_eq!(flow.start().unwrap_err().code(), ErrorCode::FlowProtocol);
    // The refused results did not reach the store or the transcript.
    assert_eq!(store.executed, 3);
    assert_eq!(flow.transcript().len(), 3);
}

#[test]
fn a_flow_awaiting_a_foreign_future_stalls_instead_of_hanging() {
    let mut flow: Flow<()> = Flow::new(|port| async move {
        port.get("n", "k").await?;
        std::future::pending::<()>().await;
        Ok(())
    });
    let (seq, _) = need(flow.start().unwrap());
    let e = done(flow.resume(seq, OpResult::Got(None)).unwrap()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::FlowProtocol);
    assert!(e.message().contains("stalled"), "{}", e.message());
    assert!(flow.is_finished());
}

#[test]
fn several_operations_in_one_poll_end_the_flow_until_batches_exist() {
    let mut flow: Flow<()> = Flow::new(|port| async move {
        // Two operations polled together, as a join would do.
        let mut a = std::pin::pin!(port.get("n", "a"));
        let mut b = std::pin::pin!(port.get("n", "b"));
        std::future::poll_fn(|cx| {
            let _ = a.as_mut().poll(cx);
            let _ = b.as_mut().poll(cx);
            Poll::<()>::Pending
        })
        .await;
        Ok(())
    });
    let e = done(flow.start().unwrap()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::FlowProtocol);
}

#[test]
fn a_panic_in_the_flow_becomes_internal_and_poisons_it() {
    let dropped = Arc::new(AtomicBool::new(false));
    let guard = DropGuard(Arc::clone(&dropped));
    let mut flow: Flow<()> = Flow::new(|port| async move {
        let _guard = guard;
        let got = port.get("n", "k").await?;
        if got.is_none() {
            panic!("boom");
        }
        Ok(())
    });
    let (seq, _) = need(flow.start().unwrap());
    let e = done(flow.resume(seq, OpResult::Got(None)).unwrap()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Internal);
    assert!(e.message().contains("boom"));
    assert!(
        dropped.load(Ordering::SeqCst),
        "the future is dropped at once"
    );
    assert_eq!(
        flow.resume(seq, OpResult::Got(None)).unwrap_err().code(),
        ErrorCode::FlowProtocol
    );
}

struct DropGuard(Arc<AtomicBool>);

impl Drop for DropGuard {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[test]
fn dropping_a_flow_midway_cancels_it() {
    let dropped = Arc::new(AtomicBool::new(false));
    let guard = DropGuard(Arc::clone(&dropped));
    let mut store = TinyStore::default();
    let mut flow: Flow<Outcome> = Flow::new(|port| async move {
        let _guard = guard;
        sample(&port, "x").await
    });
    let (seq, op) = need(flow.start().unwrap());
    let (_, op) = need(flow.resume(seq, store.execute(&op)).unwrap());
    // The host runs the incr, then abandons the flow before the put.
    let _ = store.execute(&op);
    assert!(!dropped.load(Ordering::SeqCst));
    drop(flow);
    assert!(
        dropped.load(Ordering::SeqCst),
        "the future's locals were dropped"
    );
    // The prefix that ran stays done; the grant (the put) never happened.
    assert_eq!(store.executed, 2);
    assert!(!store.data.contains_key(&("things".into(), "x".into())));
}

#[test]
fn a_flow_moves_across_threads_between_steps() {
    let mut flow = sample_flow("m");
    let (seq, _) = need(flow.start().unwrap());
    let handle = std::thread::spawn(move || {
        let step = flow.resume(seq, OpResult::Got(None)).unwrap();
        (flow, need(step))
    });
    let (mut flow, (seq, _)) = handle.join().unwrap();
    let (seq, _) = need(flow.resume(seq, OpResult::Incremented(1)).unwrap());
    let out = done(
        flow.resume(seq, OpResult::Put(PutOutcome::Written { version: 1 }))
            .unwrap(),
    );
    assert_eq!(out.unwrap(), Outcome::Created { count: 1 });
}

#[test]
fn a_store_failure_at_each_position_is_store_unavailable_and_grants_nothing() {
    for position in 0..3 {
        let mut store = TinyStore {
            fail_at: Some(position),
            ..TinyStore::default()
        };
        let mut flow = sample_flow("f");
        let e = flow.run(&mut store).unwrap_err();
        assert_eq!(e.code(), ErrorCode::StoreUnavailable, "position {position}");
        assert_eq!(e.category(), crate::Category::Store);
        assert!(e.message().contains("injected"));
        // The flow stopped at the failure: no operation after it was asked for.
        assert_eq!(store.executed, position + 1);
        assert_eq!(flow.transcript().len(), position + 1);
        assert!(matches!(
            flow.transcript().last().unwrap().1,
            OpResult::Failed { .. }
        ));
        assert!(!store.data.contains_key(&("things".into(), "f".into())));
    }
}

#[test]
fn execute_passes_through_raw_results_and_maps_failure() {
    let mut flow = Flow::new(|port| async move {
        let first = port.execute(get("n", "k")).await?;
        let second = port.execute(get("n", "k")).await;
        Ok::<_, Error>((first, second.map_err(|e| e.code())))
    });
    let (seq, _) = need(flow.start().unwrap());
    let (seq, _) = need(
        flow.resume(
            seq,
            OpResult::Got(Some(Record {
                value: Value::Null,
                version: 1,
            })),
        )
        .unwrap(),
    );
    let (first, second) = done(flow.resume(seq, OpResult::failed("x")).unwrap()).unwrap();
    assert!(matches!(first, OpResult::Got(Some(_))));
    assert_eq!(second, Err(ErrorCode::StoreUnavailable));
}

fn note(to: &str) -> crate::store::Message {
    crate::store::Message {
        channel: crate::store::Channel::Sms,
        to: to.into(),
        template: "login_code".into(),
        subject: String::new(),
        text: "code 1".into(),
        data: json!({}),
    }
}

#[test]
fn effects_are_driven_like_store_operations_and_fail_with_their_own_codes() {
    let make = || {
        Flow::new(|port| async move {
            let d = port.send_message(note("+15550100")).await?;
            let r = port
                .http(crate::store::HttpCall {
                    method: "GET".into(),
                    url: "https://h/range/ABCDE".into(),
                    headers: vec![],
                    body: None,
                    timeout_ms: 10,
                })
                .await?;
            Ok((d.id, r.body))
        })
    };
    let mut store = TinyStore::default();
    let got = run_sync(make(), &mut store).unwrap();
    assert_eq!(
        got,
        (Some("to:+15550100".into()), "https://h/range/ABCDE".into())
    );

    for (fail_at, code) in [
        (0, ErrorCode::DeliveryFailed),
        (1, ErrorCode::UpstreamUnavailable),
    ] {
        let mut store = TinyStore {
            fail_at: Some(fail_at),
            ..TinyStore::default()
        };
        assert_eq!(run_sync(make(), &mut store).unwrap_err().code(), code);
    }

    // A store result does not answer an effect, and a status outside 100..=599 is refused.
    let mut flow = make();
    let Step::Need { seq, .. } = flow.start().unwrap() else {
        panic!()
    };
    assert_eq!(
        flow.resume(seq, OpResult::Deleted(true))
            .unwrap_err()
            .code(),
        ErrorCode::FlowProtocol
    );
    let Step::Need { seq, .. } = flow
        .resume(seq, OpResult::Sent(crate::store::Delivery { id: None }))
        .unwrap()
    else {
        panic!()
    };
    let bad = OpResult::Responded(crate::store::HttpResponse {
        status: 999,
        headers: vec![],
        body: String::new(),
    });
    assert_eq!(
        flow.resume(seq, bad).unwrap_err().code(),
        ErrorCode::FlowProtocol
    );
}

#[test]
fn a_flow_runs_inside_another_and_its_operations_pass_through() {
    let inner = || {
        Flow::new(|port| async move {
            port.incr("c", "k", 2, None).await?;
            port.incr("c", "k", 3, None).await
        })
    };
    let outer = Flow::new(move |port| async move {
        let v = port.run_flow(inner()).await?;
        let d = port.send_message(note("+15550100")).await?;
        Ok((v, d.id))
    });
    let mut store = TinyStore::default();
    let mut outer = outer;
    let got = outer.run(&mut store).unwrap();
    assert_eq!(got, (5, Some("to:+15550100".into())));
    // The outer transcript holds the inner flow's operations, in order.
    assert_eq!(outer.transcript().len(), 3);
    // A store failure inside the inner flow fails the outer one closed.
    let mut failing = TinyStore {
        fail_at: Some(1),
        ..TinyStore::default()
    };
    let e = run_sync(
        Flow::new(move |port| async move { port.run_flow(inner()).await }),
        &mut failing,
    )
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::StoreUnavailable);
}
