"""Hashing and flows release the GIL: another Python thread keeps running meanwhile.

While a thread is inside argon2 (a few hundred milliseconds here), the main thread counts
loop iterations. If the native call held the GIL, the main thread could not run at all
until the hash finished and would count almost nothing.
"""

from __future__ import annotations

import threading
import time
from typing import Callable

import tenxyte_core as t
from conftest import HMAC_KEYS, PASSWORD, SETTINGS, T0
from tenxyte_core import password

# 64 MiB, 3 passes: long enough (>= 100 ms on any machine) to measure.
MEMORY_KIB, ITERATIONS = 65_536, 3
COST = {"memory_kib": MEMORY_KIB, "iterations": ITERATIONS}


def iterations_while(work: Callable[[], object]) -> tuple[int, float]:
    started = threading.Event()
    done = threading.Event()

    def run() -> None:
        started.set()
        try:
            work()
        finally:
            done.set()

    thread = threading.Thread(target=run)
    begin = time.perf_counter()
    thread.start()
    started.wait()
    count = 0
    while not done.is_set():
        count += 1
    elapsed = time.perf_counter() - begin
    thread.join()
    return count, elapsed


def test_password_hash_releases_the_gil() -> None:
    count, elapsed = iterations_while(
        lambda: password.hash(PASSWORD, memory_kib=MEMORY_KIB, iterations=ITERATIONS)
    )
    assert elapsed > 0.02, "the hash was too fast to tell"
    # Python manages millions of bare loop iterations per second; a held GIL allows ~0.
    assert count > 10_000, (count, elapsed)


def test_password_verify_releases_the_gil() -> None:
    encoded = password.hash(PASSWORD, memory_kib=MEMORY_KIB, iterations=ITERATIONS)
    count, _ = iterations_while(
        lambda: password.verify(PASSWORD, encoded, memory_kib=MEMORY_KIB, iterations=ITERATIONS)
    )
    assert count > 10_000


def test_an_engine_flow_on_an_embedded_store_releases_the_gil() -> None:
    settings = dict(SETTINGS, password={"argon2": COST})
    engine = t.Engine(settings, keys=HMAC_KEYS, store=t.MemoryStore())
    engine.register(email="gil@example.com", password=PASSWORD, now=T0)
    count, _ = iterations_while(
        lambda: engine.login(email="gil@example.com", password=PASSWORD, now=T0)
    )
    assert count > 10_000


def test_threads_share_one_engine_and_store() -> None:
    engine = t.Engine(SETTINGS, keys=HMAC_KEYS, store=t.MemoryStore())
    errors: list[BaseException] = []

    def user(i: int) -> None:
        try:
            email = f"u{i}@example.com"
            engine.register(email=email, password=PASSWORD, now=T0)
            tokens = engine.login(email=email, password=PASSWORD, now=T0)
            assert engine.me(tokens["access_token"], now=T0)["user"]["email"] == email
        except BaseException as e:  # collected and re-raised in the main thread
            errors.append(e)

    threads = [threading.Thread(target=user, args=(i,)) for i in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
