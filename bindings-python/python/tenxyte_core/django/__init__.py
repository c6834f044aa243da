"""Django integration: the Tenxyte HTTP API under ``urls.py``, guard decorators for plain
views and an argon2 ``PASSWORD_HASHERS`` entry, all on one process-wide :class:`Engine`.

settings.py::

    TENXYTE = {
        "preset": "medium",                      # "development", "medium", "robust"
        "settings": {"agents": {"enabled": True}},  # overrides on top of the preset
        "keys": "/etc/myproject/jwt.pem",       # a JWKS dict, a PEM path, or an HMAC secret
        "store": "django",   # the project's database (below), or "django:<alias>",
                             # "sqlite:/var/lib/myproject/tenxyte.sqlite", "memory"
    }

``"django"`` keeps Tenxyte's records in the project's own database through
:class:`tenxyte_core.django.store.DjangoStore`: add ``"tenxyte_core.django"`` to
``INSTALLED_APPS`` and run ``manage.py tenxyte_quickstart`` (migrate, first application).

urls.py::

    urlpatterns = [path("", include("tenxyte_core.django.urls")), ...]

views.py::

    from tenxyte_core.django.decorators import require_permission

    @require_permission("content.view")
    def articles(request): ...          # request.tenxyte_principal is set

``TENXYTE = {"ENGINE": "dotted.path"}`` (an :class:`Engine` or a factory, as for
``tenxyte_core.django.drf``) is accepted instead of the keys above.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string

from .._engine import Engine, GuardDecision
from .._native import KeySet, MemoryStore, SqliteStore

__all__ = [
    "build_engine",
    "get_engine",
    "guard_parts",
    "handle_parts",
    "request_parts",
    "to_response",
]

_lock = threading.Lock()
_engine: Engine | None = None

_KNOWN = frozenset({"preset", "settings", "keys", "store", "policy", "ENGINE"})


def _keys(keys: object) -> KeySet | None:
    """A JWKS dict, a PEM file (a ``Path`` or a str ending in ``.pem``), an HMAC secret
    (other str or bytes), a ready :class:`KeySet`, or ``None`` (development only)."""
    if keys is None or isinstance(keys, KeySet):
        return keys
    if isinstance(keys, Mapping):
        return KeySet.from_jwks(dict(keys))
    if isinstance(keys, Path) or (isinstance(keys, str) and keys.endswith(".pem")):
        return KeySet.from_pem(Path(keys).read_text(encoding="utf-8"))
    if isinstance(keys, str):
        return KeySet.from_hmac(keys.encode())
    if isinstance(keys, bytes):
        return KeySet.from_hmac(keys)
    raise TypeError(f'TENXYTE["keys"] cannot be a {type(keys).__name__}')


def _store(store: object) -> object:
    """``"memory"`` (default), ``"sqlite:<path>"``, ``"django"`` / ``"django:<alias>"``
    (:class:`~tenxyte_core.django.store.DjangoStore`), or a store object."""
    if store is None or store == "memory":
        return MemoryStore()
    if isinstance(store, str):
        if store.startswith("sqlite:") and len(store) > len("sqlite:"):
            return SqliteStore(store[len("sqlite:") :])
        if store == "django" or (store.startswith("django:") and len(store) > len("django:")):
            from django.apps import apps

            if not apps.is_installed("tenxyte_core.django"):
                raise ValueError(
                    'TENXYTE["store"] = "django" needs "tenxyte_core.django" in INSTALLED_APPS'
                )
            from .store import DjangoStore  # its models need the app registry

            return DjangoStore(store.partition(":")[2] or "default")
        raise ValueError(
            'TENXYTE["store"] must be "memory", "sqlite:<path>", "django" or '
            f'"django:<alias>", not {store!r}'
        )
    return store


def build_engine(config: Mapping[str, Any]) -> Engine:
    """An :class:`Engine` from a ``TENXYTE`` settings dict (see the module docstring)."""
    unknown = set(config) - _KNOWN
    if unknown:
        raise ValueError(f"unknown TENXYTE keys: {', '.join(sorted(unknown))}")
    target = config.get("ENGINE")
    if target is not None:
        found = import_string(target) if isinstance(target, str) else target
        engine = found if isinstance(found, Engine) else found()
        if not isinstance(engine, Engine):
            raise TypeError(f'TENXYTE["ENGINE"] gave {type(engine).__name__}')
        return engine
    overrides = config.get("settings")
    return Engine(
        dict(overrides) if overrides is not None else None,
        preset=config.get("preset"),
        keys=_keys(config.get("keys")),
        policy=config.get("policy"),
        store=_store(config.get("store")),
    )


def get_engine() -> Engine:
    """The process-wide engine, built from ``settings.TENXYTE`` on first use (and again
    after ``override_settings(TENXYTE=...)``)."""
    global _engine
    with _lock:
        if _engine is None:
            _engine = build_engine(getattr(settings, "TENXYTE", {}))
        return _engine


def _reset(*, setting: str, **kwargs: Any) -> None:
    global _engine
    if setting == "TENXYTE":
        with _lock:
            _engine = None


setting_changed.connect(_reset)


def client_ip(request: HttpRequest) -> str | None:
    ip = request.META.get("REMOTE_ADDR")
    return ip if isinstance(ip, str) and ip else None


def request_parts(request: HttpRequest, *, body: bool = True) -> dict[str, Any]:
    """What the engine needs of a Django request: ``method``, ``path``, ``query``,
    ``headers`` (from ``HTTP_*``, ``CONTENT_TYPE``, ``CONTENT_LENGTH``), ``body`` and
    ``client_ip`` (``REMOTE_ADDR``). ``body=False`` leaves the body unread (``b""``) for
    checks that do not need it, so a framework's parsers still get the stream."""
    headers = [
        (key[5:].replace("_", "-").title(), str(value))
        for key, value in request.META.items()
        if key.startswith("HTTP_")
    ]
    for key, name in (("CONTENT_TYPE", "Content-Type"), ("CONTENT_LENGTH", "Content-Length")):
        if request.META.get(key):
            headers.append((name, str(request.META[key])))
    return {
        "method": request.method or "GET",
        "path": request.path,
        "query": request.META.get("QUERY_STRING", ""),
        "headers": headers,
        "body": request.body if body else b"",
        "client_ip": client_ip(request),
    }


def guard_parts(
    engine: Engine, parts: Mapping[str, Any], requirements: Sequence[Mapping[str, Any]]
) -> GuardDecision:
    """:meth:`Engine.guard` on a request's :func:`request_parts`."""
    return engine.guard(
        parts["method"],
        parts["path"],
        headers=parts["headers"],
        body=parts["body"],
        query=parts["query"],
        client_ip=parts["client_ip"],
        requirements=requirements,
    )


def handle_parts(engine: Engine, parts: Mapping[str, Any]) -> HttpResponse:
    """:meth:`Engine.handle` on a request's :func:`request_parts`, as an ``HttpResponse``."""
    status, headers, body = engine.handle(
        parts["method"],
        parts["path"],
        headers=parts["headers"],
        body=parts["body"],
        query=parts["query"],
        client_ip=parts["client_ip"],
    )
    return to_response(status, headers, body)


def to_response(status: int, headers: list[tuple[str, str]], body: bytes) -> HttpResponse:
    """The core's ``(status, headers, body)`` as an ``HttpResponse``, headers verbatim."""
    response = HttpResponse(body, status=status)
    # Django sets its own default Content-Type; the engine's headers replace it, and a
    # repeated header is joined (RFC 9110 section 5.3).
    del response["Content-Type"]
    seen: set[str] = set()
    for name, value in headers:
        key = name.lower()
        response[name] = f"{response[name]}, {value}" if key in seen else value
        seen.add(key)
    return response
