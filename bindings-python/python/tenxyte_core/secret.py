"""Opaque random secrets with a kind prefix (``txr_`` refresh, ``txa_`` agent, ...).

Give the raw value to its owner once and store only the hash.
"""

from __future__ import annotations

from typing import Literal

from . import _native

__all__ = ["Kind", "generate", "hash", "kind_of", "verify"]

Kind = Literal["agent", "approval", "magic_link", "invitation", "refresh", "app_secret", "app_key"]


def generate(kind: Kind) -> tuple[str, str]:
    """A fresh secret: ``(raw, hash)``."""
    return _native.secret_generate(kind)


def hash(raw: str) -> str:
    """The at-rest hash of a raw secret."""
    return _native.secret_hash(raw)


def verify(raw: str, stored_hash: str) -> bool:
    """True when ``raw`` matches ``stored_hash`` (constant time)."""
    return _native.secret_verify(raw, stored_hash)


def kind_of(raw: str) -> str | None:
    """The kind named by the prefix, or None."""
    return _native.secret_kind_of(raw)
