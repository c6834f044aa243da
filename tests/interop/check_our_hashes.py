#!/usr/bin/env python3
"""Check that hashes written by tenxyte_core verify in the reference libraries.

Usage: python tests/interop/check_our_hashes.py HASHES.json

HASHES.json is either a list or {"cases": [...]} of objects
{"password": "...", "encoded": "..."}; `encoded` is our PHC argon2id string
(`$argon2id$...`, checked with argon2-cffi) or our Django flavour (`argon2$argon2id$...`,
checked with Django's check_password and argon2-cffi). For each hash the right password
must verify and a wrong one must not. Prints "N passed, M failed"; exits 1 on any failure.

Needs: pip install 'django==5.2.*' argon2-cffi
"""

import json
import sys

import argon2
import django
from django.conf import settings

# Importable from the pytest suite, which configures Django itself (with more hashers,
# Argon2PasswordHasher among them) before importing this module.
if not settings.configured:
    settings.configure(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.Argon2PasswordHasher"],
        INSTALLED_APPS=[],
    )
    django.setup()

from django.contrib.auth.hashers import (  # noqa: E402
    check_password,
    identify_hasher,
    must_update_salt,
)


def cffi_verifies(encoded, password):
    try:
        return argon2.PasswordHasher().verify(encoded, password)
    except argon2.exceptions.VerificationError:
        return False


def check(case):
    password, encoded = case["password"], case["encoded"]
    wrong = password + "\u0000wrong"
    if encoded.startswith("argon2$"):
        assert identify_hasher(encoded).algorithm == "argon2", "Django does not identify it"
        assert check_password(password, encoded), "Django rejects the right password"
        assert not check_password(wrong, encoded), "Django accepts a wrong password"
        # Django re-hashes on every login when the salt carries under 128 bits.
        salt = identify_hasher(encoded).decode(encoded)["salt"]
        assert not must_update_salt(salt, 128), "Django finds the salt too short"
        phc = encoded[len("argon2"):]
    elif encoded.startswith("$argon2id$"):
        phc = encoded
    else:
        raise AssertionError("not one of our formats")
    assert cffi_verifies(phc, password), "argon2-cffi rejects the right password"
    assert not cffi_verifies(phc, wrong), "argon2-cffi accepts a wrong password"
    params = argon2.extract_parameters(phc)
    assert params.type == argon2.Type.ID and params.version == 19, "not argon2id v=19"
    assert params.hash_len == 32, "tag is not 32 bytes"


def main(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    cases = doc["cases"] if isinstance(doc, dict) else doc
    passed = failed = 0
    for i, case in enumerate(cases):
        try:
            check(case)
            passed += 1
        except AssertionError as e:
            failed += 1
            print(f"case {i} ({case.get('encoded', '')[:40]}...): {e}", file=sys.stderr)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
