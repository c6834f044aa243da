"""A pure-Python store over a dict, written from docs/store.md's contract.

Per key: linearizable (one lock), versions from one store-wide counter (never reused,
even after a delete or an expiry), compare-and-swap on ``expect``, atomic ``incr`` whose
TTL is set on creation only, TTL expiry at ``now + ttl`` for every operation, and
``list`` in ascending byte order of the UTF-8 key. Values are kept as JSON text, as a
database would. Messages are logged, as ``tenxyte_stores::Outbox`` does.
"""

from __future__ import annotations

import asyncio
import builtins
import json
import threading
import time
from collections.abc import Callable
from typing import Any, Optional

from tenxyte_core._drive import Delivery, Expect, Page, PutResult, Record

I64_MAX = 2**63 - 1
I64_MIN = -(2**63)

_Row = tuple[str, int, Optional[int]]  # (json text, version, expires_at)


class DictStore:
    def __init__(self, clock: Callable[[], int] | None = None) -> None:
        self._clock = clock or (lambda: int(time.time()))
        self._rows: dict[tuple[str, str], _Row] = {}
        self._version = 0
        self._lock = threading.Lock()
        self._messages: list[dict[str, Any]] = []
        self.calls: list[str] = []

    # ----- helpers (call with the lock held) -------------------------------------------

    def _live(self, ns: str, key: str) -> _Row | None:
        row = self._rows.get((ns, key))
        if row is None:
            return None
        if row[2] is not None and row[2] <= self._clock():
            del self._rows[(ns, key)]
            return None
        return row

    def _next_version(self) -> int:
        self._version += 1
        return self._version

    def _expiry(self, ttl_secs: int | None) -> int | None:
        return None if ttl_secs is None else self._clock() + ttl_secs

    # ----- the five operations ----------------------------------------------------------

    def get(self, ns: str, key: str) -> Record | None:
        with self._lock:
            self.calls.append("get")
            row = self._live(ns, key)
            if row is None:
                return None
            return {"value": json.loads(row[0]), "version": row[1]}

    def put(self, ns: str, key: str, value: Any, ttl_secs: int | None, expect: Expect) -> PutResult:
        with self._lock:
            self.calls.append("put")
            row = self._live(ns, key)
            current = None if row is None else row[1]
            if expect == "absent" and row is not None:
                return {"conflict": {"current_version": current}}
            if isinstance(expect, dict) and current != expect["version"]:
                return {"conflict": {"current_version": current}}
            version = self._next_version()
            self._rows[(ns, key)] = (json.dumps(value), version, self._expiry(ttl_secs))
            return {"written": {"version": version}}

    def delete(self, ns: str, key: str) -> bool:
        with self._lock:
            self.calls.append("delete")
            if self._live(ns, key) is None:
                return False
            del self._rows[(ns, key)]
            return True

    def incr(self, ns: str, key: str, delta: int, ttl_secs: int | None) -> int:
        with self._lock:
            self.calls.append("incr")
            row = self._live(ns, key)
            if row is None:
                current, expires = 0, self._expiry(ttl_secs)
            else:
                value = json.loads(row[0])
                if not isinstance(value, int) or isinstance(value, bool):
                    raise ValueError(f"{ns}/{key} is not a counter")
                current, expires = value, row[2]
            new = current + delta
            if not I64_MIN <= new <= I64_MAX:
                raise OverflowError("counter past the i64 range")
            self._rows[(ns, key)] = (json.dumps(new), self._next_version(), expires)
            return new

    def list(self, ns: str, prefix: str, limit: int, cursor: str | None) -> Page:
        with self._lock:
            self.calls.append("list")
            keys = sorted(
                (k for (n, k) in builtins.list(self._rows) if n == ns and k.startswith(prefix)),
                key=lambda k: k.encode(),
            )
            items: builtins.list[tuple[str, Record]] = []
            more = False
            for k in keys:
                if cursor is not None and k.encode() <= cursor.encode():
                    continue
                row = self._live(ns, k)
                if row is None:
                    continue
                if len(items) == limit:
                    more = True
                    break
                items.append((k, {"value": json.loads(row[0]), "version": row[1]}))
            return {"items": items, "next_cursor": items[-1][0] if more and items else None}

    # ----- outbound effects -------------------------------------------------------------

    def send_message(
        self, channel: str, to: str, template: str, subject: str, text: str, data: Any
    ) -> Delivery:
        with self._lock:
            msg_id = f"py-{len(self._messages) + 1}"
            self._messages.append(
                {
                    "id": msg_id,
                    "channel": channel,
                    "to": to,
                    "template": template,
                    "subject": subject,
                    "text": text,
                    "data": data,
                }
            )
            return {"id": msg_id}

    def messages(self) -> builtins.list[dict[str, Any]]:
        with self._lock:
            return builtins.list(self._messages)

    def __len__(self) -> int:
        with self._lock:
            return sum(1 for (ns, k) in builtins.list(self._rows) if self._live(ns, k) is not None)


class AsyncDictStore:
    """:class:`DictStore` behind ``async def`` methods, as an asyncio store would be.

    Each method yields to the event loop before it runs, so flows driven concurrently
    (``asyncio.gather``) interleave between any two operations, as they would over a
    network database; ``awaited`` counts the operations.
    """

    def __init__(self, clock: Callable[[], int] | None = None) -> None:
        self.inner = DictStore(clock=clock)
        self.awaited = 0

    async def _turn(self) -> None:
        await asyncio.sleep(0)
        self.awaited += 1

    async def get(self, ns: str, key: str) -> Record | None:
        await self._turn()
        return self.inner.get(ns, key)

    async def put(
        self, ns: str, key: str, value: Any, ttl_secs: int | None, expect: Expect
    ) -> PutResult:
        await self._turn()
        return self.inner.put(ns, key, value, ttl_secs, expect)

    async def delete(self, ns: str, key: str) -> bool:
        await self._turn()
        return self.inner.delete(ns, key)

    async def incr(self, ns: str, key: str, delta: int, ttl_secs: int | None) -> int:
        await self._turn()
        return self.inner.incr(ns, key, delta, ttl_secs)

    async def list(self, ns: str, prefix: str, limit: int, cursor: str | None) -> Page:
        await self._turn()
        return self.inner.list(ns, prefix, limit, cursor)

    async def send_message(
        self, channel: str, to: str, template: str, subject: str, text: str, data: Any
    ) -> Delivery:
        await self._turn()
        return self.inner.send_message(channel, to, template, subject, text, data)

    async def messages(self) -> builtins.list[dict[str, Any]]:
        return self.inner.messages()
