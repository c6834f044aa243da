"""What a host does once before its first request when application credentials are on:
a superuser and an application, written into the store the Django settings then use."""

from __future__ import annotations

import json
from typing import Any

import tenxyte_core as t
from conftest import HMAC_KEYS, PASSWORD, SETTINGS

ROOT = "root@example.com"

#: The Django-side settings (TENXYTE["settings"]): the test settings with application
#: credentials, agents and organizations on.
OVERRIDES: dict[str, Any] = {
    **{k: v for k, v in SETTINGS.items() if k != "preset"},
    "application_auth": {"enabled": True},
    "agents": {"enabled": True},
    "organizations": {"enabled": True},
}


def make_superuser(store: t.MemoryStore, user_id: str) -> None:
    """The host's admin screen: flag a user record superuser in the store."""
    got = store.execute({"op": "get", "ns": "users", "key": user_id})["got"]
    user = dict(got["value"], is_superuser=True, is_staff=True)
    answer = store.execute(
        {
            "op": "put",
            "ns": "users",
            "key": user_id,
            "value": user,
            "ttl_secs": None,
            "expect": {"version": got["version"]},
        }
    )
    assert "written" in answer["put"], answer


def bootstrap(store: t.MemoryStore) -> tuple[str, str]:
    """A superuser (``ROOT``) and an application on ``store``, through an engine without
    application credentials; returns the application's ``(access_key, access_secret)``."""
    boot = t.Engine(json.loads(json.dumps(SETTINGS)), keys=HMAC_KEYS, store=store)
    user = boot.register(email=ROOT, password=PASSWORD)["user"]
    make_superuser(store, user["id"])
    token = boot.login(email=ROOT, password=PASSWORD)["access_token"]
    status, _, body = boot.handle(
        "POST",
        "/api/v1/auth/applications/",
        headers={"Authorization": f"Bearer {token}"},
        json={"name": "web"},
    )
    assert status == 201, body
    created = json.loads(body)
    return created["application"]["access_key"], created["access_secret"]


def tenxyte_setting(store: t.MemoryStore, **agents: Any) -> dict[str, Any]:
    """``settings.TENXYTE`` on ``store``, with ``agents`` overrides."""
    overrides = json.loads(json.dumps(OVERRIDES))
    overrides["agents"].update(agents)
    return {
        "preset": "development",
        "settings": overrides,
        "keys": bytes([7]) * 32,
        "store": store,
    }
