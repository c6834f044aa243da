"""tenxyte_core.django under Django's test client: the TENXYTE setting, the API
mounted by include(), the guard decorators (401/403/202 as the API answers them) and the
argon2 PASSWORD_HASHERS entry against Django's own Argon2PasswordHasher."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from django.contrib.auth.hashers import Argon2PasswordHasher, check_password, make_password
from django.test import Client, RequestFactory, override_settings

import tenxyte_core as t
from conftest import PASSWORD, SETTINGS
from tenxyte_core.django import build_engine, get_engine, request_parts
from tenxyte_core.django.hashers import TenxyteArgon2Hasher

OVERRIDES = {k: v for k, v in SETTINGS.items() if k != "preset"}
OVERRIDES["agents"] = {"enabled": True}

TENXYTE: dict[str, Any] = {
    "preset": "development",
    "settings": OVERRIDES,
    "keys": "a test-only HMAC secret, 32+ bytes long",
    "store": "memory",
}


@pytest.fixture(autouse=True)
def django_app() -> Iterator[None]:
    # A fresh engine (and memory store) per test: overriding TENXYTE drops the cached one.
    with override_settings(ROOT_URLCONF="django_urls", TENXYTE=TENXYTE):
        yield


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def post(client: Client, path: str, headers: dict[str, str], body: bytes = b"") -> Any:
    """A POST with a JSON (or empty) body: Django's client sends multipart otherwise."""
    return client.post(path, body, content_type="application/json", **headers)


def signup(client: Client, email: str) -> str:
    r = client.post(
        "/api/v1/auth/register/",
        {"email": email, "password": PASSWORD},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    login = client.post(
        "/api/v1/auth/login/email/",
        {"email": email, "password": PASSWORD},
        content_type="application/json",
        REMOTE_ADDR="198.51.100.4",
    )
    assert login.status_code == 200, login.content
    token: str = login.json()["access_token"]
    return token


def test_settings_build_one_engine() -> None:
    engine = get_engine()
    assert get_engine() is engine
    assert engine.settings()["preset"] == "development"
    assert engine.settings()["agents"]["enabled"] is True
    assert isinstance(engine.store, t.MemoryStore)
    with override_settings(TENXYTE={**TENXYTE, "preset": "medium", "settings": {}}):
        assert get_engine() is not engine
        assert get_engine().settings()["preset"] == "medium"


def test_keys_and_store_forms(tmp_path: Path) -> None:
    _, der = t.KeySet.generate("EdDSA", kid="k1")
    pem = serialization.load_der_private_key(der, None).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    (tmp_path / "jwt.pem").write_bytes(pem)
    base = {"preset": "development", "settings": {"jwt": {"algorithm": "EdDSA"}}}
    from_pem = build_engine(
        {**base, "keys": str(tmp_path / "jwt.pem"), "store": f"sqlite:{tmp_path / 'db'}"}
    )
    assert isinstance(from_pem.store, t.SqliteStore)
    assert [k["kty"] for k in from_pem.jwks()["keys"]] == ["OKP"]
    hmac = build_engine({"preset": "medium", "keys": b"k" * 32})
    assert hmac.jwks()["keys"] == []  # symmetric keys are never published
    with pytest.raises(ValueError, match="unknown TENXYTE keys: stroe"):
        build_engine({"stroe": "memory"})
    with pytest.raises(ValueError, match="sqlite:<path>"):
        build_engine({"preset": "development", "store": "redis://x"})
    with pytest.raises(t.KeyMaterialError):
        build_engine({"preset": "medium"})  # no keys outside development


def test_quickstart_through_the_mounted_api() -> None:
    client = Client()
    token = signup(client, "ada@example.com")
    me = client.get("/api/v1/auth/me/", **bearer(token))
    assert (me.status_code, me.json()["email"]) == (200, "ada@example.com")
    assert me["Content-Type"] == "application/json"
    bad = client.post("/api/v1/auth/login/email/", b"{nope", content_type="application/json")
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_input")
    assert client.get("/.well-known/jwks.json").status_code == 200


def test_request_parts() -> None:
    request = RequestFactory().post(
        "/api/v1/auth/x/?a=1",
        b'{"k": 1}',
        content_type="application/json",
        REMOTE_ADDR="198.51.100.4",
        HTTP_X_ORG_SLUG="acme",
    )
    parts = request_parts(request)
    assert (parts["method"], parts["path"], parts["query"]) == ("POST", "/api/v1/auth/x/", "a=1")
    assert (parts["body"], parts["client_ip"]) == (b'{"k": 1}', "198.51.100.4")
    assert ("X-Org-Slug", "acme") in parts["headers"]
    assert ("Content-Type", "application/json") in parts["headers"]


def test_decorated_views_answer_as_the_api_does() -> None:
    client = Client()
    anonymous = client.get("/whoami")
    api_anonymous = client.get("/api/v1/auth/me/")
    assert anonymous.status_code == api_anonymous.status_code == 401
    assert anonymous.content == api_anonymous.content
    assert anonymous["WWW-Authenticate"] == api_anonymous["WWW-Authenticate"]
    garbage = client.get("/whoami", **bearer("a.b.c"))
    api_garbage = client.get("/api/v1/auth/me/", **bearer("a.b.c"))
    assert (garbage.status_code, garbage.content) == (api_garbage.status_code, api_garbage.content)

    token = signup(client, "grace@example.com")
    me = client.get("/whoami", **bearer(token))
    assert me.status_code == 200, me.content
    principal = me.json()
    assert (principal["kind"], principal["user"]["email"]) == ("user", "grace@example.com")
    assert client.get("/articles", **bearer(token)).status_code == 200
    logs = client.get("/logs", **bearer(token))
    assert (logs.status_code, logs.json()["code"]) == (403, "permission_required")
    assert client.get("/admin-only", **bearer(token)).status_code == 403
    unverified = client.get("/verified-only", **bearer(token))
    assert (unverified.status_code, unverified.json()["code"]) == (403, "email_not_verified")

    assert post(client, "/api/v1/auth/logout/", bearer(token)).status_code == 200
    assert client.get("/whoami", **bearer(token)).status_code == 401


def test_agents_allowed_denied_and_held_for_the_human() -> None:
    client = Client()
    token = signup(client, "ann@example.com")
    r = client.post(
        "/api/v1/auth/ai/tokens/",
        {"permissions": ["content.view"]},
        content_type="application/json",
        **bearer(token),
    )
    assert r.status_code == 201, r.content
    agent = {"HTTP_AUTHORIZATION": f"AgentBearer {r.json()['raw_token']}"}

    allowed = client.get("/agent-articles", **agent)
    assert allowed.status_code == 200, allowed.content
    assert allowed.json()["kind"] == "agent"
    # Without agent clearance the guard refuses agent tokens.
    assert client.get("/articles", **agent).status_code == 403

    pending = post(client, "/publish", agent, b"{}")
    assert pending.status_code == 202, pending.content
    body = pending.json()
    confirm = post(
        client,
        f"/api/v1/auth/ai/pending-actions/{body['pending_action_id']}/confirm/",
        bearer(token),
    )
    assert confirm.status_code == 200, confirm.content
    retried = {**agent, "HTTP_X_ACTION_CONFIRMATION": body["confirmation_token"]}
    done = post(client, "/publish", retried, b"{}")
    assert done.status_code == 200, done.content
    assert done.json()["kind"] == "agent"
    # The confirmation is spent.
    again = post(client, "/publish", retried, b"{}")
    assert again.status_code == 403


def test_guard_on_the_engine() -> None:
    decision = get_engine().guard("GET", "/x", headers={})
    assert decision[0] == "respond"
    status, headers, body = decision[1]
    assert status == 401
    assert json.loads(body)["code"]
    assert any(k.lower() == "www-authenticate" for k, _ in headers)
    with pytest.raises(t.InputError):
        get_engine().guard("GET", "/x", requirements=[{"type": "nope"}])


# ----- PASSWORD_HASHERS ---------------------------------------------------------------

DJANGO_HASHER = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
OUR_HASHER = ["tenxyte_core.django.hashers.TenxyteArgon2Hasher"]


def test_django_reads_what_the_core_writes() -> None:
    with override_settings(PASSWORD_HASHERS=OUR_HASHER):
        encoded = make_password(PASSWORD)
    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert Argon2PasswordHasher().verify(PASSWORD, encoded)
    assert not Argon2PasswordHasher().verify(PASSWORD + "x", encoded)
    with override_settings(PASSWORD_HASHERS=DJANGO_HASHER):
        assert check_password(PASSWORD, encoded)
        assert not check_password("wrong", encoded)


def test_the_core_reads_what_django_writes() -> None:
    with override_settings(PASSWORD_HASHERS=DJANGO_HASHER):
        encoded = make_password(PASSWORD)
    ours = TenxyteArgon2Hasher()
    assert ours.verify(PASSWORD, encoded)
    assert not ours.verify("wrong", encoded)
    assert not ours.verify(PASSWORD, "argon2$garbage")
    assert ours.must_update(encoded)  # Django's costs differ from the core's
    upgraded: list[str] = []
    with override_settings(PASSWORD_HASHERS=OUR_HASHER):
        assert check_password(PASSWORD, encoded, setter=upgraded.append)
        assert not check_password("wrong", encoded)
    assert upgraded == [PASSWORD]


def test_same_salt_same_parameters_same_string() -> None:
    class Cheap(TenxyteArgon2Hasher):
        memory_cost, time_cost, parallelism = 1024, 1, 2

    class DjangoCheap(Argon2PasswordHasher):  # type: ignore[misc]
        memory_cost, time_cost, parallelism = 1024, 1, 2

    salt = Cheap().salt()
    encoded = Cheap().encode(PASSWORD, salt)
    assert encoded == DjangoCheap().encode(PASSWORD, salt)
    assert not Cheap().must_update(encoded)
    decoded = Cheap().decode(encoded)
    assert decoded["salt"] == salt
    theirs = DjangoCheap().decode(encoded)
    for key in ("algorithm", "variety", "version", "memory_cost", "time_cost", "salt", "hash"):
        assert decoded[key] == theirs[key], key
    summary = Cheap().safe_summary(encoded)
    assert summary["memory cost"] == 1024
    assert salt not in str(summary)
