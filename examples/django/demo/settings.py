"""Settings of the example project: the Tenxyte API and guard on one SQLite file.

Environment: ``TENXYTE_EXAMPLE_DB`` (the SQLite file; default under the temp
directory), ``TENXYTE_EXAMPLE_SECRET`` (the HMAC key that signs access tokens, 32+
bytes; a fixed development value by default), ``TENXYTE_EXAMPLE_DEBUG``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

DB = Path(
    os.environ.get("TENXYTE_EXAMPLE_DB")
    or Path(tempfile.gettempdir()) / "tenxyte-example-django.sqlite"
)

DEBUG = os.environ.get("TENXYTE_EXAMPLE_DEBUG", "1") == "1"
SECRET_KEY = "example-django-only"  # Django's own (unused: no sessions, no CSRF cookies)
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
ROOT_URLCONF = "demo.urls"
# No Django database: the users, sessions and agent tokens live in the Tenxyte store.
DATABASES: dict[str, dict[str, str]] = {}
INSTALLED_APPS = ["demo"]  # for `manage.py story`
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Application credentials, tokens, X-Org-Slug and agents' PII redaction for the
    # project's own views; the API under /api/v1/auth/ authenticates itself.
    "tenxyte_core.django.middleware.TenxyteMiddleware",
]
USE_TZ = True

TENXYTE = {
    # The development preset is the one that may run without application credentials
    # (X-Access-Key / X-Access-Secret); "medium" and "robust" always require them.
    "preset": "development",
    "settings": {
        "jwt": {"refresh_token_rotation": True},  # a replayed refresh token ends the family
        "agents": {
            "enabled": True,
            "redact_pii": True,  # agents get e-mail addresses etc. as ***REDACTED***
        },
        "organizations": {"enabled": True},
        "application_auth": {"enabled": False},
    },
    "keys": os.environ.get(
        "TENXYTE_EXAMPLE_SECRET", "development-only HMAC key, change me in production"
    ),
    "store": f"sqlite:{DB}",
}
