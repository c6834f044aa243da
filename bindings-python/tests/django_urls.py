"""ROOT_URLCONF of test_django.py: the mounted API and plain views behind the guard
decorators of tenxyte_core.django."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import include, path

from tenxyte_core.django.decorators import (
    require_agent_clearance,
    require_jwt,
    require_permission,
    require_role,
    require_verified_email,
)


def _principal(request: HttpRequest) -> JsonResponse:
    return JsonResponse(request.tenxyte_principal)


@require_jwt
def whoami(request: HttpRequest) -> JsonResponse:
    return _principal(request)


@require_permission("content.view")
def articles(request: HttpRequest) -> JsonResponse:
    return _principal(request)


@require_permission("system.logs")
def logs(request: HttpRequest) -> JsonResponse:
    return _principal(request)


@require_role("super_admin")
def admin_only(request: HttpRequest) -> JsonResponse:
    return _principal(request)


@require_verified_email
def verified_only(request: HttpRequest) -> JsonResponse:
    return _principal(request)


@require_agent_clearance("content.view")
def agent_articles(request: HttpRequest) -> JsonResponse:
    return _principal(request)


# Stacked: one guard with both requirements.
@require_agent_clearance(permission="content.view", human_in_the_loop_required=True)
@require_permission("content.view")
def publish(request: HttpRequest) -> JsonResponse:
    return _principal(request)


urlpatterns: list[Any] = [
    path("", include("tenxyte_core.django.urls")),
    path("whoami", whoami),
    path("articles", articles),
    path("logs", logs),
    path("admin-only", admin_only),
    path("verified-only", verified_only),
    path("agent-articles", agent_articles),
    path("publish", publish),
]
