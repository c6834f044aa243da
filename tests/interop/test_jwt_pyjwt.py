"""JWTs against PyJWT, in both directions, through `tenxyte jwt`.

1. PyJWT signs (keys made by `cryptography`, handed to us as a JWKS) and
   `tenxyte jwt verify --jsonl` accepts, with the same header and claims PyJWT decodes.
2. `tenxyte keys generate` + `tenxyte jwt sign` produce tokens PyJWT verifies with the
   JWKS (or `oct` JWK) we print; our private PEMs load in `cryptography`.
3. Tokens PyJWT rejects (expired, not yet valid, wrong audience/issuer/key/algorithm,
   tampered) are rejected by us with the specific error code.
4. The documented policy differences (security.md §3): inputs PyJWT accepts and we
   refuse on purpose, each with its code.
"""

import base64
import hashlib
import hmac
import json
import os
import time
import uuid
import warnings

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, HMACAlgorithm, OKPAlgorithm, RSAAlgorithm

ALGS = ["HS256", "HS384", "HS512", "RS256", "PS256", "ES256", "ES384", "EdDSA"]
VERIFY = "jwt verify"
ISS = "https://issuer.example"
AUD = "api"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def now() -> int:
    return int(time.time())


class PyKey:
    """A signing key made by `cryptography`, with the public JWKS PyJWT derives."""

    def __init__(self, alg, kid):
        self.alg, self.kid = alg, kid
        if alg.startswith("HS"):
            self.private = os.urandom(int(alg[2:]) // 8)
            jwk = HMACAlgorithm.to_jwk(self.private, as_dict=True)
        elif alg in ("RS256", "PS256"):
            self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            jwk = RSAAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        elif alg in ("ES256", "ES384"):
            curve = ec.SECP256R1() if alg == "ES256" else ec.SECP384R1()
            self.private = ec.generate_private_key(curve)
            jwk = ECAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        else:
            self.private = ed25519.Ed25519PrivateKey.generate()
            jwk = OKPAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        self.jwk = {**jwk, "kid": kid}
        self.verify_key = self.private if alg.startswith("HS") else self.private.public_key()

    @property
    def jwks(self):
        return {"keys": [self.jwk]}

    def sign(self, claims, headers=None):
        return jwt.encode(claims, self.private, algorithm=self.alg,
                          headers={"kid": self.kid, **(headers or {})})


@pytest.fixture(scope="module")
def py_keys():
    return {alg: PyKey(alg, f"py-{alg.lower()}") for alg in ALGS}


def request(token, key, **options):
    """A `jwt verify --jsonl` line for `token` under `key`'s JWKS."""
    return {"token": token, "jwks": key.jwks, "algorithms": [key.alg], "now": now(), **options}


def claim_sets():
    t = now()
    return [
        {"sub": "alice", "exp": t + 600},
        {"sub": "bob", "exp": t + 3600, "iat": t - 5, "nbf": t - 5, "jti": str(uuid.uuid4())},
        {
            "sub": "ünïcødé 🐎 \"quoted\" \\ /",
            "exp": t + 60,
            "iss": ISS,
            "aud": [AUD, "web"],
            "roles": ["admin", "user"],
            "nested": {"list": [1, 2.5, None, True, False, -7], "empty": {}},
            "big": 2**53 - 1,
        },
    ]


def options_for(claims):
    opts = {}
    if "iss" in claims:
        opts["issuer"] = ISS
    if "aud" in claims:
        opts["audience"] = AUD
    return opts


# --- 1. PyJWT signs, we verify ------------------------------------------------------


@pytest.mark.parametrize("alg", ALGS)
def test_pyjwt_tokens_verify_in_tenxyte(tenxyte, py_keys, alg):
    key = py_keys[alg]
    tokens, reqs = [], []
    for claims in claim_sets():
        token = key.sign(claims, headers={"typ": "JWT"})
        tokens.append(token)
        reqs.append(request(token, key, **options_for(claims)))
    answers = tenxyte.batch(VERIFY, reqs)
    for token, claims, answer in zip(tokens, claim_sets(), answers):
        assert answer["valid"] is True, answer
        decoded = jwt.decode(token, key.verify_key, algorithms=[alg], audience=AUD, issuer=ISS,
                             options={"verify_aud": "aud" in claims, "verify_iss": "iss" in claims})
        assert answer["claims"] == decoded
        assert answer["header"] == jwt.get_unverified_header(token)
        assert answer["header"]["alg"] == alg and answer["header"]["kid"] == key.kid


@pytest.mark.parametrize("alg", ALGS)
def test_rejections_agree_with_pyjwt(tenxyte, py_keys, alg):
    """Each token here is first shown to be rejected by PyJWT with a specific exception;
    we must reject it too, with the matching code."""
    key = py_keys[alg]
    other = PyKey(alg, key.kid)  # same kid, different key material
    t = now()
    good = {"sub": "alice", "exp": t + 600, "iss": ISS, "aud": AUD}
    forged_payload = b64url(json.dumps({**good, "sub": "mallory"}).encode())
    h, _, s = key.sign(good).split(".")
    wrong_alg = {"HS256": "HS384", "HS384": "HS512", "HS512": "HS256"}.get(alg, "ES256" if alg != "ES256" else "ES384")
    cases = [
        # (label, token, PyJWT exception, our code, extra request options)
        ("expired", key.sign({**good, "exp": t - 100}), jwt.ExpiredSignatureError, "expired", {}),
        ("nbf in the future", key.sign({**good, "nbf": t + 300}), jwt.ImmatureSignatureError,
         "not_yet_valid", {}),
        ("iat in the future", key.sign({**good, "iat": t + 300}), jwt.ImmatureSignatureError,
         "not_yet_valid", {}),
        ("wrong audience", key.sign({**good, "aud": "other-api"}), jwt.InvalidAudienceError,
         "invalid_audience", {}),
        ("no audience", key.sign({k: v for k, v in good.items() if k != "aud"}),
         jwt.MissingRequiredClaimError, "missing_claim", {}),
        ("no issuer", key.sign({k: v for k, v in good.items() if k != "iss"}),
         jwt.MissingRequiredClaimError, "missing_claim", {}),
        ("wrong issuer", key.sign({**good, "iss": "https://evil.example"}), jwt.InvalidIssuerError,
         "invalid_issuer", {}),
        ("wrong key", other.sign(good), jwt.InvalidSignatureError, "invalid_signature", {}),
        ("tampered claims", f"{h}.{forged_payload}.{s}", jwt.InvalidSignatureError,
         "invalid_signature", {}),
        ("algorithm not allowed", key.sign(good), jwt.InvalidAlgorithmError, "alg_not_allowed",
         {"algorithms": [wrong_alg]}),
    ]
    answers = tenxyte.batch(VERIFY, [
        request(token, key, issuer=ISS, audience=AUD, **extra) for _, token, _, _, extra in cases
    ])
    for (label, token, exc, code, extra), answer in zip(cases, answers):
        with pytest.raises(exc):
            jwt.decode(token, key.verify_key, algorithms=extra.get("algorithms", [alg]),
                       audience=AUD, issuer=ISS)
        assert answer == {"valid": False, "code": code}, label


@pytest.mark.parametrize("alg", ["HS256", "ES256", "EdDSA"])
def test_leeway_agrees_with_pyjwt(tenxyte, py_keys, alg):
    key = py_keys[alg]
    t = now()
    expired = key.sign({"sub": "a", "exp": t - 5})
    early = key.sign({"sub": "b", "exp": t + 600, "nbf": t + 5})
    assert jwt.decode(expired, key.verify_key, algorithms=[alg], leeway=60)["sub"] == "a"
    assert jwt.decode(early, key.verify_key, algorithms=[alg], leeway=60)["sub"] == "b"
    with pytest.raises(jwt.ExpiredSignatureError):
        jwt.decode(expired, key.verify_key, algorithms=[alg], leeway=0)
    with pytest.raises(jwt.ImmatureSignatureError):
        jwt.decode(early, key.verify_key, algorithms=[alg], leeway=0)
    answers = tenxyte.batch(VERIFY, [request(expired, key, leeway=60), request(early, key, leeway=60),
                                     request(expired, key, leeway=0), request(early, key, leeway=0)])
    assert answers[0]["valid"] is True and answers[0]["claims"]["sub"] == "a"
    assert answers[1]["valid"] is True and answers[1]["claims"]["sub"] == "b"
    assert answers[2:] == [{"valid": False, "code": "expired"},
                           {"valid": False, "code": "not_yet_valid"}]


def test_attacks_both_refuse(tenxyte, py_keys):
    """`alg: none` and RS256→HS256 key confusion: PyJWT refuses, and so do we."""
    rsa_key = py_keys["RS256"]
    t = now()
    claims = {"sub": "mallory", "exp": t + 600}
    none_token = jwt.encode(claims, None, algorithm="none")
    pem = rsa_key.verify_key.public_bytes(serialization.Encoding.PEM,
                                          serialization.PublicFormat.SubjectPublicKeyInfo)
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT", "kid": rsa_key.kid}).encode())
    payload = b64url(json.dumps(claims).encode())
    sig = hmac.new(pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    confused = f"{header}.{payload}.{b64url(sig)}"
    for token in (none_token, confused):
        with pytest.raises(jwt.InvalidAlgorithmError):
            jwt.decode(token, rsa_key.verify_key, algorithms=["RS256"])
    answers = tenxyte.batch(VERIFY, [
        request(none_token, rsa_key),
        request(none_token, rsa_key, algorithms=["none"]),
        request(confused, rsa_key),
        request(confused, rsa_key, algorithms=["RS256", "HS256"]),
    ])
    assert answers[0] == {"valid": False, "code": "alg_not_allowed"}
    assert answers[1] == {"valid": False, "code": "invalid_input"}  # "none" is no algorithm
    assert answers[2] == {"valid": False, "code": "alg_not_allowed"}
    # Even when the caller allows HS256, an RSA public key never acts as an HMAC secret.
    assert answers[3] == {"valid": False, "code": "invalid_key"}


# --- 2. We sign, PyJWT verifies ------------------------------------------------------


def generate(tenxyte, tmp_path, alg, kid):
    """`tenxyte keys generate`; returns (its JSON, path of the private key file).

    A PEM carries neither `kid` nor `alg` (an RSA PEM signs RS256 unless told), so
    `jwt sign` gets both from the command line, as a deployment's config would give them.
    """
    gen = tenxyte.json("keys", "generate", "--alg", alg, "--kid", kid)
    path = tmp_path / f"{kid}.key"
    if "private_key_pem" in gen:
        path.write_text(gen["private_key_pem"])
    else:
        path.write_text(json.dumps(gen["private_jwk"]))
    return gen, path


def pyjwt_key_for(gen, kid):
    """The verification key PyJWT builds from what we print: our JWKS for asymmetric
    keys (HMAC secrets are never published), the `oct` JWK for HMAC."""
    if gen["jwks"]["keys"]:
        return jwt.PyJWKSet.from_dict(gen["jwks"])[kid]
    return jwt.PyJWK(gen["private_jwk"])


@pytest.mark.parametrize("alg", ALGS)
def test_tenxyte_tokens_verify_in_pyjwt(tenxyte, tmp_path, alg):
    kid = f"tx-{alg.lower()}"
    gen, keyfile = generate(tenxyte, tmp_path, alg, kid)
    assert gen["alg"] == alg and gen["kid"] == kid
    pykey = pyjwt_key_for(gen, kid)
    for claims in claim_sets():
        token = tenxyte.out("jwt", "sign", "--key", keyfile, "--alg", alg, "--kid", kid,
                            "--claims", json.dumps(claims))
        header = jwt.get_unverified_header(token)
        assert header["alg"] == alg and header["kid"] == kid
        decoded = jwt.decode(token, pykey, algorithms=[alg], audience=AUD, issuer=ISS,
                             options={"verify_aud": "aud" in claims,
                                      "verify_iss": "iss" in claims})
        assert decoded == claims
    token = tenxyte.out("jwt", "sign", "--key", keyfile, "--alg", alg, "--typ", "at+jwt",
                        "--kid", "other-kid",
                        "--claims", json.dumps({"sub": "x", "exp": now() + 60}))
    header = jwt.get_unverified_header(token)
    assert header["typ"] == "at+jwt" and header["kid"] == "other-kid"
    assert jwt.decode(token, pykey, algorithms=[alg])["sub"] == "x"
    # A tampered token of ours is refused by PyJWT too (the signature covers the payload).
    h, p, s = token.split(".")
    forged = f"{h}.{b64url(json.dumps({'sub': 'y', 'exp': now() + 60}).encode())}.{s}"
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(forged, pykey, algorithms=[alg])


@pytest.mark.parametrize("alg", ["RS256", "PS256", "ES256", "ES384", "EdDSA"])
def test_our_private_keys_load_in_cryptography(tenxyte, tmp_path, alg):
    """Our PKCS#8 PEM loads in `cryptography`; the public JWK we print is the one PyJWT
    derives from it; PyJWT signs with it and we verify against our own JWKS."""
    kid = f"pem-{alg.lower()}"
    gen, _ = generate(tenxyte, tmp_path, alg, kid)
    private = serialization.load_pem_private_key(gen["private_key_pem"].encode(), password=None)
    public = serialization.load_pem_public_key(gen["public_key_pem"].encode())
    algo = {"RS256": RSAAlgorithm, "PS256": RSAAlgorithm, "ES256": ECAlgorithm,
            "ES384": ECAlgorithm, "EdDSA": OKPAlgorithm}[alg]
    derived = algo.to_jwk(private.public_key(), as_dict=True)
    from_pem = algo.to_jwk(public, as_dict=True)
    ours = {k: v for k, v in gen["public_jwk"].items() if k not in ("kid", "use", "alg")}
    assert ours == {k: v for k, v in derived.items() if k not in ("key_ops",)}
    assert from_pem == derived
    if alg in ("RS256", "PS256"):
        assert private.key_size >= 2048
    token = jwt.encode({"sub": "from-pyjwt", "exp": now() + 60}, private, algorithm=alg,
                       headers={"kid": kid})
    [answer] = tenxyte.batch(VERIFY, [{"token": token, "jwks": gen["jwks"], "algorithms": [alg],
                                       "now": now()}])
    assert answer["valid"] is True and answer["claims"]["sub"] == "from-pyjwt"


# --- 4. Policy differences: PyJWT accepts, we refuse ---------------------------------


SECRET = b"k" * 32


def hs256(header: bytes, payload: bytes, secret=SECRET, pad=""):
    """A compact HS256 token over exact header/payload bytes; `pad` picks segments
    ("h", "p", "s") to give `=` padding."""
    segs = [b64url(header), b64url(payload)]
    for i, name in enumerate("hp"):
        if name in pad:
            segs[i] += "=" * (-len(segs[i]) % 4)
    signing_input = ".".join(segs).encode()
    sig = b64url(hmac.new(secret, signing_input, hashlib.sha256).digest())
    if "s" in pad:
        sig += "=" * (-len(sig) % 4)
    return f"{segs[0]}.{segs[1]}.{sig}"


HS_JWKS = {"keys": [HMACAlgorithm.to_jwk(SECRET, as_dict=True)]}
HDR = b'{"alg":"HS256","typ":"JWT"}'


def policy_cases():
    exp = now() + 600
    claims = f'{{"sub":"alice","exp":{exp}}}'.encode()
    padded_payload = claims
    while len(b64url(padded_payload)) % 4 == 0:  # make sure `=` padding is really added
        padded_payload = padded_payload[:-1] + b',"x":1}'
    big = json.dumps({"sub": "a", "exp": exp, "blob": "x" * 20000}).encode()
    return [
        # (label, token, our code, extra options, check of what PyJWT decodes)
        ("duplicate claim", hs256(HDR, f'{{"sub":"alice","sub":"mallory","exp":{exp}}}'.encode()),
         "malformed", {}, lambda c: c["sub"] == "mallory"),
        ("duplicate header member", hs256(b'{"alg":"HS256","typ":"JWT","typ":"JWT"}', claims),
         "malformed", {}, None),
        ("padded signature", hs256(HDR, claims, pad="s"), "malformed", {}, None),
        ("padded payload", hs256(HDR, padded_payload, pad="p"), "malformed", {}, None),
        ("BOM before header JSON", hs256(b"\xef\xbb\xbf" + HDR, claims), "malformed", {}, None),
        ("NaN in claims", hs256(HDR, f'{{"sub":"a","exp":{exp},"x":NaN}}'.encode()), "malformed",
         {}, lambda c: c["x"] != c["x"]),
        ("lone surrogate", hs256(HDR, f'{{"sub":"\\ud800","exp":{exp}}}'.encode()), "malformed",
         {}, lambda c: c["sub"] == "\ud800"),
        ("exp = 2^64", hs256(HDR, b'{"sub":"a","exp":18446744073709551616}'), "invalid_claim", {},
         None),
        ("missing exp", hs256(HDR, b'{"sub":"a"}'), "missing_claim", {}, None),
        ("over 16 KiB", hs256(HDR, big), "token_too_large", {}, None),
    ]


def test_policy_differences_pyjwt_accepts_we_refuse(tenxyte):
    cases = policy_cases()
    for label, token, _, _, check in cases:
        decoded = jwt.decode(token, SECRET, algorithms=["HS256"])  # PyJWT accepts
        assert check is None or check(decoded), label
    answers = tenxyte.batch(VERIFY, [
        {"token": token, "jwks": HS_JWKS, "algorithms": ["HS256"], "now": now(), **extra}
        for _, token, _, extra, _ in cases
    ])
    got = {label: a for (label, *_), a in zip(cases, answers)}
    assert got == {label: {"valid": False, "code": code} for label, _, code, _, _ in cases}


def test_policy_differences_can_be_relaxed_where_documented(tenxyte):
    """`require: []` drops the exp requirement; `max_token_bytes` raises the size cap."""
    big = json.dumps({"sub": "a", "exp": now() + 600, "blob": "x" * 20000}).encode()
    answers = tenxyte.batch(VERIFY, [
        {"token": hs256(HDR, b'{"sub":"a"}'), "jwks": HS_JWKS, "algorithms": ["HS256"],
         "require": []},
        {"token": hs256(HDR, big), "jwks": HS_JWKS, "algorithms": ["HS256"], "now": now(),
         "max_token_bytes": 65536},
    ])
    assert answers[0] == {"valid": True, "header": {"alg": "HS256", "typ": "JWT"},
                          "claims": {"sub": "a"}}
    assert answers[1]["valid"] is True and len(answers[1]["claims"]["blob"]) == 20000


def test_rsa_1024_pyjwt_accepts_we_refuse(tenxyte):
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        token = jwt.encode({"sub": "a", "exp": now() + 600}, small, algorithm="RS256")
        assert jwt.decode(token, small.public_key(), algorithms=["RS256"])["sub"] == "a"
    jwks = {"keys": [RSAAlgorithm.to_jwk(small.public_key(), as_dict=True)]}
    [answer] = tenxyte.batch(VERIFY, [{"token": token, "jwks": jwks, "algorithms": ["RS256"],
                                       "now": now()}])
    assert answer == {"valid": False, "code": "weak_key"}


def test_malformed_lines_do_not_stop_the_stream(tenxyte, py_keys):
    key = py_keys["HS256"]
    token = key.sign({"sub": "a", "exp": now() + 600})
    answers = tenxyte.batch(VERIFY, [
        request(token, key), "not json", "[1, 2]", '{"token": "x"}',
        {**request(token, key), "unknown_field": 1}, request(token, key),
    ])
    assert answers[0]["valid"] is True and answers[-1]["valid"] is True
    assert [a.get("code") for a in answers[1:-1]] == ["invalid_input"] * 4
