"""The flow protocol from Python: step by step, misuse, store failures, and the dict store
held to the same answers as the embedded MemoryStore."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

import tenxyte_core as t
from conftest import PASSWORD, T0, make_engine
from dict_store import DictStore
from tenxyte_core._drive import _execute


def login_flow(engine: t.Engine) -> t.Flow:
    return engine.flow("login", now=T0, request={"email": "ann@example.com", "password": PASSWORD})


@pytest.fixture
def engine() -> t.Engine:
    e = make_engine(DictStore(clock=lambda: T0))
    e.register(email="ann@example.com", password=PASSWORD, now=T0)
    return e


def test_step_by_step_with_json_dicts(engine: t.Engine) -> None:
    flow = login_flow(engine)
    step = flow.start()
    assert step is not None
    seq, op = step
    assert seq == 1
    assert op["op"] in ("get", "incr")
    assert set(op) >= {"op", "ns", "key"}
    answered = 0
    while step is not None:
        seq, op = step
        step = flow.resume(seq, _execute(engine.store, op))
        answered += 1
    assert flow.finished
    tokens = flow.result()
    assert tokens["token_type"] == "Bearer"
    transcript = flow.transcript()
    assert len(transcript) == answered
    assert transcript[0][0]["op"] == op_kind(transcript[0][1])


def op_kind(result: dict[str, Any]) -> str:
    (tag,) = result
    return {
        "got": "get",
        "put": "put",
        "deleted": "delete",
        "incremented": "incr",
        "listed": "list",
        "sent": "send_message",
        "responded": "http_request",
    }[tag]


def test_misuse_is_refused_without_advancing(engine: t.Engine) -> None:
    flow = login_flow(engine)
    with pytest.raises(t.InputError) as e:
        flow.resume(1, {"got": None})
    assert e.value.code == "flow_protocol"
    with pytest.raises(t.InputError):
        flow.result()
    step = flow.start()
    assert step is not None
    with pytest.raises(t.InputError):
        flow.start()
    seq, op = step
    with pytest.raises(t.InputError) as stale:
        flow.resume(seq + 1, {"got": None})
    assert stale.value.details == {"expected_seq": seq, "seq": seq + 1}
    with pytest.raises(t.InputError):
        flow.resume(seq, {"deleted": True} if op["op"] != "delete" else {"got": None})
    with pytest.raises(t.InputError):
        flow.resume(seq, {"got": {"value": 1, "version": 0}, "extra": 1})
    with pytest.raises(t.InputError):
        flow.resume(seq, {"got": {"value": object()}})  # not JSON
    # Still waiting for the same operation: answer it properly and finish.
    while step is not None:
        seq, op = step
        step = flow.resume(seq, _execute(engine.store, op))
    assert flow.result()["access_token"]
    with pytest.raises(t.InputError):
        flow.resume(seq, {"got": None})
    with pytest.raises(t.InputError):
        flow.run(t.MemoryStore())


def test_embedded_run_refuses_a_python_store(engine: t.Engine) -> None:
    with pytest.raises(TypeError):
        login_flow(engine).run(DictStore())  # type: ignore[arg-type]


class Broken(DictStore):
    def incr(self, ns: str, key: str, delta: int, ttl_secs: int | None) -> int:
        raise ConnectionError("redis is down")

    def get(self, ns: str, key: str) -> Any:
        raise ConnectionError("redis is down")


def test_a_store_exception_fails_closed_and_is_chained() -> None:
    engine = make_engine(Broken(clock=lambda: T0))
    with pytest.raises(t.StoreError) as e:
        engine.login(email="ann@example.com", password=PASSWORD, now=T0)
    assert e.value.code == "store_unavailable"
    assert isinstance(e.value.__cause__, ConnectionError)
    # Over HTTP the same failure is a 503 answer.
    status, _, _ = engine.handle(
        "POST",
        "/api/v1/auth/login/email/",
        json={"email": "ann@example.com", "password": PASSWORD},
        now=T0,
    )
    assert status == 503


class NoMailer:
    """A store without send_message: messages fail, the flow reports delivery_failed."""

    def __init__(self) -> None:
        self.inner = DictStore(clock=lambda: T0)

    def __getattr__(self, name: str) -> Any:
        if name in ("send_message", "messages"):
            raise AttributeError(name)
        return getattr(self.inner, name)


def test_a_store_without_a_mailer_answers_failed_to_send_message() -> None:
    engine = make_engine(NoMailer())
    engine.register(email="bo@example.com", password=PASSWORD, now=T0)
    flow = engine.http_flow(
        "POST",
        "/api/v1/auth/password/reset/request/",
        now=T0,
        headers=[("Content-Type", "application/json")],
        body=b'{"email": "bo@example.com"}',
    )
    status, _, _ = t.drive(flow, engine.store)
    sends = [(op, result) for op, result in flow.transcript() if op["op"] == "send_message"]
    assert len(sends) == 1
    assert "failed" in sends[0][1]
    assert sends[0][0]["to"] == "bo@example.com"
    # The reset route answers alike whether or not a message went out (no enumeration).
    assert status == 200
    assert engine.messages() == []


def test_a_python_store_answers_like_the_memory_store(
    python_store: Callable[[Callable[[], int]], Any],
) -> None:
    """A differential run of docs/store.md's operations: same answers, op for op (the
    dict store and the Django-ORM store on each database)."""
    now = [T0]
    ours = python_store(lambda: now[0])
    memory = t.MemoryStore()
    ops: list[tuple[int, dict[str, Any]]] = [
        (0, {"op": "get", "ns": "u", "key": "a"}),
        (
            0,
            {
                "op": "put",
                "ns": "u",
                "key": "a",
                "value": {"n": 1},
                "ttl_secs": None,
                "expect": "absent",
            },
        ),
        (
            0,
            {
                "op": "put",
                "ns": "u",
                "key": "a",
                "value": {"n": 2},
                "ttl_secs": None,
                "expect": "absent",
            },
        ),
        (
            0,
            {
                "op": "put",
                "ns": "u",
                "key": "a",
                "value": {"n": 2},
                "ttl_secs": None,
                "expect": {"version": 9},
            },
        ),
        (
            0,
            {
                "op": "put",
                "ns": "u",
                "key": "a",
                "value": {"n": 3},
                "ttl_secs": 5,
                "expect": {"version": 1},
            },
        ),
        (4, {"op": "get", "ns": "u", "key": "a"}),
        (5, {"op": "get", "ns": "u", "key": "a"}),
        (5, {"op": "delete", "ns": "u", "key": "a"}),
        (
            5,
            {
                "op": "put",
                "ns": "u",
                "key": "a",
                "value": "again",
                "ttl_secs": None,
                "expect": "any",
            },
        ),
        (5, {"op": "delete", "ns": "u", "key": "a"}),
        (5, {"op": "delete", "ns": "u", "key": "a"}),
        (5, {"op": "incr", "ns": "c", "key": "k", "delta": 2, "ttl_secs": 10}),
        (9, {"op": "incr", "ns": "c", "key": "k", "delta": -5, "ttl_secs": 100}),
        (15, {"op": "incr", "ns": "c", "key": "k", "delta": 0, "ttl_secs": None}),
        (
            15,
            {
                "op": "put",
                "ns": "c",
                "key": "s",
                "value": "text",
                "ttl_secs": None,
                "expect": "any",
            },
        ),
        (15, {"op": "incr", "ns": "c", "key": "s", "delta": 1, "ttl_secs": None}),
        (
            15,
            {"op": "put", "ns": "i", "key": "o1/b", "value": 2, "ttl_secs": None, "expect": "any"},
        ),
        (
            15,
            {"op": "put", "ns": "i", "key": "o1/a", "value": 1, "ttl_secs": None, "expect": "any"},
        ),
        (
            15,
            {
                "op": "put",
                "ns": "i",
                "key": "o1/\u00e9",
                "value": 3,
                "ttl_secs": None,
                "expect": "any",
            },
        ),
        (15, {"op": "put", "ns": "i", "key": "o1/Z", "value": 0, "ttl_secs": 1, "expect": "any"}),
        (
            15,
            {"op": "put", "ns": "i", "key": "o2/a", "value": 9, "ttl_secs": None, "expect": "any"},
        ),
        (16, {"op": "list", "ns": "i", "prefix": "o1/", "limit": 2, "cursor": None}),
        (16, {"op": "list", "ns": "i", "prefix": "o1/", "limit": 2, "cursor": "o1/b"}),
        (16, {"op": "list", "ns": "i", "prefix": "", "limit": 10, "cursor": None}),
    ]
    for at, op in ops:
        now[0] = T0 + at
        theirs = memory.execute(op, now=T0 + at)
        try:
            mine = _execute(ours, op)
        except (ValueError, OverflowError):
            mine = {"failed": {}}
        if "failed" in theirs:
            assert "failed" in mine, (op, mine)
            continue
        # Both stores number versions from one counter: compare answers, versions included.
        assert normalise(mine) == theirs, op


def normalise(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [normalise(v) for v in value]
    return value


class AsyncStore:
    """The dict store behind ``async def`` methods, as an asyncio driver would have."""

    def __init__(self) -> None:
        self.inner = DictStore(clock=lambda: T0)
        self.awaited = 0

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.inner, name)

        async def call(**kwargs: Any) -> Any:
            await asyncio.sleep(0)
            self.awaited += 1
            return method(**kwargs)

        return call


def test_drive_async_awaits_an_async_store() -> None:
    store = AsyncStore()
    engine = make_engine(store)  # its sync methods are not used with an async store
    register = engine.flow(
        "register", request={"email": "as@example.com", "password": PASSWORD}, now=T0
    )
    reg = asyncio.run(t.drive_async(register, store))
    assert reg["user"]["email"] == "as@example.com"
    login = engine.flow("login", request={"email": "as@example.com", "password": PASSWORD}, now=T0)
    tokens = asyncio.run(t.drive_async(login, store))
    assert tokens["access_token"]
    assert store.awaited == len(register.transcript()) + len(login.transcript())


def test_an_async_store_under_the_sync_loop_fails_closed_with_a_hint() -> None:
    engine = make_engine(AsyncStore())
    with pytest.raises(t.StoreError) as e:
        engine.login(email="x@example.com", password=PASSWORD, now=T0)
    assert isinstance(e.value.__cause__, TypeError)
    assert "drive_async" in str(e.value.__cause__)
