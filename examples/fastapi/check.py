"""Starts the example app with uvicorn on a free port and plays a short story against it
over real HTTP (urllib): the quickstart, the guarded routes, and an agent held for its
human. Prints each request; exits 1 at the first unexpected status.

Usage: python check.py  (from any folder; run.sh --check does it in its virtualenv)
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
API = "/api/v1/auth/"


class Unexpected(Exception):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Client:
    def __init__(self, base: str) -> None:
        self.base = base

    def call(
        self,
        method: str,
        path: str,
        status: int,
        *,
        auth: str | None = None,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        data = None if json_body is None else json.dumps(json_body).encode()
        sent = {"Content-Type": "application/json", **(headers or {})}
        if auth:
            sent["Authorization"] = auth
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=sent)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                got, raw = r.status, r.read()
        except urllib.error.HTTPError as e:
            got, raw = e.code, e.read()
        body = json.loads(raw) if raw else None
        code = body.get("code") if isinstance(body, dict) else None
        print(f"   {method:<6} {path:<48} {got}{'  ' + code if code else ''}")
        if got != status:
            raise Unexpected(f"{method} {path}: expected {status}, got {got}: {raw[:300]!r}")
        return body


def wait_until_up(c: Client, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise Unexpected(f"uvicorn exited with {server.returncode}")
        try:
            with urllib.request.urlopen(c.base + "/.well-known/jwks.json", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise Unexpected("the server did not answer within 60 s")


def story(c: Client) -> None:
    email, password = "ada@example.com", "Analytical-Engine-1843"
    print("== quickstart")
    c.call("POST", API + "register/", 400, json_body={"email": email, "password": "password1"})
    c.call("POST", API + "register/", 201, json_body={"email": email, "password": password})
    c.call("POST", API + "login/email/", 401, json_body={"email": email, "password": "nope-1"})
    tokens = c.call(
        "POST", API + "login/email/", 200, json_body={"email": email, "password": password}
    )
    user = f"Bearer {tokens['access_token']}"
    c.call("GET", API + "me/", 200, auth=user)
    rotated = c.call(
        "POST", API + "refresh/", 200, json_body={"refresh_token": tokens["refresh_token"]}
    )
    user = f"Bearer {rotated['access_token']}"

    print("== the app's own routes")
    c.call("GET", "/whoami", 401)
    who = c.call("GET", "/whoami", 200, auth=user)
    if who["user"]["email"] != email:
        raise Unexpected(f"whoami answered {who}")
    c.call("GET", "/articles", 200, auth=user)
    c.call("POST", "/articles/7/publish", 403, auth=user)  # a viewer may not publish
    c.call("GET", "/admin/stats", 403, auth=user)

    print("== an agent")
    created = c.call(
        "POST",
        API + "ai/tokens/",
        201,
        auth=user,
        json_body={"agent_id": "reader-bot", "permissions": ["content.view"]},
    )
    agent = f"AgentBearer {created['raw_token']}"
    c.call("GET", "/articles", 200, auth=agent)
    c.call("GET", "/whoami", 403, auth=agent)  # a user-only route
    pending = c.call("POST", "/articles/7/share", 202, auth=agent, json_body={"to": "grace"})
    c.call(
        "POST", f"{API}ai/pending-actions/{pending['pending_action_id']}/confirm/", 200, auth=user
    )
    confirmed = {"X-Action-Confirmation": pending["confirmation_token"]}
    shared = c.call(
        "POST", "/articles/7/share", 200, auth=agent, headers=confirmed, json_body={"to": "grace"}
    )
    if shared != {"shared": 7, "by": "reader-bot"}:
        raise Unexpected(f"share answered {shared}")
    c.call(
        "POST", "/articles/7/share", 403, auth=agent, headers=confirmed, json_body={"to": "grace"}
    )

    print("== logout")
    c.call("POST", API + "logout/", 200, auth=user)
    c.call("GET", "/whoami", 401, auth=user)


def main() -> int:
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="tenxyte-fastapi-check-") as tmp:
        env = {**os.environ, "TENXYTE_DB": str(Path(tmp) / "check.sqlite")}
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "app:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            cwd=HERE,
            env=env,
        )
        try:
            c = Client(f"http://127.0.0.1:{port}")
            wait_until_up(c, server)
            print(f"== uvicorn app:app on port {port}")
            story(c)
        except Unexpected as e:
            print(f"check failed: {e}", file=sys.stderr)
            return 1
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    print("check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
