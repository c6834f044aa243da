"""tenxyte_core.agent: the core's agent-token decision over records the host keeps.

Every decision here comes from the core (core/src/agent/); the tests check that the
binding carries records, counters and decisions across faithfully, and that the same
inputs decide the same way through the Engine (its store) and through this module (the
host's records).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

import tenxyte_core as t
from conftest import PASSWORD, T0, make_engine
from tenxyte_core import agent

HUMAN_ID = "user-1"
VIEW = "content.view"


def token(**over: Any) -> dict[str, Any]:
    """An active root token delegating content.view, created at T0 for a day."""
    record: dict[str, Any] = {
        "id": "tok-1",
        "token_hash": "",
        "agent_id": "bot",
        "delegated_by": HUMAN_ID,
        "application_id": "app-1",
        "organization_id": None,
        "granted_permissions": [VIEW],
        "status": "active",
        "suspended_reason": None,
        "created_at": T0,
        "expires_at": T0 + 86_400,
        "revoked_at": None,
        "revoked_by": None,
        "suspended_at": None,
        "limits": {
            "max_requests_per_minute": None,
            "max_requests_total": None,
            "max_failed_requests": None,
        },
        "heartbeat_every_secs": None,
        "last_heartbeat_at": None,
        "budget_limit_micro_usd": None,
        "parent_token_id": None,
        "depth": 0,
        "last_used_at": None,
    }
    record.update(over)
    return record


def limits(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "max_requests_per_minute": None,
        "max_requests_total": None,
        "max_failed_requests": None,
    }
    base.update(over)
    return base


def request(permission: str | None = VIEW, **over: Any) -> dict[str, Any]:
    req: dict[str, Any] = {"method": "GET", "path": "/articles", "permission": permission}
    req.update(over)
    return req


HOLDS_VIEW: dict[str, Any] = {"permissions": [VIEW]}


class DictCounters:
    """The host's atomic incr over a dict; records every call."""

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], int] = {}
        self.calls: list[tuple[str, str, int, int | None]] = []

    def __call__(self, ns: str, key: str, delta: int, ttl_secs: int | None) -> int:
        self.calls.append((ns, key, delta, ttl_secs))
        value = self.values.get((ns, key), 0) + delta
        self.values[(ns, key)] = value
        return value


def ops(decision: dict[str, Any]) -> list[str]:
    return [c["op"] for c in decision["changes"]]


def events(decision: dict[str, Any]) -> list[dict[str, Any]]:
    return [c["event"] for c in decision["changes"] if c["op"] == "append_event"]


def test_an_allowed_request_counts_it_and_touches_the_record() -> None:
    counters = DictCounters()
    d = agent.authorize(token(), request(), human=HOLDS_VIEW, counters=counters, now=T0 + 5)
    assert d["decision"] == "allow"
    assert d["on_behalf_of"] == HUMAN_ID
    assert d["permission"] == VIEW
    assert counters.values[("agent_counters", "tok-1/requests")] == 1
    puts = [c for c in d["changes"] if c["op"] == "put_token"]
    assert puts[0]["token"]["last_used_at"] == T0 + 5
    assert puts[0]["on_conflict"] == "skip"
    assert [e["kind"] for e in events(d)] == ["request_allowed"]


def test_a_permission_not_delegated_is_denied_and_counted_as_a_failure() -> None:
    counters = DictCounters()
    d = agent.authorize(
        token(),
        request("content.edit"),
        human={"permissions": [VIEW, "content.edit"]},
        counters=counters,
        now=T0,
    )
    assert (d["decision"], d["code"]) == ("deny", "agent_permission_denied")
    assert "not delegated" in d["reason"]
    incs = [c for c in d["changes"] if c["op"] == "increment"]
    assert [i["key"] for i in incs] == ["tok-1/failures"]


@pytest.mark.parametrize(
    "human",
    [{"permissions": []}, {"permissions": [VIEW], "is_active": False}, None],
    ids=["lost-permission", "inactive", "gone"],
)
def test_the_human_must_still_hold_the_permission(human: dict[str, Any] | None) -> None:
    d = agent.authorize(token(), request(), human=human, counters=DictCounters(), now=T0)
    assert (d["decision"], d["code"]) == ("deny", "agent_permission_denied")
    assert "no longer holds" in d["reason"]


def test_the_human_may_hold_it_through_a_role_of_a_given_policy() -> None:
    policy = t.Policy(
        {"permissions": [{"code": VIEW}], "roles": [{"code": "reader", "permissions": [VIEW]}]}
    )
    human = {"roles": ["reader"]}
    d = agent.authorize(
        token(), request(), human=human, policy=policy, counters=DictCounters(), now=T0
    )
    assert d["decision"] == "allow"
    d = agent.authorize(
        token(),
        request(),
        human={"roles": ["nobody"]},
        policy=policy,
        counters=DictCounters(),
        now=T0,
    )
    assert d["decision"] == "deny"


def test_crossing_the_total_cap_suspends_the_token() -> None:
    counters = DictCounters()
    tok = token(limits=limits(max_requests_total=2))
    outcomes = [
        agent.authorize(tok, request(), human=HOLDS_VIEW, counters=counters, now=T0)
        for _ in range(3)
    ]
    assert [o["decision"] for o in outcomes] == ["allow", "allow", "suspend"]
    s = outcomes[2]
    assert (s["code"], s["reason"]) == ("request_limit_reached", "total_limit")
    put = s["changes"][0]
    assert put["op"] == "put_token" and put["on_conflict"] == "redecide"
    assert put["token"]["status"] == "suspended"
    assert put["token"]["suspended_reason"] == "total_limit"
    assert put["token"]["suspended_at"] == T0
    # Persisted, the suspended record is refused without touching a counter.
    before = len(counters.calls)
    d = agent.authorize(put["token"], request(), human=HOLDS_VIEW, counters=counters, now=T0)
    assert (d["decision"], d["code"]) == ("deny", "agent_token_suspended")
    assert len(counters.calls) == before


def test_rpm_breach_throttles_with_a_retry_delay() -> None:
    counters = DictCounters()
    tok = token(limits=limits(max_requests_per_minute=2))
    settings = {"rate_limit_breach": "throttle"}
    got = [
        agent.authorize(
            tok, request(), human=HOLDS_VIEW, counters=counters, settings=settings, now=T0
        )
        for _ in range(3)
    ]
    assert [g["decision"] for g in got] == ["allow", "allow", "deny"]
    assert got[2]["code"] == "rate_limited"
    assert got[2]["retry_after"] >= 1
    # A throttle is back-pressure, not a failure: no failure increment.
    assert "increment" not in ops(got[2])
    rpm = [c for c in counters.calls if "/rpm/" in c[1]]
    assert {c[3] for c in rpm} == {120}
    # The next minute's window admits again (the previous bucket weighs less and less).
    later = agent.authorize(
        tok, request(), human=HOLDS_VIEW, counters=counters, settings=settings, now=T0 + 119
    )
    assert later["decision"] == "allow"


def test_rpm_breach_suspends_when_configured() -> None:
    counters = DictCounters()
    tok = token(limits=limits(max_requests_per_minute=1))
    settings = {"rate_limit_breach": "suspend"}
    got = [
        agent.authorize(
            tok, request(), human=HOLDS_VIEW, counters=counters, settings=settings, now=T0
        )
        for _ in range(2)
    ]
    assert [(g["decision"], g.get("code")) for g in got] == [
        ("allow", None),
        ("suspend", "rate_limited"),
    ]


def test_hitl_holds_the_request_then_redeems_a_confirmed_action() -> None:
    settings = {"confirmation_required": [VIEW]}
    body = '{"title": "hi", "email": "ann@example.com"}'
    req = request(method="POST", body=body)
    d = agent.authorize(
        token(), req, human=HOLDS_VIEW, counters=DictCounters(), settings=settings, now=T0
    )
    assert d["decision"] == "needs_approval"
    action = d["pending_action"]
    raw = d["raw_confirmation"]
    assert t.secret.kind_of(raw) == "approval"
    assert action["confirmation_hash"] == t.secret.hash(raw)
    assert action["status"] == "pending"
    assert d["expires_at"] == action["expires_at"] > T0
    assert ops(d)[0] == "put_pending_action"
    # Two holds never share a confirmation (the core's random source).
    again = agent.authorize(
        token(), req, human=HOLDS_VIEW, counters=DictCounters(), settings=settings, now=T0
    )
    assert again["raw_confirmation"] != raw

    # Presented before the human decided: refused.
    with_conf = dict(req, confirmation=raw)
    early = agent.authorize(
        token(),
        with_conf,
        human=HOLDS_VIEW,
        counters=DictCounters(),
        settings=settings,
        now=T0 + 1,
        pending_action=action,
    )
    assert early["decision"] == "deny"
    # No pending action found for the confirmation: a mismatch.
    missing = agent.authorize(
        token(), with_conf, human=HOLDS_VIEW, counters=DictCounters(), settings=settings, now=T0
    )
    assert (missing["decision"], missing["code"]) == ("deny", "confirmation_mismatch")

    # Only the delegating human decides.
    with pytest.raises(t.TenxyteError):
        agent.confirm_action(action, token(), actor="someone-else", now=T0 + 2)
    decided = agent.confirm_action(action, token(), actor=HUMAN_ID, now=T0 + 2)
    confirmed = decided["action"]
    assert (confirmed["status"], confirmed["decided_by"]) == ("confirmed", HUMAN_ID)
    assert [c["op"] for c in decided["changes"]] == ["put_pending_action", "append_event"]
    ok = agent.authorize(
        token(),
        with_conf,
        human=HOLDS_VIEW,
        counters=DictCounters(),
        settings=settings,
        now=T0 + 3,
        pending_action=confirmed,
    )
    assert ok["decision"] == "allow"
    consumed = ok["changes"][0]
    assert consumed["op"] == "put_pending_action"
    assert consumed["action"]["status"] == "consumed"
    # Another body is another action: the confirmation does not carry over.
    other = agent.authorize(
        token(),
        dict(with_conf, body='{"title": "other"}'),
        human=HOLDS_VIEW,
        counters=DictCounters(),
        settings=settings,
        now=T0 + 3,
        pending_action=confirmed,
    )
    assert other["decision"] == "deny"
    # A refused action cannot be redeemed.
    refused = agent.deny_action(action, token(), actor=HUMAN_ID, now=T0 + 2)["action"]
    assert refused["status"] == "denied"
    no = agent.authorize(
        token(),
        with_conf,
        human=HOLDS_VIEW,
        counters=DictCounters(),
        settings=settings,
        now=T0 + 3,
        pending_action=refused,
    )
    assert no["decision"] == "deny"


def test_two_phases_decide_like_one_call() -> None:
    tok = token(limits=limits(max_requests_total=1))
    counters = DictCounters()
    step = agent.begin(tok, request(), human=HOLDS_VIEW, now=T0)
    assert step["step"] == "count"
    plan = step["plan"]
    assert plan["now"] == T0
    values = {
        i["key"]: counters(i["ns"], i["key"], i["delta"], i["ttl_secs"]) for i in plan["increments"]
    }
    d = agent.decide(tok, request(), plan, values, human=HOLDS_VIEW)
    assert d["decision"] == "allow"
    values = {k: v + 1 for k, v in values.items()}
    d = agent.decide(tok, request(), plan, values, human=HOLDS_VIEW)
    assert (d["decision"], d["code"]) == ("suspend", "request_limit_reached")
    # A revoked token is decided in phase one, no counter needed.
    revoked = agent.begin(token(status="revoked"), request(), human=HOLDS_VIEW, now=T0)
    assert revoked["step"] == "decided"
    assert revoked["decision"]["code"] == "agent_token_revoked"


def test_redact_uses_the_core_pii_keys_by_default() -> None:
    value = {"Email": "a@b.c", "items": [{"password": "x", "n": 1}], "keep": {"ok": True}}
    out = agent.redact(value)
    assert out == {
        "Email": "***REDACTED***",
        "items": [{"password": "***REDACTED***", "n": 1}],
        "keep": {"ok": True},
    }
    assert value["Email"] == "a@b.c"  # a copy
    assert "email" in agent.default_pii_keys()
    assert agent.redact(value, keys=["n"]) == {
        "Email": "a@b.c",
        "items": [{"password": "x", "n": "***REDACTED***"}],
        "keep": {"ok": True},
    }


def test_effective_status() -> None:
    assert agent.effective_status(token(), now=T0)["active"] is True
    revoked = agent.effective_status(token(status="revoked", revoked_at=T0), now=T0)
    assert revoked == {
        "active": False,
        "code": "agent_token_revoked",
        "update": None,
        "suspended": None,
    }
    expired = agent.effective_status(token(), now=T0 + 86_400)
    assert (expired["active"], expired["code"]) == (False, "agent_token_expired")
    assert expired["update"]["status"] == "expired"
    silent = agent.effective_status(token(heartbeat_every_secs=60), now=T0 + 61)
    assert (silent["code"], silent["suspended"]) == ("heartbeat_missing", "heartbeat_missing")
    assert silent["update"]["status"] == "suspended"


def test_lifecycle_by_the_delegating_human() -> None:
    suspended = agent.suspend(token(), actor=HUMAN_ID, now=T0)
    assert suspended["token"]["status"] == "suspended"
    assert suspended["event"]["kind"] == "token_suspended"
    assert suspended["changes"][0]["op"] == "put_token"
    denied = agent.authorize(
        suspended["token"], request(), human=HOLDS_VIEW, counters=DictCounters(), now=T0
    )
    assert denied["code"] == "agent_token_suspended"
    revived = agent.reactivate(suspended["token"], actor=HUMAN_ID, now=T0 + 1)["token"]
    assert revived["status"] == "active"
    again = agent.authorize(revived, request(), human=HOLDS_VIEW, counters=DictCounters(), now=T0)
    assert again["decision"] == "allow"
    revoked = agent.revoke(revived, actor=HUMAN_ID, now=T0 + 2)["token"]
    assert (revoked["status"], revoked["revoked_by"]) == ("revoked", HUMAN_ID)
    with pytest.raises(t.TenxyteError):
        agent.reactivate(revoked, actor=HUMAN_ID, now=T0 + 3)
    with pytest.raises(t.TenxyteError) as info:
        agent.suspend(token(), actor="someone-else", now=T0)
    assert info.value.code == "not_delegating_user"


def test_heartbeat_restarts_the_dead_mans_switch() -> None:
    tok = token(heartbeat_every_secs=60)
    beat = agent.heartbeat(tok, now=T0 + 50)
    assert beat["token"]["last_heartbeat_at"] == T0 + 50
    assert agent.effective_status(beat["token"], now=T0 + 100)["active"] is True
    assert agent.effective_status(tok, now=T0 + 100)["active"] is False
    with pytest.raises(t.TenxyteError) as info:
        agent.heartbeat(token(status="revoked"), now=T0)
    assert info.value.code == "agent_token_revoked"


def test_charge_against_a_budget_takes_back_a_refused_report() -> None:
    counters = DictCounters()
    tok = token(budget_limit_micro_usd=1_000)
    ok = agent.charge(tok, 600, counters=counters, now=T0)
    assert ok["decision"] == "allow"
    assert counters.values[("agent_counters", "tok-1/spend")] == 600
    over = agent.charge(tok, "0.0005", counters=counters, now=T0)  # 500 µUSD: 1100 > 1000
    assert (over["decision"], over["code"]) == ("suspend", "budget_exceeded")
    back = [c for c in over["changes"] if c["op"] == "increment"]
    assert [(b["key"], b["delta"]) for b in back] == [("tok-1/spend", -500)]
    with pytest.raises(t.TenxyteError) as info:
        agent.charge(tok, -1, counters=counters, now=T0)
    assert info.value.code == "invalid_cost"


def _bad_counter(ns: str, key: str, delta: int, ttl: int | None) -> int:
    return "seven"  # type: ignore[return-value]


@pytest.mark.parametrize(
    "call",
    [
        lambda: agent.authorize({"id": "x"}, request(), human=HOLDS_VIEW, counters=DictCounters()),
        lambda: agent.authorize(
            token(), dict(request(), verb="GET"), human=HOLDS_VIEW, counters=DictCounters()
        ),
        lambda: agent.authorize(token(), request(), human={"groups": []}, counters=DictCounters()),
        lambda: agent.authorize(
            token(), request(), human={"is_active": "yes"}, counters=DictCounters()
        ),
        lambda: agent.authorize(
            token(depth=1, parent_token_id="p"),
            request(),
            human=HOLDS_VIEW,
            counters=DictCounters(),
            now=T0,
        ),
        lambda: agent.authorize(
            token(), request(), human=HOLDS_VIEW, counters=_bad_counter, now=T0
        ),
        lambda: agent.decide(
            token(), request(), {"now": T0, "increments": []}, {}, human=HOLDS_VIEW
        ),
        lambda: agent.effective_status({"status": "active"}),
        lambda: agent.redact({"x": object()}),
    ],
    ids=[
        "token-missing-fields",
        "request-unknown-field",
        "human-unknown-field",
        "human-is-active-not-bool",
        "chain-shorter-than-depth",
        "counter-not-int",
        "plan-mismatch",
        "status-of-partial-token",
        "redact-not-json",
    ],
)
def test_malformed_input_is_an_input_error(call: Any) -> None:
    with pytest.raises(t.InputError) as info:
        call()
    assert info.value.code == "invalid_input"


def test_a_bad_setting_is_a_config_error_as_for_the_engine() -> None:
    with pytest.raises(t.ConfigError) as info:
        agent.authorize(
            token(),
            request(),
            human=HOLDS_VIEW,
            counters=DictCounters(),
            settings={"rate_limit_breach": "explode"},
            now=T0,
        )
    assert info.value.code == "invalid_setting"


def test_a_counter_exception_propagates() -> None:
    class Down(Exception):
        pass

    def down(ns: str, key: str, delta: int, ttl: int | None) -> int:
        raise Down("store unreachable")

    with pytest.raises(Down):
        agent.authorize(token(), request(), human=HOLDS_VIEW, counters=down, now=T0)


def _apply(record: dict[str, Any], counters: DictCounters, d: dict[str, Any]) -> dict[str, Any]:
    """What a host does with a decision: write the records, bump the counters."""
    for change in d["changes"]:
        if change["op"] == "put_token":
            record = change["token"]
        elif change["op"] == "increment":
            counters(change["ns"], change["key"], change["delta"], change["ttl_secs"])
    return record


def _outcome(d: dict[str, Any]) -> tuple[str, str | None]:
    """The pure decision in Engine.authorize_agent's vocabulary."""
    if d["decision"] == "allow":
        return ("allowed", None)
    if d["decision"] == "needs_approval":
        return ("pending_approval", "approval_required")
    return ("denied", d["code"])


def test_same_outcomes_as_the_engine_on_equivalent_inputs() -> None:
    engine = make_engine(t.MemoryStore())
    engine.register(email="ann@example.com", password=PASSWORD, now=T0)
    access = engine.login(email="ann@example.com", password=PASSWORD, now=T0)["access_token"]
    created = engine.create_agent_token(
        access,
        permissions=[VIEW],
        now=T0,
        circuit_breaker={"max_requests_total": 3, "max_requests_per_minute": 1000},
    )
    raw, record = created["raw_token"], copy.deepcopy(created["token"])
    # The Engine's user: the policy's default roles, active.
    human = {"roles": t.Policy().default_roles(), "is_active": True}
    counters = DictCounters()
    cases = [VIEW, "content.edit", VIEW, VIEW, VIEW]
    seen = []
    for i, permission in enumerate(cases):
        now = T0 + i
        native = engine.authorize_agent(
            raw, method="GET", path="/articles", permission=permission, now=now
        )
        pure = agent.authorize(
            record,
            request(permission),
            human=human,
            counters=counters,
            preset="development",
            now=now,
        )
        record = _apply(record, counters, pure)
        assert (native["outcome"], native.get("code")) == _outcome(pure), (i, permission)
        seen.append(_outcome(pure)[1])
    # Allow, a non-delegated denial (counted as a request too), allow, the cap crossed
    # (4 > 3: suspended) and the suspended record refused.
    assert seen == [
        None,
        "agent_permission_denied",
        None,
        "request_limit_reached",
        "agent_token_suspended",
    ]
