"""Driving a flow over a store written in Python.

A flow asks for one operation at a time (``docs/store.md`` in the repository): ``drive``
calls the store method named by the operation with the operation's other fields as
keyword arguments, wraps what it returns into the result dict, and resumes the flow.
An exception from the store becomes a ``{"failed": ...}`` result: the flow fails closed
(``store_unavailable``) and the original exception is chained as ``__cause__``.
"""

from __future__ import annotations

import inspect
from typing import Any, Literal, Protocol, TypedDict, Union, runtime_checkable

from ._errors import TenxyteError
from ._native import Flow

__all__ = [
    "Conflict",
    "Delivery",
    "Expect",
    "HttpAnswer",
    "Page",
    "PutResult",
    "Record",
    "Store",
    "Written",
    "drive",
    "drive_async",
]


class Record(TypedDict):
    """A stored document and its version (>= 1, strictly increasing per key)."""

    value: Any
    version: int


class _WrittenBody(TypedDict):
    version: int


class _ConflictBody(TypedDict):
    current_version: int | None


class Written(TypedDict):
    """``put`` wrote the record: ``{"written": {"version": n}}``."""

    written: _WrittenBody


class Conflict(TypedDict):
    """``put``'s condition failed: ``{"conflict": {"current_version": n | None}}``."""

    conflict: _ConflictBody


PutResult = Union[Written, Conflict]

#: ``"any"``, ``"absent"`` or ``{"version": n}``.
Expect = Union[Literal["any", "absent"], dict[str, int]]


class Page(TypedDict):
    """One ``list`` page: ``[key, record]`` pairs in ascending byte order of the key."""

    items: list[tuple[str, Record]]
    next_cursor: str | None


class Delivery(TypedDict):
    """``send_message`` accepted the message."""

    id: str | None


class HttpAnswer(TypedDict):
    """``http_request``'s response (any status; a transport error is an exception)."""

    status: int
    headers: list[tuple[str, str]]
    body: str


@runtime_checkable
class Store(Protocol):
    """What a Python store implements (the consistency contract is docs/store.md's).

    Optional methods: ``send_message(channel, to, template, subject, text, data) ->
    Delivery`` and ``http_request(method, url, headers, body, timeout_ms) -> HttpAnswer``.
    Without them, a flow that sends a message ends with ``delivery_failed``.
    """

    def get(self, ns: str, key: str) -> Record | None: ...

    def put(
        self, ns: str, key: str, value: Any, ttl_secs: int | None, expect: Expect
    ) -> PutResult: ...

    def delete(self, ns: str, key: str) -> bool: ...

    def incr(self, ns: str, key: str, delta: int, ttl_secs: int | None) -> int: ...

    def list(self, ns: str, prefix: str, limit: int, cursor: str | None) -> Page: ...


_ANSWER = {
    "get": "got",
    "put": "put",
    "delete": "deleted",
    "incr": "incremented",
    "list": "listed",
    "send_message": "sent",
    "http_request": "responded",
}

_STORE_CODES = frozenset({"store_unavailable", "delivery_failed", "upstream_unavailable"})


def _call(store: object, op: dict[str, Any]) -> tuple[str, Any]:
    """Calls the store method for ``op``: ``(answer tag, what it returned)``."""
    kind = op["op"]
    method = getattr(store, kind, None)
    if method is None:
        if kind in ("send_message", "http_request"):
            return "failed", {"message": f"this store has no {kind} method"}
        raise TypeError(f"the store has no {kind} method")
    args = {k: v for k, v in op.items() if k != "op"}
    return _ANSWER[kind], method(**args)


def _execute(store: object, op: dict[str, Any]) -> dict[str, Any]:
    tag, payload = _call(store, op)
    if inspect.isawaitable(payload):
        close = getattr(payload, "close", None)
        if close is not None:
            close()  # never awaited: close it rather than leak a warning
        raise TypeError(f"the store's {op['op']} is async: drive this flow with drive_async")
    return {tag: payload}


def _failed(exc: Exception) -> dict[str, Any]:
    return {"failed": {"message": f"{type(exc).__name__}: {exc}"}}


def _finish(flow: Flow, failure: Exception | None) -> Any:
    try:
        return flow.result()
    except TenxyteError as err:
        if failure is not None and err.code in _STORE_CODES:
            raise err from failure
        raise


def drive(flow: Flow, store: object) -> Any:
    """Runs ``flow`` to its end over ``store`` and returns its result (or raises)."""
    step = flow.start()
    failure: Exception | None = None
    while step is not None:
        seq, op = step
        try:
            result = _execute(store, op)
        except Exception as exc:  # the store's failure is the flow's input, not ours
            failure = exc
            result = _failed(exc)
        step = flow.resume(seq, result)
    return _finish(flow, failure)


async def drive_async(flow: Flow, store: object) -> Any:
    """:func:`drive` for asyncio (or any awaitable-based loop): store methods may be
    ``async def`` or plain; each awaitable they return is awaited before resuming.

    Cancelling the task cancels the flow: operations already answered stay done, no
    further one is asked for (the core orders its writes so that this is safe).
    """
    step = flow.start()
    failure: Exception | None = None
    while step is not None:
        seq, op = step
        try:
            tag, payload = _call(store, op)
            if inspect.isawaitable(payload):
                payload = await payload
            result = {tag: payload}
        except Exception as exc:
            failure = exc
            result = _failed(exc)
        step = flow.resume(seq, result)
    return _finish(flow, failure)
