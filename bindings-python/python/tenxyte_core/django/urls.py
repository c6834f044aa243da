"""The whole Tenxyte HTTP API for ``urls.py``; mount it at the root so the engine sees
the paths it routes (``/api/v1/auth/...`` by default, and the JWKS)::

    urlpatterns = [path("", include("tenxyte_core.django.urls")), ...]
"""

from __future__ import annotations

import re

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, re_path
from django.views.decorators.csrf import csrf_exempt

from . import get_engine, handle_parts, request_parts

__all__ = ["api_view", "urlpatterns"]

app_name = "tenxyte"


@csrf_exempt  # type: ignore[untyped-decorator]
def api_view(request: HttpRequest) -> HttpResponse:
    """One request through :meth:`Engine.handle` (CSRF-exempt: the API authenticates with
    bearer tokens and application credentials, never cookies)."""
    return handle_parts(get_engine(), request_parts(request))


def _patterns() -> list[URLPattern]:
    prefix: str = get_engine().settings()["api"]["prefix"]
    return [
        re_path("^" + re.escape(prefix.lstrip("/")) + ".*$", api_view, name="api"),
        path(".well-known/jwks.json", api_view, name="jwks"),
    ]


urlpatterns = _patterns()
