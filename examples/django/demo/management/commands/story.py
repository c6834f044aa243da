"""``manage.py story``: the seed's quickstart and the AIRS story against this project
through Django's test client (the API and the project's views, with the project's
settings), printing each call; exits 1 on the first unexpected status."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.test import Client

API = "/api/v1/auth/"
ADA = "ada@example.com"
PASSWORD = "Analytical-Engine-1843"


class Story:
    def __init__(self, out: Any) -> None:
        self.client = Client()
        self.out = out

    def call(
        self,
        method: str,
        path: str,
        status: int,
        *,
        auth: str | None = None,
        body: Any = None,
        **headers: str,
    ) -> Any:
        url = path if path.startswith("/") else API + path
        if auth is not None:
            headers["HTTP_AUTHORIZATION"] = auth
        data = b"" if body is None else json.dumps(body).encode()
        r = self.client.generic(method, url, data, content_type="application/json", **headers)
        answer = r.json() if r.content else None
        summary = answer.get("code") or "" if isinstance(answer, dict) else ""
        self.out.write(f"   {method:<6} {url:<48} {r.status_code} {summary}")
        if r.status_code != status:
            raise CommandError(f"{method} {url}: expected {status}, got {r.status_code}: {answer}")
        return answer

    def step(self, title: str) -> None:
        self.out.write(f"\n== {title}")


def expect(ok: bool, answer: Any) -> None:
    if not ok:
        raise CommandError(f"unexpected answer: {answer}")


def bearer(tokens: dict[str, Any]) -> str:
    return f"Bearer {tokens['access_token']}"


class Command(BaseCommand):  # type: ignore[misc]
    help = "Plays the quickstart and the AIRS story against this project (test client)."

    def handle(self, *args: Any, **options: Any) -> None:
        # The refusals below are expected: Django's "Unauthorized: ..." lines would be noise.
        logging.getLogger("django.request").setLevel(logging.ERROR)
        s = Story(self.stdout)
        quickstart(s)
        airs(s)
        self.stdout.write("\nstory: every call answered as expected")


def quickstart(s: Story) -> None:
    s.step("Quickstart: register, login, me")
    s.call("POST", "register/", 400, body={"email": ADA, "password": "password1"})
    s.call("POST", "register/", 201, body={"email": ADA, "password": PASSWORD, "first_name": "Ada"})
    s.call("POST", "login/email/", 401, body={"email": ADA, "password": "wrong-password"})
    tokens = s.call("POST", "login/email/", 200, body={"email": ADA, "password": PASSWORD})
    s.call("GET", "me/", 200, auth=bearer(tokens))
    s.call("GET", "me/", 401)
    me = s.call("GET", "/", 200, auth=bearer(tokens))
    expect(me["caller"] == "user", me)

    s.step("Refresh rotation, and a replayed refresh token")
    rotated = s.call("POST", "refresh/", 200, body={"refresh_token": tokens["refresh_token"]})
    s.call("POST", "refresh/", 401, body={"refresh_token": tokens["refresh_token"]})
    s.call("GET", "me/", 401, auth=bearer(rotated))

    s.step("Logout")
    again = s.call("POST", "login/email/", 200, body={"email": ADA, "password": PASSWORD})
    s.call("POST", "logout/", 200, auth=bearer(again))
    s.call("GET", "/notes/", 401, auth=bearer(again))


def airs(s: Story) -> None:
    s.step("AIRS: Ada delegates to an agent (double RBAC)")
    ada = bearer(s.call("POST", "login/email/", 200, body={"email": ADA, "password": PASSWORD}))
    s.call("GET", "/notes/", 200, auth=ada)
    s.call("POST", "ai/tokens/", 403, auth=ada, body={"permissions": ["users.delete"]})
    created = s.call(
        "POST",
        "ai/tokens/",
        201,
        auth=ada,
        body={
            "agent_id": "notes-bot",
            "permissions": ["content.view"],
            "circuit_breaker": {"max_requests_per_minute": 100, "max_requests_total": 5},
        },
    )
    agent = f"AgentBearer {created['raw_token']}"

    s.step("AIRS: the agent reads (e-mail addresses redacted)")
    notes = s.call("GET", "/notes/", 200, auth=agent, HTTP_X_PROMPT_TRACE_ID="prompt-42")
    expect(notes["caller"] == "agent", notes)
    expect({n["author"]["email"] for n in notes["notes"]} == {"***REDACTED***"}, notes)

    s.step("AIRS: human in the loop (202, confirm, retry once, replay refused)")
    pending = s.call("POST", "/notes/1/share/", 202, auth=agent, body={"to": "babbage"})
    s.call("GET", "ai/pending-actions/", 200, auth=ada)
    s.call("POST", f"ai/pending-actions/{pending['pending_action_id']}/confirm/", 200, auth=ada)
    confirmation = {"HTTP_X_ACTION_CONFIRMATION": pending["confirmation_token"]}
    s.call("POST", "/notes/1/share/", 200, auth=agent, body={"to": "babbage"}, **confirmation)
    s.call("POST", "/notes/1/share/", 403, auth=agent, body={"to": "babbage"}, **confirmation)

    s.step("AIRS: the circuit breaker trips at the total limit (5 calls)")
    s.call("GET", "/notes/", 200, auth=agent)
    s.call("GET", "/notes/", 403, auth=agent)
    s.call("GET", "/notes/", 401, auth=agent)

    s.step("AIRS: a budget stops a second agent")
    budgeted = s.call(
        "POST",
        "ai/tokens/",
        201,
        auth=ada,
        body={
            "agent_id": "research-bot",
            "permissions": ["content.view"],
            "budget": {"limit_usd": "0.05"},
        },
    )
    agent2 = f"AgentBearer {budgeted['raw_token']}"
    usage = f"ai/tokens/{budgeted['token']['id']}/report-usage/"
    s.call("POST", usage, 200, auth=agent2, body={"cost_usd": "0.02"})
    s.call("POST", usage, 200, auth=agent2, body={"cost_usd": "0.02"})
    s.call("POST", usage, 403, auth=agent2, body={"cost_usd": "0.02"})
    s.call("GET", "/notes/", 401, auth=agent2)
