"""The seed's quickstart and the AIRS story, entirely through Django's test client: the
API mounted by include(), host views behind TenxyteMiddleware and the guard decorators
(``require_agent_clearance``), application credentials on. The statuses are the API's
contract (docs/http.md), the same that ``tenxyte demo`` checks over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client, override_settings

import tenxyte_core as t
from conftest import PASSWORD
from django_boot import ROOT, bootstrap, tenxyte_setting

API = "/api/v1/auth/"
ADA = "ada@example.com"
Headers = dict[str, str]


class Story:
    """A Django test client with the application's credentials on every request."""

    def __init__(self, app: Headers) -> None:
        self.client = Client()
        self.app = app

    def call(
        self,
        method: str,
        path: str,
        status: int,
        *,
        auth: str | None = None,
        body: Any = None,
        **headers: str,
    ) -> Any:
        url = path if path.startswith("/") else API + path
        extra = {**self.app, **headers}
        if auth is not None:
            extra["HTTP_AUTHORIZATION"] = auth
        data = b"" if body is None else json.dumps(body).encode()
        r = self.client.generic(method, url, data, content_type="application/json", **extra)
        assert r.status_code == status, (method, url, r.status_code, r.content)
        return r.json() if r.content else None

    def login(self, email: str, password: str = PASSWORD) -> dict[str, Any]:
        tokens: dict[str, Any] = self.call(
            "POST", "login/email/", 200, body={"email": email, "password": password}
        )
        return tokens


@pytest.fixture
def story() -> Iterator[Story]:
    store = t.MemoryStore()
    key, secret = bootstrap(store)
    setting = tenxyte_setting(store, confirmation_required=["content.publish"])
    with override_settings(
        ROOT_URLCONF="django_mw_urls",
        MIDDLEWARE=["tenxyte_core.django.middleware.TenxyteMiddleware"],
        TENXYTE=setting,
    ):
        yield Story({"HTTP_X_ACCESS_KEY": key, "HTTP_X_ACCESS_SECRET": secret})


def bearer(tokens: dict[str, Any]) -> str:
    return f"Bearer {tokens['access_token']}"


def test_quickstart(story: Story) -> None:
    # Register (a weak password is refused), log in, me, refresh, logout.
    story.call("POST", "register/", 400, body={"email": ADA, "password": "password1"})
    done = story.call(
        "POST",
        "register/",
        201,
        body={"email": "Ada@Example.com", "password": PASSWORD, "first_name": "Ada", "login": True},
    )
    assert done["user"]["email"] == ADA  # normalised
    assert done["tokens"]["access_token"]
    story.call("POST", "login/email/", 401, body={"email": ADA, "password": "wrong-password"})
    tokens = story.login(ADA)
    me = story.call("GET", "me/", 200, auth=bearer(tokens))
    assert (me["email"], me["first_name"]) == (ADA, "Ada")
    story.call("GET", "me/", 401)
    # The same token on the host's own view.
    assert story.call("GET", "/whoami", 200, auth=bearer(tokens))["user"]["email"] == ADA

    rotated = story.call("POST", "refresh/", 200, body={"refresh_token": tokens["refresh_token"]})
    assert rotated["refresh_token"] != tokens["refresh_token"]
    # A replayed refresh token revokes the family: the rotated tokens die with it.
    story.call("POST", "refresh/", 401, body={"refresh_token": tokens["refresh_token"]})
    story.call("GET", "me/", 401, auth=bearer(rotated))
    story.call("GET", "/whoami", 401, auth=bearer(rotated))

    again = story.login(ADA)
    story.call("POST", "logout/", 200, auth=bearer(again))
    story.call("GET", "me/", 401, auth=bearer(again))
    story.call("GET", "/open", 401, auth=bearer(again))


def test_airs(story: Story) -> None:
    story.call("POST", "register/", 201, body={"email": ADA, "password": PASSWORD})
    ada_tokens = story.login(ADA)
    ada_id = ada_tokens["user"]["id"]
    root = bearer(story.login(ROOT))
    ada = bearer(ada_tokens)
    # An administrator makes Ada an editor who may publish (Ada cannot do it herself).
    story.call("POST", f"users/{ada_id}/roles/", 403, auth=ada, body={"role": "admin"})
    story.call("POST", f"users/{ada_id}/roles/", 200, auth=root, body={"role": "editor"})
    story.call(
        "POST",
        f"users/{ada_id}/permissions/",
        200,
        auth=root,
        body={"permission": "content.publish"},
    )

    # Delegation is double RBAC: Ada cannot hand out what she does not hold.
    refused = story.call(
        "POST", "ai/tokens/", 403, auth=ada, body={"permissions": ["content.view", "users.delete"]}
    )
    assert refused["code"]
    created = story.call(
        "POST",
        "ai/tokens/",
        201,
        auth=ada,
        body={
            "agent_id": "writer-bot",
            "permissions": ["content.view", "content.publish"],
            "circuit_breaker": {"max_requests_per_minute": 100, "max_requests_total": 6},
        },
    )
    agent = f"AgentBearer {created['raw_token']}"
    trace = {"HTTP_X_PROMPT_TRACE_ID": "prompt-42"}

    # 1: an allowed call on the host's view; 2: a permission the agent was not given.
    read = story.call("GET", "/articles", 200, auth=agent, **trace)
    assert read["principal"]["kind"] == "agent" and read["principal"]["user_id"] == ada_id
    story.call("POST", "/articles/7/delete", 403, auth=agent)
    # The human keeps their own access: Ada reads the same view as a user.
    assert story.call("GET", "/articles", 200, auth=ada)["principal"]["kind"] == "user"

    # 3: HITL: 202 with a pending action; Ada sees it and confirms.
    pending = story.call("POST", "/articles/7/publish", 202, auth=agent, body={"title": "Notes"})
    listed = story.call("GET", "ai/pending-actions/", 200, auth=ada)
    assert pending["pending_action_id"] in json.dumps(listed)
    story.call("POST", f"ai/pending-actions/{pending['pending_action_id']}/confirm/", 200, auth=ada)
    confirmed = {"HTTP_X_ACTION_CONFIRMATION": pending["confirmation_token"]}
    # 4: the retry (same request) succeeds once; 5: a replay is refused.
    done = story.call(
        "POST", "/articles/7/publish", 200, auth=agent, body={"title": "Notes"}, **confirmed
    )
    assert done == {"published": 7, "by": "agent"}
    story.call("POST", "/articles/7/publish", 403, auth=agent, body={"title": "Notes"}, **confirmed)

    # 6: the last call within the total cap; 7: the breaker trips; then the token is dead.
    story.call("GET", "/articles", 200, auth=agent)
    tripped = story.call("GET", "/articles", 403, auth=agent)
    assert tripped["code"]
    story.call("GET", "/articles", 401, auth=agent)
    story.call("GET", "/open", 401, auth=agent)

    # A budget stops a second agent.
    budgeted = story.call(
        "POST",
        "ai/tokens/",
        201,
        auth=ada,
        body={
            "agent_id": "research-bot",
            "permissions": ["content.view"],
            "budget": {"limit_usd": "0.05"},
        },
    )
    agent2 = f"AgentBearer {budgeted['raw_token']}"
    usage = f"ai/tokens/{budgeted['token']['id']}/report-usage/"
    story.call("GET", "/articles", 200, auth=agent2)
    story.call("POST", usage, 200, auth=agent2, body={"cost_usd": "0.02"})
    story.call("POST", usage, 200, auth=agent2, body={"cost_usd": "0.02"})
    story.call("POST", usage, 403, auth=agent2, body={"cost_usd": "0.02"})
    story.call("GET", "/articles", 401, auth=agent2)

    # The audit trail has Ada's agent events.
    audit = story.call("GET", "audit/?limit=200", 200, auth=ada)
    actions = {item["action"] for item in audit["items"]}
    assert any(a.startswith("agent") for a in actions), actions
