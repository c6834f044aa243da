"""The Django-ORM store: byte-order listing, concurrency, its outbound effects, the
``TENXYTE["store"]`` switch, agent caps through an engine on it, and ``tenxyte_quickstart``.

The contract itself (op for op against MemoryStore) is ``test_drive.py``'s differential
test, and the HTTP and typed flows are ``test_quickstart.py``'s: both run on this store
over SQLite and PostgreSQL through the ``python_store`` and ``engine`` fixtures.
"""

from __future__ import annotations

import http.server
import io
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections, transaction
from django.test import override_settings

import tenxyte_core as t
from conftest import PASSWORD, SETTINGS, T0, django_alias, django_store, make_engine
from tenxyte_core.django import build_engine, get_engine
from tenxyte_core.django.store import DjangoStore, urllib_client

KINDS = ["django-sqlite", "django-postgres"]


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def store(request: pytest.FixtureRequest, kind: str) -> DjangoStore:
    found: DjangoStore = django_store(request, kind, clock=lambda: T0)
    return found


# ----- list order ---------------------------------------------------------------------

KEYS = [
    "b",
    "B",
    "a",
    "A",
    "a/b",
    "a-b",
    "a0",
    "e",
    "\u00e9",
    "z",
    "Z",
    "\u00ff",
    "~",
    "\U0001f600",
]


def test_list_is_in_byte_order_with_non_ascii_keys(
    python_store: Callable[[Callable[[], int]], Any],
) -> None:
    store = python_store(lambda: T0)
    memory = t.MemoryStore()
    for i, key in enumerate(KEYS):
        op = {"op": "put", "ns": "k", "key": key, "value": i, "ttl_secs": None, "expect": "any"}
        assert "written" in store.put(**{k: v for k, v in op.items() if k != "op"})
        memory.execute(op, now=T0)
    # Unicode code point order is the byte order of UTF-8: "B" < "a" < "~" < "é" < "😀".
    expected = sorted(KEYS, key=lambda k: k.encode())
    assert expected[:3] == ["A", "B", "Z"]
    for prefix in ("", "a", "\u00e9"):
        seen: list[str] = []
        cursor = None
        while True:
            page = store.list("k", prefix, 3, cursor)
            theirs = memory.execute(
                {"op": "list", "ns": "k", "prefix": prefix, "limit": 3, "cursor": cursor},
                now=T0,
            )["listed"]
            assert [k for k, _ in page["items"]] == [k for k, _ in theirs["items"]]
            seen += [k for k, _ in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == [k for k in expected if k.startswith(prefix)]
    # A cursor below the prefix starts at the prefix.
    assert [k for k, _ in store.list("k", "a", 10, "A")["items"]] == ["a", "a-b", "a/b", "a0"]


# ----- concurrency --------------------------------------------------------------------


def _race(workers: int, job: Callable[[int], Any]) -> list[Any]:
    """Runs ``job(i)`` in ``workers`` threads started together; each closes its own
    database connections (Django opens one per thread)."""
    barrier = threading.Barrier(workers)
    results: list[Any] = [None] * workers
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = job(i)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors, errors
    return results


def test_concurrent_incr_never_loses_or_doubles_an_update(store: DjangoStore) -> None:
    workers, each = 4, 40

    def job(_: int) -> list[int]:
        return [store.incr("c", "hits", 1, 60) for _ in range(each)]

    seen = [v for values in _race(workers, job) for v in values]
    # Every increment returned a distinct value: together exactly 1..N.
    assert sorted(seen) == list(range(1, workers * each + 1))
    got = store.get("c", "hits")
    assert got is not None and got["value"] == workers * each


def test_concurrent_compare_and_swap_keeps_every_successful_write(store: DjangoStore) -> None:
    assert "written" in store.put("d", "doc", [], None, "absent")
    workers, each = 4, 10

    def job(i: int) -> int:
        conflicts = 0
        for n in range(each):
            while True:
                got = store.get("d", "doc")
                assert got is not None
                new = [*got["value"], f"{i}-{n}"]
                answer = store.put("d", "doc", new, None, {"version": got["version"]})
                if "written" in answer:
                    break
                conflicts += 1
        return conflicts

    _race(workers, job)
    final = store.get("d", "doc")
    assert final is not None
    # No successful swap overwrote another: every append is there, once.
    assert sorted(final["value"]) == sorted(f"{i}-{n}" for i in range(workers) for n in range(each))


def test_racing_create_once_has_exactly_one_winner(store: DjangoStore) -> None:
    answers = _race(6, lambda i: store.put("u", "ann", {"by": i}, None, "absent"))
    winners = [a for a in answers if "written" in a]
    assert len(winners) == 1
    got = store.get("u", "ann")
    assert got is not None and got["version"] == winners[0]["written"]["version"]
    assert all(
        a["conflict"]["current_version"] == got["version"] for a in answers if "conflict" in a
    )


def test_versions_are_never_reused_across_delete_and_expiry(
    request: pytest.FixtureRequest, kind: str
) -> None:
    now = [T0]
    store = django_store(request, kind, clock=lambda: now[0])
    first = store.put("s", "k", 1, 5, "absent")["written"]["version"]
    now[0] += 5  # expired: absent for every operation
    assert store.get("s", "k") is None
    assert store.delete("s", "k") is False
    assert store.list("s", "", 10, None) == {"items": [], "next_cursor": None}
    assert store.put("s", "k", 2, None, {"version": first}) == {
        "conflict": {"current_version": None}
    }
    second = store.put("s", "k", 2, None, "absent")["written"]["version"]
    assert store.delete("s", "k") is True
    assert store.incr("s", "k", 3, 10) == 3  # re-created at 0, TTL set now
    got = store.get("s", "k")
    assert got is not None and got["value"] == 3
    assert first < second < got["version"]
    now[0] += 9
    assert store.incr("s", "k", 1, 100) == 4  # not extended: still gone at +10
    now[0] += 1
    assert store.get("s", "k") is None
    assert store.incr("s", "k", 1, None) == 1


# ----- transactions -------------------------------------------------------------------


def test_a_write_inside_an_open_transaction_fails_closed(store: DjangoStore) -> None:
    with transaction.atomic(using=store.using):
        with pytest.raises(RuntimeError, match="alias of its own"):
            store.put("x", "y", 1, None, "any")
    engine = make_engine(store)
    with transaction.atomic(using=store.using):
        with pytest.raises(t.StoreError) as e:
            engine.register(email="tx@example.com", password=PASSWORD, now=T0)
    assert e.value.code == "store_unavailable"
    assert isinstance(e.value.__cause__, RuntimeError)
    assert store.get("x", "y") is None


# ----- outbound effects ---------------------------------------------------------------


def test_messages_go_through_django_mail_and_sms_needs_a_mailer(
    request: pytest.FixtureRequest,
) -> None:
    store = django_store(request, "django-sqlite", clock=lambda: T0, log_messages=False)
    mail.outbox = []  # the locmem backend appends here
    sent = store.send_message("email", "ann@example.com", "login_code", "Your code", "123", {})
    assert sent == {"id": None}
    (email,) = mail.outbox
    assert (email.to, email.subject, email.body) == (["ann@example.com"], "Your code", "123")
    with pytest.raises(RuntimeError, match="mailer"):
        store.send_message("sms", "+33600000000", "login_code", "", "123", {})
    assert store.messages() == []  # log_messages=False keeps no codes in the database


def test_a_custom_mailer_and_the_message_log(request: pytest.FixtureRequest) -> None:
    got: list[dict[str, Any]] = []

    def mailer(message: dict[str, Any]) -> str:
        got.append(message)
        return f"sms-{len(got)}"

    store = django_store(request, "django-sqlite", clock=lambda: T0, mailer=mailer)
    engine = make_engine(store)
    engine.register(email="lo@example.com", password=PASSWORD, now=T0)
    status, _, _ = engine.handle(
        "POST", "/api/v1/auth/password/reset/request/", json={"email": "lo@example.com"}, now=T0
    )
    assert status == 200
    (message,) = got
    assert message["to"] == "lo@example.com" and message["template"] == "password_reset"
    (logged,) = engine.messages()
    assert logged["id"] == "sms-1" and logged["text"] == message["text"]


@pytest.fixture
def http_server() -> Iterator[str]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            code = 404 if self.path == "/missing" else 200
            body = f"{self.path} {self.headers.get('Add-Padding')}".encode()
            self.send_response(code)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_http_request_answers_every_status(store: DjangoStore, http_server: str) -> None:
    ok = store.http_request(
        "GET", f"{http_server}/range/ABCDE", [("Add-Padding", "true")], None, 3000
    )
    assert ok["status"] == 200 and ok["body"] == "/range/ABCDE true"
    missing = urllib_client("GET", f"{http_server}/missing", [], None, 3000)
    assert missing["status"] == 404


# ----- configuration ------------------------------------------------------------------


def test_tenxyte_store_setting_selects_the_django_store(
    request: pytest.FixtureRequest, kind: str
) -> None:
    alias = django_alias(request, kind)
    name = "django" if alias == "default" else f"django:{alias}"
    engine = build_engine({"preset": "development", "store": name})
    assert isinstance(engine.store, DjangoStore) and engine.store.using == alias
    with pytest.raises(ValueError, match="django:<alias>"):
        build_engine({"preset": "development", "store": "django:"})


# ----- flows --------------------------------------------------------------------------


def test_an_agent_token_with_caps_on_the_django_store(store: DjangoStore) -> None:
    engine = make_engine(store)
    engine.register(email="ag@example.com", password=PASSWORD, now=T0)
    tokens = engine.login(email="ag@example.com", password=PASSWORD, now=T0)
    agent = engine.create_agent_token(
        tokens["access_token"],
        permissions=["content.view"],
        circuit_breaker={"max_requests_total": 2},
        now=T0,
    )
    outcomes = [
        engine.authorize_agent(
            agent["raw_token"], method="GET", path="/a", permission="content.view", now=T0 + i
        )["outcome"]
        for i in range(3)
    ]
    assert outcomes == ["allowed", "allowed", "denied"]
    outside = engine.authorize_agent(
        agent["raw_token"], method="POST", path="/a", permission="content.edit", now=T0 + 5
    )
    assert outside["outcome"] == "denied"


# ----- tenxyte_quickstart -------------------------------------------------------------

QUICKSTART = {
    "preset": "development",
    "store": "django",
    "keys": "quickstart-test-hmac-secret-32-bytes!",
    "settings": {k: v for k, v in SETTINGS.items() if k != "preset"}
    | {"application_auth": {"enabled": True}},
}


def quickstart(*args: str) -> str:
    out = io.StringIO()
    call_command("tenxyte_quickstart", *args, stdout=out)
    return out.getvalue()


def test_quickstart_creates_the_application_once_and_the_admin(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    django_alias(request, "django-sqlite")
    with override_settings(TENXYTE=QUICKSTART):
        first = quickstart()
        (line,) = [x for x in first.splitlines() if "application_created" in x]
        created = json.loads(line.removeprefix("tenxyte: "))
        assert created["access_secret"].startswith("txs_")
        engine = get_engine()
        assert isinstance(engine.store, DjangoStore)
        app = [
            ("X-Access-Key", created["access_key"]),
            ("X-Access-Secret", created["access_secret"]),
        ]
        body = {"email": "me@example.com", "password": PASSWORD}
        status, _, _ = engine.handle("POST", "/api/v1/auth/register/", json=body)
        assert status == 401  # application_auth is on: the credentials are needed ...
        status, _, _ = engine.handle("POST", "/api/v1/auth/register/", json=body, headers=app)
        assert status == 201  # ... and they work

        again = quickstart()
        assert "application exists" in again and created["access_key"] in again
        assert "access_secret" not in again and created["access_secret"] not in again

        with pytest.raises(CommandError, match="TENXYTE_ADMIN_PASSWORD"):
            quickstart("--admin-email", "root@example.com")
        monkeypatch.setenv("TENXYTE_ADMIN_PASSWORD", PASSWORD)
        made = quickstart("--admin-email", "root@example.com")
        assert "superuser_created" in made
        assert "exists" in quickstart("--admin-email", "root@example.com")
        tokens = get_engine().login(email="root@example.com", password=PASSWORD)
        me = get_engine().me(tokens["access_token"])
        assert me["user"]["is_superuser"] is True


def test_quickstart_refuses_a_memory_store() -> None:
    with override_settings(TENXYTE={"preset": "development", "store": "memory"}):
        with pytest.raises(CommandError, match="memory"):
            quickstart()


def test_the_committed_migrations_match_the_models() -> None:
    out = io.StringIO()
    # Exits non-zero (SystemExit) when the models changed without a migration.
    call_command("makemigrations", "tenxyte", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()
