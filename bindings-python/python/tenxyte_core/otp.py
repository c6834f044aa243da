"""One-time codes: TOTP (RFC 6238), HOTP (RFC 4226), otpauth:// URIs and QR codes.

Replay state is explicit: :func:`totp_verify` returns the matched step, pass it back as
``last_used_step`` next time (store it with the user). ``now`` defaults to ``time.time()``.
"""

from __future__ import annotations

import time
from typing import Literal, TypedDict

from . import _native

__all__ = [
    "KeyUri",
    "generate_secret",
    "hotp_code",
    "hotp_verify",
    "parse_uri",
    "qr_svg",
    "totp_code",
    "totp_uri",
    "totp_verify",
]

Algorithm = Literal["SHA1", "SHA256", "SHA512"]


def _now(now: int | None) -> int:
    return int(time.time()) if now is None else now


class KeyUri(TypedDict):
    kind: Literal["totp", "hotp"]
    secret_base32: str
    algorithm: str
    digits: int
    period: int | None
    counter: int | None
    issuer: str | None
    account: str


def generate_secret() -> str:
    """A fresh 160-bit shared secret, base32."""
    return _native.otp_generate_secret()


def totp_code(
    secret_base32: str,
    *,
    now: int | None = None,
    algorithm: Algorithm = "SHA1",
    digits: int = 6,
    period: int = 30,
    t0: int = 0,
) -> str:
    """The TOTP code at ``now``."""
    return _native.totp_code(
        secret_base32, _now(now), algorithm=algorithm, digits=digits, period=period, t0=t0
    )


def totp_verify(
    secret_base32: str,
    code: str,
    *,
    now: int | None = None,
    window: int = 1,
    last_used_step: int | None = None,
    algorithm: Algorithm = "SHA1",
    digits: int = 6,
    period: int = 30,
    t0: int = 0,
) -> int:
    """Verifies a TOTP code and returns the matched step.

    Raises :class:`tenxyte_core.OtpError`: ``invalid_code``, ``replayed`` (the code's step
    is not after ``last_used_step``), ``invalid_format``.
    """
    return _native.totp_verify(
        secret_base32,
        code,
        _now(now),
        window=window,
        last_used_step=last_used_step,
        algorithm=algorithm,
        digits=digits,
        period=period,
        t0=t0,
    )


def totp_uri(
    secret_base32: str,
    *,
    issuer: str,
    account: str,
    algorithm: Algorithm = "SHA1",
    digits: int = 6,
    period: int = 30,
) -> str:
    """The ``otpauth://totp/`` provisioning URI, identical to pyotp's."""
    return _native.totp_uri(
        secret_base32,
        issuer=issuer,
        account=account,
        algorithm=algorithm,
        digits=digits,
        period=period,
    )


def hotp_code(
    secret_base32: str, counter: int, *, algorithm: Algorithm = "SHA1", digits: int = 6
) -> str:
    """The HOTP code for ``counter``."""
    return _native.hotp_code(secret_base32, counter, algorithm=algorithm, digits=digits)


def hotp_verify(
    secret_base32: str,
    code: str,
    *,
    counter: int,
    look_ahead: int = 0,
    algorithm: Algorithm = "SHA1",
    digits: int = 6,
) -> int:
    """Verifies a HOTP code from ``counter`` on; returns the counter to store next."""
    return _native.hotp_verify(
        secret_base32, code, counter, look_ahead=look_ahead, algorithm=algorithm, digits=digits
    )


def parse_uri(uri: str) -> KeyUri:
    """Reads an ``otpauth://`` URI strictly."""
    parsed: KeyUri = _native.otp_parse_uri(uri)
    return parsed


def qr_svg(data: str) -> str:
    """``data`` (an otpauth:// URI) as an SVG QR code."""
    return _native.otp_qr_svg(data)
