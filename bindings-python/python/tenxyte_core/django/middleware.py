"""Django middleware: the core's guard in front of every view of the host, so a plain view
knows who calls it (and a bad token or missing application never reaches it).

settings.py::

    MIDDLEWARE = [
        ...,
        "tenxyte_core.django.middleware.TenxyteMiddleware",
    ]

For each request that resolves to a view outside the API (``api.prefix`` and the JWKS
are the ``tenxyte_core.django.urls`` include's own, guarded by the engine's routes), one
:meth:`Engine.guard` call decides:

- a view decorated by :mod:`tenxyte_core.django.decorators`: the guard runs with the
  view's requirements, and the decorators do not run it a second time;
- any other view: ``{"type": "application"}``, the application credentials
  (``X-Access-Key``/``X-Access-Secret``, with ``application_auth.exempt_paths``), and a
  token only when one is presented: a valid ``Bearer`` sets a user principal, a valid
  ``AgentBearer`` an agent principal (counted as one of the agent's calls, as every
  guarded agent call is), an invalid one is the API's 401 with ``WWW-Authenticate``;
  without a token the request passes anonymously and the view decides.

On allow the request carries ``tenxyte_principal`` (the guard's principal, or ``None``
when anonymous), ``tenxyte_user`` (the public user view of a user principal, else
``None``), ``tenxyte_app_id`` and ``tenxyte_org``: with ``X-Org-Slug`` and a user
principal (organizations enabled), the API's ``organizations/by-slug/`` answer
(``{"organization", "role", "via_org"}``); an unknown slug or a non-member is refused
with that route's 404 or 403.

An agent's JSON response is redacted by :meth:`Engine.redact_for_agent` when
``agents.redact_pii`` is on (the key list is the core's).

Decorate a class-based view's ``as_view()`` result (``require_jwt(V.as_view())``) rather
than its ``dispatch`` through ``method_decorator``: the middleware only sees requirements
attached to the resolved view.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse

from .._engine import Engine
from . import get_engine, guard_parts, request_parts, to_response

__all__ = ["TenxyteMiddleware"]

_APPLICATION: list[dict[str, Any]] = [{"type": "application"}]
_JWKS = "/.well-known/jwks.json"


class TenxyteMiddleware:
    """Application credentials, tokens, organization context and PII redaction for the
    host's own views, every decision taken by the engine (see the module docstring)."""

    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        # The settings the middleware reads, per engine (a new one after override_settings):
        # Engine.settings() converts the whole document, too much for every request.
        self._read: tuple[Engine, str, bool, bool] | None = None

    def _settings(self, engine: Engine) -> tuple[str, bool, bool]:
        """``api.prefix``, ``organizations.enabled`` and ``agents.redact_pii``."""
        read = self._read
        if read is None or read[0] is not engine:
            doc = engine.settings()
            read = (
                engine,
                doc["api"]["prefix"],
                bool(doc["organizations"]["enabled"]),
                bool(doc["agents"]["redact_pii"]),
            )
            self._read = read
        return read[1], read[2], read[3]

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        principal = getattr(request, "tenxyte_principal", None)
        if not isinstance(principal, dict) or principal.get("kind") != "agent":
            return response
        # Parsing the body is only worth it when the settings ask for redaction.
        engine = get_engine()
        return _redacted(engine, response) if self._settings(engine)[2] else response

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        engine = get_engine()
        prefix, orgs, _ = self._settings(engine)
        if request.path.startswith(prefix) or request.path == _JWKS:
            return None  # the API's own routes authenticate themselves
        if _guarded_by_drf(view_func):
            return None  # Tenxyte's DRF classes guard it, once (see drf.py)
        request.tenxyte_principal = None
        request.tenxyte_user = None
        request.tenxyte_app_id = None
        request.tenxyte_org = None
        declared: list[dict[str, Any]] | None = getattr(view_func, "tenxyte_requirements", None)
        parts = request_parts(request)
        decision = guard_parts(engine, parts, declared if declared is not None else _APPLICATION)
        if decision[0] != "allow":
            status, headers, body = decision[1]
            response: HttpResponse = to_response(status, headers, body)
            return response
        detail = decision[1]
        if declared is not None:
            # The view's decorators see this marker and do not guard the request again.
            request.tenxyte_guarded = declared
        kind = detail.get("kind")
        if kind == "anonymous":
            request.tenxyte_app_id = detail.get("app_id")
            return None
        request.tenxyte_principal = detail
        if kind != "user":
            return None
        request.tenxyte_user = detail["user"]
        request.tenxyte_app_id = detail.get("app_id")
        return _org_context(engine, request, parts, prefix) if orgs else None


def _guarded_by_drf(view_func: Callable[..., Any]) -> bool:
    """True for a DRF view (``as_view()`` keeps the class as ``.cls``) authenticated by one
    of Tenxyte's DRF classes: guarding it here too would count an agent's call twice."""
    classes = getattr(getattr(view_func, "cls", None), "authentication_classes", ())
    return any(getattr(c, "tenxyte_guards_view", False) for c in classes)


def _org_context(
    engine: Engine, request: HttpRequest, parts: dict[str, Any], prefix: str
) -> HttpResponse | None:
    """``X-Org-Slug`` resolved by the API's ``organizations/by-slug/`` route with the
    request's own credentials: the organization and the caller's role in it, or that
    route's refusal."""
    slug = request.headers.get("X-Org-Slug")
    if not slug:
        return None
    status, headers, body = engine.handle(
        "GET",
        f"{prefix}organizations/by-slug/{quote(slug, safe='')}/",
        headers=[
            (k, v)
            for k, v in parts["headers"]
            if k.lower() not in ("content-type", "content-length")
        ],
        client_ip=parts["client_ip"],
    )
    if status != 200:
        refusal: HttpResponse = to_response(status, headers, body)
        return refusal
    request.tenxyte_org = json.loads(body)
    return None


def _redacted(engine: Engine, response: HttpResponse) -> HttpResponse:
    """An agent's JSON response with the core's PII keys redacted (``agents.redact_pii``)."""
    if getattr(response, "streaming", False):
        return response
    if not str(response.get("Content-Type", "")).startswith("application/json"):
        return response
    try:
        value = json.loads(response.content)
    except ValueError:
        return response
    redacted = engine.redact_for_agent(value)
    if redacted is None:
        return response
    response.content = json.dumps(redacted, ensure_ascii=False, separators=(",", ":")).encode()
    if response.has_header("Content-Length"):
        response["Content-Length"] = str(len(response.content))
    return response
