"""tests/vectors/ replayed through the typed Python API: jwt, password and otp (as the
CLI replays them), then policy, rbac and secret.

The CLI replays the same files through ``tenxyte ... --jsonl`` (cli/tests/vectors_replay.rs)
and must give the same answers; here every request is turned into keyword arguments, the
result into the batch answer form, and the two compared field for field. A missing
required argument is a ``TypeError`` in Python (the language's convention) and stands
for the batch form's ``invalid_input``.
"""

from __future__ import annotations

import json
from typing import Any, Callable

import pytest

import tenxyte_core as t
from conftest import VECTORS, vector_cases
from tenxyte_core import jwt, otp, password, secret

Answer = dict[str, Any]


def answer(call: Callable[[], Answer]) -> Answer:
    try:
        return call()
    except t.TenxyteError as e:
        return {"valid": False, "code": e.code}
    except TypeError:
        return {"valid": False, "code": "invalid_input"}


def jwt_answer(req: dict[str, Any]) -> Answer:
    def run() -> Answer:
        keys = t.KeySet.from_jwks(req["jwks"])
        options = {k: v for k, v in req.items() if k not in ("token", "jwks") and v is not None}
        v = jwt.verify(req["token"], keys, **options)
        return {"valid": True, "header": v["header"], "claims": v["claims"]}

    return answer(run)


def password_answer(req: dict[str, Any]) -> Answer:
    def run() -> Answer:
        options = {
            k: v for k, v in req.items() if k not in ("password", "encoded") and v is not None
        }
        pw: Any = req.get("password")  # a missing member is a TypeError below
        encoded: Any = req.get("encoded")
        v = password.verify(pw, encoded, **options)
        return {"valid": v.valid, "needs_rehash": v.needs_rehash}

    return answer(run)


def otp_answer(req: dict[str, Any]) -> Answer:
    def run() -> Answer:
        fields = {k: v for k, v in req.items() if v is not None}
        secret, code = fields.pop("secret_base32"), fields.pop("code")
        if "counter" in fields:
            return {"valid": True, "new_counter": otp.hotp_verify(secret, code, **fields)}
        return {"valid": True, "step": otp.totp_verify(secret, code, **fields)}

    return answer(run)


REPLAYS: dict[str, Callable[[dict[str, Any]], Answer]] = {
    "jwt.json": jwt_answer,
    "password.json": password_answer,
    "otp.json": otp_answer,
}


def all_cases() -> list[Any]:
    return [
        pytest.param(name, case, id=f"{name}:{case['name']}")
        for name in REPLAYS
        for case in vector_cases(name)
    ]


@pytest.mark.parametrize(("file", "case"), all_cases())
def test_vector(file: str, case: dict[str, Any]) -> None:
    assert REPLAYS[file](case["request"]) == case["expected"]


def test_every_file_has_cases() -> None:
    # A vector file emptied by accident must fail the run, not skip it.
    counts = {name: len(vector_cases(name)) for name in REPLAYS}
    assert all(n >= 10 for n in counts.values()), counts


# ----- the pure decisions: policy, RBAC, secrets ------------------------------------------


@pytest.mark.parametrize("case", vector_cases("policy.json"), ids=lambda c: c["name"])
def test_policy_vector(case: dict[str, Any]) -> None:
    report = password.check_policy(case["password"], rules=case["rules"], email=case["email"])
    assert report == case["expected"]


def test_rbac_vectors() -> None:
    doc = json.loads((VECTORS / "rbac.json").read_text(encoding="utf-8"))["cases"]
    policy = t.Policy(doc["policy"])
    checked = 0
    for subject in doc["subjects"]:
        for permission, decision in subject["expected"].items():
            assert policy.check(subject["subject"], permission) == decision, subject["name"]
            checked += 1
    assert checked >= 10


@pytest.mark.parametrize("case", vector_cases("secret.json"), ids=lambda c: c["name"])
def test_secret_vector(case: dict[str, Any]) -> None:
    # Generation with fixed random bytes is Rust-only; its outputs must hash and parse
    # the same here.
    assert secret.hash(case["expected_raw"]) == case["expected_hash"]
    assert secret.verify(case["expected_raw"], case["expected_hash"])
    assert secret.kind_of(case["expected_raw"]) == case["kind_of_raw"]
