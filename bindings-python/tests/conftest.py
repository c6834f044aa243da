"""Shared fixtures: the vectors folder, cheap test settings, engines on each store.

The Django-ORM store runs on SQLite (always) and on PostgreSQL when
``TENXYTE_TEST_POSTGRES`` holds a DSN (``postgresql://user:password@host:port/db``, a
role that may create databases: a fresh ``test_...`` database is made per run). Without
it the PostgreSQL cases are skipped, unless ``TENXYTE_REQUIRE_POSTGRES=1`` (CI), which
makes them fail instead.
"""

from __future__ import annotations

import json
import os
import tempfile
import urllib.parse
from collections.abc import Callable, Iterator
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


@pytest.fixture(params=["memory", "sqlite", "python", "django-sqlite", "django-postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[t.Engine]:
    """One engine per store kind: embedded MemoryStore, SQLite file, Python dict store,
    the Django-ORM store on SQLite and on PostgreSQL."""
    store: object
    if request.param == "memory":
        store = t.MemoryStore()
    elif request.param == "sqlite":
        store = t.SqliteStore(tmp_path / "tenxyte.sqlite")
    elif request.param == "python":
        store = DictStore(clock=lambda: T0)
    else:
        store = django_store(request, request.param, clock=lambda: T0)
    yield make_engine(store)


# ----- Django databases ----------------------------------------------------------------

POSTGRES_DSN = os.environ.get("TENXYTE_TEST_POSTGRES") or None
REQUIRE_POSTGRES = os.environ.get("TENXYTE_REQUIRE_POSTGRES") == "1"

#: Store kind -> database alias.
DJANGO_ALIASES = {"django-sqlite": "default", "django-postgres": "postgres"}

#: A private folder for the SQLite test database (removed with the database).
_SQLITE_DIR = Path(tempfile.mkdtemp(prefix="tenxyte-django-"))


def _postgres(dsn: str) -> dict[str, Any]:
    url = urllib.parse.urlsplit(dsn)
    if url.scheme not in ("postgres", "postgresql") or not url.path.strip("/"):
        raise ValueError("TENXYTE_TEST_POSTGRES must be postgresql://user:password@host:port/db")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": urllib.parse.unquote(url.path.strip("/")),
        "USER": urllib.parse.unquote(url.username or ""),
        "PASSWORD": urllib.parse.unquote(url.password or ""),
        "HOST": url.hostname or "",
        "PORT": str(url.port or ""),
        # One database per run, so runs (and a developer's own data) never collide.
        "TEST": {"NAME": f"test_tenxyte_{os.getpid()}"},
    }


def _databases() -> dict[str, Any]:
    databases: dict[str, Any] = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(_SQLITE_DIR / "default.sqlite3"),
            # A file, not ":memory:": the concurrency tests use several connections.
            "TEST": {"NAME": str(_SQLITE_DIR / "test.sqlite3")},
            "OPTIONS": {"timeout": 60},
        }
    }
    if POSTGRES_DSN is not None:
        databases["postgres"] = _postgres(POSTGRES_DSN)
    return databases


_created: dict[str, str] = {}


def django_alias(request: pytest.FixtureRequest, kind: str) -> str:
    """The migrated, emptied test database for ``kind`` (``django-sqlite`` or
    ``django-postgres``); skips or fails a PostgreSQL case without a DSN (module
    docstring)."""
    alias = DJANGO_ALIASES[kind]
    if alias == "postgres" and POSTGRES_DSN is None:
        if REQUIRE_POSTGRES:
            pytest.fail("TENXYTE_REQUIRE_POSTGRES=1 but TENXYTE_TEST_POSTGRES is not set")
        pytest.skip("PostgreSQL: set TENXYTE_TEST_POSTGRES to a DSN to run these cases")
    from django.db import connections

    if alias not in _created:
        connection = connections[alias]
        old_name = connection.settings_dict["NAME"]
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        _created[alias] = old_name
        if alias == "postgres":
            # A locale collation on the key column, as a database made with an en_US
            # locale has: the store must still list in byte order.
            with connection.cursor() as cursor:
                cursor.execute(
                    'ALTER TABLE tenxyte_record ALTER COLUMN "key" TYPE text COLLATE "und-x-icu"'
                )
        request.session.config.add_cleanup(_destroy)
    from tenxyte_core.django.models import Message, Record, VersionCounter

    Record.objects.using(alias).all().delete()
    Message.objects.using(alias).all().delete()
    VersionCounter.objects.using(alias).update(last=0)
    return alias


def _destroy() -> None:
    from django.db import connections

    for alias, old_name in list(_created.items()):
        connections[alias].creation.destroy_test_db(old_name, verbosity=0)
        del _created[alias]
    if not _created and _SQLITE_DIR.exists():
        for child in _SQLITE_DIR.iterdir():
            child.unlink()
        _SQLITE_DIR.rmdir()


def django_store(
    request: pytest.FixtureRequest, kind: str, *, clock: Callable[[], int], **options: Any
) -> Any:
    """An empty :class:`DjangoStore` on ``kind``'s database, logging its messages."""
    from tenxyte_core.django.store import DjangoStore

    options.setdefault("log_messages", True)
    return DjangoStore(django_alias(request, kind), clock=clock, **options)


@pytest.fixture(params=["dict", "django-sqlite", "django-postgres"])
def python_store(request: pytest.FixtureRequest) -> Callable[[Callable[[], int]], Any]:
    """A factory of empty Python stores on a given clock: the dict store and the
    Django-ORM store on each database, held to the same contract tests."""
    kind: str = request.param
    if kind == "dict":
        return lambda clock: DictStore(clock=clock)
    alias = django_alias(request, kind)
    from tenxyte_core.django.store import DjangoStore

    return lambda clock: DjangoStore(alias, clock=clock, log_messages=True)


# One Django configuration for the whole session (settings.configure runs once): the DRF
# tests use it as is; test_django.py overrides ROOT_URLCONF and TENXYTE per test.
if not settings.configured:
    settings.configure(
        DEBUG=False,
        ALLOWED_HOSTS=["testserver"],
        ROOT_URLCONF="test_drf",
        SECRET_KEY="test-only",
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "rest_framework",
            "tenxyte_core.django",
        ],
        DATABASES=_databases(),
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        MIDDLEWARE=[],
        TENXYTE={"ENGINE": "test_drf.ENGINE"},
        REST_FRAMEWORK={
            "DEFAULT_AUTHENTICATION_CLASSES": ["tenxyte_core.django.drf.TenxyteAuthentication"],
            "UNAUTHENTICATED_USER": None,
        },
        PASSWORD_HASHERS=["tenxyte_core.django.hashers.TenxyteArgon2Hasher"],
    )
    django.setup()
