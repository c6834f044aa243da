"""Django REST framework integration: authentication and permission classes, and the
Tenxyte HTTP API as a Django view.

settings.py::

    TENXYTE = {"ENGINE": "myproject.auth.engine"}   # dotted path to an Engine (or a
                                                    # zero-argument callable returning one)
    REST_FRAMEWORK = {
        "DEFAULT_AUTHENTICATION_CLASSES": ["tenxyte_core.django.drf.TenxyteAuthentication"],
    }

urls.py::

    from tenxyte_core.django.drf import api_urlpatterns
    urlpatterns = [*api_urlpatterns(), ...]          # /api/v1/auth/... and the JWKS

views::

    class Articles(APIView):
        permission_classes = [HasPermissions("content.view")]

``request.user`` is a :class:`TenxyteUser` (not a Django model: the users live in the
Tenxyte store) and ``request.auth`` the principal dict of :meth:`Engine.authenticate`.
A refused token is a 401 with ``WWW-Authenticate: Bearer``; a missing permission a 403.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, re_path
from django.utils.module_loading import import_string
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from .._engine import Engine
from .._errors import TenxyteError

__all__ = [
    "HasPermissions",
    "TenxyteAuthentication",
    "TenxyteUser",
    "api_urlpatterns",
    "api_view",
    "get_engine",
]


@lru_cache(maxsize=1)
def get_engine() -> Engine:
    """The engine named by ``settings.TENXYTE["ENGINE"]`` (resolved once)."""
    config: dict[str, Any] = getattr(settings, "TENXYTE", {})
    target = config.get("ENGINE")
    if target is None:
        raise RuntimeError('settings.TENXYTE["ENGINE"] must name an Engine')
    found = import_string(target) if isinstance(target, str) else target
    engine = found if isinstance(found, Engine) else found()
    if not isinstance(engine, Engine):
        raise RuntimeError(f'settings.TENXYTE["ENGINE"] gave {type(engine).__name__}')
    return engine


class TenxyteUser:
    """The authenticated user as DRF sees it: the public user view plus the token."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, principal: dict[str, Any], token: str) -> None:
        self.principal = principal
        self.token = token
        user: dict[str, Any] = principal["user"]
        self.id: str = user["id"]
        self.pk = self.id
        self.email: str | None = user.get("email")
        self.roles: list[str] = list(user.get("roles") or [])
        self.is_staff: bool = bool(user.get("is_staff"))
        self.is_superuser: bool = bool(user.get("is_superuser"))
        self.is_active: bool = bool(user.get("is_active", True))

    def __str__(self) -> str:
        return self.email or self.id


def _client_ip(request: HttpRequest) -> str | None:
    ip = request.META.get("REMOTE_ADDR")
    return ip if isinstance(ip, str) else None


class TenxyteAuthentication(BaseAuthentication):  # type: ignore[misc]
    """``Authorization: Bearer <access token>`` checked by :meth:`Engine.authenticate`
    (signature, blacklist, session, user). No bearer header: ``None`` (the next class
    tries); a refused token: ``AuthenticationFailed`` with the core's code."""

    keyword = b"bearer"

    def authenticate(self, request: Request) -> tuple[TenxyteUser, dict[str, Any]] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "Authorization: Bearer <token> with one token", code="malformed"
            )
        token = parts[1].decode("latin-1")
        try:
            principal = get_engine().authenticate(token, client_ip=_client_ip(request))
        except TenxyteError as e:
            raise exceptions.AuthenticationFailed(e.message, code=e.code) from e
        return TenxyteUser(principal, token), principal

    def authenticate_header(self, request: Request) -> str:
        # Supplying a challenge makes DRF answer 401 rather than 403 (DRF docs).
        return 'Bearer error="invalid_token"'


def HasPermissions(*permissions: str) -> type[BasePermission]:
    """A permission class requiring every permission (roles, inheritance and direct
    grants included, as :meth:`Engine.me` computes them)."""
    wanted: Sequence[str] = list(permissions)

    class _HasPermissions(BasePermission):  # type: ignore[misc]
        message = "missing permission: " + ", ".join(wanted)
        code = "permission_required" if len(wanted) == 1 else "permissions_required"

        def has_permission(self, request: Request, view: object) -> bool:
            user = request.user
            if not isinstance(user, TenxyteUser):
                return False
            try:
                me = get_engine().me(user.token, client_ip=_client_ip(request))
            except TenxyteError:
                return False
            held = set(me["permissions"])
            return all(p in held for p in wanted)

    _HasPermissions.__name__ = _HasPermissions.__qualname__ = "HasPermissions"
    return _HasPermissions


@csrf_exempt  # type: ignore[untyped-decorator]
def api_view(request: HttpRequest) -> HttpResponse:
    """The whole Tenxyte HTTP API through :meth:`Engine.handle` (CSRF-exempt: it
    authenticates with bearer tokens and application credentials, never cookies)."""
    headers = [
        (key[5:].replace("_", "-").title(), str(value))
        for key, value in request.META.items()
        if key.startswith("HTTP_")
    ]
    for key, name in (("CONTENT_TYPE", "Content-Type"), ("CONTENT_LENGTH", "Content-Length")):
        if request.META.get(key):
            headers.append((name, str(request.META[key])))
    status, out_headers, body = get_engine().handle(
        request.method or "GET",
        request.path,
        headers=headers,
        body=request.body,
        query=request.META.get("QUERY_STRING", ""),
        client_ip=_client_ip(request),
    )
    response = HttpResponse(body, status=status)
    # Django sets its own default Content-Type; the engine's headers replace it, and a
    # repeated header is joined (RFC 9110 section 5.3).
    del response["Content-Type"]
    seen: set[str] = set()
    for name, value in out_headers:
        key = name.lower()
        response[name] = f"{response[name]}, {value}" if key in seen else value
        seen.add(key)
    return response


def api_urlpatterns(engine: Engine | None = None) -> list[URLPattern]:
    """URL patterns serving :func:`api_view` under the engine's ``api.prefix``."""
    prefix: str = (engine or get_engine()).settings()["api"]["prefix"]
    return [
        re_path("^" + re.escape(prefix.lstrip("/")) + ".*$", api_view, name="tenxyte-api"),
        path(".well-known/jwks.json", api_view, name="tenxyte-jwks"),
    ]
