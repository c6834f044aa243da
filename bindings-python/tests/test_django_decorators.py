"""Every decorator of tenxyte_core.django.decorators through Django's test client: the
allow path and the refusal, with the status and the stable code the core's guard gives."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client, override_settings

import tenxyte_core as t
from conftest import PASSWORD, SETTINGS
from tenxyte_core.django import decorators, get_engine

OVERRIDES: dict[str, Any] = {
    **{k: v for k, v in SETTINGS.items() if k != "preset"},
    "agents": {"enabled": True},
    "organizations": {"enabled": True},
}


@pytest.fixture
def store() -> Iterator[t.MemoryStore]:
    """The engine's store (a fresh one per test), to set roles and verified flags as a
    host's admin screen would."""
    mem = t.MemoryStore()
    setting = {
        "preset": "development",
        "settings": json.loads(json.dumps(OVERRIDES)),
        "keys": bytes([7]) * 32,
        "store": mem,
    }
    with override_settings(ROOT_URLCONF="django_decorator_urls", TENXYTE=setting):
        yield mem


def now() -> int:
    return int(time.time())


class Users:
    """Signed-up users by name: ``auth[name]`` are the client headers, ``token[name]``
    and ``id[name]`` the raw access token and user id."""

    def __init__(self, store: t.MemoryStore, *names: str) -> None:
        self.store = store
        self.token: dict[str, str] = {}
        self.id: dict[str, str] = {}
        engine = get_engine()
        for name in names:
            email = f"{name}@example.com"
            engine.register(email=email, password=PASSWORD, now=now())
            login = engine.login(email=email, password=PASSWORD, now=now())
            self.token[name] = login["access_token"]
            self.id[name] = engine.me(login["access_token"], now=now())["user"]["id"]

    def auth(self, name: str, **extra: str) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token[name]}", **extra}

    def patch(self, name: str, **fields: Any) -> None:
        got = self.store.execute({"op": "get", "ns": "users", "key": self.id[name]})["got"]
        answer = self.store.execute(
            {
                "op": "put",
                "ns": "users",
                "key": self.id[name],
                "value": {**got["value"], **fields},
                "ttl_secs": None,
                "expect": {"version": got["version"]},
            }
        )
        assert "written" in answer["put"], answer


def answer(client: Client, view: str, headers: dict[str, str]) -> tuple[int, str]:
    """``(status, code)``; an allowed call answers the principal, code ``""``."""
    r = client.get(f"/d/{view}", **headers)
    body = r.json()
    return r.status_code, body.get("code", "") if r.status_code != 200 else ""


def test_require_jwt_and_the_verified_flags(store: t.MemoryStore) -> None:
    users = Users(store, "ann")
    client = Client()
    assert answer(client, "jwt", {}) == (401, "not_authenticated")
    bad = {"HTTP_AUTHORIZATION": "Bearer not-a-token"}
    assert answer(client, "jwt", bad)[0] == 401
    ok = client.get("/d/jwt", **users.auth("ann"))
    assert (ok.status_code, ok.json()["user"]["email"]) == (200, "ann@example.com")

    assert answer(client, "phone", users.auth("ann")) == (403, "phone_not_verified")
    assert answer(client, "email", users.auth("ann")) == (403, "email_not_verified")
    users.patch("ann", phone="+33612345678", phone_verified=True, email_verified=True)
    assert answer(client, "phone", users.auth("ann")) == (200, "")
    assert answer(client, "email", users.auth("ann")) == (200, "")
    assert answer(client, "phone", {}) == (401, "not_authenticated")


def test_role_and_permission_decorators(store: t.MemoryStore) -> None:
    users = Users(store, "ann", "bob")
    users.patch("ann", roles=["editor", "viewer"])
    users.patch("bob", roles=["viewer"])
    client = Client()
    ann, bob = users.auth("ann"), users.auth("bob")
    for view, refused in [
        ("role", "role_required"),
        ("any-role", "role_required"),
        ("all-roles", "role_required"),
        ("permission", "permission_required"),
        ("any-permission", "permission_required"),
        ("all-permissions", "permission_required"),
    ]:
        assert answer(client, view, ann) == (200, ""), view
        assert answer(client, view, bob) == (403, refused), view
        assert answer(client, view, {}) == (401, "not_authenticated"), view
    # "All of": bob holds content.view, so the refusal names the missing content.edit.
    missing = client.get("/d/all-permissions", **bob).json()
    assert missing["details"]["required_permission"] == "content.edit"
    # An editor without viewer misses one of "all roles".
    users.patch("ann", roles=["editor"])
    assert answer(client, "all-roles", ann) == (403, "role_required")
    assert answer(client, "any-role", ann) == (200, "")


def test_codes_are_lists_not_strings() -> None:
    with pytest.raises(TypeError, match="list of codes"):
        decorators.require_any_role("editor")
    with pytest.raises(TypeError, match="list of codes"):
        decorators.require_all_permissions("content.edit")


def test_organization_decorators(store: t.MemoryStore) -> None:
    users = Users(store, "ann", "bob", "cat", "dan", "fay")
    engine = get_engine()
    ann = users.token["ann"]
    acme = engine.create_organization(ann, name="Acme", slug="acme", now=now())
    engine.create_organization(ann, name="Acme Lab", slug="lab", parent_id=acme["id"], now=now())
    # In acme only: bob member, cat admin, dan owner (ann created both, so owns both).
    for name, role in [("bob", "member"), ("cat", "admin"), ("dan", "owner")]:
        engine.invite_member(
            ann, org_id=acme["id"], email=f"{name}@example.com", role=role, now=now()
        )
        sent = [
            m
            for m in engine.messages()
            if m["to"] == f"{name}@example.com" and m["template"] == "organization_invitation"
        ]
        token = sent[-1]["data"]["token"]
        engine.accept_invitation(users.token[name], invitation_token=token, now=now())
    client = Client()

    def at(view: str, who: str, slug: str | None) -> tuple[int, str]:
        extra = {} if slug is None else {"HTTP_X_ORG_SLUG": slug}
        return answer(client, view, users.auth(who, **extra))

    denied = (403, "org_permission_denied")
    for view in ["org-context", "org-membership"]:
        assert at(view, "bob", "acme") == (200, ""), view
        assert at(view, "bob", "lab") == (200, ""), view  # inherited from the parent
        assert at(view, "fay", "acme") == denied, view
        assert at(view, "bob", None) == (400, "org_context_required"), view
        assert at(view, "bob", "nowhere") == (404, "org_not_found"), view
        assert answer(client, view, {"HTTP_X_ORG_SLUG": "acme"}) == (401, "not_authenticated")
    reason = client.get("/d/org-membership", **users.auth("fay", HTTP_X_ORG_SLUG="acme"))
    assert reason.json()["details"]["reason"] == "not_a_member"

    # An exact role, with or without inheritance.
    assert at("org-role", "bob", "acme") == (200, "")
    assert at("org-role", "bob", "lab") == (200, "")
    assert at("org-role", "cat", "acme") == denied
    assert at("org-role-direct", "bob", "acme") == (200, "")
    assert at("org-role-direct", "bob", "lab") == denied

    # Owner of this very organization; admin (or owner) here or above.
    assert at("org-owner", "ann", "lab") == (200, "")
    assert at("org-owner", "dan", "acme") == (200, "")
    assert at("org-owner", "dan", "lab") == denied
    assert at("org-owner", "cat", "acme") == denied
    for who in ["cat", "dan", "ann"]:
        assert at("org-admin", who, "lab") == (200, ""), who
    assert at("org-admin", "bob", "acme") == denied
    assert at("org-admin", "fay", "acme") == denied

    assert at("org-permission", "cat", "acme") == (200, "")
    assert at("org-permission", "bob", "acme") == denied
    assert at("org-permission", "bob", None) == (400, "org_context_required")


def test_agent_clearance(store: t.MemoryStore) -> None:
    users = Users(store, "ann")
    users.patch("ann", roles=["editor"])
    client = Client()
    status, _, body = get_engine().handle(
        "POST",
        "/api/v1/auth/ai/tokens/",
        headers={"Authorization": f"Bearer {users.token['ann']}"},
        json={"permissions": ["content.edit"]},
    )
    assert status == 201, body
    agent = {"HTTP_AUTHORIZATION": f"AgentBearer {json.loads(body)['raw_token']}"}
    ok = client.get("/d/agent", **agent)
    assert (ok.status_code, ok.json()["kind"]) == (200, "agent")
    assert answer(client, "agent", users.auth("ann")) == (200, "")
    # Views without clearance refuse agents, whatever they require...
    for view in ["permission", "org-admin", "rate-user"]:
        got = answer(client, view, {**agent, "HTTP_X_ORG_SLUG": "acme"})
        assert got == (403, "agent_permission_denied"), view
    # ...but a rate limit alone, like the application check, lets one through.
    limited = client.get("/d/rate", **agent)
    assert (limited.status_code, limited.json()["kind"]) == (200, "agent")


def test_rate_limit(store: t.MemoryStore) -> None:
    users = Users(store, "ann", "bob")
    client = Client()
    first = {"REMOTE_ADDR": "192.0.2.1"}
    for _ in range(2):
        r = client.get("/d/rate", **first)
        assert (r.status_code, r.json()["kind"]) == (200, "anonymous")
    refused = client.get("/d/rate", **first)
    assert (refused.status_code, refused.json()["code"]) == (429, "too_many_requests")
    wait = int(refused["Retry-After"])
    assert 1 <= wait <= 60
    assert refused.json()["details"]["retry_after"] == wait
    assert client.get("/d/rate", REMOTE_ADDR="192.0.2.2").status_code == 200

    # Over require_jwt: a token is needed, and each user has their own count.
    assert answer(client, "rate-user", {}) == (401, "not_authenticated")
    assert answer(client, "rate-user", users.auth("ann")) == (200, "")
    assert answer(client, "rate-user", users.auth("ann")) == (429, "too_many_requests")
    assert answer(client, "rate-user", users.auth("bob")) == (200, "")


def test_stacked_decorators_declare_one_guard_for_the_middleware() -> None:
    test = test_stacked_decorators_declare_one_guard_for_the_middleware

    @decorators.rate_limit(3, 30)
    @decorators.require_org_admin
    @decorators.require_all_roles(["a", "b"])
    def view(request: Any) -> Any:
        return None

    assert view.tenxyte_view.__name__ == "view"  # type: ignore[attr-defined]
    assert view.tenxyte_requirements == [  # type: ignore[attr-defined]
        {"type": "authenticated"},
        {"type": "role", "code": "a"},
        {"type": "role", "code": "b"},
        {"type": "org_role", "code": "admin", "inherit": True},
        {
            "type": "rate_limit",
            "scope": f"{__name__}.{test.__qualname__}.<locals>.view",
            "max_requests": 3,
            "window_secs": 30,
        },
    ]
