"""Strict JWS/JWT signing and verification (RFC 7515, 7518, 7519, 8725).

``algorithms`` is required when verifying: the accepted algorithms come from your
configuration, never from the token. ``now`` defaults to ``time.time()``.
"""

from __future__ import annotations

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
    # Forwarded as is (the native function reads the clock and refuses a bare string
    # for ``algorithms``): this is every request's hot path.
    aud: str | list[str] | tuple[str, ...] | None
    if audience is None or isinstance(audience, (str, list, tuple)):
        aud = audience
    else:
        aud = list(audience)
    equal: dict[str, Any] | None
    if claims_equal is None or isinstance(claims_equal, dict):
        equal = claims_equal
    else:
        equal = dict(claims_equal)
    result: Verified = _native.jwt_verify(
        token,
        keys,
        algorithms=algorithms,
        now=now,
        leeway=leeway,
        issuer=issuer,
        audience=aud,
        require=require,
        typ=typ,
        max_token_bytes=max_token_bytes,
        claims_equal=equal,
    )
    return result


def decode_unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(header, claims)`` WITHOUT any check: never trust the result."""
    return _native.jwt_decode_unverified(token)
