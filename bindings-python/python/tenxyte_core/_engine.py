"""The engine: settings, keys and policy, bound to a store.

Each method starts one core flow and drives it to its end: inside Rust with the
interpreter released for the embedded stores (:class:`MemoryStore`,
:class:`SqliteStore`), or through :func:`tenxyte_core.drive` for a store written in
Python. Every method is synchronous and thread-safe; call it from a thread pool in an
async framework, or use :class:`tenxyte_core.AsyncEngine`.
"""

from __future__ import annotations

import json as _json
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, Union

from . import _native
from ._drive import drive
from ._native import Flow, KeySet, MemoryStore, SqliteStore

__all__ = ["Engine", "GuardDecision", "Headers"]

#: Request headers: a mapping or ``(name, value)`` pairs (repeated names allowed).
Headers = Union[Mapping[str, str], Iterable[tuple[str, str]]]

#: :meth:`Engine.guard`'s answer: ``("allow", principal)`` or
#: ``("respond", (status, headers, body))``.
GuardDecision = Union[
    tuple[Literal["allow"], dict[str, Any]],
    tuple[Literal["respond"], tuple[int, list[tuple[str, str]], bytes]],
]


def _now(now: int | None) -> int:
    return int(time.time()) if now is None else now


def _pairs(headers: Headers | None) -> list[tuple[str, str]]:
    if headers is None:
        return []
    if isinstance(headers, Mapping):
        return [(str(k), str(v)) for k, v in headers.items()]
    return [(str(k), str(v)) for k, v in headers]


def _drop_none(**fields: Any) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


class Engine:
    """The configured core bound to a store.

    ``settings`` overrides the preset's values (``{"jwt": {"algorithm": "EdDSA"}}``, or a
    whole document with ``"preset"``); ``preset`` is ``"development"``, ``"medium"``
    (the default) or ``"robust"``. ``keys`` must hold a signing key for
    ``jwt.algorithm``; only the development preset may omit it (a random key is made, so
    tokens do not survive a restart). ``policy`` is an RBAC policy document (default:
    Tenxyte's). ``store`` is a :class:`MemoryStore` (default), a :class:`SqliteStore` or
    any object implementing :class:`tenxyte_core.Store`.
    """

    def __init__(
        self,
        settings: Mapping[str, Any] | None = None,
        *,
        preset: str | None = None,
        keys: KeySet | None = None,
        policy: Mapping[str, Any] | None = None,
        store: object | None = None,
    ) -> None:
        self._native = _native.Engine(
            dict(settings) if settings is not None else None,
            preset=preset,
            keys=keys,
            policy=dict(policy) if policy is not None else None,
        )
        self._store: object = store if store is not None else MemoryStore()

    @property
    def store(self) -> object:
        """The store the engine runs its flows on."""
        return self._store

    def run(self, flow: Flow) -> Any:
        """Drives a flow over this engine's store and returns its result."""
        if isinstance(self._store, (MemoryStore, SqliteStore)):
            return flow.run(self._store)
        return drive(flow, self._store)

    def messages(self) -> list[dict[str, Any]]:
        """Messages the flows sent through an embedded store (codes, links), oldest first.

        A Python store delivers its own messages (``send_message``); for it this returns
        what its ``messages()`` method returns, or an empty list.
        """
        messages = getattr(self._store, "messages", None)
        if messages is None:
            return []
        found: list[dict[str, Any]] = messages()
        return found

    def settings(self) -> dict[str, Any]:
        """The settings in force, every key present."""
        return self._native.settings()

    def redact_for_agent(self, value: Any) -> Any | None:
        """``value`` (a JSON value) as an agent may see it: with ``agents.redact_pii``, a
        copy whose PII members (the core's key list, matched case-insensitively at any
        depth) read ``"***REDACTED***"``; ``None`` when redaction is off, so an adapter
        sends the original bytes. What ``PIIRedactionMiddleware`` applies to responses."""
        return self._native.redact_for_agent(value)

    def jwks(self) -> dict[str, Any]:
        """The public signing keys as a JWKS."""
        return self._native.jwks()

    def openapi(self) -> dict[str, Any]:
        """The OpenAPI 3 document of the HTTP API."""
        return self._native.openapi()

    # ----- the HTTP API ---------------------------------------------------------------

    def handle(
        self,
        method: str,
        path: str,
        *,
        headers: Headers | None = None,
        body: bytes | str | None = None,
        json: Any = None,
        query: str = "",
        client_ip: str | None = None,
        now: int | None = None,
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """Answers one HTTP request of the Tenxyte API: ``(status, headers, body)``.

        ``path`` excludes the query string (pass it as ``query`` without ``?``).
        ``json`` serialises a body and sets ``Content-Type: application/json``.
        """
        flow = self._handle_flow(
            method,
            path,
            headers=headers,
            body=body,
            json=json,
            query=query,
            client_ip=client_ip,
            now=now,
        )
        status, out_headers, out_body = self.run(flow)
        return status, out_headers, out_body

    def _handle_flow(
        self,
        method: str,
        path: str,
        *,
        headers: Headers | None,
        body: bytes | str | None,
        json: Any,
        query: str,
        client_ip: str | None,
        now: int | None,
    ) -> Flow:
        """:meth:`handle`'s flow (shared with :class:`AsyncEngine`)."""
        pairs = _pairs(headers)
        if json is not None:
            if body is not None:
                raise ValueError("give body= or json=, not both")
            body = _json.dumps(json)
            if not any(k.lower() == "content-type" for k, _ in pairs):
                pairs.append(("Content-Type", "application/json"))
        raw = body.encode() if isinstance(body, str) else (body or b"")
        return self.http_flow(
            method, path, headers=pairs, body=raw, query=query, client_ip=client_ip, now=now
        )

    def http_flow(
        self,
        method: str,
        path: str,
        *,
        headers: Iterable[tuple[str, str]] = (),
        body: bytes = b"",
        query: str = "",
        client_ip: str | None = None,
        now: int | None = None,
    ) -> Flow:
        """The flow behind :meth:`handle`, to drive yourself (``drive_async`` for an async
        store); its result is ``(status, headers, body)``."""
        return self._native.http(
            method,
            path,
            now=_now(now),
            query=query,
            headers=list(headers),
            body=body,
            client_ip=client_ip,
        )

    def guard(
        self,
        method: str,
        path: str,
        *,
        headers: Headers | None = None,
        body: bytes | str | None = None,
        requirements: Sequence[Mapping[str, Any]] = ({"type": "authenticated"},),
        query: str = "",
        client_ip: str | None = None,
        now: int | None = None,
    ) -> GuardDecision:
        """Decides whether a request may reach one of the host's own routes.

        ``requirements`` (all must hold) are dicts of the repository's ``docs/http.md``:
        ``{"type": "authenticated"}``, ``{"type": "permission", "code": ...}``,
        ``{"type": "role", "code": ...}``, ``{"type": "org_permission", "code": ...}``,
        ``{"type": "verified_email"}``, ``{"type": "agent_clearance", "permission": ...,
        "human_approval": bool}``, ``{"type": "application"}`` (alone: the application
        credentials, and a token only when presented; no token is the principal
        ``{"kind": "anonymous", "app_id"}``). Returns ``("allow", principal)`` or
        ``("respond", (status, headers, body))``: the response the API itself would give
        (401, 403, 429, ... or 202 while a human approves an agent's action).
        """
        raw = body.encode() if isinstance(body, str) else (body or b"")
        flow = self._native.guard(
            method,
            path,
            now=_now(now),
            requirements=[dict(r) for r in requirements],
            query=query,
            headers=_pairs(headers),
            body=raw,
            client_ip=client_ip,
        )
        decision: GuardDecision = self.run(flow)
        return decision

    # ----- typed flows ----------------------------------------------------------------

    def flow(
        self,
        name: str,
        *,
        token: str | None = None,
        request: Mapping[str, Any] | None = None,
        client_ip: str | None = None,
        user_agent: str | None = None,
        app_id: str | None = None,
        trace_id: str | None = None,
        now: int | None = None,
    ) -> Flow:
        """A flow by name, to drive yourself (``drive_async`` for an async store).

        ``name``: ``register``, ``login``, ``refresh``, ``logout``, ``logout_all``,
        ``me``, ``authenticate``, ``create_agent_token``, ``authorize_agent``,
        ``bootstrap_application``, ``bootstrap_superuser``; ``token`` and ``request`` are
        what the typed method of that name sends.
        """
        return self._native.flow(
            name,
            now=_now(now),
            token=token,
            request=dict(request) if request is not None else None,
            ip=client_ip,
            user_agent=user_agent,
            app_id=app_id,
            trace_id=trace_id,
        )

    def _flow(self, name: str, *, now: int | None, **fields: Any) -> Any:
        return self.run(self.flow(name, now=now, **fields))

    def register(
        self,
        *,
        password: str,
        email: str | None = None,
        phone: str | None = None,
        first_name: str = "",
        last_name: str = "",
        login: bool = False,
        device_info: str | None = None,
        client_ip: str | None = None,
        user_agent: str | None = None,
        now: int | None = None,
    ) -> dict[str, Any]:
        """Creates an account: ``{"user": {...}, "tokens": {...} | None}``."""
        request = _drop_none(
            email=email,
            phone=phone,
            password=password,
            first_name=first_name,
            last_name=last_name,
            login=login,
            device_info=device_info,
        )
        result: dict[str, Any] = self._flow(
            "register", now=now, request=request, client_ip=client_ip, user_agent=user_agent
        )
        return result

    def login(
        self,
        *,
        password: str,
        email: str | None = None,
        phone: str | None = None,
        totp_code: str | None = None,
        device_info: str | None = None,
        client_ip: str | None = None,
        user_agent: str | None = None,
        now: int | None = None,
    ) -> dict[str, Any]:
        """Logs in by e-mail or phone: the token response (``access_token``, ...)."""
        request = _drop_none(
            email=email,
            phone=phone,
            password=password,
            totp_code=totp_code,
            device_info=device_info,
        )
        result: dict[str, Any] = self._flow(
            "login", now=now, request=request, client_ip=client_ip, user_agent=user_agent
        )
        return result

    def refresh(
        self,
        refresh_token: str,
        *,
        client_ip: str | None = None,
        user_agent: str | None = None,
        now: int | None = None,
    ) -> dict[str, Any]:
        """Rotates a refresh token: a new token response (reuse revokes the family)."""
        result: dict[str, Any] = self._flow(
            "refresh", now=now, token=refresh_token, client_ip=client_ip, user_agent=user_agent
        )
        return result

    def logout(
        self,
        access_token: str,
        *,
        refresh_token: str | None = None,
        client_ip: str | None = None,
        now: int | None = None,
    ) -> dict[str, Any]:
        """Ends the token's session and blacklists the access token."""
        result: dict[str, Any] = self._flow(
            "logout",
            now=now,
            token=access_token,
            request=_drop_none(refresh_token=refresh_token),
            client_ip=client_ip,
        )
        return result

    def logout_all(
        self, access_token: str, *, client_ip: str | None = None, now: int | None = None
    ) -> dict[str, Any]:
        """Ends every session of the token's user."""
        result: dict[str, Any] = self._flow(
            "logout_all", now=now, token=access_token, client_ip=client_ip
        )
        return result

    def me(
        self, access_token: str, *, client_ip: str | None = None, now: int | None = None
    ) -> dict[str, Any]:
        """The current user with roles and effective permissions."""
        result: dict[str, Any] = self._flow("me", now=now, token=access_token, client_ip=client_ip)
        return result

    def authenticate(
        self, access_token: str, *, client_ip: str | None = None, now: int | None = None
    ) -> dict[str, Any]:
        """Verifies a bearer token against the store (blacklist, session, user).

        Returns ``{"user", "session_id", "jti", "expires_at", "app_id", "scope"}``.
        """
        result: dict[str, Any] = self._flow(
            "authenticate", now=now, token=access_token, client_ip=client_ip
        )
        return result

    def create_agent_token(
        self,
        access_token: str,
        *,
        permissions: Sequence[str],
        agent_id: str | None = None,
        organization_id: str | None = None,
        expires_in_secs: int | None = None,
        circuit_breaker: Mapping[str, Any] | None = None,
        dead_mans_switch: Mapping[str, Any] | None = None,
        budget: Mapping[str, Any] | None = None,
        client_ip: str | None = None,
        now: int | None = None,
    ) -> dict[str, Any]:
        """Delegates some of the human's permissions to an AI agent.

        Returns ``{"token": {...}, "raw_token": "txa_..."}``; the raw token is shown once.
        """
        request = _drop_none(
            permissions=list(permissions),
            agent_id=agent_id,
            organization_id=organization_id,
            expires_in_secs=expires_in_secs,
            circuit_breaker=dict(circuit_breaker) if circuit_breaker is not None else None,
            dead_mans_switch=dict(dead_mans_switch) if dead_mans_switch is not None else None,
            budget=dict(budget) if budget is not None else None,
        )
        result: dict[str, Any] = self._flow(
            "create_agent_token",
            now=now,
            token=access_token,
            request=request,
            client_ip=client_ip,
        )
        return result

    def authorize_agent(
        self,
        raw_token: str,
        *,
        method: str,
        path: str,
        permission: str | None = None,
        body: str = "",
        requires_approval: bool = False,
        confirmation: str | None = None,
        trace_id: str | None = None,
        client_ip: str | None = None,
        now: int | None = None,
    ) -> dict[str, Any]:
        """Decides one agent request: ``{"outcome": "allowed" | "denied" |
        "pending_approval", ...}`` (a denial is a value, not an exception)."""
        request = _drop_none(
            method=method,
            path=path,
            permission=permission,
            body=body,
            requires_approval=requires_approval,
            confirmation=confirmation,
            trace_id=trace_id,
        )
        result: dict[str, Any] = self._flow(
            "authorize_agent",
            now=now,
            token=raw_token,
            request=request,
            client_ip=client_ip,
            trace_id=trace_id,
        )
        return result

    # ----- host-only bootstrap --------------------------------------------------------

    def bootstrap_application(
        self,
        *,
        name: str,
        description: str = "",
        allowed_origins: Sequence[str] = (),
        now: int | None = None,
    ) -> dict[str, Any]:
        """Creates an application without a caller, for a host's own trusted code (a
        management command, a first start); never reachable over HTTP.

        Returns ``{"application": {"id", "name", "access_key", ...}, "access_secret":
        "txs_..."}``: the raw secret is in this answer and nowhere else (the store keeps
        its hash), so show or save it now.
        """
        request = {
            "name": name,
            "description": description,
            "allowed_origins": list(allowed_origins),
        }
        result: dict[str, Any] = self._flow("bootstrap_application", now=now, request=request)
        return result

    def bootstrap_superuser(self, *, email: str, password: str, now: int | None = None) -> str:
        """Registers a superuser (staff too) for a host's own trusted code: the
        registration rules all apply (password policy, unique e-mail: ``email_taken``).
        Returns the user's id."""
        user_id: str = self._flow(
            "bootstrap_superuser", now=now, request={"email": email, "password": password}
        )
        return user_id
