"""ROOT_URLCONF of test_django_decorators.py: one plain view per decorator of
tenxyte_core.django.decorators, answering the guard's principal."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import include, path

from tenxyte_core.django import decorators as d


def _principal(request: HttpRequest) -> JsonResponse:
    return JsonResponse(request.tenxyte_principal)


def _view(*decorators: Any) -> Any:
    view: Any = _principal
    for decorate in reversed(decorators):
        view = decorate(view)
    return view


VIEWS: dict[str, Any] = {
    "jwt": _view(d.require_jwt),
    "email": _view(d.require_verified_email),
    "phone": _view(d.require_verified_phone),
    "role": _view(d.require_role("editor")),
    "any-role": _view(d.require_any_role(["admin", "editor"])),
    "all-roles": _view(d.require_all_roles(["editor", "viewer"])),
    "permission": _view(d.require_permission("content.edit")),
    "any-permission": _view(d.require_any_permission(["system.logs", "content.edit"])),
    "all-permissions": _view(d.require_all_permissions(["content.view", "content.edit"])),
    "org-context": _view(d.require_org_context),
    "org-membership": _view(d.require_org_membership),
    "org-role": _view(d.require_org_role("member")),
    "org-role-direct": _view(d.require_org_role("member", inherit=False)),
    "org-permission": _view(d.require_org_permission("org.members.invite")),
    "org-owner": _view(d.require_org_owner),
    "org-admin": _view(d.require_org_admin),
    "agent": _view(d.require_agent_clearance("content.edit")),
    "rate": _view(d.rate_limit(2, 60)),
    # Stacked: one guard, a user token and a count per user.
    "rate-user": _view(
        d.rate_limit(max_requests=1, window_seconds=60, scope="per-user"), d.require_jwt
    ),
}

urlpatterns: list[Any] = [
    path("", include("tenxyte_core.django.urls")),
    *(path(f"d/{name}", view) for name, view in VIEWS.items()),
]
