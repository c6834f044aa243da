"""FastAPI integration: the Tenxyte HTTP API as a router, and security dependencies.

::

    from typing import Annotated, Any
    from fastapi import FastAPI
    from tenxyte_core.fastapi import api_router, require_agent_clearance, require_permission

    app = FastAPI()
    app.include_router(api_router(engine))          # /api/v1/auth/... and the JWKS

    Viewer = Annotated[dict[str, Any], require_permission(engine, "content.view")]

    @app.get("/articles")
    def articles(principal: Viewer): ...

    @app.post("/articles/{id}/publish")
    def publish(
        principal: Annotated[
            dict[str, Any],
            require_agent_clearance(engine, "content.publish", human_approval=True),
        ],
    ): ...

``engine`` is an :class:`Engine` (each call then runs in Starlette's thread pool; the
native work releases the GIL) or an :class:`AsyncEngine` (awaited on the loop).

The ``require_*`` functions return ``Security(...)`` dependencies whose **scopes** are the
route's requirements; they appear in the app's OpenAPI document on the operation's
``security`` (``{"Bearer": ["content.view"]}``, ``{"AgentBearer": [...]}``) with the
schemes ``Bearer`` (a user's access token), ``AgentBearer`` (an agent token) and, when
the core wants application credentials, ``AccessKey``/``AccessSecret``. A scope is a
permission code, ``role:<code>``, ``org:<code>`` (in the organization named by
``X-Org-Slug``), ``email:verified``, ``phone:verified``, ``any:<code>,<code>`` (one of the
permissions), ``any-role:<code>,<code>``, ``org-member`` (a member of the ``X-Org-Slug``
organization), ``org-role:<code>`` (that org role, an ancestor's counting),
``org-role-direct:<code>`` (in that organization itself), ``agent`` (agents may call) or
``agent:approval`` (each agent call waits for the human). Every decision is
:meth:`Engine.guard`'s, one call per request with the scopes of all the route's Tenxyte
dependencies together; a refusal
(401, 403, 429, ...) or a 202 pending approval is sent exactly as the guard gave it
(status, headers, body) through :func:`guard_response_handler`.

The older :func:`current_user` and :func:`require_permissions` are plain ``Depends``
dependencies over :meth:`Engine.authenticate` and :meth:`Engine.me`; their failures are
``HTTPException`` with ``{"error", "code", "details"}`` as the detail.
"""

import json
from collections.abc import Awaitable, Sequence
from typing import Annotated, Any, Callable, Optional, Union

from fastapi import APIRouter, Depends, HTTPException, Request, Response, Security
from fastapi.security import (
    APIKeyHeader,
    HTTPAuthorizationCredentials,
    HTTPBearer,
    SecurityScopes,
)
from fastapi.security.http import HTTPBase
from starlette.concurrency import run_in_threadpool

from ._async_engine import AsyncEngine
from ._engine import Engine
from ._errors import TenxyteError

__all__ = [
    "AnyEngine",
    "GuardResponse",
    "Guards",
    "api_router",
    "current_user",
    "guard_response_handler",
    "guards",
    "http_exception",
    "require_agent_clearance",
    "require_all_permissions",
    "require_all_roles",
    "require_any_permission",
    "require_any_role",
    "require_jwt",
    "require_org_admin",
    "require_org_membership",
    "require_org_owner",
    "require_org_permission",
    "require_org_role",
    "require_permission",
    "require_permissions",
    "require_role",
    "require_verified_email",
    "require_verified_phone",
    "requirements_from_scopes",
]

_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

#: Either engine: the synchronous one runs in the thread pool, the async one is awaited.
AnyEngine = Union[Engine, AsyncEngine]

Dependency = Callable[..., Awaitable[dict[str, Any]]]


async def _call(engine: AnyEngine, method: str, *args: Any, **kwargs: Any) -> Any:
    """Calls ``engine.<method>`` without blocking the event loop."""
    if isinstance(engine, AsyncEngine):
        return await getattr(engine, method)(*args, **kwargs)
    return await run_in_threadpool(getattr(engine, method), *args, **kwargs)


def _client_ip(request: Request) -> Optional[str]:
    return request.client.host if request.client else None


def http_exception(error: TenxyteError) -> HTTPException:
    """The ``HTTPException`` for a core error (status, body and challenge header)."""
    headers: dict[str, str] | None = None
    if error.http_status == 401:
        headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
    return HTTPException(
        status_code=error.http_status,
        detail={"error": error.message, "code": error.code, "details": error.details},
        headers=headers,
    )


def api_router(engine: AnyEngine) -> APIRouter:
    """A router serving the whole Tenxyte HTTP API through :meth:`Engine.handle`.

    Routes live under the engine's ``api.prefix`` (``/api/v1/auth/`` by default) plus
    ``/.well-known/jwks.json``; they are left out of the app's own OpenAPI document
    (the engine publishes its own: ``engine.openapi()``).
    """
    prefix: str = engine.settings()["api"]["prefix"]

    async def endpoint(request: Request) -> Response:
        body = await request.body()
        status, headers, out = await _call(
            engine,
            "handle",
            request.method,
            request.url.path,
            headers=list(request.headers.items()),
            body=body,
            query=request.url.query,
            client_ip=_client_ip(request),
        )
        response = Response(content=out, status_code=status)
        for name, value in headers:
            response.headers.append(name, value)
        return response

    router = APIRouter()
    router.add_api_route(
        prefix + "{path:path}", endpoint, methods=_METHODS, include_in_schema=False
    )
    router.add_api_route(
        "/.well-known/jwks.json", endpoint, methods=["GET"], include_in_schema=False
    )
    return router


def _bearer(scheme_name: str) -> HTTPBearer:
    return HTTPBearer(auto_error=False, scheme_name=scheme_name)


def _missing_token() -> HTTPException:
    return HTTPException(
        status_code=401,
        detail={
            "error": "Authorization: Bearer <token> is required",
            "code": "not_authenticated",
            "details": {},
        },
        headers={"WWW-Authenticate": "Bearer"},
    )


def current_user(engine: AnyEngine, *, scheme_name: str = "TenxyteBearer") -> Dependency:
    """A dependency returning :meth:`Engine.authenticate`'s principal
    (``{"user", "session_id", "jti", "expires_at", "app_id", "scope"}``)."""
    scheme = _bearer(scheme_name)

    async def dependency(
        request: Request,
        # Optional, not `| None`: FastAPI evaluates this annotation at run time (3.9).
        credentials: Annotated[Optional[HTTPAuthorizationCredentials], Depends(scheme)],
    ) -> dict[str, Any]:
        if credentials is None:
            raise _missing_token()
        try:
            principal: dict[str, Any] = await _call(
                engine, "authenticate", credentials.credentials, client_ip=_client_ip(request)
            )
        except TenxyteError as e:
            raise http_exception(e) from e
        return principal

    return dependency


def require_permissions(
    engine: AnyEngine, *permissions: str, scheme_name: str = "TenxyteBearer"
) -> Dependency:
    """A dependency that authenticates and requires every permission (roles,
    inheritance and direct grants included); returns :meth:`Engine.me`'s answer
    (``{"user", "roles", "permissions", "session_id"}``). 403 names what is missing."""
    scheme = _bearer(scheme_name)
    wanted = list(permissions)

    async def dependency(
        request: Request,
        # Optional, not `| None`: FastAPI evaluates this annotation at run time (3.9).
        credentials: Annotated[Optional[HTTPAuthorizationCredentials], Depends(scheme)],
    ) -> dict[str, Any]:
        if credentials is None:
            raise _missing_token()
        try:
            me: dict[str, Any] = await _call(
                engine, "me", credentials.credentials, client_ip=_client_ip(request)
            )
        except TenxyteError as e:
            raise http_exception(e) from e
        held = set(me["permissions"])
        missing = [p for p in wanted if p not in held]
        if missing:
            code = "permission_required" if len(wanted) == 1 else "permissions_required"
            raise HTTPException(
                status_code=403,
                detail={
                    "error": "missing permission: " + ", ".join(missing),
                    "code": code,
                    "details": {"missing": missing},
                },
            )
        return me

    return dependency


# ----- the guard as Security dependencies ---------------------------------------------

_SCHEME_HELP = (
    " The operation's scopes are what the route requires: a permission code, "
    "`role:<code>`, `org:<code>` (in the organization named by `X-Org-Slug`), "
    "`email:verified`, `phone:verified`, `any:<code>,<code>` (one of the permissions), "
    "`any-role:<code>,<code>`, `org-member`, `org-role:<code>` (an ancestor's counting), "
    "`org-role-direct:<code>`, `agent` (agents may call) and `agent:approval` (each agent call "
    "waits for the delegating human's approval)."
)


class GuardResponse(HTTPException):
    """The guard's answer when it does not allow the request: a refusal (401, 403, 429,
    ...) or a 202 while a human approves an agent's action.

    :func:`guard_response_handler` sends ``status_code``, ``raw_headers`` and ``body``
    unchanged. Without that handler FastAPI's ``HTTPException`` handler would still send
    the same status and headers, with the body as ``{"detail": ...}``.
    """

    def __init__(self, status_code: int, headers: Sequence[tuple[str, str]], body: bytes) -> None:
        try:
            detail: Any = json.loads(body) if body else None
        except ValueError:
            detail = body.decode("utf-8", "replace")
        super().__init__(status_code=status_code, detail=detail, headers=dict(headers))
        self.raw_headers: list[tuple[str, str]] = list(headers)
        self.body = body


def guard_response_handler(request: Request, exc: Exception) -> Response:
    """The exception handler for :class:`GuardResponse`: the guard's response, as is.

    The Tenxyte dependencies register it on the app's exception middleware the first
    time they refuse a request, unless the app has a handler for ``GuardResponse``;
    ``app.add_exception_handler(GuardResponse, guard_response_handler)`` does it upfront.
    """
    if not isinstance(exc, GuardResponse):  # pragma: no cover - registered for it only
        raise exc
    response = Response(content=exc.body, status_code=exc.status_code)
    for name, value in exc.raw_headers:
        response.headers.append(name, value)
    return response


def _ensure_handler(request: Request) -> None:
    # Starlette's ExceptionMiddleware shares its handler table through the scope; the
    # handler lookup after the raise reads that same table.
    tables = request.scope.get("starlette.exception_handlers")
    if isinstance(tables, tuple) and tables and isinstance(tables[0], dict):
        tables[0].setdefault(GuardResponse, guard_response_handler)


def requirements_from_scopes(scopes: Sequence[str]) -> list[dict[str, Any]]:
    """The :meth:`Engine.guard` requirements named by Security scopes (see the module
    docstring); an unprefixed scope is a permission code. Duplicates are dropped."""
    out: list[dict[str, Any]] = [{"type": "authenticated"}]
    clearance = False
    approval = False
    for scope in scopes:
        kind, sep, rest = scope.partition(":")
        req: dict[str, Any]
        if scope == "agent":
            clearance = True
            continue
        if scope == "agent:approval":
            clearance = approval = True
            continue
        if scope == "email:verified":
            req = {"type": "verified_email"}
        elif scope == "phone:verified":
            req = {"type": "verified_phone"}
        elif scope == "org-member":
            req = {"type": "org_member"}
        elif sep and kind in ("any", "any-role"):
            codes = [c for c in rest.split(",") if c]
            req = {"type": "any_permission" if kind == "any" else "any_role", "codes": codes}
        elif sep and kind in ("org-role", "org-role-direct"):
            req = {"type": "org_role", "code": rest, "inherit": kind == "org-role"}
        elif sep and kind == "role":
            req = {"type": "role", "code": rest}
        elif sep and kind == "org":
            req = {"type": "org_permission", "code": rest}
        else:
            req = {"type": "permission", "code": scope}
        if req not in out:
            out.append(req)
    if clearance:
        out.append({"type": "agent_clearance", "permission": None, "human_approval": approval})
    return out


def _scopes_of(dependant: Any) -> list[str]:
    """The scopes in force at one node of FastAPI's dependency tree."""
    own = getattr(dependant, "own_oauth_scopes", None)
    parent = getattr(dependant, "parent_oauth_scopes", None)
    if own is not None or parent is not None:
        return [*(parent or []), *(own or [])]
    return list(getattr(dependant, "security_scopes", None) or [])  # older FastAPI


class Guards:
    """One engine's guard dependencies and security schemes.

    ``user`` (schemes ``Bearer``, plus the application headers when the core wants them)
    and ``agent`` (``Bearer`` or ``AgentBearer``) are the dependency callables behind the
    ``require_*`` functions, to use as ``Security(guards(engine).user, scopes=[...])``.
    Both return :meth:`Engine.guard`'s principal: ``{"kind": "user", "user",
    "session_id", "app_id"}`` or ``{"kind": "agent", "user_id", "token_id", "agent_id"}``.
    """

    def __init__(self, engine: AnyEngine) -> None:
        self.engine = engine
        self.bearer = HTTPBearer(
            scheme_name="Bearer",
            bearerFormat="JWT",
            description="A user's access token: `Authorization: Bearer <token>`." + _SCHEME_HELP,
            auto_error=False,
        )
        self.agent_bearer = HTTPBase(
            scheme="AgentBearer",
            scheme_name="AgentBearer",
            description=(
                "An AI agent's delegated token: `Authorization: AgentBearer <txa_...>`; "
                "retry a 202 with the human's `X-Action-Confirmation`." + _SCHEME_HELP
            ),
            auto_error=False,
        )
        app_keys = self._app_keys(bool(engine.settings()["application_auth"]["enabled"]))
        bearer, agent_bearer = self.bearer, self.agent_bearer

        async def user(
            request: Request,
            security_scopes: SecurityScopes,
            _token: Annotated[Optional[HTTPAuthorizationCredentials], Depends(bearer)],
            _app: Annotated[None, Depends(app_keys)],
        ) -> dict[str, Any]:
            return await self.decide(request, security_scopes.scopes)

        async def agent(
            request: Request,
            security_scopes: SecurityScopes,
            _token: Annotated[Optional[HTTPAuthorizationCredentials], Depends(bearer)],
            _agent: Annotated[Optional[HTTPAuthorizationCredentials], Depends(agent_bearer)],
            _app: Annotated[None, Depends(app_keys)],
        ) -> dict[str, Any]:
            return await self.decide(request, [*security_scopes.scopes, "agent"])

        self.user: Dependency = user
        self.agent: Dependency = agent

    @staticmethod
    def _app_keys(enabled: bool) -> Callable[..., Awaitable[None]]:
        if not enabled:

            async def none() -> None:
                return None

            return none
        key = APIKeyHeader(
            name="X-Access-Key",
            scheme_name="AccessKey",
            description="The application's access key (sent with X-Access-Secret).",
            auto_error=False,
        )
        secret = APIKeyHeader(
            name="X-Access-Secret",
            scheme_name="AccessSecret",
            description="The application's access secret (sent with X-Access-Key).",
            auto_error=False,
        )

        async def app(
            _key: Annotated[Optional[str], Depends(key)],
            _secret: Annotated[Optional[str], Depends(secret)],
        ) -> None:
            return None

        return app

    def route_scopes(self, request: Request) -> list[str]:
        """The scopes of every dependency of this engine on the request's route, so
        that stacked dependencies make one guard call (as the core wants: one agent
        call counted once, one permission checked for it)."""
        route = request.scope.get("route")
        if route is None:
            return []
        found: list[str] = []
        stack = [getattr(route, "dependant", None)]
        while stack:
            node = stack.pop()
            if node is None:
                continue
            call = getattr(node, "call", None)
            if call is self.user or call is self.agent:
                found.extend(_scopes_of(node))
                if call is self.agent:
                    found.append("agent")
            stack.extend(reversed(getattr(node, "dependencies", None) or []))
        return found

    async def decide(self, request: Request, scopes: Sequence[str]) -> dict[str, Any]:
        """Runs the guard once per request and returns its principal, or raises
        :class:`GuardResponse` with the guard's response."""
        requirements = requirements_from_scopes([*self.route_scopes(request), *scopes])
        # Keyed by what was decided: the route's dependencies all ask for the same union
        # (one call); were one left out of it, it would get a decision of its own.
        key = (id(self), json.dumps(requirements, sort_keys=True))
        decisions: dict[tuple[int, str], Any] = request.scope.setdefault("tenxyte.guard", {})
        decision = decisions.get(key)
        if decision is None:
            # The body matters to an agent's call only (a human approves that request);
            # user-only routes leave it unread for the endpoint.
            agents = any(r["type"] == "agent_clearance" for r in requirements)
            decision = await _call(
                self.engine,
                "guard",
                request.method,
                request.url.path,
                headers=list(request.headers.items()),
                body=await request.body() if agents else b"",
                query=request.url.query,
                client_ip=_client_ip(request),
                requirements=requirements,
            )
            decisions[key] = decision
        if decision[0] == "allow":
            principal: dict[str, Any] = decision[1]
            return principal
        status, headers, body = decision[1]
        _ensure_handler(request)
        raise GuardResponse(status, headers, body)


def guards(engine: AnyEngine) -> Guards:
    """The :class:`Guards` of ``engine``: one per engine (kept on it), so that its
    dependencies are recognised together on a route."""
    found = getattr(engine, "_tenxyte_fastapi_guards", None)
    if not isinstance(found, Guards):
        found = Guards(engine)
        engine._tenxyte_fastapi_guards = found  # type: ignore[union-attr]
    return found


def require_jwt(engine: AnyEngine) -> Any:
    """``Security``: a valid full-scope user access token (``Authorization: Bearer``)."""
    return Security(guards(engine).user)


def require_permission(engine: AnyEngine, code: str) -> Any:
    """``Security``: the user holds RBAC permission ``code`` (scope ``code``)."""
    return Security(guards(engine).user, scopes=[code])


def require_role(engine: AnyEngine, code: str) -> Any:
    """``Security``: the user has role ``code`` (scope ``role:<code>``; agents are
    refused, roles are not delegated)."""
    return Security(guards(engine).user, scopes=["role:" + code])


def require_org_permission(engine: AnyEngine, code: str) -> Any:
    """``Security``: the user holds ``code`` in the organization named by the
    ``X-Org-Slug`` header (scope ``org:<code>``)."""
    return Security(guards(engine).user, scopes=["org:" + code])


def require_verified_phone(engine: AnyEngine) -> Any:
    """``Security``: the user's phone number is verified (scope ``phone:verified``)."""
    return Security(guards(engine).user, scopes=["phone:verified"])


def require_any_permission(engine: AnyEngine, codes: Sequence[str]) -> Any:
    """``Security``: the user holds one of the permissions (scope ``any:<a>,<b>``)."""
    return Security(guards(engine).user, scopes=["any:" + ",".join(_codes(codes))])


def require_all_permissions(engine: AnyEngine, codes: Sequence[str]) -> Any:
    """``Security``: the user holds every permission (one scope each)."""
    return Security(guards(engine).user, scopes=_codes(codes))


def require_any_role(engine: AnyEngine, codes: Sequence[str]) -> Any:
    """``Security``: the user has one of the roles (scope ``any-role:<a>,<b>``)."""
    return Security(guards(engine).user, scopes=["any-role:" + ",".join(_codes(codes))])


def require_all_roles(engine: AnyEngine, codes: Sequence[str]) -> Any:
    """``Security``: the user has every role (scopes ``role:<code>``)."""
    return Security(guards(engine).user, scopes=["role:" + c for c in _codes(codes)])


def require_org_membership(engine: AnyEngine) -> Any:
    """``Security``: the user is an active member of the ``X-Org-Slug`` organization or
    an ancestor (scope ``org-member``; ``org_context_required`` without the header)."""
    return Security(guards(engine).user, scopes=["org-member"])


def require_org_role(engine: AnyEngine, code: str, *, inherit: bool = True) -> Any:
    """``Security``: the user has org role ``code`` in the ``X-Org-Slug`` organization
    (``admin`` is also met by ``owner``); ``inherit``: an ancestor's membership counts
    (scopes ``org-role:<code>`` / ``org-role-direct:<code>``)."""
    return Security(
        guards(engine).user, scopes=[("org-role:" if inherit else "org-role-direct:") + code]
    )


def require_org_owner(engine: AnyEngine) -> Any:
    """``Security``: the user owns the ``X-Org-Slug`` organization itself."""
    return require_org_role(engine, "owner", inherit=False)


def require_org_admin(engine: AnyEngine) -> Any:
    """``Security``: admin or owner of the ``X-Org-Slug`` organization or an ancestor."""
    return require_org_role(engine, "admin")


def _codes(codes: Sequence[str]) -> list[str]:
    # A lone string would otherwise be read as a list of one-letter codes.
    if isinstance(codes, str):
        raise TypeError("pass a list of codes, not a string")
    return list(codes)


def require_verified_email(engine: AnyEngine) -> Any:
    """``Security``: the user's e-mail address is verified (scope ``email:verified``)."""
    return Security(guards(engine).user, scopes=["email:verified"])


def require_agent_clearance(
    engine: AnyEngine, permission: Optional[str] = None, *, human_approval: bool = False
) -> Any:
    """``Security``: agents (``Authorization: AgentBearer``) may call the route, holding
    ``permission`` if given (users need it too); with ``human_approval`` each agent call
    answers 202 with a pending action until it is retried with the human's
    ``X-Action-Confirmation`` (scopes ``<permission>``, ``agent``, ``agent:approval``).
    """
    scopes = [] if permission is None else [permission]
    scopes.append("agent:approval" if human_approval else "agent")
    return Security(guards(engine).agent, scopes=scopes)
