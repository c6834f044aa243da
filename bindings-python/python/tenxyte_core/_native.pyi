# Type stubs of the native module (hand-written: see README.md, "Typing").
from collections.abc import Callable, Sequence
from os import PathLike
from typing import Any, final

__all__ = [
    "FLOW_NAMES",
    "BoundSubject",
    "Engine",
    "Flow",
    "KeySet",
    "MemoryStore",
    "Policy",
    "SqliteStore",
    "__version__",
    "agent_authorize",
    "agent_begin",
    "agent_charge",
    "agent_decide",
    "agent_decide_action",
    "agent_default_pii_keys",
    "agent_effective_status",
    "agent_heartbeat",
    "agent_lifecycle",
    "agent_redact",
    "error_codes",
    "hotp_code",
    "hotp_verify",
    "http_status",
    "jwt_decode_unverified",
    "jwt_sign",
    "jwt_verify",
    "otp_generate_secret",
    "otp_parse_uri",
    "otp_qr_svg",
    "password_check_policy",
    "password_hash",
    "password_verify",
    "secret_generate",
    "secret_hash",
    "secret_kind_of",
    "secret_verify",
    "totp_code",
    "totp_uri",
    "totp_verify",
]

__version__: str
#: Every flow `Engine.flow` accepts by name: the public flows of the core's engine.
FLOW_NAMES: tuple[str, ...]

@final
class KeySet:
    def __new__(cls) -> KeySet: ...
    @staticmethod
    def from_jwks(jwks: dict[str, Any] | str) -> KeySet: ...
    @staticmethod
    def from_jwk(
        jwk: dict[str, Any] | str,
        *,
        kid: str | None = None,
        algorithm: str | None = None,
    ) -> KeySet: ...
    @staticmethod
    def from_pem(pem: str, *, kid: str | None = None, algorithm: str | None = None) -> KeySet: ...
    @staticmethod
    def from_hmac(secret: bytes, *, algorithm: str = "HS256", kid: str | None = None) -> KeySet: ...
    @staticmethod
    def generate(algorithm: str, *, kid: str | None = None) -> tuple[KeySet, bytes]: ...
    def merged(self, other: KeySet) -> KeySet: ...
    def with_active(self, kid: str) -> KeySet: ...
    def to_jwks(self) -> dict[str, Any]: ...
    def public_pem(self, kid: str | None = None) -> str: ...
    def kids(self) -> list[str | None]: ...
    @property
    def active_kid(self) -> str | None: ...
    @property
    def can_sign(self) -> bool: ...
    def __len__(self) -> int: ...

@final
class Policy:
    def __new__(cls, document: dict[str, Any] | str | None = None) -> Policy: ...
    def check(self, subject: dict[str, Any], permission: str) -> dict[str, Any]: ...
    def has_permission(self, subject: dict[str, Any], permission: str) -> bool: ...
    def has_role(self, subject: dict[str, Any], role: str) -> bool: ...
    def require(self, subject: dict[str, Any], permission: str) -> None: ...
    def effective_permissions(self, subject: dict[str, Any]) -> list[str]: ...
    def explain(self, subject: dict[str, Any], permission: str) -> dict[str, Any]: ...
    def default_roles(self) -> list[str]: ...
    def bind(self, subject: dict[str, Any]) -> BoundSubject: ...

@final
class BoundSubject:
    def has_permission(self, permission: str) -> bool: ...
    def has_role(self, role: str) -> bool: ...
    def require(self, permission: str) -> None: ...

def jwt_sign(
    claims: dict[str, Any],
    keys: KeySet,
    *,
    typ: str | None = None,
    algorithm: str | None = None,
    kid: str | None = None,
) -> str: ...
def jwt_verify(
    token: str,
    keys: KeySet,
    *,
    algorithms: Sequence[str],
    now: int | None = None,
    leeway: int = 0,
    issuer: str | None = None,
    audience: str | list[str] | tuple[str, ...] | None = None,
    require: Sequence[str] | None = None,
    typ: str | None = None,
    max_token_bytes: int | None = None,
    claims_equal: dict[str, Any] | None = None,
) -> Any: ...
def jwt_decode_unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]: ...
def password_hash(
    password: str,
    *,
    memory_kib: int = 19456,
    iterations: int = 2,
    parallelism: int = 1,
    django: bool = False,
    salt: bytes | None = None,
) -> str: ...
def password_verify(
    password: str,
    encoded: str,
    *,
    bare_bcrypt: str = "plain",
    memory_kib: int = 19456,
    iterations: int = 2,
    parallelism: int = 1,
) -> tuple[bool, bool]: ...
def password_check_policy(
    password: str,
    *,
    rules: str | dict[str, Any] | None = None,
    email: str | None = None,
    username: str | None = None,
    other: list[str] = ...,
) -> Any: ...
def totp_code(
    secret_base32: str,
    now: int,
    *,
    algorithm: str = "SHA1",
    digits: int = 6,
    period: int = 30,
    t0: int = 0,
) -> str: ...
def totp_verify(
    secret_base32: str,
    code: str,
    now: int,
    *,
    window: int = 1,
    last_used_step: int | None = None,
    algorithm: str = "SHA1",
    digits: int = 6,
    period: int = 30,
    t0: int = 0,
) -> int: ...
def totp_uri(
    secret_base32: str,
    *,
    issuer: str,
    account: str,
    algorithm: str = "SHA1",
    digits: int = 6,
    period: int = 30,
) -> str: ...
def hotp_code(
    secret_base32: str, counter: int, *, algorithm: str = "SHA1", digits: int = 6
) -> str: ...
def hotp_verify(
    secret_base32: str,
    code: str,
    counter: int,
    *,
    look_ahead: int = 0,
    algorithm: str = "SHA1",
    digits: int = 6,
) -> int: ...
def otp_generate_secret() -> str: ...
def otp_parse_uri(uri: str) -> Any: ...
def otp_qr_svg(data: str) -> str: ...
def secret_generate(kind: str) -> tuple[str, str]: ...
def secret_hash(raw: str) -> str: ...
def secret_verify(raw: str, stored_hash: str) -> bool: ...
def secret_kind_of(raw: str) -> str | None: ...
def http_status(code: str) -> int | None: ...
def error_codes() -> list[tuple[str, str]]: ...
def agent_begin(
    token: dict[str, Any],
    request: dict[str, Any],
    *,
    human: dict[str, Any] | None,
    now: int,
    ancestors: Sequence[dict[str, Any]] | None = None,
    settings: dict[str, Any] | None = None,
    preset: str | None = None,
    policy: Policy | None = None,
    pending_action: dict[str, Any] | None = None,
) -> dict[str, Any]: ...
def agent_decide(
    token: dict[str, Any],
    request: dict[str, Any],
    plan: dict[str, Any],
    values: dict[str, int],
    *,
    human: dict[str, Any] | None,
    ancestors: Sequence[dict[str, Any]] | None = None,
    settings: dict[str, Any] | None = None,
    preset: str | None = None,
    policy: Policy | None = None,
    pending_action: dict[str, Any] | None = None,
) -> dict[str, Any]: ...
def agent_authorize(
    token: dict[str, Any],
    request: dict[str, Any],
    *,
    human: dict[str, Any] | None,
    counters: Callable[[str, str, int, int | None], int],
    now: int,
    ancestors: Sequence[dict[str, Any]] | None = None,
    settings: dict[str, Any] | None = None,
    preset: str | None = None,
    policy: Policy | None = None,
    pending_action: dict[str, Any] | None = None,
) -> dict[str, Any]: ...
def agent_redact(value: Any, keys: list[str] | None = None) -> Any: ...
def agent_default_pii_keys() -> list[str]: ...
def agent_effective_status(token: dict[str, Any], now: int) -> dict[str, Any]: ...
def agent_charge(
    token: dict[str, Any],
    cost: int | str | float,
    *,
    counters: Callable[[str, str, int, int | None], int],
    now: int,
    ancestors: Sequence[dict[str, Any]] | None = None,
    settings: dict[str, Any] | None = None,
    preset: str | None = None,
) -> dict[str, Any]: ...
def agent_lifecycle(op: str, token: dict[str, Any], actor: str, now: int) -> dict[str, Any]: ...
def agent_heartbeat(token: dict[str, Any], now: int) -> dict[str, Any]: ...
def agent_decide_action(
    op: str, action: dict[str, Any], token: dict[str, Any], actor: str, now: int
) -> dict[str, Any]: ...

@final
class Flow:
    def start(self) -> tuple[int, dict[str, Any]] | None: ...
    def resume(self, seq: int, result: dict[str, Any]) -> tuple[int, dict[str, Any]] | None: ...
    def result(self) -> Any: ...
    def run(self, store: MemoryStore | SqliteStore) -> Any: ...
    def transcript(self) -> list[list[dict[str, Any]]]: ...
    @property
    def finished(self) -> bool: ...
    @property
    def now(self) -> int: ...

@final
class MemoryStore:
    def __new__(cls) -> MemoryStore: ...
    def messages(self) -> list[dict[str, Any]]: ...
    def execute(self, op: dict[str, Any], *, now: int | None = None) -> dict[str, Any]: ...
    def purge_expired(self) -> int: ...
    def __len__(self) -> int: ...

@final
class SqliteStore:
    def __new__(cls, path: str | PathLike[str]) -> SqliteStore: ...
    def messages(self) -> list[dict[str, Any]]: ...
    def execute(self, op: dict[str, Any], *, now: int | None = None) -> dict[str, Any]: ...
    def purge_expired(self) -> int: ...

@final
class Engine:
    def __new__(
        cls,
        settings: dict[str, Any] | None = None,
        *,
        preset: str | None = None,
        keys: KeySet | None = None,
        policy: dict[str, Any] | None = None,
    ) -> Engine: ...
    def flow(
        self,
        name: str,
        *,
        now: int,
        token: str | None = None,
        request: dict[str, Any] | None = None,
        params: list[str] | None = None,
        ip: str | None = None,
        user_agent: str | None = None,
        app_id: str | None = None,
        trace_id: str | None = None,
    ) -> Flow: ...
    def http(
        self,
        method: str,
        path: str,
        *,
        now: int,
        query: str = ...,
        headers: list[tuple[str, str]] = ...,
        body: bytes | None = None,
        client_ip: str | None = None,
    ) -> Flow: ...
    def guard(
        self,
        method: str,
        path: str,
        *,
        now: int,
        requirements: list[dict[str, Any]],
        query: str = ...,
        headers: list[tuple[str, str]] = ...,
        body: bytes | None = None,
        client_ip: str | None = None,
    ) -> Flow: ...
    def settings(self) -> dict[str, Any]: ...
    def redact_for_agent(self, value: Any) -> Any | None: ...
    def jwks(self) -> dict[str, Any]: ...
    def openapi(self) -> dict[str, Any]: ...
