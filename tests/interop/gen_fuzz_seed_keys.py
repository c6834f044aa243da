"""Key material for the fuzz targets, made with pyca/cryptography.

Writes:
- fuzz/src/fixed_keys.json: the private JWKs of the fixed key set the `jwt_verify`
  target verifies against (HS256, ES256, EdDSA, RS256/PS256). Fixed on purpose: seed
  tokens are signed with them, so the fuzzer starts from tokens that verify.
- fuzz/seeds/pem_key/*.pem: one PEM per encoding `Key::from_pem` reads (PKCS#8, SPKI,
  PKCS#1, SEC1), plus an encrypted key and a certificate-like block it must refuse.
- fuzz/seeds/jwk_parse/*.json: private and public JWKs of every key type, and a JWKS.

Run from the repository root: `python3 tests/interop/gen_fuzz_seed_keys.py`.
Requires `cryptography` (tested with 48.0.0). The Ed25519 key is RFC 8037 Appendix A's.
"""

import base64
import json
import os

from cryptography.hazmat.primitives import serialization as ser
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def int_b64u(n: int) -> str:
    return b64u(n.to_bytes((n.bit_length() + 7) // 8, "big"))


def rsa_jwk(key, kid):
    pub = key.public_key().public_numbers()
    priv = key.private_numbers()
    return {
        "kty": "RSA", "kid": kid, "n": int_b64u(pub.n), "e": int_b64u(pub.e),
        "d": int_b64u(priv.d), "p": int_b64u(priv.p), "q": int_b64u(priv.q),
        "dp": int_b64u(priv.dmp1), "dq": int_b64u(priv.dmq1), "qi": int_b64u(priv.iqmp),
    }


def ec_jwk(key, kid, crv, size):
    pub = key.public_key().public_numbers()
    return {
        "kty": "EC", "kid": kid, "crv": crv,
        "x": b64u(pub.x.to_bytes(size, "big")), "y": b64u(pub.y.to_bytes(size, "big")),
        "d": b64u(key.private_numbers().private_value.to_bytes(size, "big")),
    }


def public(jwk):
    return {k: v for k, v in jwk.items() if k not in ("d", "p", "q", "dp", "dq", "qi")}


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="\n") as f:
        f.write(text)


def main():
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    p256 = ec.generate_private_key(ec.SECP256R1())
    p384 = ec.generate_private_key(ec.SECP384R1())
    ed_d = base64.urlsafe_b64decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=")
    ed = ed25519.Ed25519PrivateKey.from_private_bytes(ed_d)
    ed_jwk = {
        "kty": "OKP", "kid": "ed", "crv": "Ed25519", "d": b64u(ed_d),
        "x": b64u(ed.public_key().public_bytes(ser.Encoding.Raw, ser.PublicFormat.Raw)),
    }
    hs_jwk = {"kty": "oct", "kid": "hs", "alg": "HS256", "k": b64u(bytes(range(32)))}
    fixed = {
        "keys": [hs_jwk, ec_jwk(p256, "es", "P-256", 32), ed_jwk, rsa_jwk(rsa_key, "rs")]
    }
    write("fuzz/src/fixed_keys.json", json.dumps(fixed, indent=2) + "\n")

    pem = "fuzz/seeds/pem_key/"
    nopw = ser.NoEncryption()
    P8, TL, RAW = ser.PrivateFormat.PKCS8, ser.PrivateFormat.TraditionalOpenSSL, ser.Encoding.PEM
    spki = ser.PublicFormat.SubjectPublicKeyInfo
    for name, key in [("rsa", rsa_key), ("p256", p256), ("p384", p384), ("ed25519", ed)]:
        write(pem + f"{name}_pkcs8.pem", key.private_bytes(RAW, P8, nopw).decode())
        write(pem + f"{name}_spki.pem", key.public_key().public_bytes(RAW, spki).decode())
    write(pem + "rsa_pkcs1.pem", rsa_key.private_bytes(RAW, TL, nopw).decode())
    write(pem + "rsa_pkcs1_public.pem",
          rsa_key.public_key().public_bytes(RAW, ser.PublicFormat.PKCS1).decode())
    write(pem + "p256_sec1.pem", p256.private_bytes(RAW, TL, nopw).decode())
    write(pem + "p384_sec1.pem", p384.private_bytes(RAW, TL, nopw).decode())
    write(pem + "p256_encrypted.pem",
          p256.private_bytes(RAW, TL, ser.BestAvailableEncryption(b"pw")).decode())

    jwk = "fuzz/seeds/jwk_parse/"
    keys = fixed["keys"] + [ec_jwk(p384, "es384", "P-384", 48)]
    for k in keys:
        write(jwk + f"{k['kid']}_private.json", json.dumps(k))
        if k["kty"] != "oct":
            write(jwk + f"{k['kid']}_public.json", json.dumps(public(k)))
    write(jwk + "jwks_public.json",
          json.dumps({"keys": [public(k) for k in keys if k["kty"] != "oct"]}))
    write(jwk + "ed_verify_only.json", json.dumps({**ed_jwk, "key_ops": ["verify"]}))


if __name__ == "__main__":
    main()
