#!/usr/bin/env python3
"""Generate the password interop fixtures from the reference libraries.

Writes core/tests/fixtures/password/*.json, replayed by core/tests/password_interop.rs
without Python. Every hash here is produced by Django, argon2-cffi or bcrypt, and every
policy score by the original Tenxyte validator; nothing is computed by our own code.

Setup (any virtualenv outside the repository):

    python3 -m venv venv && . venv/bin/activate
    pip install 'django==5.2.*' argon2-cffi bcrypt
    pip install --no-deps tenxyte==0.9.6.4.2   # for policy.json (Tenxyte's validator)
    python tests/interop/gen_password_fixtures.py

Costs are kept low where the format allows (bcrypt rounds 4-6, PBKDF2 a few thousand
iterations, small argon2 memory) so the Rust tests stay fast; one case per hasher uses
the library's real defaults.

`needs_rehash` in the fixtures is the documented rule of `tenxyte_core::password::verify`
under the fixture's `target` parameters: true for every format other than argon2id, and
for argon2id whose m/t/p differ from the target, whose version is not 0x13, whose tag is
not 32 bytes or whose salt is shorter than 16 bytes.
"""

import base64
import gzip
import hashlib
import json
import os
import secrets
import sys
from pathlib import Path

import argon2
import bcrypt
import django
from argon2.low_level import Type, hash_secret
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "core" / "tests" / "fixtures" / "password"

settings.configure(
    PASSWORD_HASHERS=[
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
        "django.contrib.auth.hashers.BCryptPasswordHasher",
    ],
    INSTALLED_APPS=[],
)
django.setup()

from django.contrib.auth import hashers as dh  # noqa: E402

# The target policy the fixtures' needs_rehash values assume (our default).
TARGET = {"memory_kib": 19456, "iterations": 2, "parallelism": 1}

PASSWORDS = [
    "correct horse battery staple",
    "pässwörd-Ünïcode",
    "emoji 🐎🔑 key",
    "",
    "a",
    "p@$$w0rd:with$dollars",
]


def wrong_of(pw):
    return [pw + "x", pw.upper() if pw.upper() != pw else pw + "X", pw[:-1] if pw else " "]


def versions():
    from importlib.metadata import version

    return {name: version(name) for name in ["Django", "argon2-cffi", "bcrypt"]}


def write(name, doc):
    OUT.mkdir(parents=True, exist_ok=True)
    doc = {"generated_by": "tests/interop/gen_password_fixtures.py", "versions": versions(), **doc}
    path = OUT / name
    path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {path.relative_to(ROOT)} ({len(doc['cases'])} cases)")


def case(label, encoded, password, needs_rehash, **extra):
    return {
        "label": label,
        "encoded": encoded,
        "password": password,
        "wrong": wrong_of(password),
        "needs_rehash": needs_rehash,
        **extra,
    }


# --- Django make_password, one hasher class at a time -------------------------------


class FastPBKDF2(dh.PBKDF2PasswordHasher):
    iterations = 3000


class FastPBKDF2SHA1(dh.PBKDF2SHA1PasswordHasher):
    iterations = 2000


class FastArgon2(dh.Argon2PasswordHasher):
    time_cost = 1
    memory_cost = 256
    parallelism = 2


class TargetArgon2(dh.Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 19456
    parallelism = 1


class FastBCryptSHA256(dh.BCryptSHA256PasswordHasher):
    rounds = 5


class FastBCrypt(dh.BCryptPasswordHasher):
    rounds = 4


def django_cases():
    cases = []
    fast = [
        ("PBKDF2PasswordHasher", FastPBKDF2(), True),
        ("PBKDF2SHA1PasswordHasher", FastPBKDF2SHA1(), True),
        ("Argon2PasswordHasher m=256,t=1,p=2", FastArgon2(), True),
        ("BCryptSHA256PasswordHasher rounds=5", FastBCryptSHA256(), True),
    ]
    for label, hasher, rehash in fast:
        for pw in PASSWORDS:
            enc = dh.make_password(pw, hasher=hasher)
            assert dh.check_password(pw, enc)
            cases.append(case(f"django {label}", enc, pw, rehash))
    # Plain bcrypt: Django's BCryptPasswordHasher refuses nothing itself, but bcrypt 5
    # raises above 72 bytes, so every password here is short.
    for pw in PASSWORDS:
        enc = dh.make_password(pw, hasher=FastBCrypt())
        cases.append(case("django BCryptPasswordHasher rounds=4", enc, pw, True))
    # Django's argon2 under exactly our target parameters: no rehash.
    enc = dh.make_password("target params", hasher=TargetArgon2())
    cases.append(case("django Argon2PasswordHasher at target", enc, "target params", False))
    # Real defaults (Django 5.2: PBKDF2 1,000,000; argon2 m=102400,t=2,p=8; bcrypt 12).
    for cls in [dh.PBKDF2PasswordHasher, dh.Argon2PasswordHasher, dh.BCryptSHA256PasswordHasher]:
        pw = "Django default " + cls.__name__
        enc = dh.make_password(pw, hasher=cls())
        cases.append(case(f"django {cls.__name__} defaults", enc, pw, True, wrong=[pw + "x"]))
    # bcrypt_sha256 takes any length: 200 characters verify without truncation.
    long_pw = "long-" * 40
    enc = dh.make_password(long_pw, hasher=FastBCryptSHA256())
    cases.append(case("django BCryptSHA256 200 chars", enc, long_pw, True,
                      wrong=[long_pw[:72], long_pw[:-1] + "!"]))
    # Our Django flavour must be byte-identical to Django's for a fixed salt.
    reproduce = []
    for pw, salt, hasher in [
        ("correct horse battery staple", "abcdefghijABCDEFGHIJ01", TargetArgon2()),
        ("pässwörd-Ünïcode", "Zz9Yy8Xx7Ww6Vv5Uu4Tt3S", FastArgon2()),
    ]:
        reproduce.append({
            "password": pw,
            "salt": salt,
            "params": {"memory_kib": hasher.memory_cost, "iterations": hasher.time_cost,
                       "parallelism": hasher.parallelism},
            "encoded": hasher.encode(pw, salt),
        })
    write("django.json", {"target": TARGET, "cases": cases, "reproduce_django_argon2": reproduce})


# --- argon2-cffi PHC strings -------------------------------------------------------------


def argon2_cases():
    cases = []
    variants = [
        # (type, m, t, p, hash_len, salt_len, needs_rehash)
        (Type.ID, 19456, 2, 1, 32, 16, False),  # our target: no rehash
        (Type.ID, 256, 1, 1, 32, 16, True),
        (Type.ID, 512, 3, 4, 32, 16, True),
        (Type.ID, 1024, 1, 8, 32, 16, True),
        (Type.ID, 19456, 2, 1, 16, 16, True),  # our params but a 16-byte tag
        (Type.ID, 19456, 2, 1, 64, 16, True),  # 64-byte tag
        (Type.ID, 19456, 2, 1, 32, 8, True),  # 8-byte salt
        (Type.ID, 19456, 2, 1, 32, 32, False),  # longer salt is fine
        (Type.I, 256, 2, 1, 32, 16, True),
        (Type.D, 256, 2, 1, 32, 16, True),
        (Type.ID, 65536, 3, 4, 32, 16, True),  # RFC 9106 second recommendation
    ]
    for i, (typ, m, t, p, hl, sl, rehash) in enumerate(variants):
        pw = PASSWORDS[i % len(PASSWORDS)]
        ph = argon2.PasswordHasher(time_cost=t, memory_cost=m, parallelism=p, hash_len=hl,
                                   salt_len=sl, type=typ)
        enc = ph.hash(pw)
        ph.verify(enc, pw)
        cases.append(case(f"argon2-cffi {typ.name} m={m},t={t},p={p} tag={hl} salt={sl}", enc, pw, rehash))
    # Version 0x10 (pre-1.3) through the low-level API; argon2-cffi writes v=16.
    enc = hash_secret(b"old version", os.urandom(16), time_cost=1, memory_cost=256, parallelism=1,
                      hash_len=32, type=Type.ID, version=16).decode()
    cases.append(case("argon2-cffi v=16", enc, "old version", True))
    # Our encoder must reproduce argon2-cffi's string exactly for a fixed salt.
    reproduce = []
    for pw, salt, (m, t, p) in [
        ("correct horse battery staple", bytes(range(16)), (19456, 2, 1)),
        ("emoji 🐎🔑 key", b"sixteen byte slt", (256, 1, 2)),
        ("", b"\xff" * 16, (64, 3, 1)),
    ]:
        enc = hash_secret(pw.encode(), salt, time_cost=t, memory_cost=m, parallelism=p, hash_len=32,
                          type=Type.ID, version=19).decode()
        reproduce.append({"password": pw, "salt_hex": salt.hex(),
                          "params": {"memory_kib": m, "iterations": t, "parallelism": p},
                          "encoded": enc})
    write("argon2_cffi.json", {"target": TARGET, "cases": cases, "reproduce_phc": reproduce})


# --- bcrypt: plain, prefix variants, Tenxyte's sha256-hex pre-hash ---------------------------


def tenxyte_hash(pw, rounds):
    pre = hashlib.sha256(pw.encode("utf-8")).hexdigest()
    return bcrypt.hashpw(pre.encode("utf-8"), bcrypt.gensalt(rounds=rounds)).decode()


def bcrypt_cases():
    cases = []
    for i, pw in enumerate(PASSWORDS):
        rounds = 4 + i % 3
        enc = bcrypt.hashpw(pw.encode(), bcrypt.gensalt(rounds=rounds)).decode()
        for prefix in ["$2b$", "$2a$", "$2y$"]:
            rewritten = prefix + enc[4:]
            assert bcrypt.checkpw(pw.encode(), rewritten.encode())
            cases.append(case(f"bcrypt.hashpw {prefix} rounds={rounds}", rewritten, pw, True,
                              bare_bcrypt="plain"))
    # 72 bytes exactly verifies; one more byte must be refused, not truncated (a truncating
    # verifier would accept it: that is the attack this case guards against).
    pw72 = "x" * 60 + "ünï" + "y" * 7  # 60 + 5 + 7 = 72 bytes
    assert len(pw72.encode()) == 72
    enc = bcrypt.hashpw(pw72.encode(), bcrypt.gensalt(rounds=4)).decode()
    cases.append(case("bcrypt 72 bytes", enc, pw72, True, bare_bcrypt="plain",
                      wrong=[pw72[:-1], pw72[:-1] + "Y"],
                      errors=[{"password": pw72 + "z", "code": "password_too_long"},
                              {"password": pw72 + "é", "code": "password_too_long"}]))
    # Tenxyte's User.set_password: bcrypt over sha256(password).hexdigest(), bare $2b$.
    for i, pw in enumerate(PASSWORDS + ["x" * 200]):
        enc = tenxyte_hash(pw, 4 + i % 2)
        cases.append(case("tenxyte sha256-hex bcrypt", enc, pw, True, bare_bcrypt="sha256_hex",
                          wrong=wrong_of(pw) + [hashlib.sha256(pw.encode()).hexdigest()]))
    # Tenxyte at its real default cost 12.
    pw = "Tenxyte default cost"
    cases.append(case("tenxyte sha256-hex bcrypt cost 12", tenxyte_hash(pw, 12), pw, True,
                      bare_bcrypt="sha256_hex", wrong=[pw + "x"]))
    write("bcrypt.json", {"target": TARGET, "cases": cases})


# --- Tenxyte's legacy backup codes --------------------------------------------------------


def backup_code_cases():
    cases = []
    # As TOTPService.generate_backup_codes: token_hex(8) -> "xxxxxxxx-xxxxxxxx", plain bcrypt
    # (cost 12 there; 4 here to keep the replay fast: the cost is covered elsewhere).
    stored, codes = [], []
    for i in range(5):
        code = secrets.token_hex(8)
        formatted = f"{code[:8]}-{code[8:]}"
        rounds = 4
        stored.append(bcrypt.hashpw(formatted.encode(), bcrypt.gensalt(rounds=rounds)).decode())
        codes.append(formatted)
    for index, code in enumerate(codes):
        bare = code.replace("-", "")
        for typed in [code, code.upper(), bare, f" {bare[:4]} {bare[4:8]} {bare[8:12]} {bare[12:]} "]:
            cases.append({"input": typed, "expected_index": index})
    for typed in [codes[0][:-1], codes[0] + "0", "zzzzzzzz-zzzzzzzz", codes[0].replace("-", "_")]:
        cases.append({"input": typed, "expected_index": None})
    write("tenxyte_backup_codes.json", {"stored": stored, "cases": cases})


# --- Tenxyte's PasswordValidator: scores and verdicts --------------------------------------

# Tenxyte's French messages, mapped to our violation codes. The specific phrases come
# first: several messages start "Le mot de passe doit contenir au moins".
MESSAGE_CODES = [
    ("Le mot de passe est requis", "too_short"),
    ("ne doit pas depasser", "too_long"),
    ("lettre majuscule", "missing_uppercase"),
    ("lettre minuscule", "missing_lowercase"),
    ("au moins un chiffre", "missing_digit"),
    ("caractere special", "missing_special"),
    ("caracteres differents", "too_few_unique_chars"),
    ("trop courant", "common_password"),
    ("sequence previsible", "contains_sequence"),
    ("adresse email", "contains_email"),
    ("nom d'utilisateur", "contains_username"),
    ("caracteres identiques consecutifs", "repeated_characters"),
    ("Le mot de passe doit contenir au moins", "too_short"),
]


def message_code(msg):
    for needle, code in MESSAGE_CODES:
        if needle in msg:
            return code
    raise SystemExit(f"unmapped Tenxyte message: {msg}")


POLICY_PASSWORDS = [
    ("Str0ng!Passw0rd#2024", None, None),
    ("Password123!", None, None),
    ("password", None, None),
    ("password1234", None, None),
    ("P@ssw0rd", None, None),
    ("", None, None),
    ("Ab1!", None, None),
    ("abcdefgh", None, None),
    ("Qwer7!xyzT", None, None),
    ("Zx9!7531WxYz", None, None),
    ("Q8!mzzzzrT", None, None),
    ("Q8!mzZzZrT", None, None),
    ("Aa1!Aa1!Aa1!", None, None),
    ("correct horse battery staple", None, None),
    ("Correct-Horse-Battery-Staple-9", None, None),
    ("élan9!Élan", None, None),
    ("Ünïcødé-Pässwörd-42!", None, None),
    ("🐎🐎🐎🐎Horse1!", None, None),
    ("x" * 129, None, None),
    ("Xy7!" * 40, None, None),
    ("Alice.Smith-2024!", "alice.smith@example.com", None),
    ("MyN4me!isBob-xyz", None, "bob"),
    ("MyN4me!isBob-xyz", "bob@example.com", "bob"),
    ("Tr0ub4dor&3", None, "al"),
    ("Sunshine!9x", None, None),
    ("nineteen-Z!9", None, None),
    ("1q2w3e4r5t!A", None, None),
    ("ZYXW!9abQ", None, None),
    ("poiu!T9xyz", None, None),
    ("   spaces   9A!", None, None),
]


def policy_cases():
    try:
        from tenxyte.validators import PasswordValidator
    except ImportError:
        print("tenxyte not installed: skipping policy.json", file=sys.stderr)
        return
    with gzip.open(Path(dh.__file__).parent / "common-passwords.txt.gz", "rt", encoding="utf-8") as f:
        django_common = {x.strip() for x in f}
    tenxyte_common = PasswordValidator.COMMON_PASSWORDS
    ours_common = django_common | tenxyte_common

    configs = {
        # Our PasswordPolicy::tenxyte(): Tenxyte's validator with its defaults.
        "tenxyte": dict(min_length=8, max_length=128, require_uppercase=True, require_lowercase=True,
                        require_digit=True, require_special=True, min_unique_chars=5,
                        check_common=True, check_sequences=True),
        # Our ASVS default: no composition rules. Only the score is compared (Tenxyte always
        # rejects repetition and context words; our default does not reject repetition).
        "asvs": dict(min_length=8, max_length=128, require_uppercase=False, require_lowercase=False,
                     require_digit=False, require_special=False, min_unique_chars=0,
                     check_common=True, check_sequences=True),
    }
    cases = []
    for name, kwargs in configs.items():
        validator = PasswordValidator(**kwargs)
        for pw, email, username in POLICY_PASSWORDS:
            lower = pw.lower()
            # Our common check is Django's list plus Tenxyte's (and ignores surrounding
            # whitespace); keep only passwords on which the two lists agree.
            if (lower in tenxyte_common) != (lower in ours_common or lower.strip() in ours_common):
                print(f"skipping {pw!r}: common lists disagree", file=sys.stderr)
                continue
            r = validator.validate(pw, email=email, username=username)
            cases.append({
                "policy": name,
                "password": pw,
                "email": email,
                "username": username,
                "valid": r.is_valid,
                "codes": [message_code(m) for m in r.errors],
                "score": r.score,
                "strength": r.strength,
                "compare": "all" if name == "tenxyte" else "score",
            })
    write("policy.json", {"cases": cases})


if __name__ == "__main__":
    django_cases()
    argon2_cases()
    bcrypt_cases()
    backup_code_cases()
    policy_cases()
