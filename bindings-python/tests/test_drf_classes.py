"""The guard-based DRF classes under DRF's test client: Bearer and AgentBearer
authentication (401 with the right challenge), HasPermission / HasRole /
HasOrgPermission / HasVerifiedEmail / AgentClearance answering as the API does (the
core's status, headers and body), the 202 pending approval, one guard call per request
(an agent counted once) and a project's own exception handler."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import override_settings
from django.urls import path
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIClient
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

import tenxyte_core as t
from conftest import PASSWORD, make_engine
from tenxyte_core.django.drf import (
    AgentClearance,
    GuardResponse,
    HasOrgPermission,
    HasPermission,
    HasRole,
    HasVerifiedEmail,
    TenxyteAgent,
    TenxyteAgentAuthentication,
    TenxyteBearerAuthentication,
    TenxytePermission,
    TenxyteUser,
    api_urlpatterns,
    view_requirements,
)

ENGINE = make_engine(t.MemoryStore(), agents={"enabled": True}, organizations={"enabled": True})
API = "/api/v1/auth/"
BOTH = (TenxyteBearerAuthentication, TenxyteAgentAuthentication)


class Base(APIView):  # type: ignore[misc]
    authentication_classes = BOTH

    def get(self, request: Request) -> Response:
        kind = "agent" if isinstance(request.user, TenxyteAgent) else "user"
        assert isinstance(request.user, (TenxyteUser, TenxyteAgent))
        assert request.auth["kind"] == kind
        return Response({"kind": kind, "id": request.user.id})


class WhoAmI(Base):
    permission_classes = (IsAuthenticated,)


class AgentFirst(Base):
    authentication_classes = (TenxyteAgentAuthentication, TenxyteBearerAuthentication)
    permission_classes = (IsAuthenticated,)


class Articles(Base):
    permission_classes = (HasPermission("content.view"),)


class Logs(Base):
    permission_classes = (IsAuthenticated & HasPermission("system.logs"),)


class Admin(Base):
    permission_classes = (HasRole("admin"),)


class Org(Base):
    permission_classes = (HasOrgPermission("org.members.invite"),)


class Verified(Base):
    permission_classes = (HasVerifiedEmail,)


class Either(Base):
    permission_classes = (HasRole("admin") | HasPermission("content.view"),)


class Neither(Base):
    permission_classes = (HasRole("admin") | HasPermission("system.logs"),)


class AgentArticles(Base):
    # Stacked on purpose: decided together, so the agent passes the permission check.
    permission_classes = (AgentClearance("content.view"), HasPermission("content.view"))


class CanView(TenxytePermission):
    requirements = ({"type": "permission", "code": "content.view"},)


class Counted(Base):
    permission_classes = (
        AgentClearance() & HasPermission("content.view"),
        CanView,
        IsAuthenticated,
    )


class Publish(Base):
    permission_classes = (AgentClearance("content.view", human_approval=True),)

    def post(self, request: Request) -> Response:
        # The guard read the body first; the view's parsers still get it.
        return Response({"kind": request.auth["kind"], "data": request.data})


def own_handler(exc: Exception, context: dict[str, Any]) -> Any:
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, GuardResponse):
        response["X-Own-Handler"] = "yes"
    return response


class OwnHandler(Articles):
    def get_exception_handler(self) -> Any:
        return own_handler


urlpatterns: list[Any] = [
    *api_urlpatterns(ENGINE),
    path("whoami", WhoAmI.as_view()),
    path("agent-first", AgentFirst.as_view()),
    path("articles", Articles.as_view()),
    path("logs", Logs.as_view()),
    path("admin", Admin.as_view()),
    path("org", Org.as_view()),
    path("verified", Verified.as_view()),
    path("either", Either.as_view()),
    path("neither", Neither.as_view()),
    path("agent-articles", AgentArticles.as_view()),
    path("counted", Counted.as_view()),
    path("publish", Publish.as_view()),
    path("own-handler", OwnHandler.as_view()),
]


@pytest.fixture(autouse=True)
def drf_app() -> Iterator[None]:
    with override_settings(ROOT_URLCONF=__name__, TENXYTE={"ENGINE": f"{__name__}.ENGINE"}):
        yield


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def signup(client: APIClient, email: str) -> dict[str, str]:
    r = client.post(
        f"{API}register/", {"email": email, "password": PASSWORD, "login": True}, format="json"
    )
    assert r.status_code == 201, r.content
    return bearer(r.json()["tokens"]["access_token"])


def agent_token(client: APIClient, human: dict[str, str], **fields: Any) -> dict[str, str]:
    r = client.post(
        f"{API}ai/tokens/", {"permissions": ["content.view"], **fields}, format="json", **human
    )
    assert r.status_code == 201, r.content
    return {"HTTP_AUTHORIZATION": f"AgentBearer {r.json()['raw_token']}"}


#: Headers DRF adds to any response of an APIView (content negotiation, allowed methods).
DRF_OWN = {"allow", "vary"}


def same_response(ours: Any, api: Any) -> None:
    """The core's answer as the API gives it: status, body bytes and every header."""
    assert (ours.status_code, ours.content) == (api.status_code, api.content)
    theirs = [(k.lower(), v) for k, v in api.items()]
    assert [(k.lower(), v) for k, v in ours.items() if k.lower() not in DRF_OWN] == theirs


def test_refusals_are_the_cores_answer_byte_for_byte() -> None:
    client = APIClient()
    same_response(client.get("/articles"), client.get(f"{API}me/"))
    for garbage in (bearer("a.b.c"), {"HTTP_AUTHORIZATION": "Bearer"}):
        same_response(client.get("/articles", **garbage), client.get(f"{API}me/", **garbage))
    anonymous = client.get("/articles")
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "not_authenticated")
    assert anonymous["WWW-Authenticate"] == 'Bearer realm="tenxyte"'
    assert anonymous["Cache-Control"] == "no-store"


def test_a_401_challenges_the_scheme_of_the_class() -> None:
    client = APIClient()
    # DRF's own refusal (IsAuthenticated, no credentials) takes the first class's challenge.
    assert client.get("/whoami")["WWW-Authenticate"] == 'Bearer realm="tenxyte"'
    assert client.get("/agent-first")["WWW-Authenticate"] == 'AgentBearer realm="tenxyte"'
    assert client.get("/whoami").status_code == 401
    # A refused token: the core's challenge, with its error.
    bad_user = client.get("/whoami", **bearer("a.b.c"))
    assert bad_user.status_code == 401
    assert bad_user["WWW-Authenticate"].startswith('Bearer realm="tenxyte", error="invalid_token"')
    bad_agent = client.get("/agent-articles", HTTP_AUTHORIZATION="AgentBearer txa_nope")
    assert (bad_agent.status_code, bad_agent.json()["code"]) == (401, "agent_token_invalid")
    assert bad_agent["WWW-Authenticate"].startswith('AgentBearer realm="tenxyte", error=')


def test_user_permission_classes() -> None:
    client = APIClient()
    human = signup(client, "ida@example.com")
    who = client.get("/whoami", **human)
    assert who.status_code == 200, who.content
    me = client.get(f"{API}me/", **human).json()
    assert who.json() == {"kind": "user", "id": me["id"]}
    assert client.get("/articles", **human).status_code == 200
    logs = client.get("/logs", **human)
    assert (logs.status_code, logs.json()["code"]) == (403, "permission_required")
    assert logs.json()["details"] == {"required_permission": "system.logs"}
    admin = client.get("/admin", **human)
    assert (admin.status_code, admin.json()["code"]) == (403, "role_required")
    unverified = client.get("/verified", **human)
    assert (unverified.status_code, unverified.json()["code"]) == (403, "email_not_verified")
    # Under | each class answers a boolean: either one suffices, none is DRF's 403.
    assert client.get("/either", **human).status_code == 200
    neither = client.get("/neither", **human)
    assert neither.status_code == 403
    assert "detail" in neither.json()

    # Granted the role and verified the address, the same user passes.
    token = human["HTTP_AUTHORIZATION"].split()[1]
    ENGINE.bootstrap_superuser(email="root-ida@example.com", password=PASSWORD)
    root = ENGINE.login(email="root-ida@example.com", password=PASSWORD)["access_token"]
    ENGINE.run(ENGINE.flow("change_user_grant", token=root, params=[me["id"], "add_role", "admin"]))
    assert client.get("/admin", **human).status_code == 200
    assert client.get("/neither", **human).status_code == 200
    challenge = ENGINE.request_email_verification(token)
    (sent,) = [
        m for m in ENGINE.messages() if m["data"].get("challenge_id") == challenge["challenge_id"]
    ]
    ENGINE.confirm_email_verification(
        token, challenge_id=challenge["challenge_id"], code=sent["data"]["code"]
    )
    assert client.get("/verified", **human).status_code == 200

    assert client.post(f"{API}logout/", **human).status_code == 200
    revoked = client.get("/articles", **human)
    assert (revoked.status_code, revoked.json()["code"]) == (401, "token_revoked")


def test_org_permission_from_the_x_org_slug_header() -> None:
    client = APIClient()
    owner = signup(client, "oli@example.com")
    stranger = signup(client, "sam@example.com")
    created = client.post(
        f"{API}organizations/", {"name": "Acme", "slug": "acme"}, format="json", **owner
    )
    assert created.status_code == 201, created.content
    assert client.get("/org", HTTP_X_ORG_SLUG="acme", **owner).status_code == 200
    no_header = client.get("/org", **owner)
    assert (no_header.status_code, no_header.json()["code"]) == (400, "org_context_required")
    unknown = client.get("/org", HTTP_X_ORG_SLUG="nowhere", **owner)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "org_not_found")
    outsider = client.get("/org", HTTP_X_ORG_SLUG="acme", **stranger)
    assert (outsider.status_code, outsider.json()["code"]) == (403, "org_permission_denied")
    assert outsider.json()["details"] == {
        "reason": "not_a_member",
        "required": "org.members.invite",
    }


def test_agents_cleared_refused_and_held_for_the_human() -> None:
    client = APIClient()
    human = signup(client, "ann@example.com")
    agent = agent_token(client, human)

    allowed = client.get("/agent-articles", **agent)
    assert allowed.status_code == 200, allowed.content
    me = client.get(f"{API}me/", **human).json()
    assert allowed.json() == {"kind": "agent", "id": me["id"]}
    assert client.get("/agent-articles", **human).json()["kind"] == "user"
    # Without AgentClearance the guard refuses agent tokens, whatever else the view wants.
    for route in ("/articles", "/whoami"):
        refused = client.get(route, **agent)
        assert (refused.status_code, refused.json()["code"]) == (403, "agent_permission_denied")

    payload = b'{"title": "x"}'
    pending = client.post("/publish", payload, content_type="application/json", **agent)
    assert pending.status_code == 202, pending.content
    body = json.loads(pending.content)
    assert body["outcome"] == "pending_approval"
    assert body["pending_action_id"] and body["confirmation_token"]
    confirm = client.post(f"{API}ai/pending-actions/{body['pending_action_id']}/confirm/", **human)
    assert confirm.status_code == 200, confirm.content
    retry = {**agent, "HTTP_X_ACTION_CONFIRMATION": body["confirmation_token"]}
    # The approval is bound to the request the human saw, body included.
    other = client.post("/publish", b'{"title": "y"}', content_type="application/json", **retry)
    assert other.status_code == 403, other.content
    done = client.post("/publish", payload, content_type="application/json", **retry)
    assert done.status_code == 200, done.content
    assert done.json() == {"kind": "agent", "data": {"title": "x"}}
    spent = client.post("/publish", payload, content_type="application/json", **retry)
    assert spent.status_code == 403


def test_an_agent_call_is_counted_once() -> None:
    client = APIClient()
    human = signup(client, "cal@example.com")
    # Three guard-backed classes and the authentication class look at each request;
    # with a cap of 2 calls in all, exactly two requests are admitted.
    agent = agent_token(client, human, circuit_breaker={"max_requests_total": 2})
    assert client.get("/counted", **agent).status_code == 200
    second = client.get("/counted", **agent)
    assert second.status_code == 200, second.content
    third = client.get("/counted", **agent)
    assert (third.status_code, third.json()["code"]) == (403, "request_limit_reached")


def test_an_agent_call_is_counted_once_under_the_middleware_too() -> None:
    # TenxyteMiddleware leaves views guarded by Tenxyte's DRF classes to them.
    with override_settings(MIDDLEWARE=["tenxyte_core.django.middleware.TenxyteMiddleware"]):
        client = APIClient()
        human = signup(client, "dee@example.com")
        agent = agent_token(client, human, circuit_breaker={"max_requests_total": 2})
        assert client.get("/counted", **agent).status_code == 200
        second = client.get("/counted", **agent)
        assert second.status_code == 200, second.content
        third = client.get("/counted", **agent)
        assert (third.status_code, third.json()["code"]) == (403, "request_limit_reached")


def test_requirements_a_view_needs_together() -> None:
    assert view_requirements(Counted()) == [
        {"type": "authenticated"},
        {"type": "agent_clearance", "permission": None, "human_approval": False},
        {"type": "permission", "code": "content.view"},
    ]
    # Alternatives are no requirement of the view.
    assert view_requirements(Either()) == [{"type": "authenticated"}]
    assert view_requirements(object()) == [{"type": "authenticated"}]


def test_a_projects_own_handler_gets_the_guards_answer() -> None:
    client = APIClient()
    direct = client.get("/articles", **bearer("a.b.c"))
    own = client.get("/own-handler", **bearer("a.b.c"))
    assert own["X-Own-Handler"] == "yes"
    # DRF's default handling of a GuardResponse: same status, JSON and challenge.
    assert (own.status_code, own.json()) == (direct.status_code, direct.json())
    assert own["WWW-Authenticate"] == direct["WWW-Authenticate"]
