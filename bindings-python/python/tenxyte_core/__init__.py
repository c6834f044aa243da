"""Tenxyte Core for Python: the Rust auth core behind a typed API.

- primitives: :mod:`tenxyte_core.jwt`, :mod:`tenxyte_core.password`,
  :mod:`tenxyte_core.otp`, :mod:`tenxyte_core.secret`, :mod:`tenxyte_core.rbac`,
  :mod:`tenxyte_core.agent` (the agent-token policy over the host's own records);
- the flows: :class:`Engine` over a :class:`MemoryStore`, a :class:`SqliteStore` or any
  :class:`Store` written in Python, including the whole HTTP API (:meth:`Engine.handle`)
  and the guard for the host's own routes (:meth:`Engine.guard`);
- :class:`AsyncEngine`: the same methods as coroutines, for asyncio (an ``async def``
  store is awaited on the loop, the others run in worker threads);
- framework adapters: :mod:`tenxyte_core.fastapi`, :mod:`tenxyte_core.django`;
- errors: :class:`TenxyteError` and one subclass per category, each with ``.code``.
"""

from __future__ import annotations

from . import agent, jwt, otp, password, rbac, secret
from ._async_engine import AsyncEngine
from ._drive import Store, drive, drive_async
from ._engine import Engine
from ._errors import (
    AgentError,
    AuthError,
    AuthzError,
    ConfigError,
    InputError,
    InternalError,
    KeyMaterialError,
    OtpError,
    PasswordError,
    StoreError,
    TenxyteError,
    TokenError,
)
from ._native import Flow, KeySet, MemoryStore, Policy, SqliteStore, __version__

__all__ = [
    "AgentError",
    "AsyncEngine",
    "AuthError",
    "AuthzError",
    "ConfigError",
    "Engine",
    "Flow",
    "InputError",
    "InternalError",
    "KeyMaterialError",
    "KeySet",
    "MemoryStore",
    "OtpError",
    "PasswordError",
    "Policy",
    "SqliteStore",
    "Store",
    "StoreError",
    "TenxyteError",
    "TokenError",
    "__version__",
    "agent",
    "drive",
    "drive_async",
    "jwt",
    "otp",
    "password",
    "rbac",
    "secret",
]
