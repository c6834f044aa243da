"""Error mapping (code, category, subclass) and malformed input on every entry point.

No call may let a Rust panic through (PyO3's PanicException derives from BaseException,
so ``except Exception`` would miss it): each malformed input below must raise a
``TenxyteError`` (or the TypeError Python raises for a wrong argument type).
"""

from __future__ import annotations

from typing import Any, Callable

import pytest

import tenxyte_core as t
from conftest import HMAC_KEYS, T0, make_engine
from dict_store import DictStore
from tenxyte_core import _native, jwt, otp, password, secret

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def test_every_core_category_has_its_class() -> None:
    expected = {
        "token": t.TokenError,
        "key": t.KeyMaterialError,
        "password": t.PasswordError,
        "otp": t.OtpError,
        "config": t.ConfigError,
        "agent": t.AgentError,
        "input": t.InputError,
        "internal": t.InternalError,
        "authz": t.AuthzError,
        "store": t.StoreError,
        "auth": t.AuthError,
    }
    codes = _native.error_codes()
    assert {category for _, category in codes} == set(expected)
    from tenxyte_core._errors import _from_core

    for code, category in codes:
        err = _from_core(code, category, "m", None)
        assert type(err) is expected[category], code
        assert (err.code, err.category, err.details) == (code, category, {})
        assert isinstance(err, t.TenxyteError)
        assert 200 <= err.http_status <= 599
    assert issubclass(t.InputError, ValueError)
    assert issubclass(t.AuthzError, PermissionError)


def test_errors_carry_code_category_message_and_details() -> None:
    token = jwt.sign({"exp": T0 - 1}, HMAC_KEYS)
    with pytest.raises(t.TokenError) as e:
        jwt.verify(token, HMAC_KEYS, algorithms=["HS256"], now=T0)
    assert (e.value.code, e.value.category, e.value.http_status) == ("expired", "token", 401)
    assert str(e.value).startswith("expired: ")

    with pytest.raises(t.KeyMaterialError) as k:
        t.KeySet.from_hmac(b"short")
    assert k.value.code == "weak_key"

    with pytest.raises(t.ConfigError) as c:
        t.Engine({"jwt": {"no_such_setting": 1}}, preset="development")
    assert c.value.code == "unknown_setting"
    assert c.value.details

    with pytest.raises(t.AuthzError) as a:
        t.Policy().require({"roles": ["viewer"]}, "system.logs")
    assert a.value.code == "permission_required"
    assert isinstance(a.value, PermissionError)

    with pytest.raises(t.InputError) as i:
        otp.totp_code(SECRET, now=T0, algorithm="MD5")  # type: ignore[arg-type]
    assert i.value.code == "invalid_input"
    assert isinstance(i.value, ValueError)


MALFORMED: list[tuple[str, Callable[[], Any]]] = [
    ("KeySet.from_jwks", lambda: t.KeySet.from_jwks('{"keys": [{"kty": "oct"}]}')),
    ("KeySet.from_jwks not json", lambda: t.KeySet.from_jwks("{nope")),
    ("KeySet.from_jwks duplicate", lambda: t.KeySet.from_jwks('{"keys": [], "keys": []}')),
    ("KeySet.from_jwk", lambda: t.KeySet.from_jwk({"kty": "EC", "crv": "P-256", "x": "!"})),
    ("KeySet.from_pem", lambda: t.KeySet.from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n")),
    ("KeySet.from_hmac alg", lambda: t.KeySet.from_hmac(b"k" * 32, algorithm="RS256")),
    ("KeySet.generate", lambda: t.KeySet.generate("RS256")),
    ("KeySet.generate unknown", lambda: t.KeySet.generate("XX999")),
    ("KeySet.merged", lambda: HMAC_KEYS.merged(HMAC_KEYS)),
    ("KeySet.with_active", lambda: HMAC_KEYS.with_active("missing")),
    ("KeySet.public_pem", lambda: HMAC_KEYS.public_pem()),
    ("jwt.sign claims", lambda: jwt.sign({"x": float("nan")}, HMAC_KEYS)),
    ("jwt.sign set", lambda: jwt.sign({"x": {1, 2}}, HMAC_KEYS)),
    ("jwt.sign big int", lambda: jwt.sign({"x": 2**70}, HMAC_KEYS)),
    ("jwt.sign key", lambda: jwt.sign({}, t.KeySet())),
    ("jwt.sign kid", lambda: jwt.sign({}, HMAC_KEYS, kid="nope")),
    ("jwt.sign alg", lambda: jwt.sign({}, HMAC_KEYS, algorithm="none")),
    ("jwt.verify garbage", lambda: jwt.verify("\x00.\xff.", HMAC_KEYS, algorithms=["HS256"])),
    ("jwt.verify huge", lambda: jwt.verify("a" * 100_000, HMAC_KEYS, algorithms=["HS256"])),
    ("jwt.verify alg", lambda: jwt.verify("a.b.c", HMAC_KEYS, algorithms=["bogus"])),
    ("jwt.verify audience", lambda: jwt.verify("a.b.c", HMAC_KEYS, algorithms=[], audience=[1])),  # type: ignore[list-item]
    ("jwt.decode_unverified", lambda: jwt.decode_unverified("not-a-token")),
    ("password.hash params", lambda: password.hash("x", memory_kib=1)),
    ("password.hash long", lambda: password.hash("x" * 5000, memory_kib=1024, iterations=1)),
    ("password.verify", lambda: password.verify("x", "$argon2id$v=19$m=1,t=1,p=1$$")),
    (
        "password.verify unsafe",
        lambda: password.verify(
            "x",
            "$argon2id$v=19$m=9999999,t=1,p=1$YWFhYWFhYWFhYWFhYWFhYQ$YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE",
        ),
    ),
    ("password.verify bare", lambda: password.verify("x", "y", bare_bcrypt="md5")),  # type: ignore[arg-type]
    ("password.check_policy", lambda: password.check_policy("x", rules={"min_length": 0})),
    ("password.check_policy rules", lambda: password.check_policy("x", rules={"bogus": 1})),
    ("otp.totp_code secret", lambda: otp.totp_code("not base32!", now=T0)),
    ("otp.totp_code digits", lambda: otp.totp_code(SECRET, now=T0, digits=12)),
    ("otp.totp_code before t0", lambda: otp.totp_code(SECRET, now=-5, t0=10)),
    ("otp.totp_verify", lambda: otp.totp_verify(SECRET, "12ab56", now=T0)),
    ("otp.totp_verify window", lambda: otp.totp_verify(SECRET, "123456", now=T0, window=10_000)),
    ("otp.totp_uri", lambda: otp.totp_uri(SECRET, issuer="", account="")),
    ("otp.hotp_code", lambda: otp.hotp_code("", 1)),
    ("otp.hotp_verify", lambda: otp.hotp_verify(SECRET, "000000", counter=2**63, look_ahead=100)),
    ("otp.parse_uri", lambda: otp.parse_uri("otpauth://totp/x?secret=%zz")),
    ("otp.qr_svg", lambda: otp.qr_svg("x" * 10_000)),
    ("secret.generate", lambda: secret.generate("bogus")),  # type: ignore[arg-type]
    ("Policy", lambda: t.Policy({"permissions": [], "roles": [{"code": "a", "inherits": ["a"]}]})),
    ("Policy json", lambda: t.Policy("[")),
    ("Policy.check", lambda: t.Policy().check({"roles": "admin"}, "x")),
    ("Policy.check extra", lambda: t.Policy().check({"bogus": []}, "x")),
    ("Engine settings", lambda: t.Engine({"jwt": [1, 2]}, preset="development")),
    ("Engine preset", lambda: t.Engine(preset="nope")),
    ("Engine keys", lambda: t.Engine(preset="medium")),
    ("Engine policy", lambda: t.Engine(preset="development", policy={"roles": 1})),
    (
        "Engine key alg",
        lambda: t.Engine({"jwt": {"algorithm": "EdDSA"}}, preset="development", keys=HMAC_KEYS),
    ),
    ("SqliteStore", lambda: t.SqliteStore("/nonexistent-dir/x/y.sqlite")),
    ("MemoryStore.execute", lambda: t.MemoryStore().execute({"op": "get"})),
    ("MemoryStore.execute str", lambda: t.MemoryStore().execute("get")),  # type: ignore[arg-type]
    ("MemoryStore.execute kind", lambda: t.MemoryStore().execute({"op": "explode", "ns": "a"})),
]


@pytest.mark.parametrize("call", [c for _, c in MALFORMED], ids=[n for n, _ in MALFORMED])
def test_malformed_input_raises_a_tenxyte_error(call: Callable[[], Any]) -> None:
    with pytest.raises(t.TenxyteError):
        call()


@pytest.mark.parametrize(
    "store", [t.MemoryStore(), DictStore(clock=lambda: T0)], ids=["memory", "python"]
)
def test_malformed_input_on_the_engine_methods(store: object) -> None:
    engine = make_engine(store)
    calls: list[Callable[[], Any]] = [
        lambda: engine.register(password="x", now=T0),
        lambda: engine.register(email="not-an-email", password="Abcdefgh-123-x", now=T0),
        lambda: engine.login(password="x", now=T0),
        lambda: engine.refresh("garbage", now=T0),
        lambda: engine.logout("garbage", now=T0),
        lambda: engine.logout_all("garbage", now=T0),
        lambda: engine.me("\x00" * 100_000, now=T0),
        lambda: engine.authenticate("a.b.c", now=T0),
        lambda: engine.create_agent_token("a.b.c", permissions=["x"], now=T0),
        lambda: engine.flow("nope", now=T0),
        lambda: engine.flow("login", now=T0, request={"password": "x", "bogus": 1}),
        lambda: engine.flow("me", now=T0),
        lambda: engine.flow("login", now=T0, request={"password": 5}),
    ]
    for call in calls:
        with pytest.raises(t.TenxyteError):
            call()
    # An agent denial is a decision value, not an exception.
    denied = engine.authorize_agent("txa_nope", method="GET", path="/", now=T0)
    assert (denied["outcome"], denied["code"]) == ("denied", "agent_token_invalid")
    # The HTTP API answers malformed requests with statuses, never an exception.
    for method, path, body in [
        ("POST", "/api/v1/auth/register/", b"{not json"),
        ("POST", "/api/v1/auth/login/email/", b'{"email": 1}'),
        ("GET", "/api/v1/auth/nowhere/", b""),
        ("BREW", "/api/v1/auth/me/", b""),
        ("POST", "/api/v1/auth/register/", b"[" * 10_000),
        ("POST", "/api/v1/auth/register/", bytes(range(256))),
    ]:
        status, _, out = engine.handle(method, path, body=body, now=T0)
        assert 400 <= status < 500, (path, status, out)


def test_a_wrong_argument_type_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        jwt.verify("a.b.c", HMAC_KEYS, algorithms="HS256")
    with pytest.raises(TypeError):
        _native.password_hash(b"bytes")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        t.Engine([1, 2])  # type: ignore[arg-type]


LONE = "\ud800"  # a lone surrogate: a Python str that is not valid UTF-8


@pytest.mark.parametrize(
    "call",
    [
        lambda: jwt.verify(LONE, HMAC_KEYS, algorithms=["HS256"]),
        lambda: jwt.sign({LONE: 1}, HMAC_KEYS),
        lambda: jwt.sign({"k": LONE}, HMAC_KEYS),
        lambda: password.hash(LONE),
        lambda: password.verify(LONE, "x"),
        lambda: password.check_policy(LONE),
        lambda: otp.totp_verify(SECRET, LONE, now=T0),
        lambda: secret.hash(LONE),
        lambda: t.KeySet.from_jwks(LONE),
        lambda: t.Policy().check({"roles": [LONE]}, "x"),
        lambda: t.MemoryStore().execute({"op": "get", "ns": LONE, "key": "k"}),
    ],
)
def test_strings_that_are_not_utf8_raise_cleanly(call: Callable[[], Any]) -> None:
    # PyO3 refuses them at the boundary (UnicodeEncodeError) or the converter does
    # (InputError); either way an ordinary exception, never a panic.
    with pytest.raises((t.TenxyteError, UnicodeError)):
        call()


def test_the_remaining_policy_and_secret_entry_points() -> None:
    policy = t.Policy()
    for call in (
        lambda: policy.has_role({"roles": 1}, "admin"),
        lambda: policy.has_permission([], "x"),  # type: ignore[arg-type]
        lambda: policy.effective_permissions({"is_superuser": "yes"}),
        lambda: policy.explain({"extra": 1}, "x"),
        lambda: policy.require(None, "x"),  # type: ignore[arg-type]
    ):
        with pytest.raises(t.InputError):
            call()
    # Secrets never raise: a malformed raw secret simply does not verify.
    raw, stored = secret.generate("refresh")
    assert secret.verify(raw, stored) and secret.kind_of(raw) == "refresh"
    assert not secret.verify("x" * 100_000, stored)
    assert not secret.verify(raw, "not a hash")
    assert secret.kind_of("txz_nope") is None


def test_development_engines_make_an_ephemeral_key() -> None:
    engine = t.Engine(
        {"application_auth": {"enabled": False}, "password": {"argon2": {"memory_kib": 1024}}},
        preset="development",
    )
    assert engine.settings()["preset"] == "development"
    assert engine.jwks() == {"keys": []}  # an HMAC secret is never published
    engine.register(email="eph@example.com", password="Correct-Horse-Battery-9", now=T0)
    tokens = engine.login(email="eph@example.com", password="Correct-Horse-Battery-9", now=T0)
    assert engine.me(tokens["access_token"], now=T0)["user"]["email"] == "eph@example.com"
    # Another engine has another random key: the token means nothing there.
    other = t.Engine({"application_auth": {"enabled": False}}, preset="development")
    with pytest.raises(t.TokenError):
        other.authenticate(tokens["access_token"], now=T0)
    assert "/api/v1/auth/login/email/" in engine.openapi()["paths"]
