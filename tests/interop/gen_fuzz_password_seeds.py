"""Seed inputs for the `password_verify` fuzz target, made with the reference libraries.

Each file is one fuzz input: a byte `n`, the password (`n` bytes of UTF-8), then the
stored hash. Costs are tiny (argon2 m <= 64 KiB, PBKDF2 1000 iterations, bcrypt cost 4)
so they fit the target's limits; two seeds carry costs over the limits on purpose.

Run from the repository root with argon2-cffi 25.1.0 and bcrypt 5.0.0 installed:
`python3 tests/interop/gen_fuzz_password_seeds.py`.
"""

import base64
import hashlib
import os

import argon2
import bcrypt

OUT = "fuzz/seeds/password_verify/"
PASSWORD = "correct horse"


def django_pbkdf2(password, salt, iterations, digest):
    dk = hashlib.pbkdf2_hmac(digest, password.encode(), salt.encode(), iterations)
    return f"pbkdf2_{digest}${iterations}${salt}${base64.b64encode(dk).decode()}"


def write(name, password, encoded):
    pw = password.encode()
    assert len(pw) < 256
    os.makedirs(OUT, exist_ok=True)
    with open(OUT + name, "wb") as f:
        f.write(bytes([len(pw)]) + pw + encoded.encode())


def main():
    small = argon2.PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    argon2id = small.hash(PASSWORD)
    write("argon2id_match", PASSWORD, argon2id)
    write("argon2id_mismatch", "wrong horse", argon2id)
    argon2i = argon2.PasswordHasher(
        time_cost=2, memory_cost=32, parallelism=2, type=argon2.Type.I
    ).hash(PASSWORD)
    write("argon2i_match", PASSWORD, argon2i)
    write("django_argon2id", PASSWORD, "argon2" + argon2id)
    write("argon2id_memory_over_limit", PASSWORD, argon2id.replace("m=64,", "m=262144,"))
    write("pbkdf2_sha256", PASSWORD, django_pbkdf2(PASSWORD, "seasalt", 1000, "sha256"))
    write("pbkdf2_sha1", PASSWORD, django_pbkdf2(PASSWORD, "seasalt", 1000, "sha1"))
    write("pbkdf2_over_limit", PASSWORD, django_pbkdf2(PASSWORD, "s", 1, "sha256").replace("$1$", "$1000000$"))
    plain = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    write("bcrypt_bare", PASSWORD, plain)
    write("bcrypt_django", PASSWORD, "bcrypt$" + plain)
    hexed = hashlib.sha256(PASSWORD.encode()).hexdigest().encode()
    write("bcrypt_sha256_django", PASSWORD,
          "bcrypt_sha256$" + bcrypt.hashpw(hexed, bcrypt.gensalt(rounds=4)).decode())
    write("unusable_marker", PASSWORD, "!k3kGZ4Xq8n1WJ5")
    write("unsupported_md5", PASSWORD, "md5$salt$" + hashlib.md5(b"saltcorrect horse").hexdigest())


if __name__ == "__main__":
    main()
