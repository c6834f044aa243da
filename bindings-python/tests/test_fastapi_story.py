"""The seed's quickstart and the AIRS story, entirely over HTTP through FastAPI's
TestClient: the API mounted with api_router, and the host's own routes protected by
require_jwt / require_agent_clearance. Played once on an Engine over MemoryStore and once
on an AsyncEngine over an async store.

Quickstart: register (a weak password refused), login (wrong password and unknown user
refused), me, refresh rotation and the replayed refresh token, logout. AIRS: the host's
admin screen makes Ada an editor who may publish; she delegates to an agent (asking for
a permission she lacks is refused: double RBAC); the agent reads, is refused a
permission it was not given, asks to publish (202), Ada confirms, the retry passes once,
the replay is refused, the circuit breaker trips at the total cap, and a budget stops a
second agent.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any, Optional, Union

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import tenxyte_core as t
from conftest import make_async_engine, make_engine
from dict_store import AsyncDictStore
from tenxyte_core.fastapi import api_router, require_agent_clearance, require_jwt

API = "/api/v1/auth/"
ADA = "ada@example.com"
ADA_PASSWORD = "Analytical-Engine-1843"
Principal = dict[str, Any]


@dataclass
class Host:
    client: TestClient
    store: object
    published: list[Principal] = field(default_factory=list)


def build(engine: Union[t.Engine, t.AsyncEngine], published: list[Principal]) -> FastAPI:
    app = FastAPI()
    app.include_router(api_router(engine))

    @app.get("/whoami")
    def whoami(p: Annotated[Principal, require_jwt(engine)]) -> Principal:
        return p

    @app.get("/api/articles")
    def articles(p: Annotated[Principal, require_agent_clearance(engine, "content.view")]) -> Any:
        return {"articles": [{"id": 7, "title": "Notes"}], "as": p["kind"]}

    @app.delete("/api/articles/{article}")
    def delete(
        article: int, p: Annotated[Principal, require_agent_clearance(engine, "content.delete")]
    ) -> Any:
        return {"deleted": article}

    @app.post("/api/articles/{article}/publish")
    def publish(
        article: int,
        p: Annotated[
            Principal, require_agent_clearance(engine, "content.publish", human_approval=True)
        ],
    ) -> Any:
        published.append(p)
        return {"published": article, "by": p["agent_id"]}

    return app


@pytest.fixture(params=["engine-memory", "async-engine-async-store"])
def host(request: pytest.FixtureRequest) -> Iterator[Host]:
    store: object
    published: list[Principal] = []
    if request.param == "engine-memory":
        store = t.MemoryStore()
        engine: Union[t.Engine, t.AsyncEngine] = make_engine(store, agents={"enabled": True})
    else:
        store = AsyncDictStore()
        engine = make_async_engine(store, agents={"enabled": True})
    with TestClient(build(engine, published)) as client:
        yield Host(client, store, published)


def call(
    host: Host,
    method: str,
    path: str,
    status: int,
    *,
    auth: Optional[str] = None,
    headers: Optional[dict[str, str]] = None,
    json: Any = None,
    content: Optional[bytes] = None,
) -> Any:
    """One request; asserts the status and returns the JSON body."""
    sent = dict(headers or {})
    if auth is not None:
        sent["Authorization"] = auth
    r = host.client.request(method, path, headers=sent, json=json, content=content)
    assert r.status_code == status, (method, path, r.status_code, r.text)
    return r.json() if r.content else None


def bearer(token: str) -> str:
    return f"Bearer {token}"


def grant(store: object, user_id: str, roles: list[str], permissions: list[str]) -> None:
    """What the host's admin screen does in its own database: set a user's roles and
    direct permissions (the record is the host's; the core only reads it)."""
    if isinstance(store, AsyncDictStore):
        inner = store.inner
        record = inner.get("users", user_id)
        assert record is not None
        user = {**record["value"], "roles": roles, "permissions": permissions}
        written = inner.put("users", user_id, user, None, {"version": record["version"]})
    else:
        assert isinstance(store, t.MemoryStore)
        got = store.execute({"op": "get", "ns": "users", "key": user_id})["got"]
        assert got is not None
        user = {**got["value"], "roles": roles, "permissions": permissions}
        written = store.execute(
            {
                "op": "put",
                "ns": "users",
                "key": user_id,
                "value": user,
                "ttl_secs": None,
                "expect": {"version": got["version"]},
            }
        )["put"]
    assert "written" in written, written


def test_quickstart_then_airs(host: Host) -> None:
    # ----- quickstart -----------------------------------------------------------------
    weak = call(host, "POST", API + "register/", 400, json={"email": ADA, "password": "password1"})
    assert weak["code"] == "weak_password"
    created = call(
        host,
        "POST",
        API + "register/",
        201,
        json={
            "email": "Ada@Example.com",
            "password": ADA_PASSWORD,
            "first_name": "Ada",
            "last_name": "Lovelace",
        },
    )
    ada_id = created["user"]["id"]
    assert created["user"]["email"] == ADA
    assert created["tokens"] is None  # no "login": true
    call(host, "POST", API + "register/", 409, json={"email": ADA, "password": ADA_PASSWORD})

    wrong = call(host, "POST", API + "login/email/", 401, json={"email": ADA, "password": "x-1"})
    unknown = call(
        host,
        "POST",
        API + "login/email/",
        401,
        json={"email": "nobody@example.com", "password": ADA_PASSWORD},
    )
    assert wrong["code"] == unknown["code"] == "invalid_credentials"  # no user enumeration
    tokens = call(
        host, "POST", API + "login/email/", 200, json={"email": ADA, "password": ADA_PASSWORD}
    )
    assert tokens["token_type"] == "Bearer"
    me = call(host, "GET", API + "me/", 200, auth=bearer(tokens["access_token"]))
    assert me["email"] == ADA
    who = call(host, "GET", "/whoami", 200, auth=bearer(tokens["access_token"]))
    assert (who["kind"], who["user"]["id"]) == ("user", ada_id)

    stolen = tokens["refresh_token"]
    rotated = call(host, "POST", API + "refresh/", 200, json={"refresh_token": stolen})
    assert rotated["refresh_token"] != stolen
    replayed = call(host, "POST", API + "refresh/", 401, json={"refresh_token": stolen})
    assert replayed["code"] == "refresh_token_reused"
    # The replay revoked the whole family, the new access token included.
    call(host, "GET", API + "me/", 401, auth=bearer(rotated["access_token"]))
    call(host, "GET", "/whoami", 401, auth=bearer(rotated["access_token"]))

    again = call(
        host, "POST", API + "login/email/", 200, json={"email": ADA, "password": ADA_PASSWORD}
    )
    call(host, "POST", API + "logout/", 200, auth=bearer(again["access_token"]))
    after = call(host, "GET", "/whoami", 401, auth=bearer(again["access_token"]))
    assert after["code"] == "token_revoked"

    # ----- AIRS -----------------------------------------------------------------------
    grant(host.store, ada_id, ["editor"], ["content.publish"])
    ada = bearer(
        call(
            host, "POST", API + "login/email/", 200, json={"email": ADA, "password": ADA_PASSWORD}
        )["access_token"]
    )

    too_much = call(
        host,
        "POST",
        API + "ai/tokens/",
        403,
        auth=ada,
        json={"permissions": ["content.view", "users.delete"]},
    )
    assert too_much["code"] == "scope_exceeds_delegator"  # Ada does not hold users.delete
    delegated = call(
        host,
        "POST",
        API + "ai/tokens/",
        201,
        auth=ada,
        json={
            "agent_id": "writer-bot",
            "permissions": ["content.view", "content.publish"],
            "circuit_breaker": {"max_requests_per_minute": 100, "max_requests_total": 6},
        },
    )
    agent = f"AgentBearer {delegated['raw_token']}"
    trace = {"X-Prompt-Trace-ID": "prompt-42"}

    read = call(host, "GET", "/api/articles", 200, auth=agent, headers=trace)  # 1
    assert read["as"] == "agent"
    not_given = call(host, "DELETE", "/api/articles/7", 403, auth=agent)  # 2
    assert not_given["code"] == "agent_permission_denied"  # content.delete was not delegated
    # An agent token is not a user token: the user-only route refuses it.
    assert call(host, "GET", "/whoami", 403, auth=agent)["code"] == "agent_permission_denied"

    body = b'{"title": "Notes on the Engine"}'
    pending = call(host, "POST", "/api/articles/7/publish", 202, auth=agent, content=body)  # 3
    assert pending["outcome"] == "pending_approval"
    assert host.published == []  # the host's handler did not run
    waiting = call(host, "GET", API + "ai/pending-actions/", 200, auth=ada)
    assert pending["pending_action_id"] in str(waiting)
    call(
        host,
        "POST",
        f"{API}ai/pending-actions/{pending['pending_action_id']}/confirm/",
        200,
        auth=ada,
    )
    confirmed = {"X-Action-Confirmation": pending["confirmation_token"]}
    done = call(
        host, "POST", "/api/articles/7/publish", 200, auth=agent, headers=confirmed, content=body
    )  # 4
    assert done == {"published": 7, "by": "writer-bot"}
    assert [p["kind"] for p in host.published] == ["agent"]
    replay = call(
        host, "POST", "/api/articles/7/publish", 403, auth=agent, headers=confirmed, content=body
    )  # 5: the confirmation is spent
    assert replay["code"] == "confirmation_used"
    assert len(host.published) == 1

    call(host, "GET", "/api/articles", 200, auth=agent)  # 6: the last call under the cap
    tripped = call(host, "GET", "/api/articles", 403, auth=agent)
    assert tripped["code"] == "request_limit_reached"
    suspended = call(host, "GET", "/api/articles", 401, auth=agent)
    assert suspended["code"] == "agent_token_suspended"

    budgeted = call(
        host,
        "POST",
        API + "ai/tokens/",
        201,
        auth=ada,
        json={
            "agent_id": "research-bot",
            "permissions": ["content.view"],
            "budget": {"limit_usd": "0.05"},
        },
    )
    agent2 = f"AgentBearer {budgeted['raw_token']}"
    usage = f"{API}ai/tokens/{budgeted['token']['id']}/report-usage/"
    call(host, "GET", "/api/articles", 200, auth=agent2)
    call(host, "POST", usage, 200, auth=agent2, json={"cost_usd": "0.02"})
    call(host, "POST", usage, 200, auth=agent2, json={"cost_usd": "0.02"})
    over = call(host, "POST", usage, 403, auth=agent2, json={"cost_usd": "0.02"})
    assert over["code"] == "budget_exceeded"
    stopped = call(host, "GET", "/api/articles", 401, auth=agent2)
    assert stopped["code"] == "agent_token_suspended"
