"""The Django app behind :class:`tenxyte_core.django.store.DjangoStore`: add
``"tenxyte_core.django"`` to ``INSTALLED_APPS`` for its tables, migrations and the
``tenxyte_quickstart`` management command."""

from __future__ import annotations

from django.apps import AppConfig


class TenxyteConfig(AppConfig):  # type: ignore[misc]
    name = "tenxyte_core.django"
    label = "tenxyte"
    verbose_name = "Tenxyte"
    # The migrations are committed with BigAutoField primary keys: fixed here so that a
    # project's DEFAULT_AUTO_FIELD never asks for a new migration.
    default_auto_field = "django.db.models.BigAutoField"
