#!/usr/bin/env python3
"""tenxyte_core beside the Python libraries a user would otherwise pick, in one run.

Prints ONE Markdown table of operations per second (single thread): ours
(``tenxyte_core``, the Rust core through PyO3) next to PyJWT, joserfc, pyotp,
argon2-cffi, pycasbin and the PyPI ``tenxyte`` package itself (a Django app, run
in-process on an in-memory SQLite database). Progress goes to stderr, the table to
stdout. ``run.sh`` installs the pinned libraries and our wheel into a virtualenv.

Usage: bench.py [--quick] [--filter TEXT]
  --quick        one short batch per row: proves every row runs (make test's smoke)
  --filter TEXT  only rows whose "operation implementation" contains TEXT

Same inputs for every library: one token per algorithm (signed once with PyJWT, the
same bytes verified by everybody), one argon2id hash, one TOTP secret, one RBAC
policy, the same agent-token limits. Every implementation is sanity-checked (accepts
the good input, refuses a bad one) before it is timed. Targets are informational: a
missed target is printed, never an error.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent / "fixtures"  # the Rust bench's keys (benchmark-only)

ISS = "https://issuer.bench.example"
AUD = "bench-api"
# 33 bytes, as in the Rust bench; ASCII because Tenxyte reads its secret from a str setting.
HS_SECRET = b"tenxyte-bench-hs256-secret-33byte"
PASSWORD = "correct horse battery staple"
TOTP_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # RFC 6238's 20-byte secret, base32
# Agent limits high enough that no token is suspended while measured (same for both).
AGENT_RPM = 2_000_000_000
AGENT_TOTAL = 2_000_000_000


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def version(dist: str) -> str:
    try:
        return f"{dist} {metadata.version(dist)}"
    except metadata.PackageNotFoundError:
        return f"{dist} ?"


# ----- harness ------------------------------------------------------------------------


@dataclass
class Row:
    operation: str
    implementation: str
    ours: bool
    version: str
    median: float
    low: float
    high: float


def _run(fn: Callable[[], object], n: int) -> float:
    loop = itertools.repeat(None, n)
    t0 = time.perf_counter()
    for _ in loop:
        fn()
    return time.perf_counter() - t0


class Bench:
    """One ``measure`` for every row: calibrate (doubles as warm-up), one untimed batch,
    then ``repeats`` timed batches; the row keeps the median, slowest and fastest rate."""

    def __init__(self, *, quick: bool, only: str | None) -> None:
        self.quick = quick
        self.only = only.lower() if only else None
        self.calibrate_s = 0.005 if quick else 0.1
        self.batch_s = 0.01 if quick else 0.2
        self.repeats = 1 if quick else 7
        self.rows: list[Row] = []

    def wanted(self, operation: str, implementation: str) -> bool:
        return self.only is None or self.only in f"{operation} {implementation}".lower()

    def measure(
        self,
        operation: str,
        implementation: str,
        fn: Callable[[], object],
        *,
        version: str,
        ours: bool = False,
    ) -> None:
        if not self.wanted(operation, implementation):
            return
        log(f"  {operation} | {implementation}")
        n = 1
        while True:
            elapsed = _run(fn, n)
            if elapsed >= self.calibrate_s or n >= 1 << 26:
                break
            n *= 2
        batch = max(1, int(n / elapsed * self.batch_s))
        if not self.quick:
            _run(fn, batch)
        rates = [batch / _run(fn, batch) for _ in range(self.repeats)]
        self.rows.append(
            Row(
                operation,
                implementation,
                ours,
                version,
                statistics.median(rates),
                min(rates),
                max(rates),
            )
        )


def expect(ok: bool, what: str) -> None:
    """A failed sanity check stops the run: a fast wrong answer is not a result."""
    if not ok:
        raise SystemExit(f"bench.py: sanity check failed: {what}")


def refuses(fn: Callable[[], object], bad: object = None) -> bool:
    """True when ``fn`` raises or returns ``bad`` (each library's way of saying no)."""
    try:
        return fn() == bad
    except Exception:  # any refusal counts
        return True


# ----- fixtures -----------------------------------------------------------------------


def pem(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="ascii")


# (algorithm, private PEM, public PEM); HS256 uses HS_SECRET.
ASYMMETRIC = {
    "ES256": ("p256.key.pem", "p256.pub.pem"),
    "EdDSA": ("ed25519.key.pem", "ed25519.pub.pem"),
    "RS256": ("rsa2048.key.pem", "rsa2048.pub.pem"),
}


def private_key(alg: str, text: str) -> Any:
    """A signing key for PyJWT. The Ed25519 file is PKCS#8 v2 (with the public key),
    which ``cryptography`` refuses: its 32-byte seed sits at a fixed offset."""
    import base64

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    if alg == "EdDSA":
        body = "".join(line for line in text.splitlines() if not line.startswith("-----"))
        return Ed25519PrivateKey.from_private_bytes(base64.b64decode(body)[16:48])
    return serialization.load_pem_private_key(text.encode(), password=None)


def claims(now: int) -> dict[str, Any]:
    """The Rust bench's claims, plus the three Tenxyte's decode_token requires."""
    return {
        "sub": "42",
        "user_id": "42",
        "app_id": "default",
        "type": "access",
        "iat": now,
        "exp": now + 900,
        "jti": str(uuid.UUID(int=0x1234)),
        "iss": ISS,
        "aud": AUD,
        "roles": ["admin", "editor", "viewer"],
    }


# ----- Tenxyte (the Django app from PyPI) ---------------------------------------------


def setup_django() -> None:
    """Minimal settings for the tenxyte app: in-memory SQLite, local-memory cache."""
    import django
    from django.conf import settings

    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench-only",
        USE_TZ=True,
        ALLOWED_HOSTS=["*"],
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "rest_framework",
            "tenxyte",
        ],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        AUTH_USER_MODEL="tenxyte.User",
        TENXYTE_JWT_ALGORITHM="HS256",
        TENXYTE_JWT_SECRET_KEY=HS_SECRET.decode(),
        TENXYTE_JWT_ISSUER=ISS,
        TENXYTE_JWT_AUDIENCE=AUD,
        TENXYTE_AIRS_ENABLED=True,
        TENXYTE_AIRS_CIRCUIT_BREAKER_ENABLED=True,
        LOGGING_CONFIG=None,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, run_syncdb=True)


def tenxyte_jwt_service(algorithm: str, secret: str, public: str | None) -> Any:
    """Tenxyte's own JWTService as its DRF authentication builds it (Django settings,
    Django cache as the blacklist), for one algorithm."""
    from django.test import override_settings
    from tenxyte.adapters.django.cache_service import DjangoCacheService
    from tenxyte.adapters.django.settings_provider import DjangoSettingsProvider
    from tenxyte.core.jwt_service import JWTService
    from tenxyte.core.settings import Settings

    overrides: dict[str, Any] = {
        "TENXYTE_JWT_ALGORITHM": algorithm,
        "TENXYTE_JWT_SECRET_KEY": secret,
        "TENXYTE_JWT_PUBLIC_KEY": public,
    }
    with override_settings(**overrides), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return JWTService(
            settings=Settings(provider=DjangoSettingsProvider()),
            blacklist_service=DjangoCacheService(),
        )


# ----- rows ---------------------------------------------------------------------------


def jwt_rows(b: Bench, now: int, tenxyte: bool) -> None:
    import joserfc.jwk
    import joserfc.jwt
    import jwt as pyjwt
    from cryptography.hazmat.primitives import serialization

    import tenxyte_core as t

    good = claims(now)
    registry = joserfc.jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": ISS},
        aud={"essential": True, "value": AUD},
        exp={"essential": True},
    )
    for alg in ("HS256", "ES256", "EdDSA", "RS256"):
        op = f"JWT verify {alg}"
        if alg == "HS256":
            sign_key: Any = HS_SECRET
            verify_key: Any = HS_SECRET
            ours_keys = t.KeySet.from_hmac(HS_SECRET)
            jose_key: Any = joserfc.jwk.OctKey.import_key(HS_SECRET)
            tx_secret, tx_public = HS_SECRET.decode(), None
        else:
            priv, pub = (pem(f) for f in ASYMMETRIC[alg])
            sign_key = private_key(alg, priv)
            verify_key = serialization.load_pem_public_key(pub.encode())
            ours_keys = t.KeySet.from_pem(pub, algorithm=alg)
            jose_cls = {"ES256": joserfc.jwk.ECKey, "EdDSA": joserfc.jwk.OKPKey}
            jose_key = jose_cls.get(alg, joserfc.jwk.RSAKey).import_key(pub)
            tx_secret, tx_public = priv, pub
        token = pyjwt.encode(good, sign_key, algorithm=alg)
        forged = pyjwt.encode({**good, "sub": "43"}, sign_key, algorithm=alg)
        forged = token.rsplit(".", 1)[0] + "." + forged.rsplit(".", 1)[1]
        wrong_iss = pyjwt.encode({**good, "iss": "https://other"}, sign_key, algorithm=alg)
        expired = pyjwt.encode({**good, "exp": now - 10}, sign_key, algorithm=alg)

        def ours(tok: str, keys: t.KeySet = ours_keys, alg: str = alg) -> object:
            return t.jwt.verify(
                tok,
                keys,
                algorithms=[alg],
                now=now,
                issuer=ISS,
                audience=AUD,
                require=["exp", "iss", "aud"],
            )["claims"]

        def pyjwt_verify(tok: str, key: Any = verify_key, alg: str = alg) -> object:
            return pyjwt.decode(
                tok,
                key,
                algorithms=[alg],
                issuer=ISS,
                audience=AUD,
                options={"require": ["exp", "iss", "aud"]},
            )

        def joserfc_verify(tok: str, key: Any = jose_key, alg: str = alg) -> object:
            decoded = joserfc.jwt.decode(tok, key, algorithms=[alg])
            registry.validate(decoded.claims)
            return decoded.claims

        impls: list[tuple[str, Callable[[str], object], str, bool]] = [
            ("tenxyte_core.jwt.verify", ours, version("tenxyte-core"), True),
            ("PyJWT jwt.decode (parsed key)", pyjwt_verify, version("PyJWT"), False),
            ("joserfc jwt.decode + JWTClaimsRegistry", joserfc_verify, version("joserfc"), False),
        ]
        if tenxyte and alg != "EdDSA":  # Tenxyte treats EdDSA as a symmetric algorithm
            svc = tenxyte_jwt_service(alg, tx_secret, tx_public)

            def tx_verify(tok: str, svc: Any = svc) -> object:
                decoded = svc.decode_token(tok)
                return decoded.claims if decoded is not None and decoded.is_valid else None

            label = "tenxyte JWTService.decode_token" + ("" if alg == "HS256" else " (PEM key)")
            impls.append((label, tx_verify, version("tenxyte"), False))
        for name, fn, ver, is_ours in impls:
            if not b.wanted(op, name):
                continue
            expect(fn(token) == good, f"{op} {name} accepts the token")
            bads = ((forged, "a forged"), (wrong_iss, "a wrong-issuer"), (expired, "an expired"))
            for bad, why in bads:
                expect(refuses(lambda fn=fn, bad=bad: fn(bad)), f"{op} {name} refuses {why} token")
            b.measure(op, name, functools.partial(fn, token), version=ver, ours=is_ours)


def password_rows(b: Bench, tenxyte: bool) -> None:
    import argon2

    import tenxyte_core as t

    op = "password verify argon2id m=19456 t=2 p=1"
    encoded = t.password.hash(PASSWORD)  # m=19456 KiB, t=2, p=1: the defaults of both
    hasher = argon2.PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
    expect(hasher.check_needs_rehash(encoded) is False, "argon2-cffi reads the same costs")
    expect(t.password.verify(PASSWORD, encoded).valid, "ours accepts")
    expect(not t.password.verify("wrong", encoded).valid, "ours refuses")
    expect(hasher.verify(encoded, PASSWORD), "argon2-cffi accepts")
    expect(refuses(lambda: hasher.verify(encoded, "wrong")), "argon2-cffi refuses")
    b.measure(
        op,
        "tenxyte_core.password.verify",
        functools.partial(t.password.verify, PASSWORD, encoded),
        version=version("tenxyte-core"),
        ours=True,
    )
    b.measure(
        op,
        "argon2-cffi PasswordHasher.verify",
        functools.partial(hasher.verify, encoded, PASSWORD),
        version=f"{version('argon2-cffi')} / {version('argon2-cffi-bindings')}",
    )
    if not tenxyte:
        return
    # Tenxyte's own scheme (User.set_password): bcrypt cost 12 over SHA-256 hex. Ours
    # verifies those rows too (bare_bcrypt="sha256_hex"), so this pair is like for like.
    from tenxyte.models import get_user_model

    op = "password verify Tenxyte's sha256+bcrypt-12"
    if not (b.wanted(op, "tenxyte_core") or b.wanted(op, "tenxyte User")):
        return
    user = get_user_model()(email="pw@example.com")
    user.set_password(PASSWORD)
    stored = user.password
    expect(user.check_password(PASSWORD) and not user.check_password("wrong"), "tenxyte")
    expect(t.password.verify(PASSWORD, stored, bare_bcrypt="sha256_hex").valid, "ours bcrypt")
    b.measure(
        op,
        'tenxyte_core.password.verify(bare_bcrypt="sha256_hex")',
        functools.partial(t.password.verify, PASSWORD, stored, bare_bcrypt="sha256_hex"),
        version=version("tenxyte-core"),
        ours=True,
    )
    b.measure(
        op,
        "tenxyte User.check_password",
        functools.partial(user.check_password, PASSWORD),
        version=f"{version('tenxyte')} / {version('bcrypt')}",
    )


def totp_rows(b: Bench, tenxyte: bool) -> None:
    import pyotp

    import tenxyte_core as t

    totp = pyotp.TOTP(TOTP_SECRET)
    tx_service: Any = None
    if tenxyte:
        from tenxyte.adapters.django.settings_provider import DjangoSettingsProvider
        from tenxyte.core.settings import Settings
        from tenxyte.core.totp_service import TOTPService

        tx_service = TOTPService(settings=Settings(provider=DjangoSettingsProvider()))
    # Tenxyte's verify_code reads the clock itself, so every row runs at the real time;
    # a step boundary may pass during a run, hence codes that match none of 3 steps.
    now = int(time.time())
    invalid = next(
        c
        for c in (f"{i:06d}" for i in range(1_000_000))
        if all(totp.at(now + d * 30) != c for d in range(-3, 4))
    )
    op = "TOTP verify, invalid code, window 1 (3 HMACs)"
    expect(refuses(lambda: t.otp.totp_verify(TOTP_SECRET, invalid)), "ours refuses")
    expect(t.otp.totp_verify(TOTP_SECRET, totp.now()) >= 0, "ours accepts pyotp's code")
    expect(not totp.verify(invalid, valid_window=1), "pyotp refuses")
    b.measure(
        op,
        "tenxyte_core.otp.totp_verify",
        functools.partial(refuses, functools.partial(t.otp.totp_verify, TOTP_SECRET, invalid)),
        version=version("tenxyte-core"),
        ours=True,
    )
    b.measure(
        op,
        "pyotp TOTP.verify",
        functools.partial(totp.verify, invalid, valid_window=1),
        version=version("pyotp"),
    )
    if tx_service is not None:
        expect(not tx_service.verify_code(TOTP_SECRET, invalid), "tenxyte refuses")
        expect(tx_service.verify_code(TOTP_SECRET, totp.now()), "tenxyte accepts")
        b.measure(
            op,
            "tenxyte TOTPService.verify_code",
            functools.partial(tx_service.verify_code, TOTP_SECRET, invalid),
            version=version("tenxyte"),
        )


# The RBAC shape of the perf reference: alice -> admin -> editor -> viewer, doc.read
# granted at the third level, 40 bulk permissions so lookups are not trivially small.
ROLE_GRANTS = {
    "viewer": ["doc.read", "res1.view", "res2.view"],
    "editor": ["doc.write", "res3"],
    "admin": ["res4", "res5"],
}
ROLE_INHERITS = {"viewer": [], "editor": ["viewer"], "admin": ["editor"]}


def rbac_document() -> dict[str, Any]:
    perms = [
        {"code": "doc"},
        {"code": "doc.read", "parent": "doc"},
        {"code": "doc.write", "parent": "doc"},
        {"code": "billing"},
        {"code": "billing.refund", "parent": "billing"},
    ]
    for i in range(40):
        perms += [{"code": f"res{i}"}, {"code": f"res{i}.view", "parent": f"res{i}"}]
    roles = [
        {"code": r, "permissions": ROLE_GRANTS[r], "inherits": ROLE_INHERITS[r]}
        for r in ROLE_GRANTS
    ]
    return {"permissions": perms, "roles": roles}


CASBIN_MODEL = """
[request_definition]
r = sub, obj
[policy_definition]
p = sub, obj
[role_definition]
g = _, _
[policy_effect]
e = some(where (p.eft == allow))
[matchers]
m = g(r.sub, p.sub) && r.obj == p.obj
"""


def rbac_rows(b: Bench, tenxyte: bool) -> None:
    import casbin

    import tenxyte_core as t

    op = "permission check (3-level role inheritance, allowed)"
    policy = t.Policy(rbac_document())
    subject = {"roles": ["admin"]}
    expect(policy.has_permission(subject, "doc.read"), "ours allows doc.read")
    expect(not policy.has_permission(subject, "billing.refund"), "ours denies billing")
    b.measure(
        op,
        "tenxyte_core Policy.has_permission(dict, code)",
        functools.partial(policy.has_permission, subject, "doc.read"),
        version=version("tenxyte-core"),
        ours=True,
    )
    if hasattr(policy, "bind"):  # the subject converted once (a wheel from before: skip)
        bound = policy.bind(subject)
        expect(bound.has_permission("doc.read"), "ours (bound) allows")
        expect(not bound.has_permission("billing.refund"), "ours (bound) denies")
        b.measure(
            op,
            "tenxyte_core Policy.bind(dict).has_permission(code)",
            functools.partial(bound.has_permission, "doc.read"),
            version=version("tenxyte-core"),
            ours=True,
        )

    with tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp) / "model.conf"
        model.write_text(CASBIN_MODEL, encoding="ascii")
        logging.getLogger("casbin").setLevel(logging.WARNING)
        enforcer = casbin.Enforcer(str(model))
    for role, grants in ROLE_GRANTS.items():
        for g in grants:
            enforcer.add_policy(role, g)
        for parent in ROLE_INHERITS[role]:
            enforcer.add_grouping_policy(role, parent)
    enforcer.add_grouping_policy("alice", "admin")
    expect(enforcer.enforce("alice", "doc.read"), "casbin allows")
    expect(not enforcer.enforce("alice", "billing.refund"), "casbin denies")
    b.measure(
        op,
        "pycasbin Enforcer.enforce (RBAC model)",
        functools.partial(enforcer.enforce, "alice", "doc.read"),
        version=version("casbin"),
    )
    if not tenxyte:
        return
    # Tenxyte's roles are flat (no inheritance) and its permissions a tree: alice gets
    # the three roles directly, which grants the same set.
    from tenxyte.models import get_user_model
    from tenxyte.models.base import get_permission_model, get_role_model

    perm_model, role_model = get_permission_model(), get_role_model()
    by_code: dict[str, Any] = {}
    for p in rbac_document()["permissions"]:
        parent = by_code.get(p.get("parent", ""))
        by_code[p["code"]] = perm_model.objects.create(
            code=p["code"], name=p["code"], parent=parent
        )
    user = get_user_model().objects.create(email="alice@example.com")
    for role, grants in ROLE_GRANTS.items():
        r = role_model.objects.create(code=f"bench-{role}", name=role)
        r.permissions.set([by_code[g] for g in grants])
        user.roles.add(r)
    expect(user.has_permission("doc.read"), "tenxyte allows")
    expect(not user.has_permission("billing.refund"), "tenxyte denies")
    b.measure(
        op,
        "tenxyte User.has_permission (ORM, SQLite :memory:)",
        functools.partial(user.has_permission, "doc.read"),
        version=version("tenxyte"),
    )


ENGINE_SETTINGS: dict[str, Any] = {
    "preset": "development",
    "password": {"argon2": {"memory_kib": 1024, "iterations": 1}},
    "rate_limit": {"enabled": False},
    "application_auth": {"enabled": False},
    "agents": {"enabled": True},
}


def agent_rows(b: Bench, tenxyte: bool, tmp: Path) -> None:
    import tenxyte_core as t

    op = "agent request check (allowed, double RBAC, caps counted)"
    keys = t.KeySet.from_hmac(HS_SECRET)
    stores: list[tuple[str, object]] = [
        ("MemoryStore", t.MemoryStore()),
        ("SqliteStore file", t.SqliteStore(tmp / "agents.sqlite")),
    ]
    for label, store in stores:
        name = f"tenxyte_core Engine.authorize_agent ({label})"
        if not b.wanted(op, name):
            continue
        engine = t.Engine(ENGINE_SETTINGS, keys=keys, store=store)
        engine.register(email="ada@example.com", password="Analytical-Engine-1843")
        tokens = engine.login(email="ada@example.com", password="Analytical-Engine-1843")
        raw = engine.create_agent_token(
            tokens["access_token"],
            permissions=["content.view"],
            circuit_breaker={
                "max_requests_per_minute": AGENT_RPM,
                "max_requests_total": AGENT_TOTAL,
            },
        )["raw_token"]
        call = functools.partial(
            engine.authorize_agent, raw, method="GET", path="/articles", permission="content.view"
        )
        expect(call()["outcome"] == "allowed", f"ours allows ({label})")
        denied = engine.authorize_agent(
            raw, method="POST", path="/articles", permission="content.publish"
        )
        expect(denied["outcome"] == "denied", f"ours denies an ungranted permission ({label})")
        b.measure(op, name, call, version=version("tenxyte-core"), ours=True)
    if not tenxyte:
        return
    name = "tenxyte validate + check_circuit_breaker + validate_permission"
    if not b.wanted(op, name):
        return
    from tenxyte.models import get_user_model
    from tenxyte.models.application import Application
    from tenxyte.models.base import get_permission_model, get_role_model
    from tenxyte.services.agent_service import AgentTokenService

    view = get_permission_model().objects.create(code="content.view", name="view")
    get_permission_model().objects.create(code="content.publish", name="publish")
    role = get_role_model().objects.create(code="bench-agent-viewer", name="agent viewer")
    role.permissions.set([view])
    user = get_user_model().objects.create(email="ada@example.com")
    user.roles.add(role)
    app, _secret = Application.create_application(name="bench")
    service = AgentTokenService()
    token = service.create(
        user,
        app,
        ["content.view"],
        agent_id="bench-bot",
        circuit_breaker={"max_requests_per_minute": AGENT_RPM, "max_requests_total": AGENT_TOTAL},
    )
    raw = token._raw_token

    # What AgentTokenMiddleware then @require_agent_clearance(permission_code=...) run
    # for one request (the middleware's audit row is only written for writes).
    def check(permission: str) -> bool:
        tok, error = service.validate(raw)
        if error is not None:
            return False
        ok, _reason = service.check_circuit_breaker(tok)
        return ok and service.validate_permission(tok, permission)

    expect(check("content.view"), "tenxyte allows")
    expect(not check("content.publish"), "tenxyte denies an ungranted permission")
    b.measure(
        op,
        name,
        functools.partial(check, "content.view"),
        version=version("tenxyte"),
    )


def floor_rows(b: Bench) -> None:
    """What one call costs before any work: the loop and a call into C."""
    op = "reference: the cheapest Python call"
    b.measure(op, "functools.partial(len, ()) (C builtin)", functools.partial(len, ()), version="")
    granted = frozenset({"doc.read", "res1.view", "doc.write"})
    b.measure(
        op,
        "frozenset membership (pre-flattened, no policy)",
        functools.partial(granted.__contains__, "doc.read"),
        version="",
    )


# ----- table --------------------------------------------------------------------------

TARGETS: dict[str, tuple[str, str, float]] = {
    # operation -> (implementation prefix of the baseline, description, factor)
    "JWT verify HS256": ("PyJWT", "≥ 8x PyJWT", 8.0),
    "JWT verify ES256": ("PyJWT", "≥ 1x PyJWT", 1.0),
    "agent request check (allowed, double RBAC, caps counted)": (
        "tenxyte validate",
        "≥ 100x Tenxyte",
        100.0,
    ),
}
RBAC_TARGET = 2_000_000.0


def fmt(x: float) -> str:
    if x >= 100:
        return f"{x:,.0f}"
    return f"{x:,.1f}" if x >= 10 else f"{x:,.2f}"


def table(rows: list[Row]) -> tuple[str, list[str]]:
    lines = [
        "| operation | implementation | ops/s (median) | min - max | ratio (ours ÷ row) | target"
        " | version |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    verdicts: list[str] = []
    ops: list[str] = []
    for r in rows:
        if r.operation not in ops:
            ops.append(r.operation)
    for op in ops:
        group = [r for r in rows if r.operation == op]
        ours = [r for r in group if r.ours]
        headline = ours[0] if ours else None
        # Ours first in the order measured (the first is the one ratios divide), then
        # the others fastest first.
        for r in sorted(group, key=lambda r: (not r.ours, 0.0 if r.ours else -r.median)):
            ratio = ""
            if headline is not None and not r.ours:
                ratio = f"{headline.median / r.median:,.2f}x"
            target = ""
            if r.ours and op.startswith("permission check"):
                met = r.median >= RBAC_TARGET
                target = f"≥ 2M ops/s: {'met' if met else 'NOT met'}"
                verdicts.append(f"{op}, {r.implementation}: {target}")
            spec = TARGETS.get(op)
            if spec and not r.ours and r.implementation.startswith(spec[0]) and headline:
                met = headline.median >= spec[2] * r.median
                target = f"{spec[1]}: {'met' if met else 'NOT met'}"
                verdicts.append(f"{op}, {headline.implementation}: {target}")
            name = f"**{r.implementation}**" if r.ours else r.implementation
            lines.append(
                f"| {op} | {name} | {fmt(r.median)} | {fmt(r.low)} - {fmt(r.high)} | {ratio}"
                f" | {target} | {r.version} |"
            )
    return "\n".join(lines), verdicts


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one short batch per row")
    parser.add_argument("--filter", help="only rows whose operation/implementation match")
    parser.add_argument(
        "--no-tenxyte", action="store_true", help="leave out the PyPI tenxyte package's rows"
    )
    args = parser.parse_args()
    # joserfc flags "EdDSA" as deprecated by RFC 9864 (in favour of "Ed25519"); the
    # benchmark uses the name every library here accepts.
    warnings.filterwarnings("ignore", message="EdDSA is deprecated")
    b = Bench(quick=args.quick, only=args.filter)
    load_start = loadavg()
    tenxyte = not args.no_tenxyte
    if tenxyte:
        log("setting up the tenxyte Django app (in-memory SQLite, migrate)")
        logging.disable(logging.WARNING)  # its start-up checks warn about production
        setup_django()
    now = int(time.time())
    with tempfile.TemporaryDirectory(prefix="tenxyte-bench-") as tmp:
        log("JWT")
        jwt_rows(b, now, tenxyte)
        log("password")
        password_rows(b, tenxyte)
        log("TOTP")
        totp_rows(b, tenxyte)
        log("RBAC")
        rbac_rows(b, tenxyte)
        log("agents")
        agent_rows(b, tenxyte, Path(tmp))
        floor_rows(b)
    text, verdicts = table(b.rows)
    import tenxyte_core

    pace = "quick (indicative only)" if args.quick else f"{b.repeats} batches of ~{b.batch_s} s"
    print(
        f"tenxyte_core {tenxyte_core.__version__} · CPython {platform.python_version()}"
        f" · {cpu_model()} · {os.cpu_count()} CPUs · {pace} · load {load_start} → {loadavg()}"
    )
    print()
    print(text)
    print()
    for v in verdicts:
        print(f"- target {v}")
    print()
    print(f"`{' '.join(['python', 'bench/python/bench.py', *sys.argv[1:]])}`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
