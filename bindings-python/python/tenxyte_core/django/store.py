"""A Tenxyte store in the project's own database, through the Django ORM.

``DjangoStore(using="default")`` implements the Store port of ``docs/store.md`` over the
tables of the ``tenxyte_core.django`` app (add it to ``INSTALLED_APPS`` and migrate), on
any database Django supports with transactions; SQLite and PostgreSQL are tested.

How the contract is kept:

- **One writer at a time.** Every write (``put``, ``incr``, ``delete``) is one
  transaction that first writes the single :class:`~tenxyte_core.django.models.VersionCounter`
  row: PostgreSQL then holds that row's lock, SQLite its write lock, until the commit. A
  compare-and-swap's check and write, and an ``incr``'s read and write, can thus never
  interleave with another writer's, in this process or another. Reads (``get``,
  ``list``) are single statements that do not wait. This is the SQLite store's design; a
  site whose Tenxyte writes outgrow one row lock wants a dedicated store.
- **Versions** come from that counter, bumped inside the write transaction, so a key
  re-created after a delete or an expiry gets a version above any it had.
- **Expiry:** a row with ``expires_at <= now`` is absent for every operation;
  :meth:`DjangoStore.purge_expired` deletes such rows (run it from a periodic job).
- **List order** is the byte order of the UTF-8 key: PostgreSQL compares and sorts the
  key ``COLLATE "C"`` (the migration adds a matching index), SQLite's default ``BINARY``
  collation is already byte order, MySQL uses ``utf8mb4_bin``.
- **Own transactions:** a write commits on its own (``transaction.atomic(durable=True)``).
  Inside an open transaction on the same alias (``ATOMIC_REQUESTS``, an
  ``atomic()`` block) it fails rather than let a later rollback undo a revocation the
  flow counted on; give the store an alias of its own in that case
  (``TENXYTE = {"store": "django:tenxyte"}`` with a ``DATABASES["tenxyte"]`` entry
  for the same database).

Outbound effects: ``send_message`` hands the message to ``mailer`` (default: e-mail
through Django's ``send_mail`` and ``DEFAULT_FROM_EMAIL``; SMS needs a mailer of yours),
and keeps it in the ``tenxyte_message`` table only with ``log_messages=True`` (its text
holds codes and links: development and tests). ``http_request`` (the breach check's range
query) goes through ``http_client`` (default: ``urllib``).
"""

from __future__ import annotations

import builtins
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from django.core.mail import send_mail
from django.db import IntegrityError, connections, transaction
from django.db.models import F, Max, Q
from django.db.models.functions import Collate

from .._drive import Delivery, Expect, HttpAnswer, Page, PutResult, Record
from .models import Message, VersionCounter
from .models import Record as RecordRow

__all__ = ["DjangoStore", "django_mailer", "urllib_client"]

I64_MAX = 2**63 - 1
I64_MIN = -(2**63)

#: A collation per database vendor whose order is the byte order of UTF-8 text (none:
#: the column's own collation already is).
_BYTE_COLLATION = {"postgresql": "C", "mysql": "utf8mb4_bin"}

#: ``mailer(message) -> provider id | None``; ``message`` has ``channel``, ``to``,
#: ``template``, ``subject``, ``text`` and ``data``. An exception means "not sent".
Mailer = Callable[[dict[str, Any]], "str | None"]

#: ``http_client(method, url, headers, body, timeout_ms) -> HttpAnswer``. Any HTTP status
#: is an answer; an exception (transport error, timeout) means "no answer".
HttpClient = Callable[[str, str, "list[tuple[str, str]]", "str | None", int], HttpAnswer]


def django_mailer(message: dict[str, Any]) -> str | None:
    """The default mailer: e-mail through Django's ``send_mail`` (``EMAIL_BACKEND``,
    ``DEFAULT_FROM_EMAIL``); any other channel is refused, so the flow answers
    ``delivery_failed`` instead of pretending an SMS went out."""
    if message["channel"] != "email":
        raise RuntimeError(
            f"no sender for {message['channel']!r} messages: give DjangoStore(mailer=...)"
        )
    sent = send_mail(message["subject"], message["text"], None, [message["to"]])
    if sent != 1:
        raise RuntimeError("the e-mail backend did not accept the message")
    return None


def urllib_client(
    method: str, url: str, headers: list[tuple[str, str]], body: str | None, timeout_ms: int
) -> HttpAnswer:
    """The default HTTP client (the standard library's): every status is an answer."""
    request = urllib.request.Request(
        url,
        data=None if body is None else body.encode(),
        headers=dict(headers),
        method=method,
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_ms / 1000) as response:
            status, got, raw = response.status, response.getheaders(), response.read()
    except urllib.error.HTTPError as err:  # a 4xx/5xx is a response, not a failure
        status, got, raw = err.code, builtins.list(err.headers.items()), err.read()
    return {
        "status": status,
        "headers": [(str(k), str(v)) for k, v in got],
        "body": raw.decode("utf-8", errors="replace"),
    }


def _dump(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


class DjangoStore:
    """The Store port over the ``tenxyte_core.django`` tables of database ``using``.

    ``clock`` gives the time in Unix seconds (default: the system clock) by which records
    expire; ``mailer``, ``http_client`` and ``log_messages`` are described in the module
    docstring. Thread-safe: Django gives each thread its own connection.
    """

    def __init__(
        self,
        using: str = "default",
        *,
        clock: Callable[[], int] | None = None,
        mailer: Mailer | None = None,
        http_client: HttpClient | None = None,
        log_messages: bool = False,
    ) -> None:
        self._using = using
        self._clock = clock or (lambda: int(time.time()))
        self._mailer = mailer or django_mailer
        self._http = http_client or urllib_client
        self._log_messages = log_messages

    @property
    def using(self) -> str:
        """The database alias."""
        return self._using

    def __repr__(self) -> str:
        return f"DjangoStore(using={self._using!r})"

    # ----- helpers ----------------------------------------------------------------------

    def _rows(self) -> Any:
        return RecordRow.objects.using(self._using)

    def _live(self, now: int) -> Q:
        return Q(expires_at__isnull=True) | Q(expires_at__gt=now)

    def _expiry(self, ttl_secs: int | None, now: int) -> int | None:
        return None if ttl_secs is None else now + ttl_secs

    @contextmanager
    def _write(self) -> Iterator[None]:
        """One durable write transaction that holds the writer lock (module docstring)."""
        with ExitStack() as stack:
            try:
                stack.enter_context(transaction.atomic(using=self._using, durable=True))
            except RuntimeError as exc:
                raise RuntimeError(
                    f"DjangoStore(using={self._using!r}) was called inside an open "
                    "transaction on its alias (ATOMIC_REQUESTS or atomic()): its writes must "
                    "commit on their own; give the store a database alias of its own"
                ) from exc
            # Write first: on SQLite this takes the write lock before any read (a read
            # first could not upgrade without a deadlock); on PostgreSQL the row lock.
            counter = VersionCounter.objects.using(self._using).filter(pk=1)
            if counter.update(last=F("last")) == 0:
                # The row is gone (a flush): restart above every version still stored.
                top = self._rows().aggregate(top=Max("version"))["top"] or 0
                VersionCounter.objects.using(self._using).create(pk=1, last=top)
            yield

    def _next_version(self) -> int:
        counter = VersionCounter.objects.using(self._using).filter(pk=1)
        counter.update(last=F("last") + 1)
        version: int = counter.values_list("last", flat=True).get()
        return version

    def _current(self, ns: str, key: str) -> Any:
        """The row of ``(ns, key)``, live or not, locked against deletes until commit."""
        return (
            self._rows()
            .select_for_update()
            .filter(ns=ns, key=key)
            .only("pk", "value", "version", "expires_at")
            .first()
        )

    def _store_row(self, row: Any, ns: str, key: str, **fields: Any) -> None:
        if row is None:
            # Writers are serialised, so no one else can insert this key meanwhile; a
            # unique violation (a writer outside this class) is a failure, not a guess.
            self._rows().create(ns=ns, key=key, **fields)
        else:
            self._rows().filter(pk=row.pk).update(**fields)

    # ----- the five operations ----------------------------------------------------------

    def get(self, ns: str, key: str) -> Record | None:
        now = self._clock()
        found = (
            self._rows()
            .filter(self._live(now), ns=ns, key=key)
            .values_list("value", "version")
            .first()
        )
        if found is None:
            return None
        return {"value": json.loads(found[0]), "version": found[1]}

    def put(self, ns: str, key: str, value: Any, ttl_secs: int | None, expect: Expect) -> PutResult:
        text = _dump(value)
        now = self._clock()
        with self._write():
            row = self._current(ns, key)
            live = row is not None and (row.expires_at is None or row.expires_at > now)
            current = row.version if live else None
            if expect == "absent" and live:
                return {"conflict": {"current_version": current}}
            if isinstance(expect, dict) and current != expect["version"]:
                return {"conflict": {"current_version": current}}
            version = self._next_version()
            try:
                with transaction.atomic(using=self._using):
                    self._store_row(
                        row,
                        ns,
                        key,
                        value=text,
                        version=version,
                        expires_at=self._expiry(ttl_secs, now),
                    )
            except IntegrityError:
                if expect != "absent":
                    raise
                # A create-once lost to a concurrent creator: that is a conflict.
                raced = self._rows().filter(ns=ns, key=key).values_list("version", flat=True)
                return {"conflict": {"current_version": raced.first()}}
            return {"written": {"version": version}}

    def delete(self, ns: str, key: str) -> bool:
        now = self._clock()
        with self._write():
            deleted, _ = self._rows().filter(self._live(now), ns=ns, key=key).delete()
            return bool(deleted)

    def incr(self, ns: str, key: str, delta: int, ttl_secs: int | None) -> int:
        now = self._clock()
        with self._write():
            row = self._current(ns, key)
            if row is None or (row.expires_at is not None and row.expires_at <= now):
                current, expires = 0, self._expiry(ttl_secs, now)
            else:
                value = json.loads(row.value)
                if not isinstance(value, int) or isinstance(value, bool):
                    raise ValueError(f"{ns}/{key} is not a counter")
                current, expires = value, row.expires_at  # the TTL is set on creation only
            new = current + delta
            if not I64_MIN <= new <= I64_MAX:
                raise OverflowError(f"{ns}/{key}: counter past the i64 range")
            self._store_row(
                row, ns, key, value=_dump(new), version=self._next_version(), expires_at=expires
            )
            return new

    def list(self, ns: str, prefix: str, limit: int, cursor: str | None) -> Page:
        if limit < 1:
            raise ValueError("list needs limit >= 1")
        now = self._clock()
        collation = _BYTE_COLLATION.get(connections[self._using].vendor)
        rows = self._rows().filter(self._live(now), ns=ns)
        rows = rows.annotate(byte_key=Collate("key", collation) if collation else F("key"))
        # Python compares str by code point, which is the byte order of UTF-8.
        if cursor is not None and cursor >= prefix:
            rows = rows.filter(byte_key__gt=cursor)
        else:
            rows = rows.filter(byte_key__gte=prefix)
        # Keys with the prefix are contiguous from the prefix on in byte order: scan
        # limit + 1 rows and stop at the first that lacks it.
        found = rows.order_by("byte_key").values_list("key", "value", "version")[: limit + 1]
        items: builtins.list[tuple[str, Record]] = []
        more = False
        for k, value, version in found:
            if not k.startswith(prefix):
                break
            if len(items) == limit:
                more = True
                break
            items.append((k, {"value": json.loads(value), "version": version}))
        return {"items": items, "next_cursor": items[-1][0] if more else None}

    # ----- outbound effects -------------------------------------------------------------

    def send_message(
        self, channel: str, to: str, template: str, subject: str, text: str, data: Any
    ) -> Delivery:
        message = {
            "channel": channel,
            "to": to,
            "template": template,
            "subject": subject,
            "text": text,
            "data": data,
        }
        provider_id = self._mailer(message)
        if self._log_messages:
            logged = Message.objects.using(self._using).create(
                created_at=self._clock(),
                channel=channel,
                to=to,
                template=template,
                subject=subject,
                text=text,
                data=_dump(data),
                provider_id=provider_id,
            )
            if provider_id is None:
                provider_id = f"django-{logged.pk}"
        return {"id": provider_id}

    def http_request(
        self,
        method: str,
        url: str,
        headers: builtins.list[tuple[str, str]],
        body: str | None,
        timeout_ms: int,
    ) -> HttpAnswer:
        return self._http(method, url, [(k, v) for k, v in headers], body, timeout_ms)

    # ----- maintenance and development --------------------------------------------------

    def purge_expired(self) -> int:
        """Deletes expired rows; returns how many (run it from a periodic job)."""
        with self._write():
            deleted, _ = self._rows().filter(expires_at__lte=self._clock()).delete()
            return int(deleted)

    def messages(self) -> builtins.list[dict[str, Any]]:
        """The logged messages, oldest first (``log_messages=True``; else empty)."""
        rows = Message.objects.using(self._using).order_by("pk")
        return [
            {
                "id": row.provider_id or f"django-{row.pk}",
                "channel": row.channel,
                "to": row.to,
                "template": row.template,
                "subject": row.subject,
                "text": row.text,
                "data": json.loads(row.data),
            }
            for row in rows
        ]
