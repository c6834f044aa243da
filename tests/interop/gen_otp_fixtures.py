#!/usr/bin/env python3
"""Writes core/tests/fixtures/otp/pyotp.json: codes and provisioning URIs produced by
pyotp, plus SHA-256 values from hashlib, for core/tests/otp_interop.rs and
core/tests/secret.rs to replay.

Usage (from the repository root, in a virtualenv kept outside the repository):
    python3 -m venv <venv> && <venv>/bin/pip install pyotp
    <venv>/bin/python tests/interop/gen_otp_fixtures.py

The generator is seeded, so re-running it with the same pyotp gives the same file.
"""

import base64
import hashlib
import importlib.metadata
import json
import pathlib
import random
import struct

import pyotp

OUT = pathlib.Path(__file__).resolve().parents[2] / "core/tests/fixtures/otp/pyotp.json"
rng = random.Random(20240607)

DIGESTS = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}
ISSUERS = ["Tenxyte", "ACME Co", "R&D:Lab/ü", "a+b=c?d#e", "日本"]
ACCOUNTS = ["alice@example.com", "bob smith", "user+tag@x.io", "名前@例え.jp", "x/y:z%41"]
TIMES = [0, 1, 29, 30, 59, 1111111109, 1234567890, 1700000000, 2000000000, 20000000000]


def b32(raw: bytes) -> str:
    return base64.b32encode(raw).decode().rstrip("=")


def totp_cases():
    cases = []
    for i in range(24):
        alg = list(DIGESTS)[i % 3]
        digits = [6, 7, 8][(i // 3) % 3]
        period = [30, 60, 15, 45, 120, 1][i % 6]
        secret = b32(rng.randbytes(rng.choice([16, 20, 32, 64])))
        issuer = ISSUERS[i % len(ISSUERS)]
        account = ACCOUNTS[(i // 2) % len(ACCOUNTS)]
        totp = pyotp.TOTP(secret, digest=DIGESTS[alg], digits=digits, interval=period)
        times = TIMES + [rng.randrange(0, 4_000_000_000) for _ in range(4)]
        cases.append(
            {
                "secret": secret,
                "algorithm": alg,
                "digits": digits,
                "period": period,
                "issuer": issuer,
                "account": account,
                "uri": totp.provisioning_uri(name=account, issuer_name=issuer),
                "codes": [{"time": t, "code": totp.at(t)} for t in times],
            }
        )
    return cases


def hotp_cases():
    cases = []
    for i in range(9):
        alg = list(DIGESTS)[i % 3]
        digits = [6, 7, 8][i // 3]
        secret = b32(rng.randbytes(rng.choice([16, 20, 32])))
        initial = rng.randrange(0, 1000)
        hotp = pyotp.HOTP(secret, digest=DIGESTS[alg], digits=digits)
        counters = [0, 1, initial, 2**32, 2**63 - 1]
        cases.append(
            {
                "secret": secret,
                "algorithm": alg,
                "digits": digits,
                "issuer": ISSUERS[i % len(ISSUERS)],
                "account": ACCOUNTS[i % len(ACCOUNTS)],
                "initial_count": initial,
                "uri": hotp.provisioning_uri(
                    name=ACCOUNTS[i % len(ACCOUNTS)],
                    issuer_name=ISSUERS[i % len(ISSUERS)],
                    initial_count=initial,
                ),
                "codes": [{"counter": c, "code": hotp.at(c)} for c in counters],
            }
        )
    return cases


def secret_vectors():
    """SHA-256 hex of raw secrets, and the raw form of fixed random bytes."""
    out = []
    for prefix in ["txa_", "txp_", "txm_", "txi_", "txr_", "txs_", "txk_"]:
        raw_bytes = rng.randbytes(32)
        raw = prefix + base64.urlsafe_b64encode(raw_bytes).decode().rstrip("=")
        out.append(
            {
                "random_hex": raw_bytes.hex(),
                "raw": raw,
                "sha256": hashlib.sha256(raw.encode()).hexdigest(),
            }
        )
    # Tenxyte's legacy shapes: a 48-char alphanumeric agent token and a UUID4 refresh token.
    for raw in ["aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5bC7dE9fG1hJ3", "0b9c7e9a-3f0e-4a57-9b1e-2c6d8f4a1e23"]:
        out.append({"random_hex": None, "raw": raw, "sha256": hashlib.sha256(raw.encode()).hexdigest()})
    return out


def field(b: bytes) -> bytes:
    return struct.pack(">I", len(b)) + b


def numeric_vectors():
    """The documented binding hash of numeric codes, computed independently here."""
    out = []
    for purpose, challenge, code in [
        ("email_verification", "chal-1", "123456"),
        ("password_reset", "chal-1", "123456"),
        ("email_verification", "chal-2", "123456"),
        ("login", "8f0c2a5e-uuid", "0000000042"),
        ("ab", "c", "000000"),
        ("a", "bc", "000000"),
    ]:
        data = b"".join(field(x.encode()) for x in ["tenxyte.otp.numeric.v1", purpose, challenge, code])
        out.append(
            {"purpose": purpose, "challenge_id": challenge, "code": code, "hash": hashlib.sha256(data).hexdigest()}
        )
    return out


def main():
    doc = {
        "generator": "tests/interop/gen_otp_fixtures.py",
        "pyotp_version": importlib.metadata.version("pyotp"),
        "totp": totp_cases(),
        "hotp": hotp_cases(),
        "secrets": secret_vectors(),
        "numeric": numeric_vectors(),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
