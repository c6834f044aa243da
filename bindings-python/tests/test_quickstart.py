"""The quickstart (register, login, me, refresh, logout) on every kind of store.

Through ``engine.handle`` (the HTTP API, byte for byte what a server answers) and through
the typed methods, on the embedded MemoryStore and SqliteStore (driven inside Rust) and
on a pure-Python dict store (driven by the Python loop).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import tenxyte_core as t
from conftest import PASSWORD, T0, make_engine
from dict_store import DictStore

P = "/api/v1/auth/"


def call(
    engine: t.Engine,
    method: str,
    path: str,
    *,
    token: str | None = None,
    body: Any = None,
    now: int = T0,
) -> tuple[int, dict[str, str], Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    status, out_headers, raw = engine.handle(
        method, P + path, headers=headers, json=body, client_ip="203.0.113.9", now=now
    )
    return status, dict(out_headers), json.loads(raw) if raw else None


def test_quickstart_over_http(engine: t.Engine) -> None:
    status, _, reg = call(
        engine, "POST", "register/", body={"email": "Ann@Example.com", "password": PASSWORD}
    )
    assert status == 201, reg
    assert reg["user"]["email"] == "ann@example.com"
    assert reg["tokens"] is None

    status, _, bad = call(
        engine, "POST", "login/email/", body={"email": "ann@example.com", "password": "nope"}
    )
    assert (status, bad["code"]) == (401, "invalid_credentials")

    status, headers, tokens = call(
        engine, "POST", "login/email/", body={"email": "ann@example.com", "password": PASSWORD}
    )
    assert status == 200, tokens
    assert headers["Content-Type"] == "application/json"
    access, refresh = tokens["access_token"], tokens["refresh_token"]
    assert refresh.startswith("txr_")

    status, _, me = call(engine, "GET", "me/", token=access)
    assert (status, me["email"]) == (200, "ann@example.com")

    status, _, rotated = call(
        engine, "POST", "refresh/", body={"refresh_token": refresh}, now=T0 + 5
    )
    assert status == 200, rotated
    assert rotated["refresh_token"] != refresh

    status, _, out = call(engine, "POST", "logout/", token=rotated["access_token"], now=T0 + 7)
    assert status == 200, out
    status, headers, gone = call(engine, "GET", "me/", token=rotated["access_token"], now=T0 + 8)
    assert (status, gone["code"]) == (401, "token_revoked")
    assert 'error="invalid_token"' in headers["WWW-Authenticate"]
    # The first refresh token was rotated away: presenting it again is refused.
    status, _, reuse = call(engine, "POST", "refresh/", body={"refresh_token": refresh}, now=T0 + 9)
    assert status == 401, reuse


def test_refresh_token_reuse_ends_the_session(engine: t.Engine) -> None:
    engine.register(email="gu@example.com", password=PASSWORD, now=T0)
    tokens = engine.login(email="gu@example.com", password=PASSWORD, now=T0)
    rotated = engine.refresh(tokens["refresh_token"], now=T0 + 1)
    with pytest.raises(t.AuthError):
        engine.refresh(tokens["refresh_token"], now=T0 + 2)
    # Reuse revoked the family: the thief's and the owner's new tokens are both dead.
    with pytest.raises(t.AuthError):
        engine.me(rotated["access_token"], now=T0 + 3)


def test_quickstart_through_the_typed_methods(engine: t.Engine) -> None:
    reg = engine.register(
        email="bo@example.com", password=PASSWORD, first_name="Bo", login=True, now=T0
    )
    assert reg["user"]["first_name"] == "Bo"
    assert reg["tokens"]["token_type"] == "Bearer"

    tokens = engine.login(email="bo@example.com", password=PASSWORD, now=T0 + 1)
    me = engine.me(tokens["access_token"], now=T0 + 2)
    assert me["user"]["email"] == "bo@example.com"
    assert me["roles"] == ["viewer"]
    assert me["session_id"] == tokens["session_id"]

    who = engine.authenticate(tokens["access_token"], now=T0 + 2)
    assert (who["user"]["id"], who["session_id"]) == (me["user"]["id"], tokens["session_id"])
    assert "password_hash" not in json.dumps(who)

    new = engine.refresh(tokens["refresh_token"], now=T0 + 3)
    assert new["session_id"] == tokens["session_id"]
    engine.logout(new["access_token"], now=T0 + 4)
    with pytest.raises(t.AuthError) as e:
        engine.me(new["access_token"], now=T0 + 5)
    assert e.value.code == "token_revoked"
    assert e.value.http_status == 401


def test_register_refuses_a_weak_password_with_a_password_error(engine: t.Engine) -> None:
    with pytest.raises(t.PasswordError) as e:
        engine.register(email="cy@example.com", password="password1", now=T0)
    assert e.value.code == "weak_password"
    assert e.value.details  # the violations


def test_messages_are_logged_by_every_store(engine: t.Engine) -> None:
    engine.register(email="di@example.com", password=PASSWORD, now=T0)
    status, _, body = call(
        engine, "POST", "password/reset/request/", body={"email": "di@example.com"}
    )
    assert status == 200, body
    (message,) = [m for m in engine.messages() if m["to"] == "di@example.com"]
    assert message["template"] == "password_reset"
    assert message["channel"] == "email"
    assert message["data"]["code"].isdigit()


def test_sqlite_data_survives_a_new_engine_and_store(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite"
    first = make_engine(t.SqliteStore(path))
    first.register(email="ed@example.com", password=PASSWORD, now=T0)
    second = make_engine(t.SqliteStore(str(path)))
    tokens = second.login(email="ed@example.com", password=PASSWORD, now=T0 + 1)
    # Same HMAC key in both engines: the first engine accepts the second's token.
    assert first.me(tokens["access_token"], now=T0 + 2)["user"]["email"] == "ed@example.com"


def test_embedded_stores_expire_records_at_the_flow_time() -> None:
    store = t.MemoryStore()
    put = {"op": "put", "ns": "n", "key": "k", "value": {"a": 1}, "ttl_secs": 10, "expect": "any"}
    assert store.execute(put, now=T0) == {"put": {"written": {"version": 1}}}
    get = {"op": "get", "ns": "n", "key": "k"}
    assert store.execute(get, now=T0 + 9) == {"got": {"value": {"a": 1}, "version": 1}}
    assert store.execute(get, now=T0 + 10) == {"got": None}


def test_the_python_store_sees_every_operation() -> None:
    store = DictStore(clock=lambda: T0)
    engine = make_engine(store)
    engine.register(email="fa@example.com", password=PASSWORD, now=T0)
    assert "put" in store.calls
    engine.login(email="fa@example.com", password=PASSWORD, now=T0)
    assert {"get", "put"} <= set(store.calls)
    assert len(store) > 0
