"""Shared fixtures: the vectors folder, cheap test settings, engines on each store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import django
import pytest
from django.conf import settings

import tenxyte_core as t
from dict_store import DictStore

#: tests/vectors/ at the repository root (bindings-python/tests/ -> ../../tests/vectors).
VECTORS = Path(__file__).resolve().parents[2] / "tests" / "vectors"

#: 2026-01-01T00:00:00Z: every engine test runs at a fixed time.
T0 = 1_767_225_600

PASSWORD = "Correct-Horse-Battery-9"

#: Development preset with cheap argon2 and no application credentials, as the Rust
#: end-to-end tests use.
SETTINGS: dict[str, Any] = {
    "preset": "development",
    "password": {"argon2": {"memory_kib": 1024, "iterations": 1}},
    "jwt": {"refresh_token_rotation": True},
    "rate_limit": {"enabled": False},
    "audit": {"enabled": True},
    "application_auth": {"enabled": False},
}

HMAC_KEYS = t.KeySet.from_hmac(bytes([7]) * 32, kid="test-hs")


def vector_cases(name: str) -> list[dict[str, Any]]:
    doc = json.loads((VECTORS / name).read_text(encoding="utf-8"))
    cases: list[dict[str, Any]] = doc["cases"]
    assert cases, f"{name} has no cases"
    return cases


def settings_with(**overrides: Any) -> dict[str, Any]:
    """SETTINGS with top-level sections replaced by ``overrides``."""
    settings: dict[str, Any] = json.loads(json.dumps(SETTINGS))
    settings.update(overrides)
    return settings


def make_engine(store: object, **overrides: Any) -> t.Engine:
    return t.Engine(settings_with(**overrides), keys=HMAC_KEYS, store=store)


def make_async_engine(store: object, **overrides: Any) -> t.AsyncEngine:
    return t.AsyncEngine(settings_with(**overrides), keys=HMAC_KEYS, store=store)


@pytest.fixture(params=["memory", "sqlite", "python"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[t.Engine]:
    """One engine per store kind: embedded MemoryStore, SQLite file, Python dict store."""
    store: object
    if request.param == "memory":
        store = t.MemoryStore()
    elif request.param == "sqlite":
        store = t.SqliteStore(tmp_path / "tenxyte.sqlite")
    else:
        store = DictStore(clock=lambda: T0)
    yield make_engine(store)


# One Django configuration for the whole session (settings.configure runs once): the DRF
# tests use it as is; test_django.py overrides ROOT_URLCONF and TENXYTE per test.
if not settings.configured:
    settings.configure(
        DEBUG=False,
        ALLOWED_HOSTS=["testserver"],
        ROOT_URLCONF="test_drf",
        SECRET_KEY="test-only",
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "rest_framework"],
        DATABASES={},
        MIDDLEWARE=[],
        TENXYTE={"ENGINE": "test_drf.ENGINE"},
        REST_FRAMEWORK={
            "DEFAULT_AUTHENTICATION_CLASSES": ["tenxyte_core.django.drf.TenxyteAuthentication"],
            "UNAUTHENTICATED_USER": None,
        },
        PASSWORD_HASHERS=["tenxyte_core.django.hashers.TenxyteArgon2Hasher"],
    )
    django.setup()
