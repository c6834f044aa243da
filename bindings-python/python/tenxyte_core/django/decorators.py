"""Decorators for plain Django views, built on :meth:`Engine.guard`: a protected view of
the host answers exactly as the API's own routes do (the same 401, 403, 429 or 202 bytes).

On allow, ``request.tenxyte_principal`` is the guard's principal: ``{"kind": "user",
"user", "session_id", "app_id"}`` or ``{"kind": "agent", "user_id", "token_id",
"agent_id"}``. Stacked decorators of this module merge into one guard call, so
``@require_agent_clearance(...)`` over ``@require_permission(...)`` lets agents through
the permission check (a guard without agent clearance refuses agent tokens). With
``TenxyteMiddleware`` installed, the middleware runs the view's guard and the decorators
do not run it again.

Every decision is the core's (``docs/http.md``, the guard's requirements): "all of"
several roles or permissions is one requirement per code, so a refusal names the first
missing one (``role_required``/``permission_required``); ``require_org_context`` and
``require_org_membership`` are the same requirement (an active membership in the
``X-Org-Slug`` organization; ``org_context_required`` without the header).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse

from . import get_engine, guard_parts, request_parts, to_response

__all__ = [
    "rate_limit",
    "require_agent_clearance",
    "require_all_permissions",
    "require_all_roles",
    "require_any_permission",
    "require_any_role",
    "require_jwt",
    "require_org_admin",
    "require_org_context",
    "require_org_membership",
    "require_org_owner",
    "require_org_permission",
    "require_org_role",
    "require_permission",
    "require_role",
    "require_verified_email",
    "require_verified_phone",
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
        decision = guard_parts(get_engine(), request_parts(request), combined)
        if decision[0] == "allow":
            request.tenxyte_principal = decision[1]
            return inner(request, *args, **kwargs)
        status, headers, body = decision[1]
        response: HttpResponse = to_response(status, headers, body)
        return response

    wrapper.tenxyte_view = inner  # type: ignore[attr-defined]
    wrapper.tenxyte_requirements = combined  # type: ignore[attr-defined]
    return wrapper


def _codes(codes: Sequence[str]) -> list[str]:
    # A lone string would otherwise be read as a list of one-letter codes.
    if isinstance(codes, str):
        raise TypeError("pass a list of codes, not a string")
    return list(codes)


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


def require_verified_phone(view: V) -> V:
    """The user's phone number is verified (``phone_not_verified`` otherwise)."""
    return _decorator({"type": "verified_phone"})(view)


def require_any_permission(codes: Sequence[str]) -> Callable[[V], V]:
    """The user holds at least one of the RBAC permissions ``codes``
    (``permission_required``; an empty list is never met)."""
    return _decorator({"type": "any_permission", "codes": _codes(codes)})


def require_all_permissions(codes: Sequence[str]) -> Callable[[V], V]:
    """The user holds every permission of ``codes``: one requirement per code, the
    refusal naming the first missing one (``permission_required``)."""
    return _decorator(_AUTHENTICATED, *({"type": "permission", "code": c} for c in _codes(codes)))


def require_any_role(codes: Sequence[str]) -> Callable[[V], V]:
    """The user has at least one of the roles ``codes`` (``role_required``; agents are
    refused)."""
    return _decorator({"type": "any_role", "codes": _codes(codes)})


def require_all_roles(codes: Sequence[str]) -> Callable[[V], V]:
    """The user has every role of ``codes``: one requirement per code, the refusal
    naming the first missing one (``role_required``)."""
    return _decorator(_AUTHENTICATED, *({"type": "role", "code": c} for c in _codes(codes)))


_ORG_MEMBER: dict[str, Any] = {"type": "org_member"}


def require_org_context(view: V) -> V:
    """The request names an organization (``X-Org-Slug``; ``org_context_required``
    otherwise) that the user belongs to: the same requirement as
    :func:`require_org_membership`, since the core answers nothing about an
    organization to a non-member."""
    return _decorator(_ORG_MEMBER)(view)


def require_org_membership(view: V) -> V:
    """The user has an active membership in the ``X-Org-Slug`` organization, or (with
    ``organizations.role_inheritance``) in an ancestor (``org_permission_denied`` with
    ``details.reason`` otherwise)."""
    return _decorator(_ORG_MEMBER)(view)


def require_org_role(code: str, *, inherit: bool = True) -> Callable[[V], V]:
    """The user has org role ``code`` in the ``X-Org-Slug`` organization (exactly that
    role; ``admin`` is also met by ``owner``); with ``inherit``, a membership in an
    ancestor counts when ``organizations.role_inheritance`` is on."""
    return _decorator({"type": "org_role", "code": code, "inherit": inherit})


def require_org_owner(view: V) -> V:
    """The user owns the ``X-Org-Slug`` organization itself (an ancestor's ownership does
    not count)."""
    return _decorator({"type": "org_role", "code": "owner", "inherit": False})(view)


def require_org_admin(view: V) -> V:
    """The user is an admin or owner of the ``X-Org-Slug`` organization, directly or
    through an ancestor."""
    return _decorator({"type": "org_role", "code": "admin", "inherit": True})(view)


def rate_limit(
    max_requests: int = 10, window_seconds: int = 60, *, scope: str | None = None
) -> Callable[[V], V]:
    """At most ``max_requests`` calls per fixed window of ``window_seconds``, counted in
    the store per ``scope`` (default: the view's dotted name) and caller (the user, an
    agent's delegating user, or the client IP without a token); 429
    ``too_many_requests`` with ``Retry-After`` beyond. Alone it lets requests without a
    token through (``{"kind": "anonymous"}``), counted by IP."""

    def decorate(view: V) -> V:
        inner: View = getattr(view, "tenxyte_view", view)
        name = scope or f"{inner.__module__}.{inner.__qualname__}"
        requirement = {
            "type": "rate_limit",
            "scope": name,
            "max_requests": max_requests,
            "window_secs": window_seconds,
        }
        guarded: V = _guarded(view, [requirement])  # type: ignore[assignment]
        return guarded

    return decorate
