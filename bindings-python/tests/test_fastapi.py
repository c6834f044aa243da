"""The FastAPI integration under TestClient: the mounted API, 401/403 with challenges,
and the security scheme in the app's OpenAPI document."""

from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

import tenxyte_core as t
from conftest import PASSWORD, make_engine
from tenxyte_core.fastapi import api_router, current_user, require_permissions


@pytest.fixture
def client() -> TestClient:
    engine = make_engine(t.MemoryStore())
    app = FastAPI()
    app.include_router(api_router(engine))
    User = Annotated[dict[str, Any], Depends(current_user(engine))]
    Editor = Annotated[dict[str, Any], Depends(require_permissions(engine, "content.view"))]
    Admin = Annotated[dict[str, Any], Depends(require_permissions(engine, "system.logs"))]

    @app.get("/whoami")
    def whoami(principal: User) -> dict[str, Any]:
        return {"email": principal["user"]["email"], "sid": principal["session_id"]}

    @app.get("/articles")
    def articles(me: Editor) -> dict[str, Any]:
        return {"roles": me["roles"]}

    @app.get("/logs")
    def logs(me: Admin) -> dict[str, Any]:
        return {}

    return TestClient(app)


def login(client: TestClient) -> str:
    r = client.post(
        "/api/v1/auth/register/",
        json={"email": "fa@example.com", "password": PASSWORD, "login": True},
    )
    assert r.status_code == 201, r.text
    token: str = r.json()["tokens"]["access_token"]
    return token


def test_the_api_is_mounted(client: TestClient) -> None:
    token = login(client)
    r = client.get("/api/v1/auth/me/", headers={"Authorization": f"Bearer {token}"})
    assert (r.status_code, r.json()["email"]) == (200, "fa@example.com")
    assert r.headers["content-type"] == "application/json"
    bad = client.post("/api/v1/auth/login/email/", content=b"{nope")
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_input")
    assert client.get("/.well-known/jwks.json").status_code == 200
    assert client.get("/api/v1/auth/nowhere/").status_code == 404


def test_dependencies_authenticate_and_authorize(client: TestClient) -> None:
    missing = client.get("/whoami")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    garbage = client.get("/whoami", headers={"Authorization": "Bearer a.b.c"})
    assert garbage.status_code == 401
    assert 'error="invalid_token"' in garbage.headers["www-authenticate"]
    assert garbage.json()["detail"]["code"] == "malformed"

    token = login(client)
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/whoami", headers=auth).json()["email"] == "fa@example.com"
    assert client.get("/articles", headers=auth).json() == {"roles": ["viewer"]}
    denied = client.get("/logs", headers=auth)
    assert denied.status_code == 403
    assert denied.json()["detail"]["details"] == {"missing": ["system.logs"]}

    client.post("/api/v1/auth/logout/", headers=auth)
    revoked = client.get("/whoami", headers=auth)
    assert (revoked.status_code, revoked.json()["detail"]["code"]) == (401, "token_revoked")


def test_the_scheme_is_in_the_openapi_document(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    assert doc["components"]["securitySchemes"]["TenxyteBearer"]["scheme"] == "bearer"
    assert not any(path.startswith("/api/v1/auth/") for path in doc["paths"])
