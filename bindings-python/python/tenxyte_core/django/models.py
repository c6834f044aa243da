"""The tables of :class:`tenxyte_core.django.store.DjangoStore` (docs/store.md).

The core decides what the records mean; these tables only keep JSON documents with a
version and an expiry, as the Store port's contract describes. Do not edit rows by hand:
a record's ``version`` must come from :class:`VersionCounter`.
"""

from __future__ import annotations

from django.db import models


class Record(models.Model):  # type: ignore[misc]
    """One ``(ns, key)`` record: its JSON document as text, version and expiry."""

    ns = models.CharField(max_length=64)
    key = models.TextField()
    #: The JSON document as text: the store never interprets it (except for ``incr``).
    value = models.TextField()
    #: From the store-wide :class:`VersionCounter`: never reused, even after a delete.
    version = models.BigIntegerField()
    #: Unix seconds from which the row is absent for every operation; NULL: never.
    expires_at = models.BigIntegerField(null=True, blank=True, db_index=True)

    class Meta:
        db_table = "tenxyte_record"
        constraints = [models.UniqueConstraint(fields=["ns", "key"], name="tenxyte_record_ns_key")]

    def __str__(self) -> str:
        return f"{self.ns}/{self.key} v{self.version}"


class VersionCounter(models.Model):  # type: ignore[misc]
    """One row (``id = 1``): the last version given to any record. Every write bumps it
    first, inside its transaction, which also orders the store's writes."""

    last = models.BigIntegerField(default=0)

    class Meta:
        db_table = "tenxyte_version"

    def __str__(self) -> str:
        return f"last version {self.last}"


class Message(models.Model):  # type: ignore[misc]
    """A message the flows sent (kept only with ``DjangoStore(log_messages=True)``: the
    text holds codes and links, so production keeps none)."""

    created_at = models.BigIntegerField()
    channel = models.CharField(max_length=16)
    to = models.TextField()
    template = models.CharField(max_length=64)
    subject = models.TextField()
    text = models.TextField()
    #: The template data as JSON text.
    data = models.TextField()
    #: What the mailer answered (a provider's id), if anything.
    provider_id = models.TextField(null=True, blank=True)

    class Meta:
        db_table = "tenxyte_message"

    def __str__(self) -> str:
        return f"{self.channel} to {self.to}: {self.template}"
