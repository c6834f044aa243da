// TOTP/HOTP against otpauth, through `tenxyte otp`.
//  - otpauth's TOTP codes verify in `tenxyte otp verify --jsonl` at the step they were
//    made for; our accept decisions equal otpauth's validate() over a grid of windows;
//  - `tenxyte otp code` equals otpauth's generate() for SHA1/SHA256/SHA512, 6/8 digits;
//  - our `otpauth://` URIs parse in otpauth to the same generator; HOTP codes verify.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as OTPAuth from 'otpauth';
import { batch, out } from './cli.mjs';

const ALGS = ['SHA1', 'SHA256', 'SHA512'];
const TIMES = [0, 59, 1111111109, 1234567890, 1700000000, 2000000000];
const VERIFY = 'otp verify';

// A small seeded generator (mulberry32): reproducible secrets and times.
let seed = 4226;
function rand() {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const randInt = (lo, hi) => lo + Math.floor(rand() * (hi - lo));
function secret(bytes = 20) {
  return new OTPAuth.Secret({ buffer: Uint8Array.from({ length: bytes }, () => randInt(0, 256)).buffer });
}

test('otpauth TOTP codes verify in tenxyte at their step, and replay is refused', () => {
  const reqs = [];
  const expected = [];
  for (const algorithm of ALGS) {
    for (const [digits, period] of [[6, 30], [8, 60], [7, 15]]) {
      const s = secret();
      const totp = new OTPAuth.TOTP({ secret: s, algorithm, digits, period });
      for (const t of [...TIMES, randInt(1e9, 4e9)]) {
        const code = totp.generate({ timestamp: t * 1000 });
        const base = { secret_base32: s.base32, algorithm, digits, period, now: t, window: 0 };
        const step = Math.floor(t / period);
        reqs.push({ ...base, code });
        expected.push({ valid: true, step });
        reqs.push({ ...base, code, last_used_step: step });
        expected.push({ valid: false, code: 'replayed' });
      }
    }
  }
  assert.deepEqual(batch(VERIFY, reqs), expected);
});

test('accept decisions equal otpauth validate() over windows', () => {
  const reqs = [];
  const theirs = [];
  for (const algorithm of ALGS) {
    const s = secret();
    const period = 30;
    const totp = new OTPAuth.TOTP({ secret: s, algorithm, period });
    const now = randInt(1e9, 2e9);
    for (let offset = -3; offset <= 3; offset++) {
      const code = totp.generate({ timestamp: (now + offset * period) * 1000 });
      for (const window of [0, 1, 2]) {
        reqs.push({ secret_base32: s.base32, algorithm, period, now, window, code });
        const delta = totp.validate({ token: code, timestamp: now * 1000, window });
        theirs.push(delta);
      }
    }
  }
  const answers = batch(VERIFY, reqs);
  for (const [i, answer] of answers.entries()) {
    assert.equal(answer.valid, theirs[i] !== null, JSON.stringify({ req: reqs[i], answer }));
    if (answer.valid) {
      // otpauth's delta is the matched step relative to now's step.
      assert.equal(answer.step - Math.floor(reqs[i].now / 30), theirs[i]);
    } else {
      assert.equal(answer.code, 'invalid_code');
    }
  }
  assert.ok(theirs.some((d) => d === null) && theirs.some((d) => d !== null));
});

test('tenxyte otp code equals otpauth generate()', () => {
  for (const algorithm of ALGS) {
    for (const digits of [6, 8]) {
      for (const period of [30, 60]) {
        const s = secret(algorithm === 'SHA1' ? 20 : algorithm === 'SHA256' ? 32 : 64);
        const totp = new OTPAuth.TOTP({ secret: s, algorithm, digits, period });
        for (const t of [59, 1234567890, randInt(1e9, 4e9)]) {
          const ours = out(['otp', 'code', '--secret', s.base32, '--algorithm', algorithm,
            '--digits', digits, '--period', period, '--now', t]);
          assert.equal(ours, totp.generate({ timestamp: t * 1000 }), `${algorithm} ${digits} ${period} ${t}`);
        }
      }
    }
  }
});

test('our otpauth:// URI parses in otpauth to the same generator', () => {
  const s = out(['otp', 'secret']);
  for (const [algorithm, digits, period] of [['SHA1', 6, 30], ['SHA256', 8, 60], ['SHA512', 7, 15]]) {
    const uri = out(['otp', 'uri', '--secret', s, '--algorithm', algorithm, '--digits', digits,
      '--period', period, '--issuer', 'ACME Co', '--account', 'alice+tag@example.com']);
    const parsed = OTPAuth.URI.parse(uri);
    assert.ok(parsed instanceof OTPAuth.TOTP);
    assert.equal(parsed.secret.base32, s);
    assert.equal(parsed.issuer, 'ACME Co');
    assert.equal(parsed.label, 'alice+tag@example.com');
    assert.equal(parsed.algorithm, algorithm);
    assert.equal(parsed.digits, digits);
    assert.equal(parsed.period, period);
    for (const t of [59, 1700000000]) {
      assert.equal(out(['otp', 'code', '--secret', s, '--algorithm', algorithm, '--digits', digits,
        '--period', period, '--now', t]), parsed.generate({ timestamp: t * 1000 }));
    }
  }
});

test('otpauth HOTP codes verify in tenxyte at their counter', () => {
  const reqs = [];
  const expected = [];
  for (const algorithm of ALGS) {
    const s = secret();
    const hotp = new OTPAuth.HOTP({ secret: s, algorithm });
    for (const counter of [0, 1, 9, randInt(1000, 1e6)]) {
      const base = { secret_base32: s.base32, algorithm, counter };
      reqs.push({ ...base, code: hotp.generate({ counter }) });
      expected.push({ valid: true, new_counter: counter + 1 });
      reqs.push({ ...base, look_ahead: 2, code: hotp.generate({ counter: counter + 2 }) });
      expected.push({ valid: true, new_counter: counter + 3 });
      reqs.push({ ...base, look_ahead: 1, code: hotp.generate({ counter: counter + 2 }) });
      expected.push({ valid: false, code: 'invalid_code' });
    }
  }
  assert.deepEqual(batch(VERIFY, reqs), expected);
});
