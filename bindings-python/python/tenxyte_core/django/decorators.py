"""Decorators for plain Django views, built on :meth:`Engine.guard`: a protected view of
the host answers exactly as the API's own routes do (the same 401, 403, 429 or 202 bytes).

On allow, ``request.tenxyte_principal`` is the guard's principal: ``{"kind": "user",
"user", "session_id", "app_id"}`` or ``{"kind": "agent", "user_id", "token_id",
"agent_id"}``. Stacked decorators of this module merge into one guard call, so
``@require_agent_clearance(...)`` over ``@require_permission(...)`` lets agents through
the permission check (a guard without agent clearance refuses agent tokens). With
``TenxyteMiddleware`` installed, the middleware runs the view's guard and the decorators
do not run it again.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse

from . import get_engine, request_parts, to_response

__all__ = [
    "require_agent_clearance",
    "require_jwt",
    "require_org_permission",
    "require_permission",
    "require_role",
    "require_verified_email",
]

View = Callable[..., Any]
V = TypeVar("V", bound=View)

_AUTHENTICATED: dict[str, Any] = {"type": "authenticated"}


def _guarded(view: View, requirements: Sequence[dict[str, Any]]) -> View:
    # A view already guarded by this module: guard its inner view once, with both lists.
    inner: View = getattr(view, "tenxyte_view", view)
    combined = [*getattr(view, "tenxyte_requirements", []), *requirements]

    @functools.wraps(inner)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if getattr(request, "tenxyte_guarded", None) is combined:
            # TenxyteMiddleware already ran this very guard for the request.
            return inner(request, *args, **kwargs)
        parts = request_parts(request)
        decision = get_engine().guard(
            parts["method"],
            parts["path"],
            headers=parts["headers"],
            body=parts["body"],
            query=parts["query"],
            client_ip=parts["client_ip"],
            requirements=combined,
        )
        if decision[0] == "allow":
            request.tenxyte_principal = decision[1]
            return inner(request, *args, **kwargs)
        status, headers, body = decision[1]
        response: HttpResponse = to_response(status, headers, body)
        return response

    wrapper.tenxyte_view = inner  # type: ignore[attr-defined]
    wrapper.tenxyte_requirements = combined  # type: ignore[attr-defined]
    return wrapper


def _decorator(*requirements: dict[str, Any]) -> Callable[[V], V]:
    def decorate(view: V) -> V:
        guarded: V = _guarded(view, requirements)  # type: ignore[assignment]
        return guarded

    return decorate


def require_jwt(view: V) -> V:
    """A valid full-scope user access token (``Authorization: Bearer``)."""
    return _decorator(_AUTHENTICATED)(view)


def require_permission(code: str) -> Callable[[V], V]:
    """The user holds RBAC permission ``code`` (agents: delegated and still held)."""
    return _decorator({"type": "permission", "code": code})


def require_role(code: str) -> Callable[[V], V]:
    """The user has role ``code`` (agents are refused: roles are not delegated)."""
    return _decorator({"type": "role", "code": code})


def require_org_permission(code: str) -> Callable[[V], V]:
    """The user holds ``code`` in the organization named by ``X-Org-Slug``."""
    return _decorator({"type": "org_permission", "code": code})


def require_verified_email(view: V) -> V:
    """The user's e-mail address is verified (``email_not_verified`` otherwise)."""
    return _decorator({"type": "verified_email"})(view)


def require_agent_clearance(
    permission: str | None = None, human_in_the_loop_required: bool = False
) -> Callable[[V], V]:
    """Agents (``Authorization: AgentBearer``) may call the view, holding ``permission``
    if given; with ``human_in_the_loop_required`` every call answers 202 until it is
    retried with the human's ``X-Action-Confirmation``."""
    return _decorator(
        {
            "type": "agent_clearance",
            "permission": permission,
            "human_approval": human_in_the_loop_required,
        }
    )
