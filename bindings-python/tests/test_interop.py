"""Tokens and codes cross between tenxyte_core and the reference libraries both ways."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any, Callable

import jwt as pyjwt
import pyotp
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

import tenxyte_core as t
from tenxyte_core import jwt, otp
from tenxyte_core.password import Verification

NOW = 1_750_000_000
CLAIMS = {"sub": "user-42", "iss": "https://issuer.example", "exp": NOW + 600, "iat": NOW}


def pyjwt_decode(token: str, key: object, algorithm: str) -> dict[str, object]:
    decoded: dict[str, object] = pyjwt.decode(
        token,
        key,  # type: ignore[arg-type]
        algorithms=[algorithm],
        issuer="https://issuer.example",
        options={"verify_exp": False, "verify_iat": False},
    )
    return decoded


def test_hs256_both_ways() -> None:
    secret = b"s" * 32
    keys = t.KeySet.from_hmac(secret, kid="k1")
    ours = jwt.sign(CLAIMS, keys, typ="JWT")
    assert pyjwt_decode(ours, secret, "HS256") == CLAIMS
    assert pyjwt.get_unverified_header(ours) == {"alg": "HS256", "typ": "JWT", "kid": "k1"}
    theirs = pyjwt.encode(CLAIMS, secret, algorithm="HS256")
    verified = jwt.verify(
        theirs, keys, algorithms=["HS256"], now=NOW, issuer="https://issuer.example"
    )
    assert verified["claims"] == CLAIMS
    # A PyJWT token signed with another secret is refused with a precise code.
    forged = pyjwt.encode(CLAIMS, b"x" * 32, algorithm="HS256")
    with pytest.raises(t.TokenError) as e:
        jwt.verify(forged, keys, algorithms=["HS256"], now=NOW)
    assert e.value.code == "invalid_signature"


@pytest.mark.parametrize("alg", ["ES256", "ES384", "EdDSA"])
def test_generated_asymmetric_keys_verify_in_pyjwt(alg: str) -> None:
    keys, der = t.KeySet.generate(alg, kid=f"{alg}-1")
    token = jwt.sign(CLAIMS, keys)
    assert pyjwt_decode(token, keys.public_pem(), alg) == CLAIMS
    # Through the JWKS as well, the way a resource server fetches it.
    (jwk,) = keys.to_jwks()["keys"]
    assert "d" not in jwk
    assert pyjwt_decode(token, pyjwt.PyJWK(jwk).key, alg) == CLAIMS
    # The private key material loads in cryptography and signs tokens we accept.
    private = serialization.load_der_private_key(der, password=None)
    theirs = pyjwt.encode(CLAIMS, private, algorithm=alg)  # type: ignore[arg-type]
    assert jwt.verify(theirs, keys, algorithms=[alg], now=NOW)["claims"] == CLAIMS


def test_rs256_keys_from_cryptography_both_ways() -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    signing = t.KeySet.from_pem(private_pem, kid="rsa-1", algorithm="RS256")
    ours = jwt.sign(CLAIMS, signing)
    assert pyjwt_decode(ours, public_pem, "RS256") == CLAIMS
    verifying = t.KeySet.from_pem(public_pem, algorithm="RS256")
    assert not verifying.can_sign
    theirs = pyjwt.encode(CLAIMS, private_pem, algorithm="RS256")
    assert jwt.verify(theirs, verifying, algorithms=["RS256"], now=NOW)["claims"] == CLAIMS
    # PS256 under the same key is a different algorithm and must be allowed explicitly.
    pss = pyjwt.encode(CLAIMS, private_pem, algorithm="PS256")
    with pytest.raises(t.TokenError) as e:
        jwt.verify(pss, verifying, algorithms=["RS256"], now=NOW)
    assert e.value.code == "alg_not_allowed"


def test_pyjwt_jwks_loads_as_a_key_set() -> None:
    keys, _ = t.KeySet.generate("ES256", kid="e1")
    reloaded = t.KeySet.from_jwks(json.dumps(keys.to_jwks()))
    token = jwt.sign(CLAIMS, keys)
    assert jwt.verify(token, reloaded, algorithms=["ES256"], now=NOW)["claims"]["sub"] == "user-42"


def test_totp_matches_pyotp() -> None:
    secret = otp.generate_secret()
    totp = pyotp.TOTP(secret)
    for now in (59, NOW, NOW + 31, 2_000_000_000):
        assert otp.totp_code(secret, now=now) == totp.at(now)
        step = otp.totp_verify(secret, totp.at(now), now=now)
        assert step == now // 30
    # Replay protection: the same code again is refused.
    code = totp.at(NOW)
    step = otp.totp_verify(secret, code, now=NOW)
    with pytest.raises(t.OtpError) as e:
        otp.totp_verify(secret, code, now=NOW, last_used_step=step)
    assert e.value.code == "replayed"


@pytest.mark.parametrize(
    ("alg", "digest", "digits", "period"),
    [
        ("SHA1", hashlib.sha1, 6, 30),
        ("SHA256", hashlib.sha256, 8, 30),
        ("SHA512", hashlib.sha512, 8, 60),
    ],
)
def test_totp_parameters_and_uri_match_pyotp(
    alg: otp.Algorithm, digest: Callable[..., Any], digits: int, period: int
) -> None:
    secret = pyotp.random_base32()
    theirs = pyotp.TOTP(secret, digest=digest, digits=digits, interval=period)
    assert otp.totp_code(secret, now=NOW, algorithm=alg, digits=digits, period=period) == theirs.at(
        NOW
    )
    uri = otp.totp_uri(
        secret,
        issuer="Tenxyte",
        account="ada@example.com",
        algorithm=alg,
        digits=digits,
        period=period,
    )
    assert uri == theirs.provisioning_uri(name="ada@example.com", issuer_name="Tenxyte")
    parsed = otp.parse_uri(uri)
    assert (parsed["secret_base32"], parsed["digits"]) == (secret, digits)
    assert otp.qr_svg(uri).startswith("<?xml")


def test_hotp_matches_pyotp() -> None:
    secret = pyotp.random_base32()
    hotp = pyotp.HOTP(secret)
    for counter in (0, 1, 99):
        assert otp.hotp_code(secret, counter) == hotp.at(counter)
    assert otp.hotp_verify(secret, hotp.at(5), counter=3, look_ahead=2) == 6


def test_now_defaults_to_the_clock() -> None:
    secret = pyotp.random_base32()
    assert otp.totp_verify(secret, pyotp.TOTP(secret).now()) >= int(time.time()) // 30 - 1
    keys = t.KeySet.from_hmac(b"k" * 32)
    token = jwt.sign({"exp": int(time.time()) + 60}, keys)
    assert jwt.verify(token, keys, algorithms=["HS256"])["claims"]["exp"] > time.time()


# ----- argon2id: argon2-cffi, the library Django and most Python projects hash with -----


@pytest.mark.parametrize(
    ("memory_kib", "iterations", "parallelism"),
    [(19_456, 2, 1), (8_192, 3, 2), (65_536, 1, 4)],
)
def test_argon2id_hashes_cross_with_argon2_cffi_both_ways(
    memory_kib: int, iterations: int, parallelism: int
) -> None:
    import argon2

    ours = t.password.hash(
        "correct horse", memory_kib=memory_kib, iterations=iterations, parallelism=parallelism
    )
    theirs_hasher = argon2.PasswordHasher(
        time_cost=iterations, memory_cost=memory_kib, parallelism=parallelism
    )
    # argon2-cffi reads and checks what we write...
    assert theirs_hasher.verify(ours, "correct horse")
    with pytest.raises(argon2.exceptions.VerifyMismatchError):
        theirs_hasher.verify(ours, "correct horsf")
    assert not theirs_hasher.check_needs_rehash(ours)
    # ...and we read and check what it writes, with the same parameters reported current.
    theirs = theirs_hasher.hash("correct horse")

    def verify(password: str, encoded: str, *, extra_iterations: int = 0) -> Verification:
        return t.password.verify(
            password,
            encoded,
            memory_kib=memory_kib,
            iterations=iterations + extra_iterations,
            parallelism=parallelism,
        )

    good = verify("correct horse", theirs)
    assert good.valid and not good.needs_rehash
    assert not verify("correct horsf", theirs).valid
    # A hash weaker than the current policy verifies but asks for a rehash.
    assert verify("correct horse", theirs, extra_iterations=1).needs_rehash
