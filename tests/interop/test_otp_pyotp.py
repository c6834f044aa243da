"""TOTP/HOTP against pyotp, through `tenxyte otp`.

- `tenxyte otp code` equals pyotp's `TOTP.at()` for SHA1/SHA256/SHA512, 6/7/8 digits,
  several periods and times.
- Codes pyotp makes verify in `tenxyte otp verify --jsonl` at the step pyotp used; our
  accept/refuse decision equals `TOTP.verify(valid_window=w)` over a grid of offsets.
- Replay: a code accepted at step s is `replayed` once `last_used_step` is s.
- HOTP: pyotp's `HOTP.at(c)` verifies at counter c (and with look-ahead), never below it.
- Our secrets and `otpauth://` URIs load in pyotp and give the same codes.
"""

import base64
import hashlib
import random

import pyotp
import pytest

VERIFY = "otp verify"
DIGESTS = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}
TIMES = [0, 29, 30, 59, 1111111109, 1234567890, 1700000000, 2000000000]
rng = random.Random(6238)


def secret(n_bytes=20):
    """A seeded random base32 secret (unpadded, as authenticator apps show it), so a
    chance code collision would reproduce on every run instead of flaking."""
    return base64.b32encode(rng.randbytes(n_bytes)).decode().rstrip("=")


def pyotp_totp(secret_b32, alg, digits, period):
    return pyotp.TOTP(secret_b32, digest=DIGESTS[alg], digits=digits, interval=period)


@pytest.mark.parametrize("alg", list(DIGESTS))
@pytest.mark.parametrize("digits", [6, 7, 8])
def test_otp_code_equals_pyotp_at(tenxyte, alg, digits):
    for period in (15, 30, 60):
        s = secret(32 if alg == "SHA256" else 64 if alg == "SHA512" else 20)
        totp = pyotp_totp(s, alg, digits, period)
        for t in TIMES[:4] + [rng.randrange(10**9, 4 * 10**9)]:
            ours = tenxyte.out("otp", "code", "--secret", s, "--algorithm", alg,
                               "--digits", digits, "--period", period, "--now", t)
            assert ours == totp.at(t), (alg, digits, period, t)


def test_otp_code_defaults_are_pyotps(tenxyte):
    s = secret()
    assert tenxyte.out("otp", "code", "--secret", s, "--now", 1700000000) == \
        pyotp.TOTP(s).at(1700000000)


@pytest.mark.parametrize("alg", list(DIGESTS))
def test_pyotp_codes_verify_at_their_step(tenxyte, alg):
    reqs, expected = [], []
    for digits in (6, 8):
        for period in (30, 60):
            s = secret()
            totp = pyotp_totp(s, alg, digits, period)
            for t in TIMES + [rng.randrange(10**9, 4 * 10**9) for _ in range(3)]:
                base = {"secret_base32": s, "algorithm": alg, "digits": digits,
                        "period": period, "now": t}
                step = t // period
                reqs.append({**base, "window": 0, "code": totp.at(t)})
                expected.append({"valid": True, "step": step})
                # The same code replayed once its step is stored as last used.
                reqs.append({**base, "window": 0, "last_used_step": step, "code": totp.at(t)})
                expected.append({"valid": False, "code": "replayed"})
                # An earlier last-used step does not block it.
                if step > 0:
                    reqs.append({**base, "window": 0, "last_used_step": step - 1,
                                 "code": totp.at(t)})
                    expected.append({"valid": True, "step": step})
                # The previous step's code, inside a window of 1, matches at that step.
                if step > 0:
                    reqs.append({**base, "window": 1, "code": totp.at(t - period)})
                    expected.append({"valid": True, "step": step - 1})
    assert tenxyte.batch(VERIFY, reqs) == expected


def test_accept_decisions_equal_pyotp_verify(tenxyte):
    """Over a grid of code ages and windows, we accept exactly when pyotp's
    `TOTP.verify(code, for_time=now, valid_window=w)` does."""
    reqs, pyotp_says, labels = [], [], []
    for alg in DIGESTS:
        for period in (30, 45):
            s = secret()
            totp = pyotp_totp(s, alg, 6, period)
            now = rng.randrange(10**9, 2 * 10**9)
            for offset_steps in range(-3, 4):
                for jitter in (0, period - 1):
                    code_time = now + offset_steps * period + (jitter if offset_steps else 0)
                    code = totp.at(code_time)
                    for window in (0, 1, 2):
                        reqs.append({"secret_base32": s, "algorithm": alg, "period": period,
                                     "now": now, "window": window, "code": code})
                        pyotp_says.append(totp.verify(code, for_time=now, valid_window=window))
                        labels.append((alg, period, offset_steps, jitter, window))
    answers = tenxyte.batch(VERIFY, reqs)
    mismatches = [(lab, p, a) for lab, p, a in zip(labels, pyotp_says, answers)
                  if p != a["valid"]]
    assert not mismatches
    assert any(pyotp_says) and not all(pyotp_says)
    refused = {a["code"] for a in answers if not a["valid"]}
    assert refused == {"invalid_code"}


def test_t0_shifts_like_pyotp_time(tenxyte):
    """pyotp has no T0; our code at (now, t0) must be pyotp's at now - t0."""
    s = secret()
    totp = pyotp.TOTP(s)
    t0, now = 1_000_000, 1_700_000_000
    [answer] = tenxyte.batch(VERIFY, [{"secret_base32": s, "t0": t0, "now": now, "window": 0,
                                       "code": totp.at(now - t0)}])
    assert answer == {"valid": True, "step": (now - t0) // 30}


def test_bad_codes_and_lines(tenxyte):
    s = secret()
    code = pyotp.TOTP(s).at(1_700_000_000)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    answers = tenxyte.batch(VERIFY, [
        {"secret_base32": s, "now": 1_700_000_000, "code": wrong},
        {"secret_base32": s, "now": 1_700_000_000, "code": code[:5]},
        {"secret_base32": s, "now": 1_700_000_000, "code": "12a456"},
        {"secret_base32": "not base32!", "now": 1_700_000_000, "code": code},
        "{broken",
        {"secret_base32": s, "now": 1_700_000_000, "code": code},
    ])
    assert [a.get("code") for a in answers[:5]] == [
        "invalid_code", "invalid_format", "invalid_format", "invalid_secret", "invalid_input"]
    assert answers[5]["valid"] is True


@pytest.mark.parametrize("alg", list(DIGESTS))
def test_hotp_against_pyotp(tenxyte, alg):
    reqs, expected = [], []
    for digits in (6, 8):
        s = secret()
        hotp = pyotp.HOTP(s, digest=DIGESTS[alg], digits=digits)
        for counter in (0, 1, 7, rng.randrange(1000, 10**6), 2**32):
            base = {"secret_base32": s, "algorithm": alg, "digits": digits}
            reqs.append({**base, "counter": counter, "code": hotp.at(counter)})
            expected.append({"valid": True, "new_counter": counter + 1})
            # Look-ahead finds a code a few counters on; the new counter skips past it.
            reqs.append({**base, "counter": counter, "look_ahead": 3, "code": hotp.at(counter + 3)})
            expected.append({"valid": True, "new_counter": counter + 4})
            reqs.append({**base, "counter": counter, "look_ahead": 2, "code": hotp.at(counter + 3)})
            expected.append({"valid": False, "code": "invalid_code"})
            # A code below the stored counter was already used.
            if counter > 0:
                reqs.append({**base, "counter": counter, "look_ahead": 5,
                             "code": hotp.at(counter - 1)})
                expected.append({"valid": False, "code": "invalid_code"})
    answers = tenxyte.batch(VERIFY, reqs)
    # A 6-digit code could collide with another counter's (1 in 10^6 per pair); the
    # seeded secrets make such a collision reproducible rather than a flake.
    assert answers == expected


def test_our_secret_and_uri_load_in_pyotp(tenxyte):
    s = tenxyte.out("otp", "secret")
    assert len(pyotp.TOTP(s).byte_secret()) == 20  # 160 bits, as RFC 4226 recommends
    assert tenxyte.out("otp", "code", "--secret", s, "--now", 1234567890) == \
        pyotp.TOTP(s).at(1234567890)
    for alg, digits, period in [("SHA1", 6, 30), ("SHA256", 8, 60), ("SHA512", 7, 15)]:
        uri = tenxyte.out("otp", "uri", "--secret", s, "--algorithm", alg, "--digits", digits,
                          "--period", period, "--issuer", "ACME Co: R&D", "--account",
                          "alice+tag@example.com")
        parsed = pyotp.parse_uri(uri)
        assert isinstance(parsed, pyotp.TOTP)
        assert parsed.secret == s and parsed.issuer == "ACME Co: R&D"
        assert parsed.name == "alice+tag@example.com"
        assert parsed.digits == digits and parsed.interval == period
        assert parsed.digest().name == DIGESTS[alg]().name
        for t in (59, 1700000000):
            assert parsed.at(t) == tenxyte.out("otp", "code", "--secret", s, "--algorithm", alg,
                                               "--digits", digits, "--period", period,
                                               "--now", t)
