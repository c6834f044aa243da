"""The project's own views. The middleware has already decided who is calling; the
decorators say what each view needs (the engine answers 401, 403 or 202 otherwise)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse

from tenxyte_core.django.decorators import require_agent_clearance, require_permission

NOTES = [
    {"id": 1, "title": "Notes on the Analytical Engine", "author": {"email": "ada@example.com"}},
    {"id": 2, "title": "On the Bernoulli numbers", "author": {"email": "ada@example.com"}},
]


def index(request: HttpRequest) -> JsonResponse:
    """Open to anyone: says who the middleware saw."""
    principal = request.tenxyte_principal
    return JsonResponse(
        {
            "caller": principal["kind"] if principal else "anonymous",
            "user": request.tenxyte_user,
            "api": "/api/v1/auth/",
        }
    )


@require_agent_clearance("content.view")
@require_permission("content.view")
def notes(request: HttpRequest) -> JsonResponse:
    """Users with content.view, and agents delegated content.view (their copy has the
    e-mail addresses redacted: ``agents.redact_pii``)."""
    return JsonResponse({"notes": NOTES, "caller": request.tenxyte_principal["kind"]})


@require_agent_clearance(permission="content.view", human_in_the_loop_required=True)
@require_permission("content.view")
def share(request: HttpRequest, pk: int) -> JsonResponse:
    """An agent's call waits for its human (202) until retried with the confirmation."""
    if request.method != "POST":
        return JsonResponse({"error": "POST only"}, status=405)
    return JsonResponse({"shared": pk, "caller": request.tenxyte_principal["kind"]})
