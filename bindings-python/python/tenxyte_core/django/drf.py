"""Django REST framework integration: authentication and permission classes over
:meth:`Engine.guard`, and the Tenxyte HTTP API as a Django view.

settings.py::

    TENXYTE = {"ENGINE": "myproject.auth.engine"}   # or the keys of tenxyte_core.django
    REST_FRAMEWORK = {
        "DEFAULT_AUTHENTICATION_CLASSES": [
            "tenxyte_core.django.drf.TenxyteBearerAuthentication",  # users: Bearer
            "tenxyte_core.django.drf.TenxyteAgentAuthentication",   # agents: AgentBearer
        ],
        # Optional: DRF's default handler is replaced for Tenxyte refusals anyway.
        "EXCEPTION_HANDLER": "tenxyte_core.django.drf.exception_handler",
    }

urls.py::

    from tenxyte_core.django.drf import api_urlpatterns
    urlpatterns = [*api_urlpatterns(), ...]          # /api/v1/auth/... and the JWKS

views::

    class Articles(APIView):
        permission_classes = [HasPermission("content.view")]

    class Publish(APIView):
        permission_classes = [AgentClearance("content.publish", human_approval=True)]

The permission factories return permission *classes* (what DRF's ``permission_classes``
holds): :func:`HasPermission`, :func:`HasRole`, :func:`HasOrgPermission` (in the
organization named by ``X-Org-Slug``), :func:`AgentClearance` and :class:`HasVerifiedEmail`;
a project may also subclass :class:`TenxytePermission` and set ``requirements``.

Every decision is :meth:`Engine.guard`'s. The requirements of a view's Tenxyte permissions
that must all hold (the ``permission_classes`` list and ``&``) are decided together, in
one guard call shared by the authentication class and every permission class (kept on
the request, keyed by the requirements): an agent's call is counted once. A class under
``|`` or ``~`` asks the guard for those requirements plus its own, and answers a boolean.

A refusal, or a 202 while a human approves an agent's action, is raised as
:class:`GuardResponse` (an ``APIException`` carrying the guard's status, headers and
body); :func:`exception_handler` sends it byte for byte. While the view uses DRF's default
``EXCEPTION_HANDLER``, the classes substitute :func:`exception_handler` on that view
instance; a project's own handler gets the ``GuardResponse`` (its ``detail`` is the parsed
body, so DRF's default handling gives the same status, JSON and challenge).

``request.user`` is a :class:`TenxyteUser` or a :class:`TenxyteAgent` (not Django models:
users live in the Tenxyte store) and ``request.auth`` the guard's principal.

The older :class:`TenxyteAuthentication` (over :meth:`Engine.authenticate`) and
:func:`HasPermissions` keep DRF's own 401/403 bodies (``{"detail": ...}``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, re_path
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import AND, BasePermission
from rest_framework.request import Request

from .._engine import Engine, GuardDecision
from .._errors import TenxyteError
from . import client_ip, get_engine, guard_parts, handle_parts, request_parts, to_response

__all__ = [
    "AgentClearance",
    "GuardResponse",
    "HasOrgPermission",
    "HasPermission",
    "HasPermissions",
    "HasRole",
    "HasVerifiedEmail",
    "TenxyteAgent",
    "TenxyteAgentAuthentication",
    "TenxyteAuthentication",
    "TenxyteBearerAuthentication",
    "TenxytePermission",
    "TenxyteUser",
    "api_urlpatterns",
    "api_view",
    "decide",
    "exception_handler",
    "get_engine",
    "view_requirements",
]


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
            principal = get_engine().authenticate(token, client_ip=client_ip(request))
        except TenxyteError as e:
            raise exceptions.AuthenticationFailed(e.message, code=e.code) from e
        return TenxyteUser(principal, token), principal

    def authenticate_header(self, request: Request) -> str:
        # Supplying a challenge makes DRF answer 401 rather than 403 (DRF docs).
        return 'Bearer error="invalid_token"'


# ----- the guard ----------------------------------------------------------------------

_AUTHENTICATED: dict[str, Any] = {"type": "authenticated"}

#: Where the guard's decisions live on the Django request (keyed by requirements).
_DECISIONS = "_tenxyte_drf_decisions"


class TenxyteAgent:
    """An AI agent as DRF sees it (``Authorization: AgentBearer``): the guard's agent
    principal. ``id``/``pk`` are the delegating human's user id (the agent acts for
    them); ``token_id`` and ``agent_id`` name the agent. Never staff: nothing of the
    kind is delegated."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    is_agent = True

    def __init__(self, principal: dict[str, Any]) -> None:
        self.principal = principal
        self.user_id: str = principal["user_id"]
        self.id = self.pk = self.user_id
        self.token_id: str = principal["token_id"]
        self.agent_id: str = principal["agent_id"]

    def __str__(self) -> str:
        return f"{self.agent_id} for {self.user_id}"


def _django_request(request: Any) -> HttpRequest:
    inner: HttpRequest = getattr(request, "_request", request)
    return inner


def _view_of(request: Any) -> Any:
    context = getattr(request, "parser_context", None)
    return context.get("view") if isinstance(context, dict) else None


def decide(request: Any, requirements: Sequence[Mapping[str, Any]]) -> GuardDecision:
    """:meth:`Engine.guard`'s decision for this request and ``requirements``, made once
    per request and requirement list (the authentication class and the permission
    classes of a view ask for the same list: one call, one counted agent call)."""
    http = _django_request(request)
    wanted = [dict(r) for r in requirements]
    key = json.dumps(wanted, sort_keys=True)
    decisions: dict[str, GuardDecision] = http.__dict__.setdefault(_DECISIONS, {})
    found = decisions.get(key)
    if found is None:
        # The body matters to an agent's call only (the human approves that request);
        # user-only checks leave it unread for the view's parsers.
        agents = any(r.get("type") == "agent_clearance" for r in wanted)
        found = guard_parts(get_engine(), request_parts(http, body=agents), wanted)
        decisions[key] = found
    return found


def view_requirements(view: Any) -> list[dict[str, Any]]:
    """The guard requirements a view's Tenxyte permissions need together: ``authenticated``
    plus those of every :class:`TenxytePermission` in ``view.get_permissions()`` and
    under ``&`` (not under ``|`` or ``~``, which are no requirement of the view)."""
    out: list[dict[str, Any]] = [dict(_AUTHENTICATED)]
    get = getattr(view, "get_permissions", None)
    stack: list[Any] = list(reversed(list(get()))) if callable(get) else []
    while stack:
        node = stack.pop()
        if isinstance(node, TenxytePermission):
            for requirement in node.requirements:
                if dict(requirement) not in out:
                    out.append(dict(requirement))
        elif isinstance(node, AND):
            stack.extend((node.op2, node.op1))
    return out


def _header(headers: Sequence[tuple[str, str]], name: str) -> str | None:
    return next((v for k, v in headers if k.lower() == name.lower()), None)


class GuardResponse(exceptions.APIException):  # type: ignore[misc]
    """The guard's answer when it does not allow the request: a refusal (401, 403, 429,
    ...) or a 202 while a human approves an agent's action.

    :func:`exception_handler` sends ``status_code``, ``raw_headers`` and ``body`` as
    they are. For any other handler ``detail`` is the parsed body and ``auth_header``,
    ``wait`` the challenge and ``Retry-After``, so DRF's own handling gives the same
    status, JSON and those two headers."""

    def __init__(self, status_code: int, headers: Sequence[tuple[str, str]], body: bytes) -> None:
        # Not APIException.__init__: it would turn every value of the body into a string.
        self.status_code = status_code
        self.raw_headers: list[tuple[str, str]] = list(headers)
        self.body = body
        detail: Any
        try:
            detail = json.loads(body) if body else {}
        except ValueError:
            detail = body.decode("utf-8", "replace")
        self.detail = detail
        code = detail.get("code") if isinstance(detail, dict) else None
        self.code: str | None = code if isinstance(code, str) else None
        self.auth_header = _header(self.raw_headers, "WWW-Authenticate")
        wait = _header(self.raw_headers, "Retry-After")
        self.wait = int(wait) if wait is not None and wait.isdigit() else None

    def __str__(self) -> str:
        return f"{self.status_code} {self.code or self.detail}"

    def get_codes(self) -> str | None:
        return self.code

    def get_full_details(self) -> Any:
        return self.detail


def exception_handler(exc: Exception, context: dict[str, Any]) -> HttpResponse | None:
    """DRF's ``EXCEPTION_HANDLER`` sending a :class:`GuardResponse` byte for byte (the
    core's status, headers and body; DRF then adds its ``Allow`` and ``Vary``); anything
    else goes to DRF's default handler."""
    # rest_framework.views imports the authentication classes named in the settings
    # (this module among them): imported here, not at the top.
    from rest_framework.views import exception_handler as drf_exception_handler
    from rest_framework.views import set_rollback

    if isinstance(exc, GuardResponse):
        set_rollback()
        response: HttpResponse = to_response(exc.status_code, exc.raw_headers, exc.body)
        return response
    handled: HttpResponse | None = drf_exception_handler(exc, context)
    return handled


def _handler_of_view() -> Any:
    return exception_handler


def _respond(view: Any, answer: tuple[int, list[tuple[str, str]], bytes]) -> GuardResponse:
    """The exception to raise for the guard's ``answer``. A view still on DRF's default
    handler gets :func:`exception_handler` (on this instance only: DRF makes one view
    instance per request); a project's own handler is left to decide."""
    from rest_framework.views import exception_handler as drf_exception_handler

    get = getattr(view, "get_exception_handler", None)
    if callable(get) and get() is drf_exception_handler:
        view.get_exception_handler = _handler_of_view
    status, headers, body = answer
    return GuardResponse(status, headers, body)


# ----- authentication classes ---------------------------------------------------------


class _GuardAuthentication(BaseAuthentication):  # type: ignore[misc]
    scheme: ClassVar[str] = "Bearer"
    #: Read by :class:`tenxyte_core.django.middleware.TenxyteMiddleware`: a view
    #: authenticated by these classes is guarded here, once, with its permission classes'
    #: requirements, so the middleware leaves it alone (an agent's call counts once).
    tenxyte_guards_view: ClassVar[bool] = True

    def authenticate(
        self, request: Request
    ) -> tuple[TenxyteUser | TenxyteAgent, dict[str, Any]] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.scheme.lower().encode():
            return None
        # The whole header goes to the guard, which judges its form too.
        view = _view_of(request)
        decision = decide(request, view_requirements(view))
        if decision[0] != "allow":
            raise _respond(view, decision[1])
        principal: dict[str, Any] = decision[1]
        if principal.get("kind") == "agent":
            return TenxyteAgent(principal), principal
        token = parts[1].decode("latin-1") if len(parts) == 2 else ""
        return TenxyteUser(principal, token), principal

    def authenticate_header(self, request: Request) -> str:
        # A challenge makes DRF answer 401 rather than 403 when its own classes refuse
        # (IsAuthenticated without credentials): the core's challenge for no token, in
        # this class's scheme. The guard's own refusals carry theirs.
        decision = get_engine().guard("GET", _django_request(request).path, headers=[])
        found = _header(decision[1][1], "WWW-Authenticate") if decision[0] == "respond" else None
        _, space, params = (found or "").partition(" ")
        return self.scheme + space + params


class TenxyteBearerAuthentication(_GuardAuthentication):
    """Users: ``Authorization: Bearer <access token>``, decided by :meth:`Engine.guard`
    with the view's requirements (:func:`view_requirements`). No bearer header: ``None``
    (the next class tries); a refusal: :class:`GuardResponse` with the guard's answer
    (401 with its ``WWW-Authenticate``, or 403, 429, ... for the view's requirements).
    ``request.user`` is a :class:`TenxyteUser`, ``request.auth`` the guard's principal."""

    scheme = "Bearer"


class TenxyteAgentAuthentication(_GuardAuthentication):
    """AI agents: ``Authorization: AgentBearer <txa_...>``, decided by :meth:`Engine.guard`
    with the view's requirements. A view without :func:`AgentClearance` refuses agents
    (the core's ``agent_permission_denied``). ``request.user`` is a :class:`TenxyteAgent`."""

    scheme = "AgentBearer"


# ----- permission classes -------------------------------------------------------------


class TenxytePermission(BasePermission):  # type: ignore[misc]
    """A DRF permission class holding :meth:`Engine.guard` requirements (``docs/http.md``).

    Subclass it with ``requirements = ({"type": "permission", "code": "x"},)`` or use the
    factories (:func:`HasPermission`, ...). Listed in ``permission_classes`` or under
    ``&``, the view's requirements are decided together and a refusal raises
    :class:`GuardResponse`; under ``|`` or ``~`` the class answers a boolean (DRF then
    answers its own 403, or 401 without credentials)."""

    requirements: ClassVar[Sequence[Mapping[str, Any]]] = ()

    def has_permission(self, request: Request, view: Any) -> bool:
        together = view_requirements(view)
        mine = [dict(r) for r in self.requirements]
        if all(r in together for r in mine):
            decision = decide(request, together)
            if decision[0] == "allow":
                return True
            raise _respond(view, decision[1])
        # Under | or ~: the view's requirements hold whatever this answers, so asking for
        # them with this class's own changes nothing but this class's answer.
        decision = decide(request, [*together, *(r for r in mine if r not in together)])
        return decision[0] == "allow"


def _permission(name: str, requirement: dict[str, Any]) -> type[BasePermission]:
    # Typed as DRF's class (Any to mypy), so that &, | and ~ type-check on the result.
    cls: type[BasePermission] = type(name, (TenxytePermission,), {"requirements": (requirement,)})
    cls.__module__ = __name__
    return cls


def HasPermission(code: str) -> type[BasePermission]:
    """A permission class: the user holds RBAC permission ``code`` (roles, inheritance,
    direct grants; an agent: delegated and still held by its human)."""
    return _permission("HasPermission", {"type": "permission", "code": code})


def HasRole(code: str) -> type[BasePermission]:
    """A permission class: the user has role ``code`` (agents refused: roles are not
    delegated)."""
    return _permission("HasRole", {"type": "role", "code": code})


def HasOrgPermission(code: str) -> type[BasePermission]:
    """A permission class: the user holds ``code`` in the organization named by the
    ``X-Org-Slug`` header (inherited down the organization tree)."""
    return _permission("HasOrgPermission", {"type": "org_permission", "code": code})


def AgentClearance(
    permission: str | None = None, *, human_approval: bool = False
) -> type[BasePermission]:
    """A permission class letting agents (``TenxyteAgentAuthentication``) call the view,
    holding ``permission`` if given (users need it too). With ``human_approval`` each
    agent call answers 202 with the core's pending action until it is retried with the
    human's ``X-Action-Confirmation`` (and the same body)."""
    return _permission(
        "AgentClearance",
        {"type": "agent_clearance", "permission": permission, "human_approval": human_approval},
    )


class HasVerifiedEmail(TenxytePermission):
    """The user's e-mail address is verified (the core's ``email_not_verified``)."""

    requirements = ({"type": "verified_email"},)


def HasPermissions(*permissions: str) -> type[BasePermission]:
    """The older permission class: every permission, decided by :meth:`Engine.guard`,
    for a :class:`TenxyteUser`; a refusal is DRF's own 403 (``{"detail": ...}``)."""
    wanted: Sequence[str] = list(permissions)

    class _HasPermissions(BasePermission):  # type: ignore[misc]
        message = "missing permission: " + ", ".join(wanted)
        code = "permission_required" if len(wanted) == 1 else "permissions_required"

        def has_permission(self, request: Request, view: object) -> bool:
            if not isinstance(request.user, TenxyteUser):
                return False
            needed = [_AUTHENTICATED, *({"type": "permission", "code": p} for p in wanted)]
            return decide(request, needed)[0] == "allow"

    _HasPermissions.__name__ = _HasPermissions.__qualname__ = "HasPermissions"
    return _HasPermissions


@csrf_exempt  # type: ignore[untyped-decorator]
def api_view(request: HttpRequest) -> HttpResponse:
    """The whole Tenxyte HTTP API through :meth:`Engine.handle` (CSRF-exempt: it
    authenticates with bearer tokens and application credentials, never cookies)."""
    return handle_parts(get_engine(), request_parts(request))


def api_urlpatterns(engine: Engine | None = None) -> list[URLPattern]:
    """URL patterns serving :func:`api_view` under the engine's ``api.prefix``."""
    prefix: str = (engine or get_engine()).settings()["api"]["prefix"]
    return [
        re_path("^" + re.escape(prefix.lstrip("/")) + ".*$", api_view, name="tenxyte-api"),
        path(".well-known/jwks.json", api_view, name="tenxyte-jwks"),
    ]
