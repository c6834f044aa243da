"""The DRF integration under Django's test client: the API as a Django view, the
authentication class (401 with a challenge), the permission class (403)."""

from __future__ import annotations

from typing import Any

from django.urls import path
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIClient
from rest_framework.views import APIView

import tenxyte_core as t
from conftest import PASSWORD, make_engine
from tenxyte_core.django.drf import HasPermissions, TenxyteUser, api_urlpatterns

# settings.TENXYTE["ENGINE"] (conftest.py) names this engine.
ENGINE = make_engine(t.MemoryStore())


class WhoAmI(APIView):  # type: ignore[misc]
    permission_classes = (IsAuthenticated,)

    def get(self, request: Request) -> Response:
        assert isinstance(request.user, TenxyteUser)
        return Response({"email": request.user.email, "sid": request.auth["session_id"]})


class Articles(APIView):  # type: ignore[misc]
    permission_classes = (IsAuthenticated & HasPermissions("content.view"),)

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


class Logs(APIView):  # type: ignore[misc]
    permission_classes = (IsAuthenticated, HasPermissions("system.logs"))

    def get(self, request: Request) -> Response:
        return Response({})


urlpatterns: list[Any] = [
    *api_urlpatterns(ENGINE),
    path("whoami", WhoAmI.as_view()),
    path("articles", Articles.as_view()),
    path("logs", Logs.as_view()),
]


def signup(client: APIClient, email: str) -> str:
    r = client.post(
        "/api/v1/auth/register/",
        {"email": email, "password": PASSWORD, "login": True},
        format="json",
    )
    assert r.status_code == 201, r.content
    token: str = r.json()["tokens"]["access_token"]
    return token


def test_the_api_is_served_by_a_django_view() -> None:
    client = APIClient()
    token = signup(client, "dj@example.com")
    r = client.get("/api/v1/auth/me/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert (r.status_code, r.json()["email"]) == (200, "dj@example.com")
    assert r["Content-Type"] == "application/json"
    bad = client.post("/api/v1/auth/login/email/", b"{nope", content_type="application/json")
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_input")
    assert client.get("/.well-known/jwks.json").status_code == 200


def test_authentication_and_permission_classes() -> None:
    client = APIClient()
    assert client.get("/whoami").status_code in (401, 403)
    garbage = client.get("/whoami", HTTP_AUTHORIZATION="Bearer a.b.c")
    assert garbage.status_code == 401
    assert garbage["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert garbage.json()["detail"]

    token = signup(client, "rf@example.com")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    me = client.get("/whoami", **auth)
    assert (me.status_code, me.json()["email"]) == (200, "rf@example.com")
    assert client.get("/articles", **auth).status_code == 200
    denied = client.get("/logs", **auth)
    assert denied.status_code == 403
    assert "system.logs" in denied.json()["detail"]

    client.post("/api/v1/auth/logout/", **auth)
    assert client.get("/whoami", **auth).status_code == 401
