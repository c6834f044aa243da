"""FastAPI integration: the Tenxyte HTTP API as a router, and security dependencies.

::

    from fastapi import Depends, FastAPI
    from tenxyte_core.fastapi import api_router, current_user, require_permissions

    app = FastAPI()
    app.include_router(api_router(engine))          # /api/v1/auth/... and the JWKS

    @app.get("/items")
    def items(principal: dict = Depends(current_user(engine))): ...

    @app.delete("/items/{id}")
    def delete(me: dict = Depends(require_permissions(engine, "content.delete"))): ...

The engine is synchronous: every call runs in Starlette's thread pool (the native work
releases the GIL), so the event loop never blocks. Failures become ``HTTPException``:
401 with ``WWW-Authenticate: Bearer error="invalid_token"`` for a missing or refused
token, 403 for a missing permission, the core's status otherwise; the detail is
``{"error", "code", "details"}`` as in the HTTP API's own error bodies.
"""

from collections.abc import Awaitable
from typing import Annotated, Any, Callable, Optional

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from ._engine import Engine
from ._errors import TenxyteError

__all__ = ["api_router", "current_user", "http_exception", "require_permissions"]

_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

Dependency = Callable[..., Awaitable[dict[str, Any]]]


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


def api_router(engine: Engine) -> APIRouter:
    """A router serving the whole Tenxyte HTTP API through :meth:`Engine.handle`.

    Routes live under the engine's ``api.prefix`` (``/api/v1/auth/`` by default) plus
    ``/.well-known/jwks.json``; they are left out of the app's own OpenAPI document
    (the engine publishes its own: ``engine.openapi()``).
    """
    prefix: str = engine.settings()["api"]["prefix"]

    async def endpoint(request: Request) -> Response:
        body = await request.body()
        status, headers, out = await run_in_threadpool(
            engine.handle,
            request.method,
            request.url.path,
            headers=list(request.headers.items()),
            body=body,
            query=request.url.query,
            client_ip=request.client.host if request.client else None,
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


def current_user(engine: Engine, *, scheme_name: str = "TenxyteBearer") -> Dependency:
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
            principal: dict[str, Any] = await run_in_threadpool(
                engine.authenticate,
                credentials.credentials,
                client_ip=request.client.host if request.client else None,
            )
        except TenxyteError as e:
            raise http_exception(e) from e
        return principal

    return dependency


def require_permissions(
    engine: Engine, *permissions: str, scheme_name: str = "TenxyteBearer"
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
            me: dict[str, Any] = await run_in_threadpool(
                engine.me,
                credentials.credentials,
                client_ip=request.client.host if request.client else None,
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
