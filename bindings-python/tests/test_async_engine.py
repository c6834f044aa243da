"""AsyncEngine: the same flows as Engine, awaited; an async store driven on the loop, the
embedded and synchronous stores in worker threads; agent caps under asyncio.gather."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

import tenxyte_core as t
from conftest import PASSWORD, T0, make_async_engine, make_engine
from dict_store import AsyncDictStore, DictStore

R = TypeVar("R")

AGENTS = {"enabled": True}


@pytest.fixture(params=["async-dict", "memory", "sqlite", "sync-dict"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[object]:
    if request.param == "async-dict":
        yield AsyncDictStore(clock=lambda: T0)
    elif request.param == "memory":
        yield t.MemoryStore()
    elif request.param == "sqlite":
        yield t.SqliteStore(tmp_path / "tenxyte.sqlite")
    else:
        yield DictStore(clock=lambda: T0)


def run(awaitable: Awaitable[R]) -> R:
    async def main() -> R:
        return await awaitable

    return asyncio.run(main())


def test_the_quickstart_awaited(store: object) -> None:
    engine = make_async_engine(store)

    async def story() -> None:
        reg = await engine.register(email="Ann@Example.com", password=PASSWORD, now=T0)
        assert reg["user"]["email"] == "ann@example.com"
        with pytest.raises(t.AuthError) as wrong:
            await engine.login(email="ann@example.com", password="not-it", now=T0)
        assert wrong.value.code == "invalid_credentials"
        tokens = await engine.login(email="ann@example.com", password=PASSWORD, now=T0)
        me = await engine.me(tokens["access_token"], now=T0)
        assert me["user"]["email"] == "ann@example.com"
        who = await engine.authenticate(tokens["access_token"], now=T0)
        assert who["session_id"] == me["session_id"]
        rotated = await engine.refresh(tokens["refresh_token"], now=T0 + 1)
        assert rotated["refresh_token"] != tokens["refresh_token"]
        with pytest.raises(t.AuthError):
            await engine.refresh(tokens["refresh_token"], now=T0 + 2)  # reuse: family revoked
        again = await engine.login(email="ann@example.com", password=PASSWORD, now=T0)
        await engine.logout(again["access_token"], now=T0)
        with pytest.raises(t.AuthError) as revoked:
            await engine.me(again["access_token"], now=T0)
        assert revoked.value.code == "token_revoked"
        other = await engine.login(email="ann@example.com", password=PASSWORD, now=T0)
        await engine.logout_all(other["access_token"], now=T0)
        with pytest.raises(t.AuthError):
            await engine.me(other["access_token"], now=T0)

    run(story())


def test_handle_and_guard_answer_as_the_sync_engine(store: object) -> None:
    engine = make_async_engine(store)

    async def story() -> None:
        status, headers, body = await engine.handle(
            "POST",
            "/api/v1/auth/register/",
            json={"email": "bo@example.com", "password": PASSWORD, "login": True},
            now=T0,
        )
        assert status == 201, body
        assert ("cache-control", "no-store") in [(k.lower(), v) for k, v in headers]
        access = json.loads(body)["tokens"]["access_token"]
        allowed = await engine.guard(
            "GET",
            "/mine",
            headers={"Authorization": f"Bearer {access}"},
            requirements=[{"type": "permission", "code": "content.view"}],
            now=T0,
        )
        assert allowed[0] == "allow"
        assert allowed[1]["kind"] == "user"
        refused = await engine.guard(
            "GET",
            "/mine",
            headers={"Authorization": f"Bearer {access}"},
            requirements=[{"type": "permission", "code": "system.logs"}],
            now=T0,
        )
        assert refused[0] == "respond"
        status, _, body = refused[1]
        assert (status, json.loads(body)["code"]) == (403, "permission_required")
        messages = await engine.messages()
        assert isinstance(messages, list)

    run(story())


def test_a_refusal_is_the_same_response_as_the_sync_engine() -> None:
    sync = make_engine(t.MemoryStore()).guard("GET", "/mine", now=T0)
    awaited = run(make_async_engine(t.MemoryStore()).guard("GET", "/mine", now=T0))
    assert awaited == sync
    assert sync[0] == "respond"
    assert sync[1][0] == 401


def test_flows_can_still_be_driven_by_hand(store: object) -> None:
    engine = make_async_engine(store)
    flow = engine.flow("register", request={"email": "cy@example.com", "password": PASSWORD})
    assert isinstance(flow, t.Flow)
    result = run(engine.run(flow))
    assert result["user"]["email"] == "cy@example.com"
    assert flow.finished
    http = engine.http_flow("GET", "/api/v1/auth/password/requirements/", now=T0)
    status, _, _ = run(engine.run(http))
    assert status == 200
    assert engine.settings() == make_engine(t.MemoryStore()).settings()
    assert engine.jwks() == make_engine(t.MemoryStore()).jwks()
    assert "/api/v1/auth/register/" in engine.openapi()["paths"]


def test_the_event_loop_keeps_running_during_a_flow(store: object) -> None:
    """Another task gets turns while a flow runs: over the embedded and synchronous stores
    the flow is in a worker thread, over the async store it yields at every operation.
    A flow run inline on the loop would finish before the ticker's first turn."""
    engine = make_async_engine(store)

    async def story() -> int:
        done = False
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while not done:
                ticks += 1
                await asyncio.sleep(0)

        task = asyncio.create_task(ticker())
        await engine.register(email="dee@example.com", password=PASSWORD, now=T0)
        done = True
        await task
        return ticks

    assert run(story()) > 0


def test_an_async_store_sees_every_operation() -> None:
    store = AsyncDictStore(clock=lambda: T0)
    engine = make_async_engine(store)
    flow = engine.flow("register", request={"email": "ed@example.com", "password": PASSWORD})
    run(engine.run(flow))
    assert store.awaited == len(flow.transcript()) > 0
    assert engine.store is store


def test_a_failing_async_store_fails_closed_with_its_exception() -> None:
    class Down(AsyncDictStore):
        async def get(self, ns: str, key: str) -> Any:
            raise ConnectionError("database is down")

    engine = make_async_engine(Down(clock=lambda: T0))
    with pytest.raises(t.StoreError) as e:
        run(engine.login(email="x@example.com", password=PASSWORD, now=T0))
    assert e.value.code == "store_unavailable"
    assert isinstance(e.value.__cause__, ConnectionError)


# ----- agents under concurrency ---------------------------------------------------------


async def delegate(engine: t.AsyncEngine, email: str, **caps: Any) -> str:
    await engine.register(email=email, password=PASSWORD, now=T0)
    tokens = await engine.login(email=email, password=PASSWORD, now=T0)
    created = await engine.create_agent_token(
        tokens["access_token"], permissions=["content.view"], now=T0, **caps
    )
    raw: str = created["raw_token"]
    return raw


async def burst(engine: t.AsyncEngine, raw: str, n: int) -> list[dict[str, Any]]:
    return list(
        await asyncio.gather(
            *(
                engine.authorize_agent(
                    raw, method="GET", path="/articles", permission="content.view", now=T0
                )
                for _ in range(n)
            )
        )
    )


@pytest.mark.parametrize(
    ("breaker", "codes"),
    [
        (
            {"max_requests_per_minute": 1000, "max_requests_total": 7},
            {"request_limit_reached", "agent_token_suspended"},
        ),
        ({"max_requests_per_minute": 5, "max_requests_total": 1000}, {"rate_limited"}),
    ],
    ids=["total", "per-minute"],
)
def test_concurrent_agent_calls_never_pass_a_cap(
    store: object, breaker: dict[str, int], codes: set[str]
) -> None:
    """Four times the cap at once, interleaved at every store operation (async store) or
    in parallel threads (embedded stores): exactly the cap passes, the store's atomic
    counters decide."""
    engine = make_async_engine(store, agents=AGENTS)
    limit = min(breaker.values())

    async def story() -> list[dict[str, Any]]:
        raw = await delegate(engine, "fe@example.com", circuit_breaker=breaker)
        return await burst(engine, raw, 4 * limit)

    decisions = run(story())
    allowed = [d for d in decisions if d["outcome"] == "allowed"]
    denied = {d["code"] for d in decisions if d["outcome"] == "denied"}
    assert len(allowed) == limit
    assert len(decisions) == 4 * limit
    assert denied and denied <= codes, denied
