"""Password hashes against argon2-cffi, Django and bcrypt, through `tenxyte password`.

Every hash here is made by a reference library, and for every candidate password the
expected verdict is what that library says (`argon2.PasswordHasher.verify`, Django's
`check_password`, `bcrypt.checkpw`), not a value we computed. `needs_rehash` is checked
against our documented rule and, for argon2id, against argon2-cffi's own
`check_needs_rehash` under our target parameters.

The reverse direction: `tenxyte password hash` (PHC and `--django`) output verifies in
argon2-cffi and Django (the checks of check_our_hashes.py), with the parameters we asked
for, and at the default parameters neither library asks for a rehash.
"""

import hashlib
import os
import unicodedata

import argon2
import bcrypt
import django
import pytest
from argon2.low_level import Type, hash_secret
from django.conf import settings

# Argon2 first, as a Tenxyte deployment would have it. Django "hardens the runtime" of a
# failed check when the stored hash uses the preferred hasher's algorithm with a lower
# cost (a million extra PBKDF2 rounds when PBKDF2 is preferred); argon2's hardening is a
# no-op, which keeps the many wrong-password checks below fast.
HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.BCryptPasswordHasher",
]
if not settings.configured:
    settings.configure(PASSWORD_HASHERS=HASHERS, INSTALLED_APPS=[])
    django.setup()

from django.contrib.auth import hashers as dh  # noqa: E402

import check_our_hashes  # noqa: E402  (needs Django configured first)

VERIFY = "password verify"
# Our default hashing policy (Argon2Params::default): OWASP's argon2id minimum.
TARGET = {"memory_kib": 19456, "iterations": 2, "parallelism": 1}
TARGET_CFFI = argon2.PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1,
                                    hash_len=32, salt_len=16)

PASSWORDS = [
    "correct horse battery staple",
    "pässwörd-Ünïcode é",
    "emoji 🐎🔑 key",
    "  spaces around  ",
    "a",
    "p@$$w0rd:with$dollars",
    "",
]


def candidates(pw):
    """The right password and near misses; a reference library decides which verify."""
    out = [pw, pw + "x", pw.upper(), pw[:-1], pw + "\n", " " + pw]
    nfd = unicodedata.normalize("NFD", pw)
    if nfd != pw:
        out.append(nfd)  # no normalisation: a decomposed é is another password
    return list(dict.fromkeys(out))


def run_cases(tenxyte, cases):
    """cases: (label, encoded, right password, reference check, needs_rehash, bare_bcrypt
    [, only_two]). Sends every candidate of every case in one batch and compares with the
    reference. `only_two` limits an expensive hash to the right password and one miss."""
    reqs, expected, labels = [], [], []
    for label, encoded, pw, ref_check, rehash, bare, *only_two in cases:
        assert ref_check(pw, encoded), f"{label}: the reference rejects its own hash"
        for cand in candidates(pw)[:2] if only_two else candidates(pw):
            req = {"password": cand, "encoded": encoded}
            if bare:
                req["bare_bcrypt"] = bare
            reqs.append(req)
            valid = ref_check(cand, encoded)
            expected.append({"valid": valid, "needs_rehash": rehash and valid})
            labels.append((label, cand))
    answers = tenxyte.batch(VERIFY, reqs)
    wrong = [(lab, exp, got) for lab, exp, got in zip(labels, expected, answers) if exp != got]
    assert not wrong, wrong[:5]
    return answers


# --- argon2-cffi -------------------------------------------------------------------------


def cffi_check(pw, encoded):
    try:
        return argon2.PasswordHasher().verify(encoded, pw)
    except argon2.exceptions.VerificationError:
        return False


ARGON2_PARAMS = [
    # (type, m, t, p, hash_len, salt_len)
    (Type.ID, 64, 1, 1, 32, 16),
    (Type.ID, 256, 2, 2, 32, 16),
    (Type.ID, 1024, 3, 4, 32, 16),
    (Type.ID, 128, 1, 1, 16, 16),
    (Type.ID, 128, 1, 1, 64, 16),
    (Type.ID, 128, 1, 1, 32, 8),
    (Type.I, 256, 2, 1, 32, 16),
    (Type.D, 256, 2, 1, 32, 16),
    (Type.ID, 19456, 2, 1, 32, 16),  # exactly our target: no rehash
]


def test_argon2_cffi_hashes_verify(tenxyte):
    cases = []
    for i, (typ, m, t, p, hl, sl) in enumerate(ARGON2_PARAMS):
        ph = argon2.PasswordHasher(time_cost=t, memory_cost=m, parallelism=p, hash_len=hl,
                                   salt_len=sl, type=typ)
        pw = PASSWORDS[i % len(PASSWORDS)]
        enc = ph.hash(pw)
        # Our rule equals argon2-cffi's own check under the target parameters.
        rehash = TARGET_CFFI.check_needs_rehash(enc)
        assert rehash == ((typ, m, t, p, hl, sl) != (Type.ID, 19456, 2, 1, 32, 16))
        cases.append((f"argon2-cffi {typ.name} m={m} t={t} p={p} hl={hl} sl={sl}", enc, pw,
                      cffi_check, rehash, None))
    # argon2-cffi's own defaults (RFC 9106 low-memory profile: m=64 MiB, t=3, p=4).
    cases.append(("argon2-cffi defaults", argon2.PasswordHasher().hash("defaults"), "defaults",
                  cffi_check, True, None, "only_two"))
    # Version 0x10 through the low-level API.
    enc = hash_secret(b"old version", os.urandom(16), time_cost=1, memory_cost=256,
                      parallelism=1, hash_len=32, type=Type.ID, version=16).decode()
    cases.append(("argon2-cffi v=16", enc, "old version", cffi_check, True, None))
    run_cases(tenxyte, cases)


def test_argon2_longer_salt_is_not_a_rehash_for_us(tenxyte):
    """A documented difference: argon2-cffi asks for a rehash whenever the salt length
    differs from its configured one; we only when the salt is under 16 bytes."""
    enc = argon2.PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, hash_len=32,
                                salt_len=32).hash("long salt")
    assert TARGET_CFFI.check_needs_rehash(enc)
    [answer] = tenxyte.batch(VERIFY, [{"password": "long salt", "encoded": enc}])
    assert answer == {"valid": True, "needs_rehash": False}


# --- Django make_password -----------------------------------------------------------------


class FastPBKDF2(dh.PBKDF2PasswordHasher):
    iterations = 1000


class FastPBKDF2SHA1(dh.PBKDF2SHA1PasswordHasher):
    iterations = 1000


class FastArgon2(dh.Argon2PasswordHasher):
    time_cost, memory_cost, parallelism = 1, 256, 2


class TargetArgon2(dh.Argon2PasswordHasher):
    time_cost, memory_cost, parallelism = 2, 19456, 1


class FastBCryptSHA256(dh.BCryptSHA256PasswordHasher):
    rounds = 4


class FastBCrypt(dh.BCryptPasswordHasher):
    rounds = 4


def django_check(pw, encoded):
    return dh.check_password(pw, encoded)


@pytest.mark.parametrize("hasher", [FastPBKDF2, FastPBKDF2SHA1, FastArgon2, FastBCryptSHA256,
                                    FastBCrypt])
def test_django_hashes_verify(tenxyte, hasher):
    cases = [(f"django {hasher.__name__}", dh.make_password(pw, hasher=hasher()), pw,
              django_check, True, None) for pw in PASSWORDS]
    if hasher is FastBCryptSHA256:
        long_pw = "long-" * 40  # bcrypt_sha256 takes any length without truncation
        cases.append(("django bcrypt_sha256 200 chars",
                      dh.make_password(long_pw, hasher=hasher()), long_pw, django_check, True,
                      None))
    run_cases(tenxyte, cases)


def test_django_argon2_at_target_needs_no_rehash(tenxyte):
    enc = dh.make_password("target params", hasher=TargetArgon2())
    assert enc.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    run_cases(tenxyte, [("django argon2 at target", enc, "target params", django_check, False,
                         None)])


def test_django_unusable_password_never_verifies(tenxyte):
    unusable = dh.make_password(None)
    assert not dh.is_password_usable(unusable)
    tries = PASSWORDS[:3] + [unusable, unusable[1:]]
    answers = tenxyte.batch(VERIFY, [{"password": pw, "encoded": unusable} for pw in tries])
    assert all(not dh.check_password(pw, unusable) for pw in tries)
    assert answers == [{"valid": False, "needs_rehash": False}] * len(tries)


# --- bcrypt: plain and Tenxyte's sha256-hex pre-hash ---------------------------------------


def bcrypt_check(pw, encoded):
    pw_bytes = pw.encode()
    if len(pw_bytes) > 72:
        return False  # bcrypt 5 refuses to truncate; covered by the length test below
    return bcrypt.checkpw(pw_bytes, encoded.encode())


def sha256_hex(pw):
    return hashlib.sha256(pw.encode("utf-8")).hexdigest()


def tenxyte_check(pw, encoded):
    return bcrypt.checkpw(sha256_hex(pw).encode(), encoded.encode())


def test_plain_bcrypt_verifies(tenxyte):
    cases = []
    for i, pw in enumerate(PASSWORDS):
        enc = bcrypt.hashpw(pw.encode(), bcrypt.gensalt(rounds=4 + i % 2)).decode()
        for prefix in ("$2b$", "$2a$", "$2y$"):
            cases.append((f"bcrypt {prefix}", prefix + enc[4:], pw, bcrypt_check, True, None))
    cases.append(("bcrypt gensalt(prefix=2a)",
                  bcrypt.hashpw(b"two-a", bcrypt.gensalt(rounds=4, prefix=b"2a")).decode(),
                  "two-a", bcrypt_check, True, "plain"))
    run_cases(tenxyte, cases)


def test_bcrypt_72_byte_limit_is_not_truncation(tenxyte):
    pw72 = "x" * 60 + "ünï" + "y" * 7
    assert len(pw72.encode()) == 72
    enc = bcrypt.hashpw(pw72.encode(), bcrypt.gensalt(rounds=4)).decode()
    with pytest.raises(ValueError):  # the reference refuses 73 bytes too
        bcrypt.hashpw((pw72 + "z").encode(), bcrypt.gensalt(rounds=4))
    answers = tenxyte.batch(VERIFY, [
        {"password": pw72, "encoded": enc},
        {"password": pw72[:-1], "encoded": enc},
        {"password": pw72 + "z", "encoded": enc},
        {"password": pw72 + "é", "encoded": enc},
    ])
    assert answers == [
        {"valid": True, "needs_rehash": True},
        {"valid": False, "needs_rehash": False},
        {"valid": False, "code": "password_too_long"},
        {"valid": False, "code": "password_too_long"},
    ]


def test_tenxyte_sha256_hex_bcrypt_verifies(tenxyte):
    cases = []
    for i, pw in enumerate(PASSWORDS + ["x" * 200]):
        enc = bcrypt.hashpw(sha256_hex(pw).encode(), bcrypt.gensalt(rounds=4 + i % 2)).decode()
        cases.append(("tenxyte sha256-hex bcrypt", enc, pw, tenxyte_check, True, "sha256_hex"))
    run_cases(tenxyte, cases)
    # The wrong mode never lets a password through, and the hex digest is no password.
    pw = PASSWORDS[0]
    plain = bcrypt.hashpw(pw.encode(), bcrypt.gensalt(rounds=4)).decode()
    tenx = bcrypt.hashpw(sha256_hex(pw).encode(), bcrypt.gensalt(rounds=4)).decode()
    answers = tenxyte.batch(VERIFY, [
        {"password": pw, "encoded": plain, "bare_bcrypt": "sha256_hex"},
        {"password": pw, "encoded": tenx, "bare_bcrypt": "plain"},
        {"password": pw, "encoded": tenx},
        {"password": sha256_hex(pw), "encoded": tenx, "bare_bcrypt": "sha256_hex"},
    ])
    assert answers == [{"valid": False, "needs_rehash": False}] * 4


def test_bad_stored_hashes_give_codes(tenxyte):
    # A real bcrypt row whose cost was raised to 31 (a tampered database): refused before
    # any work, not hashed for hours.
    tampered = "$2b$31$" + bcrypt.hashpw(b"x", bcrypt.gensalt(rounds=4)).decode()[7:]
    answers = tenxyte.batch(VERIFY, [
        {"password": "x", "encoded": "$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$aGFzaA"},
        {"password": "x", "encoded": "$argon2id$v=19$m=64,t=1"},
        {"password": "x", "encoded": "md5$abc$0123"},
        {"password": "x", "encoded": tampered},
        {"password": "x"},
        "password=x",
    ])
    codes = [a.get("code") for a in answers]
    assert codes == ["unsafe_hash_parameters", "invalid_hash", "unsupported_hash",
                     "unsafe_hash_parameters", "invalid_input", "invalid_input"]


# --- Our hashes in the reference libraries --------------------------------------------------


OUR_PARAMS = [(64, 1, 1), (256, 2, 2), (1024, 1, 4), (8, 3, 1)]


@pytest.mark.parametrize("django_form", [False, True], ids=["phc", "django"])
def test_our_hashes_verify_in_argon2_cffi_and_django(tenxyte, django_form):
    flag = ["--django"] if django_form else []
    for i, (m, t, p) in enumerate(OUR_PARAMS):
        pw = PASSWORDS[i % len(PASSWORDS)]
        enc = tenxyte.out("password", "hash", *flag, "--memory-kib", m, "--iterations", t,
                          "--parallelism", p, stdin=pw + "\n")
        check_our_hashes.check({"password": pw, "encoded": enc})
        params = argon2.extract_parameters(enc.removeprefix("argon2"))
        assert (params.memory_cost, params.time_cost, params.parallelism) == (m, t, p)
        assert params.salt_len >= 16
        if django_form:
            assert dh.identify_hasher(enc).algorithm == "argon2"
            assert dh.check_password(pw, enc) and not dh.check_password(pw + "x", enc)


@pytest.mark.parametrize("django_form", [False, True], ids=["phc", "django"])
def test_our_default_hashes_need_no_rehash_anywhere(tenxyte, django_form):
    """At the defaults, argon2-cffi (configured with OWASP's parameters) and Django's
    Argon2 hasher (likewise) see exactly their own parameters: no rehash."""
    flag = ["--django"] if django_form else []
    for pw in PASSWORDS[:3]:
        enc = tenxyte.out("password", "hash", *flag, stdin=pw + "\n")
        check_our_hashes.check({"password": pw, "encoded": enc})
        if django_form:
            # Django's salts are 22 characters (its own rule); Django compares the rest.
            assert not TargetArgon2().must_update(enc)
            assert FastArgon2().must_update(enc)  # and it does notice other parameters
        else:
            assert not TARGET_CFFI.check_needs_rehash(enc)
        [answer] = tenxyte.batch(VERIFY, [{"password": pw, "encoded": enc}])
        assert answer == {"valid": True, "needs_rehash": False}


def test_password_from_stdin_keeps_inner_whitespace(tenxyte):
    """Only one trailing newline is stripped from standard input."""
    for pw, other in [("  leading and trailing  ", "leading and trailing"), ("tab\there", "tab here"),
                      ("line\nbreak", "line"), ("ends in newline\n", "ends in newline")]:
        enc = tenxyte.out("password", "hash", "--memory-kib", 64, "--iterations", 1,
                          stdin=pw + "\n")
        assert cffi_check(pw, enc) and not cffi_check(other, enc)
