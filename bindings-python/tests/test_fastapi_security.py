"""tenxyte_core.fastapi's Security dependencies under TestClient, with an Engine and an
AsyncEngine: the guard's answers passed through byte for byte, stacked dependencies
merged into one guard call, and the schemes and scopes in the app's OpenAPI document."""

import json
from collections.abc import Iterator
from typing import Annotated, Any, Union

import pytest
from fastapi import FastAPI, Security
from fastapi.testclient import TestClient

import tenxyte_core as t
from conftest import PASSWORD, make_async_engine, make_engine
from dict_store import AsyncDictStore
from tenxyte_core.fastapi import (
    GuardResponse,
    api_router,
    guard_response_handler,
    guards,
    require_agent_clearance,
    require_all_permissions,
    require_all_roles,
    require_any_permission,
    require_any_role,
    require_jwt,
    require_org_admin,
    require_org_membership,
    require_org_owner,
    require_org_permission,
    require_org_role,
    require_permission,
    require_role,
    require_verified_email,
    require_verified_phone,
    requirements_from_scopes,
)

AnyEngine = Union[t.Engine, t.AsyncEngine]
Principal = dict[str, Any]


def build_app(engine: AnyEngine) -> FastAPI:
    app = FastAPI()
    app.include_router(api_router(engine))

    @app.get("/whoami")
    def whoami(p: Annotated[Principal, require_jwt(engine)]) -> Principal:
        return p

    @app.get("/articles")
    async def articles(p: Annotated[Principal, require_permission(engine, "content.view")]) -> Any:
        return {"kind": p["kind"]}

    @app.get("/logs", dependencies=[require_permission(engine, "system.logs")])
    def logs() -> Any:
        return {}

    @app.get("/admin", dependencies=[require_role(engine, "admin")])
    def admin() -> Any:
        return {}

    @app.get("/verified", dependencies=[require_verified_email(engine)])
    def verified() -> Any:
        return {}

    @app.get("/org", dependencies=[require_org_permission(engine, "org.members.invite")])
    def org() -> Any:
        return {}

    for path, dependency in [
        ("/phone", require_verified_phone(engine)),
        ("/any-permission", require_any_permission(engine, ["system.logs", "content.view"])),
        ("/all-permissions", require_all_permissions(engine, ["content.view", "system.logs"])),
        ("/any-role", require_any_role(engine, ["admin", "editor"])),
        ("/all-roles", require_all_roles(engine, ["viewer", "admin"])),
        ("/org-member", require_org_membership(engine)),
        ("/org-member-role", require_org_role(engine, "member")),
        ("/org-owner", require_org_owner(engine)),
        ("/org-admin", require_org_admin(engine)),
    ]:
        app.add_api_route(path, lambda: {}, dependencies=[dependency])

    @app.get("/agent-articles")
    def agent_articles(
        p: Annotated[Principal, require_agent_clearance(engine, "content.view")],
        # Stacked on purpose: one guard call with both, so the agent passes.
        again: Annotated[Principal, require_permission(engine, "content.view")],
    ) -> Principal:
        assert again is p or again == p
        return p

    @app.get("/viewer-and-admin", dependencies=[require_role(engine, "admin")])
    def viewer_and_admin(
        p: Annotated[Principal, require_permission(engine, "content.view")],
    ) -> Any:
        return {}

    @app.get("/agent-articles-reversed")
    def agent_articles_reversed(
        again: Annotated[Principal, require_permission(engine, "content.view")],
        p: Annotated[Principal, require_agent_clearance(engine)],
    ) -> Principal:
        return p

    @app.post("/publish")
    def publish(
        p: Annotated[
            Principal, require_agent_clearance(engine, "content.view", human_approval=True)
        ],
    ) -> Principal:
        return p

    async def my_editor(
        p: Annotated[Principal, Security(guards(engine).user, scopes=["content.view"])],
    ) -> Principal:
        return p

    @app.get("/custom")
    def custom(p: Annotated[Principal, Security(my_editor, scopes=["role:viewer"])]) -> Any:
        return {"kind": p["kind"]}

    @app.get("/custom-admin")
    def custom_admin(p: Annotated[Principal, Security(my_editor, scopes=["role:admin"])]) -> Any:
        return {}

    return app


@pytest.fixture(params=["engine", "async-engine"])
def engine(request: pytest.FixtureRequest) -> AnyEngine:
    if request.param == "engine":
        return make_engine(
            t.MemoryStore(), agents={"enabled": True}, organizations={"enabled": True}
        )
    return make_async_engine(
        AsyncDictStore(), agents={"enabled": True}, organizations={"enabled": True}
    )


@pytest.fixture
def client(engine: AnyEngine) -> Iterator[TestClient]:
    with TestClient(build_app(engine)) as c:
        yield c


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def signup(client: TestClient, email: str) -> str:
    r = client.post(
        "/api/v1/auth/register/", json={"email": email, "password": PASSWORD, "login": True}
    )
    assert r.status_code == 201, r.text
    token: str = r.json()["tokens"]["access_token"]
    return token


def same_response(a: Any, b: Any) -> None:
    """Status, body bytes and every header but the date and length are the same."""
    assert (a.status_code, a.content) == (b.status_code, b.content)
    skip = {"content-length", "date"}
    assert [(k, v) for k, v in a.headers.items() if k not in skip] == [
        (k, v) for k, v in b.headers.items() if k not in skip
    ]


def test_refusals_are_the_guards_response_byte_for_byte(client: TestClient) -> None:
    same_response(client.get("/whoami"), client.get("/api/v1/auth/me/"))
    garbage = bearer("a.b.c")
    same_response(
        client.get("/whoami", headers=garbage), client.get("/api/v1/auth/me/", headers=garbage)
    )
    anonymous = client.get("/articles")
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "not_authenticated"  # not FastAPI's {"detail": ...}
    assert "www-authenticate" in anonymous.headers
    assert anonymous.headers["cache-control"] == "no-store"


def test_user_requirements(client: TestClient) -> None:
    auth = bearer(signup(client, "una@example.com"))
    who = client.get("/whoami", headers=auth)
    assert who.status_code == 200, who.text
    assert (who.json()["kind"], who.json()["user"]["email"]) == ("user", "una@example.com")
    assert client.get("/articles", headers=auth).json() == {"kind": "user"}
    logs = client.get("/logs", headers=auth)
    assert (logs.status_code, logs.json()["code"]) == (403, "permission_required")
    assert client.get("/admin", headers=auth).status_code == 403
    unverified = client.get("/verified", headers=auth)
    assert (unverified.status_code, unverified.json()["code"]) == (403, "email_not_verified")
    no_org = client.get("/org", headers=auth)
    assert (no_org.status_code, no_org.json()["code"]) == (400, "org_context_required")
    unknown = client.get("/org", headers={**auth, "X-Org-Slug": "nowhere"})
    assert (unknown.status_code, unknown.json()["code"]) == (404, "org_not_found")
    # The rest of Tenxyte's decorator list, as scopes of the one guard.
    for path, want in [
        ("/phone", (403, "phone_not_verified")),
        ("/any-permission", (200, None)),
        ("/all-permissions", (403, "permission_required")),
        ("/any-role", (403, "role_required")),
        ("/all-roles", (403, "role_required")),
        ("/org-member", (400, "org_context_required")),
    ]:
        r = client.get(path, headers=auth)
        assert (r.status_code, r.json().get("code")) == want, path
    made = client.post(
        "/api/v1/auth/organizations/", headers=auth, json={"name": "Una", "slug": "una"}
    )
    assert made.status_code == 201, made.text
    other = bearer(signup(client, "ola@example.com"))
    for path, owner, stranger in [
        ("/org-member", 200, 403),
        ("/org-owner", 200, 403),
        ("/org-admin", 200, 403),
        ("/org-member-role", 403, 403),  # an exact role: the owner is not a "member"
    ]:
        assert client.get(path, headers={**auth, "X-Org-Slug": "una"}).status_code == owner
        refused = client.get(path, headers={**other, "X-Org-Slug": "una"})
        assert (refused.status_code, refused.json()["code"]) == (
            stranger,
            "org_permission_denied",
        ), path
    # Stacked dependencies: every one's requirement holds, whichever runs first.
    assert client.get("/viewer-and-admin", headers=auth).status_code == 403
    # SecurityScopes through the host's own dependency: both scopes are enforced.
    assert client.get("/custom", headers=auth).json() == {"kind": "user"}
    assert client.get("/custom-admin", headers=auth).status_code == 403

    assert client.post("/api/v1/auth/logout/", headers=auth).status_code == 200
    revoked = client.get("/whoami", headers=auth)
    assert (revoked.status_code, revoked.json()["code"]) == (401, "token_revoked")


def test_agents_allowed_refused_and_held_for_the_human(client: TestClient) -> None:
    human = bearer(signup(client, "vic@example.com"))
    created = client.post(
        "/api/v1/auth/ai/tokens/", headers=human, json={"permissions": ["content.view"]}
    )
    assert created.status_code == 201, created.text
    agent = {"Authorization": f"AgentBearer {created.json()['raw_token']}"}

    allowed = client.get("/agent-articles", headers=agent)
    assert allowed.status_code == 200, allowed.text
    assert allowed.json()["kind"] == "agent"
    assert client.get("/agent-articles", headers=human).json()["kind"] == "user"
    # The clearance comes second here: still one guard call with it, so the agent passes.
    reversed_order = client.get("/agent-articles-reversed", headers=agent)
    assert (reversed_order.status_code, reversed_order.json()["kind"]) == (200, "agent")
    refused = client.get("/articles", headers=agent)  # no agent clearance on this route
    assert (refused.status_code, refused.json()["code"]) == (403, "agent_permission_denied")

    pending = client.post("/publish", headers=agent, content=b'{"title": "x"}')
    assert pending.status_code == 202, pending.text
    body = pending.json()
    assert body["outcome"] == "pending_approval"
    confirm = client.post(
        f"/api/v1/auth/ai/pending-actions/{body['pending_action_id']}/confirm/", headers=human
    )
    assert confirm.status_code == 200, confirm.text
    retry = {**agent, "X-Action-Confirmation": body["confirmation_token"]}
    # The approval is bound to the request the human saw, body included.
    other = client.post("/publish", headers=retry, content=b'{"title": "y"}')
    assert other.status_code == 403, other.text
    done = client.post("/publish", headers=retry, content=b'{"title": "x"}')
    assert done.status_code == 200, done.text
    assert done.json()["kind"] == "agent"
    assert client.post("/publish", headers=retry, content=b'{"title": "x"}').status_code == 403


def test_an_explicit_handler_is_kept(engine: AnyEngine) -> None:
    app = build_app(engine)
    seen: list[int] = []

    def mine(request: Any, exc: Exception) -> Any:
        assert isinstance(exc, GuardResponse)
        seen.append(exc.status_code)
        return guard_response_handler(request, exc)

    app.add_exception_handler(GuardResponse, mine)
    with TestClient(app) as c:
        r = c.get("/whoami")
    assert (r.status_code, seen) == (401, [401])
    assert r.json()["code"] == "not_authenticated"


def test_scopes_name_the_guards_requirements() -> None:
    assert requirements_from_scopes(["content.view", "role:editor", "content.view"]) == [
        {"type": "authenticated"},
        {"type": "permission", "code": "content.view"},
        {"type": "role", "code": "editor"},
    ]
    assert requirements_from_scopes(["org:org.members.invite", "email:verified"])[1:] == [
        {"type": "org_permission", "code": "org.members.invite"},
        {"type": "verified_email"},
    ]
    assert requirements_from_scopes(
        ["phone:verified", "any:a.b,c.d", "any-role:x,y", "org-member"]
    )[1:] == [
        {"type": "verified_phone"},
        {"type": "any_permission", "codes": ["a.b", "c.d"]},
        {"type": "any_role", "codes": ["x", "y"]},
        {"type": "org_member"},
    ]
    assert requirements_from_scopes(["org-role:admin", "org-role-direct:owner"])[1:] == [
        {"type": "org_role", "code": "admin", "inherit": True},
        {"type": "org_role", "code": "owner", "inherit": False},
    ]
    assert requirements_from_scopes(["content.publish", "agent", "agent:approval"])[-1] == {
        "type": "agent_clearance",
        "permission": None,
        "human_approval": True,
    }


# ----- OpenAPI --------------------------------------------------------------------------


def operation(doc: dict[str, Any], path: str, method: str = "get") -> dict[str, Any]:
    op: dict[str, Any] = doc["paths"][path][method]
    return op


def test_schemes_and_scopes_in_the_openapi_document(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    schemes = doc["components"]["securitySchemes"]
    assert schemes["Bearer"]["type"] == "http"
    assert schemes["Bearer"]["scheme"] == "bearer"
    assert schemes["AgentBearer"]["type"] == "http"
    assert schemes["AgentBearer"]["scheme"] == "AgentBearer"
    assert "AccessKey" not in schemes  # application_auth is off in these settings

    assert operation(doc, "/whoami")["security"] == [{"Bearer": []}]
    assert operation(doc, "/articles")["security"] == [{"Bearer": ["content.view"]}]
    assert operation(doc, "/admin")["security"] == [{"Bearer": ["role:admin"]}]
    assert operation(doc, "/verified")["security"] == [{"Bearer": ["email:verified"]}]
    assert operation(doc, "/org")["security"] == [{"Bearer": ["org:org.members.invite"]}]
    assert operation(doc, "/custom")["security"] == [{"Bearer": ["role:viewer", "content.view"]}]
    publish = {k: v for d in operation(doc, "/publish", "post")["security"] for k, v in d.items()}
    assert publish == {
        "Bearer": ["content.view", "agent:approval"],
        "AgentBearer": ["content.view", "agent:approval"],
    }
    stacked = {k: v for d in operation(doc, "/agent-articles")["security"] for k, v in d.items()}
    assert set(stacked["Bearer"]) == {"content.view", "agent"}
    assert stacked["AgentBearer"] == ["content.view", "agent"]
    # The API's own routes stay out of the app's document (the engine has its own).
    assert not any(p.startswith("/api/v1/auth/") for p in doc["paths"])


def test_application_headers_are_schemes_when_the_core_wants_them() -> None:
    engine = make_engine(t.MemoryStore(), application_auth={"enabled": True})
    app = build_app(engine)
    with TestClient(app) as c:
        doc = c.get("/openapi.json").json()
        refused = c.get("/whoami", headers={"Authorization": "Bearer a.b.c"})
    schemes = doc["components"]["securitySchemes"]
    assert schemes["AccessKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-Access-Key",
        "description": schemes["AccessKey"]["description"],
    }
    assert schemes["AccessSecret"]["name"] == "X-Access-Secret"
    names = {k for d in operation(doc, "/articles")["security"] for k in d}
    assert names == {"Bearer", "AccessKey", "AccessSecret"}
    assert (refused.status_code, refused.json()["code"]) == (401, "application_invalid")
    assert json.loads(refused.content) == refused.json()
