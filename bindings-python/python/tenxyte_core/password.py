"""Password hashing (argon2id), verification of legacy formats, and the policy check.

Hashing and verification release the GIL: other Python threads run meanwhile.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, NamedTuple, TypedDict

from . import _native

__all__ = ["PolicyReport", "Verification", "Violation", "check_policy", "hash", "verify"]

#: OWASP's minimum for argon2id, the core's default.
DEFAULT_MEMORY_KIB = 19_456
DEFAULT_ITERATIONS = 2
DEFAULT_PARALLELISM = 1


class Verification(NamedTuple):
    """The outcome of :func:`verify`."""

    valid: bool
    #: True only with ``valid``: store a fresh :func:`hash` of the password now.
    needs_rehash: bool


class Violation(TypedDict):
    code: str
    message: str


class PolicyReport(TypedDict):
    valid: bool
    violations: list[Violation]
    score: int
    strength: str


def hash(
    password: str,
    *,
    memory_kib: int = DEFAULT_MEMORY_KIB,
    iterations: int = DEFAULT_ITERATIONS,
    parallelism: int = DEFAULT_PARALLELISM,
    django: bool = False,
    salt: bytes | str | None = None,
) -> str:
    """A new argon2id PHC string (``argon2$argon2id$...`` for Django when ``django``).

    ``salt`` (at least 8 bytes; a str is UTF-8 encoded, as Django's hashers do) replaces
    the random salt; leave it out except to reproduce a known hash.
    """
    return _native.password_hash(
        password,
        memory_kib=memory_kib,
        iterations=iterations,
        parallelism=parallelism,
        django=django,
        salt=salt.encode() if isinstance(salt, str) else salt,
    )


def verify(
    password: str,
    encoded: str,
    *,
    bare_bcrypt: Literal["plain", "sha256_hex"] = "plain",
    memory_kib: int = DEFAULT_MEMORY_KIB,
    iterations: int = DEFAULT_ITERATIONS,
    parallelism: int = DEFAULT_PARALLELISM,
) -> Verification:
    """Checks ``password`` against a stored hash (argon2, Django PBKDF2/bcrypt, bcrypt).

    A wrong password is ``valid=False``; a malformed or unsafe hash raises
    :class:`tenxyte_core.PasswordError`. The cost parameters are the current policy:
    a hash under other parameters answers ``needs_rehash=True``.
    """
    valid, needs_rehash = _native.password_verify(
        password,
        encoded,
        bare_bcrypt=bare_bcrypt,
        memory_kib=memory_kib,
        iterations=iterations,
        parallelism=parallelism,
    )
    return Verification(valid, needs_rehash)


def check_policy(
    password: str,
    *,
    rules: Literal["asvs", "tenxyte"] | Mapping[str, Any] = "asvs",
    email: str | None = None,
    username: str | None = None,
    other: Sequence[str] = (),
) -> PolicyReport:
    """The policy report: every broken rule, a 0-100 score and a strength word."""
    report: PolicyReport = _native.password_check_policy(
        password,
        rules=rules if isinstance(rules, str) else dict(rules),
        email=email,
        username=username,
        other=list(other),
    )
    return report
