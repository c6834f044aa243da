"""ROOT_URLCONF of test_django_middleware.py and test_django_story.py: the mounted API,
plain views (behind TenxyteMiddleware only) and views behind the guard decorators."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import include, path

from tenxyte_core.django.decorators import (
    require_agent_clearance,
    require_jwt,
    require_permission,
)


def _seen(request: HttpRequest) -> dict[str, Any]:
    return {
        "principal": getattr(request, "tenxyte_principal", "unset"),
        "user": getattr(request, "tenxyte_user", "unset"),
        "app_id": getattr(request, "tenxyte_app_id", "unset"),
        "org": getattr(request, "tenxyte_org", "unset"),
    }


def open_view(request: HttpRequest) -> JsonResponse:
    """No decorator: the middleware alone decides."""
    return JsonResponse(_seen(request))


def profile(request: HttpRequest) -> JsonResponse:
    """A body with PII members, for the redaction tests."""
    principal = getattr(request, "tenxyte_principal", None)
    return JsonResponse(
        {
            "kind": principal["kind"] if principal else None,
            "customer": {"name": "Ada", "email": "ada@example.com", "Phone": "+44 20"},
            "notes": [{"ssn": "078-05-1120", "text": "kept"}],
        }
    )


def text_profile(request: HttpRequest) -> JsonResponse:
    response = profile(request)
    response["Content-Type"] = "text/plain"
    return response


@require_jwt
def whoami(request: HttpRequest) -> JsonResponse:
    return JsonResponse(_seen(request))


@require_agent_clearance("content.view")
@require_permission("content.view")
def articles(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"articles": [{"id": 7, "title": "Notes"}], **_seen(request)})


@require_agent_clearance("content.delete")
def delete_article(request: HttpRequest, pk: int) -> JsonResponse:
    return JsonResponse({"deleted": pk})


@require_agent_clearance(permission="content.publish", human_in_the_loop_required=True)
@require_permission("content.publish")
def publish(request: HttpRequest, pk: int) -> JsonResponse:
    return JsonResponse({"published": pk, "by": request.tenxyte_principal["kind"]})


urlpatterns: list[Any] = [
    path("", include("tenxyte_core.django.urls")),
    path("open", open_view),
    path("profile", profile),
    path("text-profile", text_profile),
    path("whoami", whoami),
    path("articles", articles),
    path("articles/<int:pk>/delete", delete_article),
    path("articles/<int:pk>/publish", publish),
]
