"""tenxyte_core.django.middleware.TenxyteMiddleware under Django's test client, with
application credentials on: the application check, user and agent tokens, one guard call
for decorated views, X-Org-Slug, and the redaction of agents' JSON responses."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client, override_settings

import tenxyte_core as t
from conftest import PASSWORD
from django_boot import bootstrap, tenxyte_setting

MIDDLEWARE = ["tenxyte_core.django.middleware.TenxyteMiddleware"]
API = "/api/v1/auth/"
Headers = dict[str, str]


@pytest.fixture
def store() -> t.MemoryStore:
    return t.MemoryStore()


@pytest.fixture
def app(store: t.MemoryStore) -> Headers:
    """The application's credentials as Django test-client headers."""
    key, secret = bootstrap(store)
    return {"HTTP_X_ACCESS_KEY": key, "HTTP_X_ACCESS_SECRET": secret}


@pytest.fixture(autouse=True)
def django_app(store: t.MemoryStore) -> Iterator[None]:
    with override_settings(
        ROOT_URLCONF="django_mw_urls", MIDDLEWARE=MIDDLEWARE, TENXYTE=tenxyte_setting(store)
    ):
        yield


def post(client: Client, path: str, headers: Headers, body: Any = None) -> Any:
    data = b"" if body is None else json.dumps(body).encode()
    return client.post(path, data, content_type="application/json", **headers)


def login(client: Client, app: Headers, email: str) -> Headers:
    """Registers ``email`` and logs in through the API: app + bearer headers."""
    r = post(client, f"{API}register/", app, {"email": email, "password": PASSWORD})
    assert r.status_code == 201, r.content
    r = post(client, f"{API}login/email/", app, {"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.content
    return {**app, "HTTP_AUTHORIZATION": f"Bearer {r.json()['access_token']}"}


def delegate(client: Client, user: Headers, **extra: Any) -> tuple[Headers, dict[str, Any]]:
    r = post(client, f"{API}ai/tokens/", user, {"permissions": ["content.view"], **extra})
    assert r.status_code == 201, r.content
    created: dict[str, Any] = r.json()
    app = {k: v for k, v in user.items() if k != "HTTP_AUTHORIZATION"}
    return {**app, "HTTP_AUTHORIZATION": f"AgentBearer {created['raw_token']}"}, created


def same_refusal(ours: Any, api: Any) -> None:
    """A host view's refusal is byte for byte the API's (status, body, WWW-Authenticate)."""
    assert ours.status_code == api.status_code
    assert ours.content == api.content
    assert ours.get("WWW-Authenticate") == api.get("WWW-Authenticate")


# ----- application credentials ---------------------------------------------------------


def test_plain_views_need_the_application_and_answer_as_the_api(app: Headers) -> None:
    client = Client()
    missing = client.get("/open")
    assert (missing.status_code, missing.json()["code"]) == (401, "application_invalid")
    same_refusal(missing, client.get(f"{API}me/"))
    wrong = {**app, "HTTP_X_ACCESS_SECRET": "txs_wrong"}
    assert client.get("/open", **wrong).status_code == 401
    same_refusal(client.get("/open", **wrong), client.get(f"{API}me/", **wrong))

    ok = client.get("/open", **app)
    assert ok.status_code == 200, ok.content
    seen = ok.json()
    assert seen["principal"] is None and seen["user"] is None and seen["org"] is None
    assert isinstance(seen["app_id"], str) and seen["app_id"]
    # Another Authorization scheme is the host's business: anonymous, not refused.
    basic = client.get("/open", HTTP_AUTHORIZATION="Basic dXNlcjpwdw==", **app)
    assert (basic.status_code, basic.json()["principal"]) == (200, None)


def test_exempt_paths_come_from_the_settings(store: t.MemoryStore, app: Headers) -> None:
    setting = tenxyte_setting(store)
    setting["settings"]["application_auth"]["exempt_paths"] = ["/open"]
    with override_settings(TENXYTE=setting):
        client = Client()
        free = client.get("/open")
        assert free.status_code == 200, free.content
        assert free.json()["app_id"] is None
        assert client.get("/whoami").json()["code"] == "application_invalid"


def test_api_paths_are_left_to_the_include(app: Headers) -> None:
    client = Client()
    # The middleware would refuse this bad token; the register route does not read it.
    r = post(
        client,
        f"{API}register/",
        {**app, "HTTP_AUTHORIZATION": "Bearer not-a-token"},
        {"email": "ann@example.com", "password": PASSWORD},
    )
    assert r.status_code == 201, r.content
    assert client.get("/.well-known/jwks.json").status_code == 200


# ----- tokens ----------------------------------------------------------------------------


def test_bearer_tokens_set_the_principal_or_get_the_apis_401(app: Headers) -> None:
    client = Client()
    ann = login(client, app, "ann@example.com")
    seen = client.get("/open", **ann).json()
    assert seen["principal"]["kind"] == "user"
    assert seen["user"]["email"] == "ann@example.com"
    assert seen["user"] == seen["principal"]["user"]
    assert seen["app_id"] == client.get("/open", **app).json()["app_id"]

    bad = {**app, "HTTP_AUTHORIZATION": "Bearer a.b.c"}
    refused = client.get("/open", **bad)
    assert refused.status_code == 401
    assert 'error="invalid_token"' in refused["WWW-Authenticate"]
    same_refusal(refused, client.get(f"{API}me/", **bad))
    # After logout the token is refused on plain views too.
    assert post(client, f"{API}logout/", ann).status_code == 200
    same_refusal(client.get("/open", **ann), client.get(f"{API}me/", **ann))


def test_agent_tokens_on_plain_views(app: Headers) -> None:
    client = Client()
    ann = login(client, app, "ann@example.com")
    agent, created = delegate(client, ann)
    seen = client.get("/open", **agent).json()
    assert seen["principal"]["kind"] == "agent"
    assert seen["principal"]["token_id"] == created["token"]["id"]
    assert seen["user"] is None

    # An unknown token: the guard's answer for a decorated agent view, byte for byte.
    bad = {**app, "HTTP_AUTHORIZATION": "AgentBearer txa_not_a_token"}
    refused = client.get("/open", **bad)
    assert refused.json()["code"] == "agent_token_invalid"
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"].startswith("AgentBearer")
    same_refusal(refused, client.get("/articles", **bad))
    # A revoked token: 401 with an AgentBearer challenge.
    r = post(client, f"{API}ai/tokens/{created['token']['id']}/revoke/", ann)
    assert r.status_code == 200, r.content
    revoked = client.get("/open", **agent)
    assert revoked.status_code == 401, revoked.content
    assert revoked["WWW-Authenticate"].startswith("AgentBearer")
    same_refusal(revoked, client.get("/articles", **agent))


def test_decorated_views_are_guarded_once(app: Headers) -> None:
    client = Client()
    anonymous = client.get("/whoami", **app)
    same_refusal(anonymous, client.get(f"{API}me/", **app))
    ann = login(client, app, "ann@example.com")
    assert client.get("/whoami", **ann).json()["principal"]["kind"] == "user"
    # Three calls allowed in total: each request spends exactly one (a middleware guard
    # plus a decorator guard would spend two).
    agent, _ = delegate(client, ann, circuit_breaker={"max_requests_total": 3})
    for _ in range(3):
        r = client.get("/articles", **agent)
        assert r.status_code == 200, r.content
        assert r.json()["principal"]["kind"] == "agent"
    assert client.get("/articles", **agent).status_code == 403


# ----- organization context --------------------------------------------------------------


def test_x_org_slug_sets_the_organization(app: Headers) -> None:
    client = Client()
    ann = login(client, app, "ann@example.com")
    bob = login(client, app, "bob@example.com")
    r = post(client, f"{API}organizations/", ann, {"name": "Acme", "slug": "acme"})
    assert r.status_code == 201, r.content

    seen = client.get("/open", HTTP_X_ORG_SLUG="acme", **ann).json()
    assert seen["org"]["organization"]["slug"] == "acme"
    assert seen["org"]["role"] == "owner"
    assert client.get("/open", **ann).json()["org"] is None
    # A stranger and an unknown slug get the by-slug route's own refusals.
    for who, slug, status in ((bob, "acme", 403), (ann, "nope", 404)):
        ours = client.get("/open", HTTP_X_ORG_SLUG=slug, **who)
        assert ours.status_code == status, ours.content
        same_refusal(ours, client.get(f"{API}organizations/by-slug/{slug}/", **who))
    # Anonymous requests pass with no organization: the view decides.
    anonymous = client.get("/open", HTTP_X_ORG_SLUG="acme", **app)
    assert (anonymous.status_code, anonymous.json()["org"]) == (200, None)


def test_x_org_slug_is_ignored_without_organizations(store: t.MemoryStore, app: Headers) -> None:
    setting = tenxyte_setting(store)
    setting["settings"]["organizations"] = {"enabled": False}
    with override_settings(TENXYTE=setting):
        client = Client()
        ann = login(client, app, "ann@example.com")
        seen = client.get("/open", HTTP_X_ORG_SLUG="nope", **ann)
        assert seen.status_code == 200, seen.content
        assert seen.json()["org"] is None


# ----- PII redaction ---------------------------------------------------------------------

REDACTED = "***REDACTED***"


def test_agents_get_redacted_json_when_redact_pii(store: t.MemoryStore, app: Headers) -> None:
    with override_settings(TENXYTE=tenxyte_setting(store, redact_pii=True)):
        client = Client()
        ann = login(client, app, "ann@example.com")
        agent, _ = delegate(client, ann)
        body = client.get("/profile", **agent).json()
        assert body["kind"] == "agent"
        assert body["customer"] == {"name": "Ada", "email": REDACTED, "Phone": REDACTED}
        assert body["notes"] == [{"ssn": REDACTED, "text": "kept"}]
        # Humans see the data; a non-JSON response is left alone.
        assert client.get("/profile", **ann).json()["customer"]["email"] == "ada@example.com"
        assert b"ada@example.com" in client.get("/text-profile", **agent).content


def test_agents_get_the_data_without_redact_pii(app: Headers) -> None:
    client = Client()
    ann = login(client, app, "ann@example.com")
    agent, _ = delegate(client, ann)
    assert client.get("/profile", **agent).json() == {
        "kind": "agent",
        "customer": {"name": "Ada", "email": "ada@example.com", "Phone": "+44 20"},
        "notes": [{"ssn": "078-05-1120", "text": "kept"}],
    }


def test_redact_for_agent_on_the_engine() -> None:
    value: dict[str, Any] = {
        "user": {"EMAIL": "a@example.com", "name": "A"},
        "items": [{"password": 1}],
    }
    off = t.Engine({"agents": {"redact_pii": False}}, preset="development")
    assert off.redact_for_agent(value) is None
    on = t.Engine({"agents": {"redact_pii": True}}, preset="development")
    assert on.redact_for_agent(value) == {
        "user": {"EMAIL": REDACTED, "name": "A"},
        "items": [{"password": REDACTED}],
    }
    assert value["user"]["EMAIL"] == "a@example.com"  # a copy
    with pytest.raises(t.InputError):
        on.redact_for_agent({"bad": object()})
