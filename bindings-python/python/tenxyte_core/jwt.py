"""Strict JWS/JWT signing and verification (RFC 7515, 7518, 7519, 8725).

``algorithms`` is required when verifying: the accepted algorithms come from your
configuration, never from the token. ``now`` defaults to ``time.time()``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

from . import _native
from ._native import KeySet

__all__ = ["KeySet", "Verified", "decode_unverified", "sign", "verify"]


class Verified(TypedDict):
    """A verified token."""

    header: dict[str, Any]
    claims: dict[str, Any]
    algorithm: str


def sign(
    claims: Mapping[str, Any],
    keys: KeySet,
    *,
    typ: str | None = None,
    algorithm: str | None = None,
    kid: str | None = None,
) -> str:
    """Signs ``claims`` with the active key (or the key named ``kid``)."""
    return _native.jwt_sign(dict(claims), keys, typ=typ, algorithm=algorithm, kid=kid)


def verify(
    token: str,
    keys: KeySet,
    *,
    algorithms: Sequence[str],
    now: int | None = None,
    leeway: int = 0,
    issuer: str | None = None,
    audience: str | Sequence[str] | None = None,
    require: Sequence[str] | None = None,
    typ: str | None = None,
    max_token_bytes: int | None = None,
    claims_equal: Mapping[str, Any] | None = None,
) -> Verified:
    """Verifies ``token``; raises :class:`tenxyte_core.TokenError` (``.code`` says why).

    ``require`` defaults to ``["exp"]``. Without ``audience``, a token that carries
    ``aud`` is refused (RFC 7519 section 4.1.3).
    """
    if isinstance(algorithms, str):
        raise TypeError('algorithms must be a list such as ["HS256"], not a string')
    aud: str | list[str] | None
    aud = audience if audience is None or isinstance(audience, str) else list(audience)
    result: Verified = _native.jwt_verify(
        token,
        keys,
        algorithms=list(algorithms),
        now=int(time.time()) if now is None else now,
        leeway=leeway,
        issuer=issuer,
        audience=aud,
        require=list(require) if require is not None else None,
        typ=typ,
        max_token_bytes=max_token_bytes,
        claims_equal=dict(claims_equal) if claims_equal is not None else None,
    )
    return result


def decode_unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(header, claims)`` WITHOUT any check: never trust the result."""
    return _native.jwt_decode_unverified(token)
