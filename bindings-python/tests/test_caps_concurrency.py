"""Agent caps under concurrency, from Python, on one SQLite file.

An agent token with a requests-per-minute cap, a total cap or a budget is hammered by
several threads of one process (Engine calls release the GIL over the embedded stores),
then by two processes (multiprocessing, spawn) that each open their own Engine on the
same file with the same keys: together they admit exactly the cap, never one more (the
counters are atomic) and never one less (calls racing a suspension do not count as
failures: docs/agents.md, "Failures").
The Rust equivalents are in stores/tests/service_agents.rs.
"""

from __future__ import annotations

import json
import multiprocessing
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import tenxyte_core as t
from conftest import PASSWORD, T0, make_engine

THREADS = 4
PER_THREAD = 40
PROC_REQUESTS = 100
CHARGE_MICRO = 1_000

# Caps below the attempts (THREADS * PER_THREAD = 160; 2 * PROC_REQUESTS = 200).
CAPS: dict[str, dict[str, Any]] = {
    "rpm": {"circuit_breaker": {"max_requests_per_minute": 37}},
    "total": {"circuit_breaker": {"max_requests_total": 53}},
    "budget": {"budget": {"limit_micro_usd": 45 * CHARGE_MICRO}},
}
PROC_CAPS: dict[str, dict[str, Any]] = {
    "rpm": {"circuit_breaker": {"max_requests_per_minute": 70}},
    # The preset's per-minute default (60) would bind first: lift it.
    "total": {"circuit_breaker": {"max_requests_total": 150, "max_requests_per_minute": 1000}},
    "budget": {"budget": {"limit_micro_usd": 90 * CHARGE_MICRO}},
}
EXPECTED = {"rpm": 37, "total": 53, "budget": 45}
PROC_EXPECTED = {"rpm": 70, "total": 150, "budget": 90}
REFUSAL = {"rpm": "rate_limited", "total": "request_limit_reached", "budget": "budget_exceeded"}


def engine_on(path: Path) -> t.Engine:
    """The same settings and keys in every thread and process (conftest's HMAC keys)."""
    return make_engine(t.SqliteStore(path), agents={"enabled": True})


def agent_token(engine: t.Engine, limits: dict[str, Any]) -> tuple[str, str]:
    """A human delegates content.view at T0 (a minute boundary: one RPM window)."""
    assert T0 % 60 == 0
    engine.register(email="ann@example.com", password=PASSWORD, now=T0)
    tokens = engine.login(email="ann@example.com", password=PASSWORD, now=T0)
    created = engine.create_agent_token(
        tokens["access_token"], permissions=["content.view"], now=T0, **limits
    )
    return created["raw_token"], created["token"]["id"]


def attempt(engine: t.Engine, cap: str, raw: str, token_id: str) -> tuple[bool, str | None]:
    """One request against the cap: an authorization, or a usage report for the budget.
    Returns (admitted, refusal code)."""
    if cap == "budget":
        status, _headers, body = engine.handle(
            "POST",
            f"/api/v1/auth/ai/tokens/{token_id}/report-usage/",
            headers={"Authorization": f"AgentBearer {raw}"},
            json={"cost_usd": CHARGE_MICRO},
            now=T0,
        )
        doc = json.loads(body)
        return status == 200 and doc["outcome"] == "allowed", doc.get("code")
    decision = engine.authorize_agent(
        raw, method="GET", path="/articles", permission="content.view", now=T0
    )
    return decision["outcome"] == "allowed", decision.get("code")


@pytest.mark.parametrize("cap", sorted(CAPS))
def test_threads_on_one_engine_admit_exactly_the_cap(cap: str, tmp_path: Path) -> None:
    engine = engine_on(tmp_path / "caps.sqlite")
    raw, token_id = agent_token(engine, CAPS[cap])
    barrier = threading.Barrier(THREADS)

    def worker() -> list[tuple[bool, str | None]]:
        barrier.wait()
        return [attempt(engine, cap, raw, token_id) for _ in range(PER_THREAD)]

    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = [o for f in [pool.submit(worker) for _ in range(THREADS)] for o in f.result()]
    admitted = sum(ok for ok, _ in outcomes)
    assert len(outcomes) == THREADS * PER_THREAD
    assert admitted == EXPECTED[cap], outcomes
    assert REFUSAL[cap] in {code for ok, code in outcomes if not ok}


def _child(
    path: str, raw: str, token_id: str, cap: str, barrier: Any, results: Any
) -> None:  # pragma: no cover - runs in the spawned processes
    engine = engine_on(Path(path))
    barrier.wait()
    admitted = sum(attempt(engine, cap, raw, token_id)[0] for _ in range(PROC_REQUESTS))
    results.put(admitted)


@pytest.mark.parametrize("cap", sorted(PROC_CAPS))
def test_two_processes_on_one_sqlite_file_admit_exactly_the_cap(cap: str, tmp_path: Path) -> None:
    path = tmp_path / "caps.sqlite"
    raw, token_id = agent_token(engine_on(path), PROC_CAPS[cap])
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    results = ctx.Queue()
    children = [
        ctx.Process(target=_child, args=(str(path), raw, token_id, cap, barrier, results))
        for _ in range(2)
    ]
    for child in children:
        child.start()
    per_process = [results.get(timeout=120) for _ in children]
    for child in children:
        child.join(timeout=60)
        assert child.exitcode == 0, "a child process failed"
    assert sum(per_process) == PROC_EXPECTED[cap], per_process
