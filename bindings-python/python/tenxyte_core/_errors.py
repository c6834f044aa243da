"""The exception hierarchy: one base class, one subclass per core error category.

Every error the core reports carries a stable snake_case ``code`` (listed in the
repository's ``docs/error-codes.md``), its ``category``, a ``message`` meant for logs and
a ``details`` dict (empty when the core gave none). Catch :class:`TenxyteError` for
everything, a category class for a family, and compare ``.code`` for one case::

    try:
        jwt.verify(token, keys, algorithms=["EdDSA"])
    except TokenError as e:
        if e.code == "expired":
            ...
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "AgentError",
    "AuthError",
    "AuthzError",
    "ConfigError",
    "InputError",
    "InternalError",
    "KeyMaterialError",
    "OtpError",
    "PasswordError",
    "StoreError",
    "TenxyteError",
    "TokenError",
]


class TenxyteError(Exception):
    """Base class of every error raised by tenxyte_core."""

    code: str
    category: str
    message: str
    details: dict[str, Any]
    http_status: int

    def __init__(
        self,
        message: str,
        *,
        code: str = "internal",
        category: str = "internal",
        details: Mapping[str, Any] | None = None,
        http_status: int = 500,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.category = category
        self.message = message
        self.details = dict(details) if details is not None else {}
        self.http_status = http_status

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class TokenError(TenxyteError):
    """A JWT was refused: malformed, expired, wrong signature, issuer, audience, ..."""


class KeyMaterialError(TenxyteError):
    """A key could not be used: invalid_key, weak_key."""


class PasswordError(TenxyteError):
    """A password hash or policy problem: invalid_hash, weak_password, password_reused, ..."""


class OtpError(TenxyteError):
    """A one-time code was refused: invalid_code, replayed, invalid_format, ..."""


class ConfigError(TenxyteError):
    """Settings or an RBAC policy are invalid: unknown_setting, invalid_setting, ..."""


class AgentError(TenxyteError):
    """An AI-agent token or request was refused."""


class InputError(TenxyteError, ValueError):
    """The caller's input is malformed (invalid_input, flow_protocol, ...)."""


class InternalError(TenxyteError):
    """A failure inside the core (random source unavailable, a caught panic)."""


class AuthzError(TenxyteError, PermissionError):
    """Authorization refused: permission_required, role_required, organization checks."""


class StoreError(TenxyteError):
    """The store or an outbound effect failed: store_unavailable, delivery_failed, ..."""


class AuthError(TenxyteError):
    """Authentication refused: invalid_credentials, account_locked, session_expired, ..."""


_BY_CATEGORY: dict[str, type[TenxyteError]] = {
    "token": TokenError,
    "key": KeyMaterialError,
    "password": PasswordError,
    "otp": OtpError,
    "config": ConfigError,
    "agent": AgentError,
    "input": InputError,
    "internal": InternalError,
    "authz": AuthzError,
    "store": StoreError,
    "auth": AuthError,
}


def _from_core(code: str, category: str, message: str, details: object) -> TenxyteError:
    """Builds the exception for a core error (called by the native module)."""
    from ._native import http_status

    cls = _BY_CATEGORY.get(category, TenxyteError)
    if details is None:
        mapping: dict[str, Any] = {}
    elif isinstance(details, dict):
        mapping = details
    else:
        mapping = {"value": details}
    return cls(
        message,
        code=code,
        category=category,
        details=mapping,
        http_status=http_status(code) or 500,
    )
