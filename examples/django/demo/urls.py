"""The Tenxyte API (``/api/v1/auth/...`` and the JWKS) and the project's own views."""

from django.urls import include, path

from . import views

urlpatterns = [
    path("", include("tenxyte_core.django.urls")),
    path("", views.index),
    path("notes/", views.notes),
    path("notes/<int:pk>/share/", views.share),
]
