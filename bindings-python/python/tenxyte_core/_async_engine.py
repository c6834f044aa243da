"""The engine for asyncio: :class:`Engine`'s API with coroutine methods.

Where each flow runs, so that the event loop never blocks:

- an embedded store (:class:`MemoryStore`, :class:`SqliteStore`): the whole flow in a
  worker thread (``asyncio.to_thread``); the native work releases the GIL there;
- a store whose methods are ``async def``: :func:`drive_async` on the loop, one awaited
  operation at a time (other tasks run between them);
- any other Python store: :func:`drive` in a worker thread, since its methods may block.

Concurrency is the store's business, as for :class:`Engine`: the core asks for atomic
``incr`` and compare-and-swap ``put`` wherever two requests may race (rate limits, agent
caps, single-use codes), so interleaved flows cannot both pass a limit.

Cancelling the awaiting task stops a flow driven on the loop between two operations (the
core orders its writes so that any prefix is safe); a flow already in a worker thread
runs to its end, and its result is dropped.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Coroutine, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from ._drive import drive, drive_async
from ._engine import Engine, GuardDecision, Headers
from ._native import Flow, KeySet, MemoryStore, SqliteStore

if TYPE_CHECKING:
    from typing_extensions import Concatenate, ParamSpec

    _P = ParamSpec("_P")

_R = TypeVar("_R")

__all__ = ["AsyncEngine"]

_STORE_METHODS = ("get", "put", "delete", "incr", "list")


class _FlowBuilder(Engine):
    """An :class:`Engine` whose :meth:`run` hands the flow back instead of running it.

    The typed methods of :class:`Engine` build their request and pass the flow to
    ``run``; through this class :class:`AsyncEngine` reuses that request building rather
    than keep a second copy of it.
    """

    def run(self, flow: Flow) -> Any:
        return flow


def _built(flow: object) -> Flow:
    if not isinstance(flow, Flow):  # pragma: no cover - _FlowBuilder.run returns its flow
        raise TypeError(f"expected a Flow, got {type(flow).__name__}")
    return flow


def _awaited(
    method: Callable[Concatenate[Engine, _P], _R],
) -> Callable[Concatenate[AsyncEngine, _P], Coroutine[Any, Any, _R]]:
    """The :class:`AsyncEngine` method of an :class:`Engine` typed flow: the same
    signature and docstring, the request built by the very same method (on the
    engine's :class:`_FlowBuilder`), the flow awaited on this engine's store."""

    @functools.wraps(method)
    async def awaited(self: AsyncEngine, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        flow = _built(method(self._flows, *args, **kwargs))
        result: _R = await self.run(flow)
        return result

    return awaited


def _is_async_store(store: object) -> bool:
    return any(inspect.iscoroutinefunction(getattr(store, m, None)) for m in _STORE_METHODS)


class AsyncEngine:
    """:class:`Engine` for asyncio: the same constructor and methods, awaited.

    ``store`` is a :class:`MemoryStore` (default), a :class:`SqliteStore`, a store with
    ``async def`` methods (the :class:`tenxyte_core.Store` methods as coroutines) or a
    synchronous Python store. Building flows (:meth:`flow`, :meth:`http_flow`) and
    reading the configuration stay synchronous: they do no I/O.
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
        self._flows = _FlowBuilder(settings, preset=preset, keys=keys, policy=policy, store=store)
        self._store = self._flows.store
        self._embedded: MemoryStore | SqliteStore | None = (
            self._store if isinstance(self._store, (MemoryStore, SqliteStore)) else None
        )
        self._async_store = self._embedded is None and _is_async_store(self._store)

    @property
    def store(self) -> object:
        """The store the engine runs its flows on."""
        return self._store

    async def run(self, flow: Flow) -> Any:
        """Drives a flow over this engine's store and returns its result."""
        if self._embedded is not None:
            return await asyncio.to_thread(flow.run, self._embedded)
        if self._async_store:
            return await drive_async(flow, self._store)
        return await asyncio.to_thread(drive, flow, self._store)

    async def messages(self) -> list[dict[str, Any]]:
        """:meth:`Engine.messages`, awaited (the store's ``messages()`` may be async)."""
        messages = getattr(self._store, "messages", None)
        if messages is None:
            return []
        if self._embedded is not None:
            embedded: list[dict[str, Any]] = await asyncio.to_thread(self._embedded.messages)
            return embedded
        found = messages()
        if inspect.isawaitable(found):
            found = await found
        result: list[dict[str, Any]] = found
        return result

    def settings(self) -> dict[str, Any]:
        """The settings in force, every key present."""
        return self._flows.settings()

    def jwks(self) -> dict[str, Any]:
        """The public signing keys as a JWKS."""
        return self._flows.jwks()

    def openapi(self) -> dict[str, Any]:
        """The OpenAPI 3 document of the HTTP API."""
        return self._flows.openapi()

    # ----- flows to drive yourself ------------------------------------------------------

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
        """:meth:`Engine.flow`: any core flow by name, not started."""
        return self._flows.flow(
            name,
            token=token,
            request=request,
            params=params,
            client_ip=client_ip,
            user_agent=user_agent,
            app_id=app_id,
            trace_id=trace_id,
            now=now,
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
        """:meth:`Engine.http_flow`: the flow behind :meth:`handle`, not started."""
        return self._flows.http_flow(
            method, path, headers=headers, body=body, query=query, client_ip=client_ip, now=now
        )

    # ----- the HTTP API and the guard ---------------------------------------------------

    async def handle(
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
        """:meth:`Engine.handle`: ``(status, headers, body)`` for one API request."""
        flow = self._flows._handle_flow(
            method,
            path,
            headers=headers,
            body=body,
            json=json,
            query=query,
            client_ip=client_ip,
            now=now,
        )
        status, out_headers, out_body = await self.run(flow)
        return status, out_headers, out_body

    async def guard(
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
        """:meth:`Engine.guard`: ``("allow", principal)`` or ``("respond", (status,
        headers, body))``, the response the API itself would give."""
        flow = _built(
            self._flows.guard(
                method,
                path,
                headers=headers,
                body=body,
                requirements=requirements,
                query=query,
                client_ip=client_ip,
                now=now,
            )
        )
        decision: GuardDecision = await self.run(flow)
        return decision

    # ----- every typed flow: Engine's methods, awaited ---------------------------------
    # (the signature and docstring are Engine's; the request is built by the very same
    # method, the flow awaited on this engine's store)

    register = _awaited(Engine.register)
    login = _awaited(Engine.login)
    refresh = _awaited(Engine.refresh)
    logout = _awaited(Engine.logout)
    logout_all = _awaited(Engine.logout_all)
    me = _awaited(Engine.me)
    authenticate = _awaited(Engine.authenticate)
    create_agent_token = _awaited(Engine.create_agent_token)
    authorize_agent = _awaited(Engine.authorize_agent)

    setup_2fa = _awaited(Engine.setup_2fa)
    confirm_2fa = _awaited(Engine.confirm_2fa)
    disable_2fa = _awaited(Engine.disable_2fa)
    regenerate_backup_codes = _awaited(Engine.regenerate_backup_codes)

    change_password = _awaited(Engine.change_password)
    request_password_reset = _awaited(Engine.request_password_reset)
    confirm_password_reset = _awaited(Engine.confirm_password_reset)

    request_magic_link = _awaited(Engine.request_magic_link)
    verify_magic_link = _awaited(Engine.verify_magic_link)

    request_email_verification = _awaited(Engine.request_email_verification)
    confirm_email_verification = _awaited(Engine.confirm_email_verification)
    request_phone_verification = _awaited(Engine.request_phone_verification)
    confirm_phone_verification = _awaited(Engine.confirm_phone_verification)

    request_login_code = _awaited(Engine.request_login_code)
    verify_login_code = _awaited(Engine.verify_login_code)

    list_agent_tokens = _awaited(Engine.list_agent_tokens)
    get_agent_token = _awaited(Engine.get_agent_token)
    suspend_agent_token = _awaited(Engine.suspend_agent_token)
    reactivate_agent_token = _awaited(Engine.reactivate_agent_token)
    revoke_agent_token = _awaited(Engine.revoke_agent_token)
    revoke_all_agent_tokens = _awaited(Engine.revoke_all_agent_tokens)

    list_pending_actions = _awaited(Engine.list_pending_actions)
    confirm_pending_action = _awaited(Engine.confirm_pending_action)
    deny_pending_action = _awaited(Engine.deny_pending_action)
    agent_heartbeat = _awaited(Engine.agent_heartbeat)
    report_agent_usage = _awaited(Engine.report_agent_usage)
    create_agent_sub_token = _awaited(Engine.create_agent_sub_token)
    sweep_agents = _awaited(Engine.sweep_agents)

    create_organization = _awaited(Engine.create_organization)
    organization_by_slug = _awaited(Engine.organization_by_slug)
    my_organizations = _awaited(Engine.my_organizations)
    list_members = _awaited(Engine.list_members)
    invite_member = _awaited(Engine.invite_member)
    accept_invitation = _awaited(Engine.accept_invitation)
    change_member_role = _awaited(Engine.change_member_role)
    remove_member = _awaited(Engine.remove_member)

    create_application = _awaited(Engine.create_application)
    list_applications = _awaited(Engine.list_applications)
    get_application = _awaited(Engine.get_application)
    regenerate_application_secret = _awaited(Engine.regenerate_application_secret)
    disable_application = _awaited(Engine.disable_application)
    enable_application = _awaited(Engine.enable_application)
    verify_application = _awaited(Engine.verify_application)

    audit_query = _awaited(Engine.audit_query)
    maintenance = _awaited(Engine.maintenance)
