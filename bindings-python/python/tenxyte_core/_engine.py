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
from typing import TYPE_CHECKING, Any, Literal, Union

from . import _native
from ._drive import drive
from ._native import Flow, KeySet, MemoryStore, SqliteStore

if TYPE_CHECKING:
    from typing_extensions import TypedDict, Unpack

    class _Context(TypedDict, total=False):
        """The request context every typed flow method takes as keywords."""

        #: The client's IP after trusted proxies (rate limits, audit, same-device checks).
        client_ip: str | None
        #: The device description (sessions).
        user_agent: str | None
        #: Unix seconds; ``None``: the current time.
        now: int | None


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
        ``{"kind": "anonymous", "app_id"}``); also ``any_permission``/``any_role``
        (``"codes"``), ``verified_phone``, ``org_member``, ``org_role`` (``"code"``,
        ``"inherit"``) and ``rate_limit`` (``"scope"``, ``"max_requests"``,
        ``"window_secs"``; alone, a token is optional too). Returns ``("allow", principal)`` or
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
        params: Sequence[str] = (),
        client_ip: str | None = None,
        user_agent: str | None = None,
        app_id: str | None = None,
        trace_id: str | None = None,
        now: int | None = None,
    ) -> Flow:
        """Any core flow by name, to drive yourself (``drive_async`` for an async store).

        ``name`` is one of ``tenxyte_core._native.FLOW_NAMES``: every public flow of the
        core (the repository's ``docs/flows.md``). ``token`` is the bearer access token,
        the refresh token for ``refresh``, or the raw ``txa_`` token for the agent-side
        flows; ``request`` is the flow's request dict (unknown fields are refused);
        ``params`` are the ids and slugs the flow takes, in the order of the core
        method's arguments (``suspend_agent_token``: ``[token_id]``;
        ``change_member_role``: ``[org_id, user_id, role]``). A wrong name, a missing
        input or one the flow does not take raises ``InputError`` (``invalid_input``)
        here, before anything runs.
        """
        return self._native.flow(
            name,
            now=_now(now),
            token=token,
            request=dict(request) if request is not None else None,
            params=list(params),
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
        # Every agent call of a host goes through here: the request is built and the
        # native flow started directly (no intermediate helpers: they were a sixth of the
        # per-call cost over an embedded store).
        request: dict[str, Any] = {
            "method": method,
            "path": path,
            "body": body,
            "requires_approval": requires_approval,
        }
        if permission is not None:
            request["permission"] = permission
        if confirmation is not None:
            request["confirmation"] = confirmation
        if trace_id is not None:
            request["trace_id"] = trace_id
        flow = self._native.flow(
            "authorize_agent",
            now=int(time.time()) if now is None else now,
            token=raw_token,
            request=request,
            ip=client_ip,
            trace_id=trace_id,
        )
        result: dict[str, Any] = self.run(flow)
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

    # ----- every other flow -------------------------------------------------------------
    #
    # Thin typed doors onto :meth:`flow`: each builds the request dict of the core flow of
    # the same name (docs/flows.md) and runs it. Each also takes the keywords
    # ``client_ip``, ``user_agent`` and ``now`` (the request context). A refusal raises
    # the flow's TenxyteError; an agent's denial is a value (``{"outcome": "denied"}``).

    def _call(
        self,
        name: str,
        token: str | None = None,
        *,
        request: Mapping[str, Any] | None = None,
        params: Sequence[str] = (),
        **ctx: Unpack[_Context],
    ) -> Any:
        return self.run(
            self.flow(
                name,
                token=token,
                request=request,
                params=params,
                **ctx,
            )
        )

    def _one(self, name: str, token: str | None = None, **fields: Any) -> dict[str, Any]:
        out: dict[str, Any] = self._call(name, token, **fields)
        return out

    def _many(self, name: str, token: str | None = None, **fields: Any) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = self._call(name, token, **fields)
        return out

    # 2FA (TOTP and backup codes)

    def setup_2fa(self, access_token: str, **ctx: Unpack[_Context]) -> dict[str, Any]:
        """Starts 2FA: ``{"secret", "otpauth_uri", "qr_svg", "backup_codes"}``, shown once.
        Nothing is enforced until :meth:`confirm_2fa` proves the authenticator works."""
        return self._one("setup_2fa", access_token, **ctx)

    def confirm_2fa(
        self,
        access_token: str,
        *,
        code: str,
        **ctx: Unpack[_Context],
    ) -> dict[str, Any]:
        """Enables 2FA with a code from the pending secret: ``{"enabled": true}``."""
        return self._one("confirm_2fa", access_token, request={"code": code}, **ctx)

    def disable_2fa(
        self,
        access_token: str,
        *,
        code: str,
        password: str = "",
        **ctx: Unpack[_Context],
    ) -> dict[str, Any]:
        """Turns 2FA off: the password (when the account has one) and a TOTP or backup
        code, both, so a stolen session alone cannot remove the second factor."""
        return self._one(
            "disable_2fa",
            access_token,
            request={"password": password, "code": code},
            **ctx,
        )

    def regenerate_backup_codes(
        self,
        access_token: str,
        *,
        code: str,
        **ctx: Unpack[_Context],
    ) -> dict[str, Any]:
        """Replaces the backup codes (a TOTP code, not a backup code, authorises it):
        ``{"backup_codes": [...]}``, shown once."""
        return self._one(
            "regenerate_backup_codes",
            access_token,
            request={"code": code},
            **ctx,
        )

    # Passwords

    def change_password(
        self,
        access_token: str,
        *,
        old_password: str,
        new_password: str,
        device_info: str | None = None,
        **ctx: Unpack[_Context],
    ) -> dict[str, Any]:
        """Changes the password: every session ends (this one too) and the answer carries
        fresh tokens, ``{"sessions_ended", "tokens"}``."""
        request = _drop_none(
            old_password=old_password, new_password=new_password, device_info=device_info
        )
        return self._one(
            "change_password",
            access_token,
            request=request,
            **ctx,
        )

    def request_password_reset(
        self,
        *,
        email: str | None = None,
        phone: str | None = None,
        reset_url: str | None = None,
        **ctx: Unpack[_Context],
    ) -> dict[str, Any]:
        """Sends a reset code (and a link with ``reset_url``) by e-mail or SMS:
        ``{"challenge_id", "expires_in", "message"}``, the same answer whether or not an
        account matches."""
        return self._one(
            "request_password_reset",
            request=_drop_none(email=email, phone=phone, reset_url=reset_url),
            **ctx,
        )

    def confirm_password_reset(
        self,
        *,
        new_password: str,
        challenge_id: str = "",
        code: str = "",
        token: str | None = None,
        **ctx: Unpack[_Context],
    ) -> dict[str, Any]:
        """Sets a new password with the reset code (``challenge_id`` + ``code``) or the
        link's ``token``; every session ends: ``{"sessions_ended": n}``."""
        request = _drop_none(
            challenge_id=challenge_id, code=code, token=token, new_password=new_password
        )
        return self._one("confirm_password_reset", request=request, **ctx)

    # Magic links

    def request_magic_link(
        self,
        *,
        email: str,
        validation_url: str,
        **ctx: Unpack[_Context],
    ) -> dict[str, Any]:
        """E-mails a one-time login link to ``validation_url?token=...``: ``{"message"}``,
        the same whether or not the address has an account."""
        return self._one(
            "request_magic_link",
            request={"email": email, "validation_url": validation_url},
            **ctx,
        )

    def verify_magic_link(
        self,
        *,
        token: str,
        totp_code: str | None = None,
        device_info: str | None = None,
        **ctx: Unpack[_Context],
    ) -> dict[str, Any]:
        """Opens a session with the link's ``txm_`` token: the token response."""
        return self._one(
            "verify_magic_link",
            request=_drop_none(token=token, totp_code=totp_code, device_info=device_info),
            **ctx,
        )

    # E-mail and phone verification, passwordless phone login

    def request_email_verification(
        self, access_token: str, **ctx: Unpack[_Context]
    ) -> dict[str, Any]:
        """Sends a code to the account's e-mail: ``{"challenge_id", "expires_in",
        "message"}``."""
        return self._one("request_email_verification", access_token, **ctx)

    def confirm_email_verification(
        self,
        access_token: str,
        *,
        challenge_id: str,
        code: str,
        **ctx: Unpack[_Context],
    ) -> dict[str, Any]:
        """Marks the e-mail verified with the code sent to it: ``{"verified": true}``."""
        return self._one(
            "confirm_email_verification",
            access_token,
            request={"challenge_id": challenge_id, "code": code},
            **ctx,
        )

    def request_phone_verification(
        self, access_token: str, **ctx: Unpack[_Context]
    ) -> dict[str, Any]:
        """Sends a code to the account's phone by SMS: as
        :meth:`request_email_verification`."""
        return self._one("request_phone_verification", access_token, **ctx)

    def confirm_phone_verification(
        self,
        access_token: str,
        *,
        challenge_id: str,
        code: str,
        **ctx: Unpack[_Context],
    ) -> dict[str, Any]:
        """Marks the phone verified with the SMS code: ``{"verified": true}``."""
        return self._one(
            "confirm_phone_verification",
            access_token,
            request={"challenge_id": challenge_id, "code": code},
            **ctx,
        )

    def request_login_code(self, *, phone: str, **ctx: Unpack[_Context]) -> dict[str, Any]:
        """Texts a login code (``otp.login_enabled``): ``{"challenge_id", "expires_in",
        "message"}``, the same answer for an unknown number."""
        return self._one("request_login_code", request={"phone": phone}, **ctx)

    def verify_login_code(
        self,
        *,
        challenge_id: str,
        code: str,
        totp_code: str | None = None,
        device_info: str | None = None,
        **ctx: Unpack[_Context],
    ) -> dict[str, Any]:
        """Opens a session with the SMS code: the token response."""
        request = _drop_none(
            challenge_id=challenge_id, code=code, totp_code=totp_code, device_info=device_info
        )
        return self._one(
            "verify_login_code",
            request=request,
            **ctx,
        )

    # Agent tokens: lifecycle, HITL, heartbeat, usage, sub-tokens

    def list_agent_tokens(
        self,
        access_token: str,
        *,
        cursor: str | None = None,
        limit: int | None = None,
        **ctx: Unpack[_Context],
    ) -> dict[str, Any]:
        """The agent tokens the user delegated, a page: ``{"items", "next_cursor"}``."""
        return self._one(
            "list_agent_tokens",
            access_token,
            request=_drop_none(cursor=cursor, limit=limit),
            **ctx,
        )

    def get_agent_token(
        self,
        access_token: str,
        *,
        token_id: str,
        **ctx: Unpack[_Context],
    ) -> dict[str, Any]:
        """One agent token the user delegated (never its hash)."""
        return self._one("get_agent_token", access_token, params=[token_id], **ctx)

    def suspend_agent_token(
        self,
        access_token: str,
        *,
        token_id: str,
        **ctx: Unpack[_Context],
    ) -> dict[str, Any]:
        """Suspends one of the user's agent tokens (reversible): the updated token."""
        return self._one("suspend_agent_token", access_token, params=[token_id], **ctx)

    def reactivate_agent_token(
        self,
        access_token: str,
        *,
        token_id: str,
        **ctx: Unpack[_Context],
    ) -> dict[str, Any]:
        """Reactivates a suspended agent token (its failure count reset)."""
        return self._one("reactivate_agent_token", access_token, params=[token_id], **ctx)

    def revoke_agent_token(
        self,
        access_token: str,
        *,
        token_id: str,
        **ctx: Unpack[_Context],
    ) -> dict[str, Any]:
        """Revokes an agent token for good; its sub-tokens stop with it."""
        return self._one("revoke_agent_token", access_token, params=[token_id], **ctx)

    def revoke_all_agent_tokens(self, access_token: str, **ctx: Unpack[_Context]) -> int:
        """Revokes every agent token the user delegated; returns how many."""
        count: int = self._call("revoke_all_agent_tokens", access_token, **ctx)
        return count

    def list_pending_actions(
        self, access_token: str, **ctx: Unpack[_Context]
    ) -> list[dict[str, Any]]:
        """The agents' actions waiting for this user's approval, oldest first."""
        return self._many("list_pending_actions", access_token, **ctx)

    def confirm_pending_action(
        self,
        access_token: str,
        *,
        pending_action_id: str,
        **ctx: Unpack[_Context],
    ) -> dict[str, Any]:
        """Approves an agent's pending action (the agent then retries it once with its
        confirmation token): the decided action."""
        return self._one(
            "confirm_pending_action",
            access_token,
            params=[pending_action_id],
            **ctx,
        )

    def deny_pending_action(
        self,
        access_token: str,
        *,
        pending_action_id: str,
        **ctx: Unpack[_Context],
    ) -> dict[str, Any]:
        """Refuses an agent's pending action: the decided action."""
        return self._one(
            "deny_pending_action",
            access_token,
            params=[pending_action_id],
            **ctx,
        )

    def agent_heartbeat(self, raw_token: str, **ctx: Unpack[_Context]) -> dict[str, Any]:
        """The agent's dead man's switch: ``{"token_id", "last_heartbeat_at",
        "next_due_at"}``."""
        return self._one("agent_heartbeat", raw_token, **ctx)

    def report_agent_usage(
        self,
        raw_token: str,
        *,
        cost_usd: int | str | float,
        **ctx: Unpack[_Context],
    ) -> dict[str, Any]:
        """Charges a cost to the agent's budget (an int is micro-USD, a str or float is
        USD): ``{"outcome": "allowed"}``, or denied ``budget_exceeded`` and suspended."""
        return self._one(
            "report_agent_usage",
            raw_token,
            request={"cost_usd": cost_usd},
            **ctx,
        )

    def create_agent_sub_token(
        self,
        raw_token: str,
        *,
        permissions: Sequence[str],
        agent_id: str | None = None,
        expires_in_secs: int | None = None,
        circuit_breaker: Mapping[str, Any] | None = None,
        dead_mans_switch: Mapping[str, Any] | None = None,
        budget: Mapping[str, Any] | None = None,
        **ctx: Unpack[_Context],
    ) -> dict[str, Any]:
        """An agent delegates a narrower token to a sub-agent (each limit at most the
        parent's): ``{"token", "raw_token"}``, the raw token shown once."""
        request = _drop_none(
            permissions=list(permissions),
            agent_id=agent_id,
            expires_in_secs=expires_in_secs,
            circuit_breaker=dict(circuit_breaker) if circuit_breaker is not None else None,
            dead_mans_switch=dict(dead_mans_switch) if dead_mans_switch is not None else None,
            budget=dict(budget) if budget is not None else None,
        )
        return self._one("create_agent_sub_token", raw_token, request=request, **ctx)

    def sweep_agents(self, **ctx: Unpack[_Context]) -> int:
        """Host-only: suspends agent tokens whose heartbeat is overdue (schedule it, or
        let :meth:`maintenance` run it); returns how many."""
        count: int = self._call("sweep_agents", **ctx)
        return count

    # Organizations

    def create_organization(
        self,
        access_token: str,
        *,
        name: str,
        slug: str,
        parent_id: str | None = None,
        max_members: int | None = None,
        metadata: Mapping[str, Any] | None = None,
        **ctx: Unpack[_Context],
    ) -> dict[str, Any]:
        """Creates an organization (under ``parent_id`` when given, which needs its
        owner); the caller becomes its owner. Returns the organization."""
        request = _drop_none(
            name=name,
            slug=slug,
            max_members=max_members,
            metadata=dict(metadata) if metadata is not None else None,
        )
        if parent_id is None:
            return self._one("create_organization", access_token, request=request, **ctx)
        return self._one(
            "create_child_organization", access_token, request=request, params=[parent_id], **ctx
        )

    def organization_by_slug(
        self,
        access_token: str,
        *,
        slug: str,
        **ctx: Unpack[_Context],
    ) -> dict[str, Any]:
        """An organization the user belongs to: ``{"organization", "role", "via_org"}``."""
        return self._one("organization_by_slug", access_token, params=[slug], **ctx)

    def my_organizations(self, access_token: str, **ctx: Unpack[_Context]) -> list[dict[str, Any]]:
        """The user's organizations: ``[{"organization", "role", "status"}]``."""
        return self._many("my_organizations", access_token, **ctx)

    def list_members(
        self,
        access_token: str,
        *,
        org_id: str,
        **ctx: Unpack[_Context],
    ) -> list[dict[str, Any]]:
        """The organization's members: ``[{"user_id", "email", "role", "status", ...}]``."""
        return self._many("list_members", access_token, params=[org_id], **ctx)

    def invite_member(
        self,
        access_token: str,
        *,
        org_id: str,
        email: str,
        role: str | None = None,
        accept_url: str | None = None,
        **ctx: Unpack[_Context],
    ) -> dict[str, Any]:
        """E-mails an invitation (its ``txi_`` token is only in the message): the
        invitation, without token or hash."""
        request = _drop_none(org_id=org_id, email=email, role=role, accept_url=accept_url)
        return self._one("invite_member", access_token, request=request, **ctx)

    def accept_invitation(
        self,
        access_token: str,
        *,
        invitation_token: str,
        **ctx: Unpack[_Context],
    ) -> dict[str, Any]:
        """Joins the organization with the invitation's ``txi_`` token (the account's
        e-mail must be the invited one): the active membership."""
        return self._one(
            "accept_invitation",
            access_token,
            params=[invitation_token],
            **ctx,
        )

    def change_member_role(
        self,
        access_token: str,
        *,
        org_id: str,
        user_id: str,
        role: str,
        **ctx: Unpack[_Context],
    ) -> dict[str, Any]:
        """Gives a member another role: the membership."""
        return self._one(
            "change_member_role",
            access_token,
            params=[org_id, user_id, role],
            **ctx,
        )

    def remove_member(
        self,
        access_token: str,
        *,
        org_id: str,
        user_id: str,
        **ctx: Unpack[_Context],
    ) -> dict[str, Any]:
        """Removes a member (the last owner cannot go): the removed membership."""
        return self._one("remove_member", access_token, params=[org_id, user_id], **ctx)

    # Applications (API clients)

    def create_application(
        self,
        access_token: str,
        *,
        name: str,
        description: str = "",
        allowed_origins: Sequence[str] = (),
        **ctx: Unpack[_Context],
    ) -> dict[str, Any]:
        """Creates an application (``applications.create``): ``{"application",
        "access_secret"}``, the secret shown once."""
        request = {
            "name": name,
            "description": description,
            "allowed_origins": list(allowed_origins),
        }
        return self._one("create_application", access_token, request=request, **ctx)

    def list_applications(self, access_token: str, **ctx: Unpack[_Context]) -> list[dict[str, Any]]:
        """Every application, oldest first (``applications.view``)."""
        return self._many("list_applications", access_token, **ctx)

    def get_application(
        self,
        access_token: str,
        *,
        app_id: str,
        **ctx: Unpack[_Context],
    ) -> dict[str, Any]:
        """One application (never its secret's hash)."""
        return self._one("get_application", access_token, params=[app_id], **ctx)

    def regenerate_application_secret(
        self,
        access_token: str,
        *,
        app_id: str,
        **ctx: Unpack[_Context],
    ) -> dict[str, Any]:
        """Rotates the application's secret (the old one fails from now on):
        ``{"application", "access_secret"}``."""
        return self._one("regenerate_application_secret", access_token, params=[app_id], **ctx)

    def disable_application(
        self,
        access_token: str,
        *,
        app_id: str,
        **ctx: Unpack[_Context],
    ) -> dict[str, Any]:
        """Disables an application: its credentials answer ``application_disabled``."""
        return self._one("disable_application", access_token, params=[app_id], **ctx)

    def enable_application(
        self,
        access_token: str,
        *,
        app_id: str,
        **ctx: Unpack[_Context],
    ) -> dict[str, Any]:
        """Enables a disabled application again."""
        return self._one("enable_application", access_token, params=[app_id], **ctx)

    def verify_application(
        self, *, access_key: str, access_secret: str, **ctx: Unpack[_Context]
    ) -> dict[str, Any]:
        """Checks ``X-Access-Key`` / ``X-Access-Secret``: the application, or
        ``application_invalid`` / ``application_disabled``."""
        return self._one("verify_application", params=[access_key, access_secret], **ctx)

    # Host-only: audit trail and maintenance

    def audit_query(
        self,
        *,
        user_id: str | None = None,
        org_id: str | None = None,
        agent_id: str | None = None,
        since: int | None = None,
        until: int | None = None,
        action: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        **ctx: Unpack[_Context],
    ) -> dict[str, Any]:
        """Host-only: a page of audit events, oldest first, for at most one of user,
        organization or agent: ``{"items", "next_cursor"}``."""
        request = _drop_none(
            user_id=user_id,
            org_id=org_id,
            agent_id=agent_id,
            since=since,
            until=until,
            action=action,
            limit=limit,
            cursor=cursor,
        )
        return self._one("audit_query", request=request, **ctx)

    def maintenance(
        self, *, max_scan: int | None = None, **ctx: Unpack[_Context]
    ) -> dict[str, Any]:
        """Host-only, scheduled: deletes expired records a store's TTL left behind and
        runs the agents' heartbeat sweep; ``more: true`` when a scan stopped at
        ``max_scan``. Idempotent, safe to run twice at once."""
        return self._one("maintenance", request=_drop_none(max_scan=max_scan), **ctx)
