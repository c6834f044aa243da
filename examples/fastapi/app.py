"""Tenxyte on FastAPI: the whole auth API mounted, and the app's own routes protected by
the core's guard, for users (``Authorization: Bearer``) and AI agents
(``Authorization: AgentBearer``).

Run it with ``examples/fastapi/run.sh`` (or ``uvicorn app:app`` from this folder once
``tenxyte-core``, ``fastapi`` and ``uvicorn`` are installed), then open ``/docs``: the
security schemes and each route's scopes are in the OpenAPI document.

Environment:

- ``TENXYTE_DB``: the SQLite file (default ``tenxyte-fastapi-example.sqlite`` in the temp
  directory). Several worker processes may share it (WAL).
- ``TENXYTE_JWT_SECRET``: an HMAC secret of 32+ bytes. Without it the development preset
  makes a random key at start, so tokens do not survive a restart.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI

import tenxyte_core as t
from tenxyte_core.fastapi import (
    api_router,
    require_agent_clearance,
    require_jwt,
    require_permission,
    require_role,
)

DB = os.environ.get("TENXYTE_DB") or str(
    Path(tempfile.gettempdir()) / "tenxyte-fastapi-example.sqlite"
)
SECRET = os.environ.get("TENXYTE_JWT_SECRET")

# An AsyncEngine: each flow on the embedded SQLite store runs in a worker thread (the
# native work releases the GIL), so the event loop never waits for argon2 or the disk.
engine = t.AsyncEngine(
    {
        # The development preset, without application credentials (X-Access-Key and
        # X-Access-Secret) so that curl works as is; keep them on in production.
        "application_auth": {"enabled": False},
        "agents": {"enabled": True},
    },
    preset="development",
    keys=t.KeySet.from_hmac(SECRET.encode(), kid="example") if SECRET else None,
    store=t.SqliteStore(DB),
)

app = FastAPI(title="Tenxyte on FastAPI", version="1.0")
app.include_router(api_router(engine))  # /api/v1/auth/... and /.well-known/jwks.json

Principal = dict[str, Any]
User = Annotated[Principal, require_jwt(engine)]
# Users holding content.view, and the agents they delegated it to.
Reader = Annotated[Principal, require_agent_clearance(engine, "content.view")]
# The same, but each agent call waits for the human: 202 with a pending action until
# the agent retries with the human's X-Action-Confirmation.
Sharer = Annotated[Principal, require_agent_clearance(engine, "content.view", human_approval=True)]
Publisher = Annotated[Principal, require_permission(engine, "content.publish")]
Admin = Annotated[Principal, require_role(engine, "admin")]

ARTICLES = {7: {"id": 7, "title": "Notes on the Analytical Engine"}}


@app.get("/whoami")
async def whoami(principal: User) -> Principal:
    """The guard's principal: ``{"kind": "user", "user", "session_id", "app_id"}``."""
    return principal


@app.get("/articles")
async def articles(principal: Reader) -> dict[str, Any]:
    return {"articles": list(ARTICLES.values()), "as": principal["kind"]}


@app.post("/articles/{article}/share")
async def share(article: int, principal: Sharer) -> dict[str, Any]:
    by = principal.get("agent_id") or principal["user"]["email"]
    return {"shared": article, "by": by}


@app.post("/articles/{article}/publish")
async def publish(article: int, principal: Publisher) -> dict[str, Any]:
    return {"published": article}


@app.get("/admin/stats")
async def stats(principal: Admin) -> dict[str, Any]:
    return {"articles": len(ARTICLES)}
