"""Every public flow of the core is reachable by name (``Engine.flow``) and the typed
methods drive each family end to end; wrong arguments are ``invalid_input``."""

from __future__ import annotations

import asyncio
import re
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import tenxyte_core as t
from conftest import PASSWORD, T0, make_async_engine, make_engine
from dict_store import AsyncDictStore, DictStore

ROOT = Path(__file__).resolve().parents[2]
SERVICE = ROOT / "core" / "src" / "service"
FLOWS_MD = ROOT / "docs" / "flows.md"

NEW_PASSWORD = "Another-Horse-Battery-7"


def core_flow_names() -> set[str]:
    """The ``pub fn``s of the core's service modules that return a ``Flow``."""
    names: set[str] = set()
    signature = re.compile(r"pub fn (\w+)\s*(?:<[^>]*>)?\s*\(([^)]*)\)\s*->\s*([^{;]*)\{", re.S)
    for path in SERVICE.rglob("*.rs"):
        if path.name == "tests.rs":
            continue
        for m in signature.finditer(path.read_text(encoding="utf-8")):
            if "&self" in m.group(2) and re.search(r"\bFlow<", m.group(3)):
                names.add(m.group(1))
    return names


def documented_flow_names() -> set[str]:
    """The names in the first column of docs/flows.md's flow tables."""
    names: set[str] = set()
    for line in FLOWS_MD.read_text(encoding="utf-8").splitlines():
        if not line.startswith("| `"):
            continue
        first = line.split(" | ", 1)[0]
        # `a` / `b`, `setup_2fa(token, ctx)`, `sweep_agents` (`sweep_overdue_heartbeats(..)`)
        for cell in first.split(" / "):
            m = re.match(r"\|?\s*`(\w+)", cell)
            if m:
                names.add(m.group(1))
    return names


def test_every_core_flow_is_bound_and_nothing_else() -> None:
    core = core_flow_names()
    assert len(core) > 60, "the source scan found too few flows: is the regex stale?"
    bound = t._native.FLOW_NAMES
    assert len(bound) == len(set(bound)), "a flow is listed twice"
    assert set(bound) - core == set(), "FLOW_NAMES names a flow the core does not have"
    assert core - set(bound) == set(), "core flows unreachable from Python"


def test_every_documented_flow_is_bound() -> None:
    documented = documented_flow_names()
    assert {"register", "setup_2fa", "sweep_agents", "list_invitations"} <= documented
    assert documented - set(t._native.FLOW_NAMES) == set()


#: Requests a flow cannot be built without (the others default their fields).
AGENT_CALL = {"method": "GET", "path": "/notes/"}
REQUESTS: dict[str, dict[str, Any]] = {
    "authorize_agent": AGENT_CALL,
    "retry_agent_action": AGENT_CALL,
    "bootstrap_superuser": {"email": "root@example.com", "password": PASSWORD},
    "report_agent_usage": {"cost_usd": 1},
}
PARAM_VALUES = {"change_user_grant": ["user", "add_role", "admin"]}
NO_TOKEN = {
    "register",
    "login",
    "request_password_reset",
    "confirm_password_reset",
    "request_magic_link",
    "verify_magic_link",
    "request_login_code",
    "verify_login_code",
    "audit_query",
    "maintenance",
    "bootstrap_application",
    "bootstrap_superuser",
    "verify_application",
    "sweep_agents",
}


@pytest.mark.parametrize("name", sorted(core_flow_names()))
def test_every_core_flow_name_is_accepted_and_runs(name: str) -> None:
    """Each name builds a flow from its inputs (the probe tries 0 to 3 params, learning
    the count from the refusals) and runs to an answer or a TenxyteError on an empty
    store: never an unknown name, a panic or an internal error."""
    engine = make_engine(t.MemoryStore())
    token = None if name in NO_TOKEN else "not-a-token"
    values = PARAM_VALUES.get(name, ["p", "q", "r"])
    flow = None
    for count in range(4):
        try:
            flow = engine.flow(
                name, token=token, params=values[:count], request=REQUESTS.get(name), now=T0
            )
            break
        except t.InputError as e:
            assert e.code == "invalid_input"
            assert "unknown flow" not in str(e) and "params" in str(e), f"{name}: {e}"
    assert flow is not None, f"{name} refused 0 to 3 params"
    assert repr(flow).startswith(f"Flow({name},")
    try:
        engine.run(flow)
    except t.TenxyteError as e:
        assert e.code != "internal", f"{name}: {e}"


@pytest.mark.parametrize(
    ("name", "fields", "needle"),
    [
        ("no_such_flow", {}, "unknown flow"),
        ("me", {}, "me needs token="),
        ("login", {"token": "x", "request": {"email": "a@b.co", "password": "p"}}, "no token"),
        ("me", {"token": "x", "request": {"code": "1"}}, "takes no request"),
        ("me", {"token": "x", "params": ["extra"]}, "takes 0 params"),
        ("suspend_agent_token", {"token": "x"}, "params[0] (token_id)"),
        ("suspend_agent_token", {"token": "x", "params": ["a", "b"]}, "takes 1 params"),
        ("remove_member", {"token": "x", "params": ["org"]}, "params[1] (user_id)"),
        ("confirm_2fa", {"token": "x", "request": {"code": "1", "extra": 2}}, "unknown field"),
        ("confirm_2fa", {"token": "x", "request": {"code": 123456}}, "invalid confirm_2fa"),
        ("bootstrap_superuser", {"request": {"email": "a@b.co"}}, "missing field"),
        ("report_agent_usage", {"token": "x", "request": {"cost_usd": [1]}}, "invalid"),
        ("change_user_grant", {"token": "x", "params": ["u", "grant", "c"]}, "add_role"),
    ],
)
def test_wrong_arguments_are_invalid_input(name: str, fields: dict[str, Any], needle: str) -> None:
    engine = make_engine(t.MemoryStore())
    with pytest.raises(t.InputError) as e:
        engine.flow(name, now=T0, **fields)
    assert e.value.code == "invalid_input"
    assert needle in str(e.value)


def test_params_must_be_strings() -> None:
    engine = make_engine(t.MemoryStore())
    with pytest.raises(t.InputError) as e:
        engine._native.flow("get_agent_token", now=T0, token="x", params=[1])  # type: ignore[list-item]
    assert e.value.code == "invalid_input"
    with pytest.raises(t.InputError):
        engine._native.flow("get_agent_token", now=T0, token="x", params="abc")  # type: ignore[arg-type]


# ----- the families end to end ----------------------------------------------------------


@pytest.fixture(params=["memory", "dict"])
def store(request: pytest.FixtureRequest) -> Iterator[object]:
    """The embedded store (run in Rust) and the Python dict store (driven by ``drive``)."""
    yield t.MemoryStore() if request.param == "memory" else DictStore(clock=lambda: T0)


def user(engine: t.Engine, email: str, **register: Any) -> dict[str, Any]:
    engine.register(email=email, password=PASSWORD, now=T0, **register)
    tokens: dict[str, Any] = engine.login(email=email, password=PASSWORD, now=T0)
    return tokens


def last_message(engine: t.Engine, to: str, template: str) -> dict[str, Any]:
    found = [m for m in engine.messages() if m["to"] == to and m["template"] == template]
    assert found, f"no {template} message to {to}"
    return found[-1]


def test_two_factor_setup_confirm_regenerate_disable(store: object) -> None:
    engine = make_engine(store)
    ann = user(engine, "ann@example.com")["access_token"]
    setup = engine.setup_2fa(ann, now=T0)
    secret = setup["secret"]
    assert len(setup["backup_codes"]) > 0
    right = t.otp.totp_code(secret, now=T0)
    wrong_code = right[:-1] + str((int(right[-1]) + 1) % 10)
    with pytest.raises(t.TenxyteError) as wrong:
        engine.confirm_2fa(ann, code=wrong_code, now=T0)
    assert wrong.value.code == "invalid_code"
    assert engine.confirm_2fa(ann, code=right, now=T0)["enabled"] is True

    with pytest.raises(t.AuthError) as gate:
        engine.login(email="ann@example.com", password=PASSWORD, now=T0 + 30)
    assert gate.value.code == "mfa_required"
    code = t.otp.totp_code(secret, now=T0 + 30)
    engine.login(email="ann@example.com", password=PASSWORD, totp_code=code, now=T0 + 30)

    fresh = engine.regenerate_backup_codes(
        ann, code=t.otp.totp_code(secret, now=T0 + 60), now=T0 + 60
    )
    assert set(fresh["backup_codes"]).isdisjoint(setup["backup_codes"])
    # A new backup code disables 2FA; an old one no longer counts.
    with pytest.raises(t.TenxyteError):
        engine.disable_2fa(ann, password=PASSWORD, code=setup["backup_codes"][0], now=T0 + 90)
    off = engine.disable_2fa(ann, password=PASSWORD, code=fresh["backup_codes"][0], now=T0 + 90)
    assert off["enabled"] is False
    engine.login(email="ann@example.com", password=PASSWORD, now=T0 + 120)


def test_change_password_ends_sessions_and_answers_fresh_tokens() -> None:
    engine = make_engine(t.MemoryStore())
    old = user(engine, "ann@example.com")["access_token"]
    changed = engine.change_password(
        old, old_password=PASSWORD, new_password=NEW_PASSWORD, now=T0 + 1
    )
    assert changed["sessions_ended"] >= 1
    with pytest.raises(t.TenxyteError):
        engine.me(old, now=T0 + 2)
    assert (
        engine.me(changed["tokens"]["access_token"], now=T0 + 2)["user"]["email"]
        == "ann@example.com"
    )
    with pytest.raises(t.AuthError):
        engine.login(email="ann@example.com", password=PASSWORD, now=T0 + 2)


def test_password_reset_by_the_code_sent(store: object) -> None:
    engine = make_engine(store)
    token = user(engine, "ann@example.com")["access_token"]
    sent = engine.request_password_reset(email="ann@example.com", now=T0)
    unknown = engine.request_password_reset(email="nobody@example.com", now=T0)
    assert unknown["message"] == sent["message"]  # no enumeration
    message = last_message(engine, "ann@example.com", "password_reset")
    assert message["data"]["challenge_id"] == sent["challenge_id"]
    done = engine.confirm_password_reset(
        challenge_id=sent["challenge_id"],
        code=message["data"]["code"],
        new_password=NEW_PASSWORD,
        now=T0 + 1,
    )
    assert done["sessions_ended"] >= 1
    with pytest.raises(t.TenxyteError):
        engine.me(token, now=T0 + 2)
    engine.login(email="ann@example.com", password=NEW_PASSWORD, now=T0 + 2)
    with pytest.raises(t.TenxyteError) as replay:
        engine.confirm_password_reset(
            challenge_id=sent["challenge_id"],
            code=message["data"]["code"],
            new_password="Yet-Another-Horse-5",
            now=T0 + 3,
        )
    assert replay.value.code == "replayed"


def test_magic_link_request_and_verify() -> None:
    engine = make_engine(t.MemoryStore(), magic_link={"enabled": True})
    user(engine, "ann@example.com")
    engine.request_magic_link(
        email="ann@example.com",
        validation_url="https://app.example.com/magic",
        client_ip="198.51.100.7",
        now=T0,
    )
    link = last_message(engine, "ann@example.com", "magic_link")["data"]["link"]
    raw = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["token"][0]
    tokens = engine.verify_magic_link(token=raw, client_ip="198.51.100.7", now=T0 + 5)
    assert engine.me(tokens["access_token"], now=T0 + 5)["user"]["email_verified"] is True
    with pytest.raises(t.TenxyteError) as used:
        engine.verify_magic_link(token=raw, client_ip="198.51.100.7", now=T0 + 6)
    assert used.value.code == "magic_link_invalid"


def test_email_and_phone_verification() -> None:
    engine = make_engine(t.MemoryStore())
    ann = user(engine, "ann@example.com", phone="+33612345678")["access_token"]
    for channel, to in (("email", "ann@example.com"), ("phone", "+33612345678")):
        request = getattr(engine, f"request_{channel}_verification")
        confirm = getattr(engine, f"confirm_{channel}_verification")
        sent = request(ann, now=T0)
        code = last_message(engine, to, f"{channel}_verification")["data"]["code"]
        assert (
            confirm(ann, challenge_id=sent["challenge_id"], code=code, now=T0)["verified"] is True
        )
        assert engine.me(ann, now=T0)["user"][f"{channel}_verified"] is True
        with pytest.raises(t.InputError):
            request(ann, now=T0)  # already verified: nothing sent


def test_phone_login_by_sms_code() -> None:
    engine = make_engine(t.MemoryStore(), otp={"login_enabled": True, "login_auto_register": False})
    user(engine, "ann@example.com", phone="+33612345678")
    sent = engine.request_login_code(phone="+33612345678", now=T0)
    code = last_message(engine, "+33612345678", "login_code")["data"]["code"]
    tokens = engine.verify_login_code(challenge_id=sent["challenge_id"], code=code, now=T0 + 1)
    assert engine.me(tokens["access_token"], now=T0 + 1)["user"]["phone_verified"] is True


def test_organization_create_invite_accept_and_members(store: object) -> None:
    engine = make_engine(store, organizations={"enabled": True})
    ann = user(engine, "ann@example.com")["access_token"]
    bob = user(engine, "bob@example.com")["access_token"]
    org = engine.create_organization(ann, name="Acme", slug="Acme", now=T0)
    assert org["slug"] == "acme"
    child = engine.create_organization(
        ann, name="Acme Labs", slug="labs", parent_id=org["id"], now=T0
    )
    assert child["parent_id"] == org["id"]
    access = engine.organization_by_slug(ann, slug="acme", now=T0)
    assert access["role"] == "owner"
    with pytest.raises(t.TenxyteError) as outsider:
        engine.organization_by_slug(bob, slug="acme", now=T0)
    assert outsider.value.code in ("org_permission_denied", "not_a_member")

    invitation = engine.invite_member(ann, org_id=org["id"], email="bob@example.com", now=T0)
    assert invitation["status"] == "pending" and "token" not in invitation
    raw = last_message(engine, "bob@example.com", "organization_invitation")["data"]["token"]
    membership = engine.accept_invitation(bob, invitation_token=raw, now=T0 + 1)
    assert membership["status"] == "active"
    members = {
        m["email"]: m["role"] for m in engine.list_members(ann, org_id=org["id"], now=T0 + 1)
    }
    assert members == {"ann@example.com": "owner", "bob@example.com": "member"}
    assert [o["organization"]["slug"] for o in engine.my_organizations(bob, now=T0 + 1)] == ["acme"]

    bob_id = engine.me(bob, now=T0 + 1)["user"]["id"]
    engine.change_member_role(ann, org_id=org["id"], user_id=bob_id, role="admin", now=T0 + 2)
    assert {m["email"]: m["role"] for m in engine.list_members(ann, org_id=org["id"], now=T0 + 2)}[
        "bob@example.com"
    ] == "admin"
    engine.remove_member(ann, org_id=org["id"], user_id=bob_id, now=T0 + 3)
    assert len(engine.list_members(ann, org_id=org["id"], now=T0 + 3)) == 1
    # The flows without a typed method, by name.
    tree = engine.run(engine.flow("organization_tree", token=ann, params=[org["id"]], now=T0 + 3))
    assert [c["organization"]["slug"] for c in tree["children"]] == ["labs"]
    moved = engine.run(
        engine.flow("move_organization", token=ann, params=[child["id"]], now=T0 + 4)
    )
    assert moved["parent_id"] is None


def test_agent_token_lifecycle(store: object) -> None:
    engine = make_engine(store)
    ann = user(engine, "ann@example.com")["access_token"]
    made = engine.create_agent_token(
        ann, permissions=["content.view"], dead_mans_switch={"heartbeat_every_secs": 60}, now=T0
    )
    raw, token_id = made["raw_token"], made["token"]["id"]

    def ask(now: int) -> dict[str, Any]:
        return engine.authorize_agent(
            raw, method="GET", path="/notes/", permission="content.view", now=now
        )

    assert ask(T0)["outcome"] == "allowed"
    assert engine.agent_heartbeat(raw, now=T0 + 1)["token_id"] == token_id
    assert engine.suspend_agent_token(ann, token_id=token_id, now=T0 + 2)["status"] == "suspended"
    denied = ask(T0 + 3)
    assert denied["outcome"] == "denied" and denied["code"] == "agent_token_suspended"
    assert engine.reactivate_agent_token(ann, token_id=token_id, now=T0 + 4)["status"] == "active"
    assert engine.agent_heartbeat(raw, now=T0 + 5)["token_id"] == token_id
    assert ask(T0 + 6)["outcome"] == "allowed"
    assert engine.report_agent_usage(raw, cost_usd="0.25", now=T0 + 7)["outcome"] == "allowed"
    sub = engine.create_agent_sub_token(raw, permissions=["content.view"], now=T0 + 8)
    assert sub["token"]["parent_token_id"] == token_id
    page = engine.list_agent_tokens(ann, now=T0 + 8)
    assert {i["id"] for i in page["items"]} == {token_id, sub["token"]["id"]}
    assert engine.get_agent_token(ann, token_id=token_id, now=T0 + 8)["id"] == token_id
    assert engine.revoke_agent_token(ann, token_id=token_id, now=T0 + 9)["status"] == "revoked"
    assert ask(T0 + 10)["code"] == "agent_token_revoked"
    assert engine.revoke_all_agent_tokens(ann, now=T0 + 11) == 1  # the sub-token
    # No heartbeat for long past the interval: the sweep would suspend; none left active.
    assert engine.sweep_agents(now=T0 + 10_000) == 0


def test_sweep_suspends_an_overdue_agent() -> None:
    engine = make_engine(t.MemoryStore())
    ann = user(engine, "ann@example.com")["access_token"]
    made = engine.create_agent_token(
        ann, permissions=["content.view"], dead_mans_switch={"heartbeat_every_secs": 60}, now=T0
    )
    assert engine.sweep_agents(now=T0 + 30) == 0
    assert engine.sweep_agents(now=T0 + 600) == 1
    got = engine.get_agent_token(ann, token_id=made["token"]["id"], now=T0 + 600)
    assert got["status"] == "suspended"


def test_agent_action_waits_for_the_human() -> None:
    engine = make_engine(t.MemoryStore())
    ann = user(engine, "ann@example.com")["access_token"]
    raw = engine.create_agent_token(ann, permissions=["content.view"], now=T0)["raw_token"]
    asked = engine.authorize_agent(
        raw,
        method="POST",
        path="/notes/",
        permission="content.view",
        requires_approval=True,
        now=T0,
    )
    assert asked["outcome"] == "pending_approval"
    (pending,) = engine.list_pending_actions(ann, now=T0 + 1)
    assert pending["id"] == asked["pending_action_id"]
    assert (
        engine.confirm_pending_action(ann, pending_action_id=pending["id"], now=T0 + 1)["status"]
        == "confirmed"
    )
    retried = engine.authorize_agent(
        raw,
        method="POST",
        path="/notes/",
        permission="content.view",
        requires_approval=True,
        confirmation=asked["confirmation_token"],
        now=T0 + 2,
    )
    assert retried["outcome"] == "allowed"
    again = engine.authorize_agent(
        raw,
        method="POST",
        path="/notes/",
        permission="content.view",
        requires_approval=True,
        now=T0 + 3,
    )
    denied = engine.deny_pending_action(
        ann, pending_action_id=again["pending_action_id"], now=T0 + 3
    )
    assert denied["status"] == "denied"


def test_applications_and_rbac_admin_as_superuser() -> None:
    engine = make_engine(t.MemoryStore())
    engine.bootstrap_superuser(email="root@example.com", password=PASSWORD, now=T0)
    root = engine.login(email="root@example.com", password=PASSWORD, now=T0)["access_token"]
    ann = user(engine, "ann@example.com")["access_token"]
    with pytest.raises(t.AuthzError) as refused:
        engine.create_application(ann, name="CLI", now=T0)
    assert refused.value.code == "permission_required"

    made = engine.create_application(
        root, name="CLI", allowed_origins=["https://app.example.com"], now=T0
    )
    app_id, key = made["application"]["id"], made["application"]["access_key"]
    assert (
        engine.verify_application(access_key=key, access_secret=made["access_secret"], now=T0)["id"]
        == app_id
    )
    assert [a["id"] for a in engine.list_applications(root, now=T0)] == [app_id]
    assert engine.get_application(root, app_id=app_id, now=T0)["name"] == "CLI"
    rotated = engine.regenerate_application_secret(root, app_id=app_id, now=T0 + 1)
    with pytest.raises(t.TenxyteError) as old:
        engine.verify_application(access_key=key, access_secret=made["access_secret"], now=T0 + 1)
    assert old.value.code == "application_invalid"
    assert engine.disable_application(root, app_id=app_id, now=T0 + 2)["is_active"] is False
    with pytest.raises(t.TenxyteError) as off:
        engine.verify_application(
            access_key=key, access_secret=rotated["access_secret"], now=T0 + 2
        )
    assert off.value.code == "application_disabled"
    assert engine.enable_application(root, app_id=app_id, now=T0 + 3)["is_active"] is True

    # RBAC administration has no typed method: by name, with params.
    ann_id = engine.me(ann, now=T0)["user"]["id"]
    roles = engine.run(engine.flow("list_roles", token=root, now=T0))
    assert any(r["code"] == "admin" for r in roles)
    grants = engine.run(
        engine.flow("change_user_grant", token=root, params=[ann_id, "add_role", "admin"], now=T0)
    )
    assert "admin" in grants["roles"]
    read = engine.run(engine.flow("user_grants", token=root, params=[ann_id], now=T0))
    assert read == grants


def test_audit_query_returns_the_events_and_maintenance_runs(store: object) -> None:
    engine = make_engine(store)
    ann = user(engine, "ann@example.com")["access_token"]
    ann_id = engine.me(ann, now=T0)["user"]["id"]
    engine.setup_2fa(ann, now=T0 + 1)
    user(engine, "bob@example.com")
    page = engine.audit_query(user_id=ann_id, now=T0 + 2)
    actions = [e["action"] for e in page["items"]]
    assert actions[:2] == ["register", "login"] and "2fa_setup_started" in actions
    assert {e["user_id"] for e in page["items"]} == {ann_id}
    first = engine.audit_query(user_id=ann_id, limit=1, now=T0 + 2)
    assert [e["action"] for e in first["items"]] == ["register"] and first["next_cursor"]
    rest = engine.audit_query(user_id=ann_id, cursor=first["next_cursor"], now=T0 + 2)
    assert [e["action"] for e in rest["items"]] == actions[1:]
    assert (
        engine.audit_query(user_id=ann_id, action="login", now=T0 + 2)["items"][0]["action"]
        == "login"
    )

    report = engine.maintenance(max_scan=100, now=T0 + 3)
    assert report["scanned"] > 0 and report["more"] is False


def test_the_async_engine_has_the_same_typed_flows() -> None:
    engine = make_async_engine(AsyncDictStore(clock=lambda: T0), organizations={"enabled": True})

    async def story() -> None:
        await engine.register(email="ann@example.com", password=PASSWORD, now=T0)
        ann = (await engine.login(email="ann@example.com", password=PASSWORD, now=T0))[
            "access_token"
        ]
        setup = await engine.setup_2fa(ann, now=T0)
        code = t.otp.totp_code(setup["secret"], now=T0)
        assert (await engine.confirm_2fa(ann, code=code, now=T0))["enabled"] is True
        org = await engine.create_organization(ann, name="Acme", slug="acme", now=T0)
        (member,) = await engine.list_members(ann, org_id=org["id"], now=T0)
        assert member["role"] == "owner"
        page = await engine.audit_query(action="2fa_enabled", now=T0)
        assert len(page["items"]) == 1
        flow = engine.flow("list_org_roles", token=ann, now=T0)
        assert {r["code"] for r in await engine.run(flow)} >= {"owner", "member"}

    asyncio.run(story())
