"""The AI-agent token policy as pure decisions, for hosts that keep their own records.

:meth:`Engine.authorize_agent` looks the records up in the Engine's store and persists
the outcome. This module is the same decision without the store: the host passes the
records (the core's serde form, as ``Engine.create_agent_token`` returns them under
``"token"``) and its atomic counter, and persists the ``changes`` of the decision itself.

One call, the host's atomic ``incr`` as a callable::

    decision = agent.authorize(
        token, {"method": "GET", "path": "/articles", "permission": "content.view"},
        human={"roles": ["viewer"]},
        counters=lambda ns, key, delta, ttl_secs: redis_incr(ns, key, delta, ttl_secs),
    )
    if decision["decision"] == "allow": ...

or the two phases (:func:`begin` returns the increments to run, :func:`decide` decides on
the values they returned), for a host whose counters are batched or asynchronous.
The rest of a token's life is here too: :func:`charge` (usage reports against budgets),
:func:`heartbeat`, the delegating human's :func:`suspend`, :func:`reactivate`,
:func:`revoke`, and :func:`confirm_action` / :func:`deny_action` on a held request.

The decision is a dict: ``decision`` (``allow``, ``deny``, ``suspend``,
``needs_approval``), ``code`` (deny and suspend), ``changes`` (the state changes to apply
in order: ``put_token``, ``put_pending_action``, ``increment``, ``append_event``; each
record write names what a version conflict means). See ``docs/agents.md``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from . import _native
from ._native import Policy

__all__ = [
    "Counters",
    "authorize",
    "begin",
    "charge",
    "confirm_action",
    "decide",
    "default_pii_keys",
    "deny_action",
    "effective_status",
    "heartbeat",
    "reactivate",
    "redact",
    "revoke",
    "suspend",
]

#: ``(ns, key, delta, ttl_secs) -> new value``: the host's atomic increment (``delta`` 0
#: is a read; ``ttl_secs`` is set when the counter is created).
Counters = Callable[[str, str, int, "int | None"], int]


def _now(now: int | None) -> int:
    return int(time.time()) if now is None else now


def authorize(
    token: dict[str, Any],
    request: dict[str, Any],
    *,
    human: dict[str, Any] | None,
    counters: Counters,
    ancestors: Sequence[dict[str, Any]] = (),
    settings: dict[str, Any] | None = None,
    preset: str | None = None,
    policy: Policy | None = None,
    now: int | None = None,
    pending_action: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Decides one agent request, calling ``counters`` for each planned increment.

    ``token`` and ``ancestors`` (parent first) are agent-token records; ``request`` is
    ``{"method", "path", "body"?, "body_b64"?, "permission"?, "requires_approval"?,
    "trace_id"?, "confirmation"?}``. ``human`` is the delegating user as an RBAC subject
    plus ``is_active`` (default true), or None when the user no longer exists (then no
    permission is held). ``policy`` defaults to Tenxyte's; ``settings`` overrides the
    ``agents`` section of ``preset`` (default ``medium``). ``pending_action`` is the record
    whose ``confirmation_hash`` is ``secret.hash(request["confirmation"])``, if any.
    Malformed records raise :class:`InputError`; an exception from ``counters``
    propagates unchanged.
    """
    return _native.agent_authorize(
        token,
        request,
        human=human,
        counters=counters,
        now=_now(now),
        ancestors=ancestors,
        settings=settings,
        preset=preset,
        policy=policy,
        pending_action=pending_action,
    )


def begin(
    token: dict[str, Any],
    request: dict[str, Any],
    *,
    human: dict[str, Any] | None,
    ancestors: Sequence[dict[str, Any]] = (),
    settings: dict[str, Any] | None = None,
    preset: str | None = None,
    policy: Policy | None = None,
    now: int | None = None,
    pending_action: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Phase one: ``{"step": "decided", "decision"}`` when no counter is needed, else
    ``{"step": "count", "plan": {"now", "increments": [{"ns", "key", "delta",
    "ttl_secs"}]}}``. Run every increment, then :func:`decide` with the values by key."""
    return _native.agent_begin(
        token,
        request,
        human=human,
        now=_now(now),
        ancestors=ancestors,
        settings=settings,
        preset=preset,
        policy=policy,
        pending_action=pending_action,
    )


def decide(
    token: dict[str, Any],
    request: dict[str, Any],
    plan: dict[str, Any],
    values: dict[str, int],
    *,
    human: dict[str, Any] | None,
    ancestors: Sequence[dict[str, Any]] = (),
    settings: dict[str, Any] | None = None,
    preset: str | None = None,
    policy: Policy | None = None,
    pending_action: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Phase two: the decision on the values the plan's increments returned (keyed by
    counter key). The records must be the ones :func:`begin` planned on: a plan that does
    not match them is an :class:`InputError`, not a silent allow."""
    return _native.agent_decide(
        token,
        request,
        plan,
        values,
        human=human,
        ancestors=ancestors,
        settings=settings,
        preset=preset,
        policy=policy,
        pending_action=pending_action,
    )


def redact(value: Any, keys: Sequence[str] | None = None) -> Any:
    """A copy of ``value`` where every dict member named by ``keys`` (ASCII
    case-insensitively; default :func:`default_pii_keys`) is ``"***REDACTED***"``."""
    return _native.agent_redact(value, None if keys is None else list(keys))


def default_pii_keys() -> list[str]:
    """The keys the core redacts from agent audit details and pending-action payloads."""
    return _native.agent_default_pii_keys()


def effective_status(token: dict[str, Any], *, now: int | None = None) -> dict[str, Any]:
    """The token's status at ``now``, evaluated lazily: ``{"active", "code", "update",
    "suspended"}``. ``update`` is the record to persist when the status changed at ``now``
    (it just expired, or its heartbeat went missing: ``suspended`` then names the
    reason)."""
    return _native.agent_effective_status(token, _now(now))


def charge(
    token: dict[str, Any],
    cost: int | str | float,
    *,
    counters: Counters,
    ancestors: Sequence[dict[str, Any]] = (),
    settings: dict[str, Any] | None = None,
    preset: str | None = None,
    now: int | None = None,
) -> dict[str, Any]:
    """A usage report: ``cost`` in integer micro-USD, or USD as a decimal string (exact)
    or a float, charged to the token and every ancestor through ``counters``. A refused
    report's decision carries the increments that take the charge back."""
    return _native.agent_charge(
        token,
        cost,
        counters=counters,
        now=_now(now),
        ancestors=ancestors,
        settings=settings,
        preset=preset,
    )


def suspend(token: dict[str, Any], *, actor: str, now: int | None = None) -> dict[str, Any]:
    """The delegating human (``actor``, a user id) suspends the token:
    ``{"token", "event", "changes"}``. Anyone else is refused (``not_delegating_user``)."""
    return _native.agent_lifecycle("suspend", token, actor, _now(now))


def reactivate(token: dict[str, Any], *, actor: str, now: int | None = None) -> dict[str, Any]:
    """The delegating human reactivates a suspended token (``changes`` may delete the
    failure counter); a revoked or expired token stays dead."""
    return _native.agent_lifecycle("reactivate", token, actor, _now(now))


def revoke(token: dict[str, Any], *, actor: str, now: int | None = None) -> dict[str, Any]:
    """The delegating human revokes the token for good."""
    return _native.agent_lifecycle("revoke", token, actor, _now(now))


def heartbeat(token: dict[str, Any], *, now: int | None = None) -> dict[str, Any]:
    """The agent's dead man's switch heartbeat; an inactive token is refused with its
    status code."""
    return _native.agent_heartbeat(token, _now(now))


def confirm_action(
    action: dict[str, Any], token: dict[str, Any], *, actor: str, now: int | None = None
) -> dict[str, Any]:
    """The delegating human approves a held request: ``{"action", "changes"}``; the agent
    then repeats the request with its confirmation to redeem it."""
    return _native.agent_decide_action("confirm", action, token, actor, _now(now))


def deny_action(
    action: dict[str, Any], token: dict[str, Any], *, actor: str, now: int | None = None
) -> dict[str, Any]:
    """The delegating human refuses a held request."""
    return _native.agent_decide_action("deny", action, token, actor, _now(now))
