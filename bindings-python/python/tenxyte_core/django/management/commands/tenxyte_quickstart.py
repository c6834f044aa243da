"""``manage.py tenxyte_quickstart``: the tables, the first application, optionally a
superuser, on the engine ``settings.TENXYTE`` describes. Safe to rerun.

Roles and permissions are not rows to seed: they are the RBAC policy document
(``TENXYTE["policy"]``, default Tenxyte's), which the core reads on every decision; the
store only keeps each user's grants. The command prints the policy's default roles.
"""

from __future__ import annotations

import json
import os
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenxyte_core import MemoryStore, Policy, SqliteStore, TenxyteError
from tenxyte_core._drive import _execute
from tenxyte_core.django import get_engine
from tenxyte_core.django.store import DjangoStore

#: The namespace of the applications (core/src/store/keys.rs).
APPLICATIONS = "applications"


def _first(store: object, ns: str) -> list[Any]:
    """At most one record of ``ns``, through the store's own operation."""
    op = {"op": "list", "ns": ns, "prefix": "", "limit": 1, "cursor": None}
    if isinstance(store, (MemoryStore, SqliteStore)):
        result: dict[str, Any] = store.execute(op)
    else:
        result = _execute(store, op)
    if "failed" in result:
        raise CommandError(f"the store failed: {result['failed']}")
    items: list[Any] = result["listed"]["items"]
    return items


class Command(BaseCommand):  # type: ignore[misc]
    help = (
        "Migrates the Tenxyte tables, creates the first application (its secret is printed "
        "once) and, with --admin-email, a superuser whose password is read from "
        "TENXYTE_ADMIN_PASSWORD. Rerunning changes nothing that exists."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--admin-email", help="create this superuser (password: env TENXYTE_ADMIN_PASSWORD)"
        )
        parser.add_argument(
            "--app-name",
            default="default",
            help="the first application's name (default: %(default)s)",
        )
        parser.add_argument("--no-migrate", action="store_true", help="do not run migrate first")

    def handle(self, *args: Any, **options: Any) -> None:
        engine = get_engine()
        store = engine.store
        if isinstance(store, MemoryStore):
            raise CommandError(
                'TENXYTE["store"] is in memory, so nothing would outlive this command: '
                'set it to "django" (or "sqlite:<path>")'
            )
        if isinstance(store, DjangoStore) and not options["no_migrate"]:
            call_command("migrate", database=store.using, verbosity=0, interactive=False)
            self.stdout.write(f"tenxyte: tables migrated on database {store.using!r}")
        password = None
        if options["admin_email"]:
            password = os.environ.get("TENXYTE_ADMIN_PASSWORD")
            if not password:
                raise CommandError("--admin-email needs the password in TENXYTE_ADMIN_PASSWORD")

        policy = Policy(getattr(settings, "TENXYTE", {}).get("policy"))
        self.stdout.write(
            "tenxyte: roles and permissions come from the RBAC policy; default roles for new "
            f"users: {', '.join(policy.default_roles()) or '(none)'}"
        )

        existing = _first(store, APPLICATIONS)
        if existing:
            app = existing[0][1]["value"]
            self.stdout.write(
                f"tenxyte: an application exists ({app.get('name')!r}, access key "
                f"{app.get('access_key')}); its secret is not shown again"
            )
        else:
            creds = engine.bootstrap_application(
                name=options["app_name"], description="created by tenxyte_quickstart"
            )
            shown = {
                "event": "application_created",
                "name": creds["application"]["name"],
                "access_key": creds["application"]["access_key"],
                "access_secret": creds["access_secret"],
            }
            self.stdout.write(f"tenxyte: {json.dumps(shown)}")
            self.stdout.write(
                "tenxyte: send X-Access-Key and X-Access-Secret with every request; "
                "the secret is shown only now"
            )

        if options["admin_email"] and password is not None:
            email = options["admin_email"]
            try:
                user_id = engine.bootstrap_superuser(email=email, password=password)
            except TenxyteError as err:
                if err.code != "email_taken":
                    raise CommandError(f"{err.code}: {err}") from err
                self.stdout.write(f"tenxyte: the superuser {email} exists")
            else:
                shown = {"event": "superuser_created", "email": email, "user_id": user_id}
                self.stdout.write(f"tenxyte: {json.dumps(shown)}")
