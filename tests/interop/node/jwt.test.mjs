// JWTs against panva/jose, both ways, through `tenxyte jwt`.
//  - jose signs (keys from jose's generateKeyPair, handed to us as a JWKS) and
//    `tenxyte jwt verify --jsonl` accepts with the header and claims jose decodes;
//  - tokens jose rejects (expired, not yet valid, wrong audience/issuer/key/algorithm)
//    get our specific codes;
//  - `tenxyte keys generate` + `tenxyte jwt sign` tokens verify in jose's jwtVerify with
//    the JWKS we print (createLocalJWKSet), and our PKCS#8 PEMs import in jose.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webcrypto } from 'node:crypto';
import * as jose from 'jose';
import { batch, json, nowSeconds, out } from './cli.mjs';

const ALGS = ['HS256', 'RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'];
const ISS = 'https://issuer.example';
const AUD = 'api';
const VERIFY = 'jwt verify';

async function joseKey(alg, kid) {
  if (alg.startsWith('HS')) {
    const secret = webcrypto.getRandomValues(new Uint8Array(32));
    const jwk = { kty: 'oct', k: jose.base64url.encode(secret), kid };
    return { alg, kid, signKey: secret, verifyKey: secret, jwks: { keys: [jwk] } };
  }
  const { privateKey, publicKey } = await jose.generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await jose.exportJWK(publicKey)), kid };
  return { alg, kid, signKey: privateKey, verifyKey: publicKey, jwks: { keys: [jwk] } };
}

function sign(key, claims, header = {}) {
  return new jose.SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, ...header })
    .sign(key.signKey);
}

const request = (token, key, extra = {}) =>
  ({ token, jwks: key.jwks, algorithms: [key.alg], now: nowSeconds(), ...extra });

function claimSets() {
  const t = nowSeconds();
  return [
    { sub: 'alice', exp: t + 600 },
    { sub: 'bob', exp: t + 3600, iat: t - 5, nbf: t - 5, jti: webcrypto.randomUUID() },
    {
      sub: 'ünïcødé 🐎 "quoted" \\ /', exp: t + 60, iss: ISS, aud: [AUD, 'web'],
      roles: ['admin', 'user'], nested: { list: [1, 2.5, null, true, false, -7], empty: {} },
      big: Number.MAX_SAFE_INTEGER,
    },
  ];
}

const optionsFor = (c) => ({ ...('iss' in c ? { issuer: ISS } : {}), ...('aud' in c ? { audience: AUD } : {}) });

for (const alg of ALGS) {
  test(`jose ${alg} tokens verify in tenxyte`, async () => {
    const key = await joseKey(alg, `jose-${alg.toLowerCase()}`);
    const claims = claimSets();
    const tokens = await Promise.all(claims.map((c) => sign(key, c, { typ: 'JWT' })));
    const answers = batch(VERIFY, tokens.map((t, i) => request(t, key, optionsFor(claims[i]))));
    for (const [i, answer] of answers.entries()) {
      assert.equal(answer.valid, true, JSON.stringify(answer));
      const { payload, protectedHeader } = await jose.jwtVerify(tokens[i], key.verifyKey,
        { algorithms: [alg], ...optionsFor(claims[i]) });
      assert.deepEqual(answer.claims, payload);
      assert.deepEqual(answer.header, protectedHeader);
      assert.deepEqual(answer.claims, claims[i]);
    }
  });

  test(`tokens jose rejects, we reject with the matching code (${alg})`, async () => {
    const key = await joseKey(alg, `jose-${alg.toLowerCase()}`);
    const other = await joseKey(alg, key.kid); // same kid, other key material
    const t = nowSeconds();
    const good = { sub: 'alice', exp: t + 600, iss: ISS, aud: AUD };
    const wrongAlg = alg === 'ES256' ? 'ES384' : 'ES256';
    const cases = [
      // [label, token, jose error code, our code, extra request options]
      ['expired', await sign(key, { ...good, exp: t - 100 }), 'ERR_JWT_EXPIRED', 'expired'],
      ['nbf in the future', await sign(key, { ...good, nbf: t + 300 }),
        'ERR_JWT_CLAIM_VALIDATION_FAILED', 'not_yet_valid'],
      ['wrong audience', await sign(key, { ...good, aud: 'other-api' }),
        'ERR_JWT_CLAIM_VALIDATION_FAILED', 'invalid_audience'],
      ['no audience', await sign(key, { ...good, aud: undefined }),
        'ERR_JWT_CLAIM_VALIDATION_FAILED', 'missing_claim'],
      ['wrong issuer', await sign(key, { ...good, iss: 'https://evil.example' }),
        'ERR_JWT_CLAIM_VALIDATION_FAILED', 'invalid_issuer'],
      ['wrong key', await sign(other, good), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
        'invalid_signature'],
      ['algorithm not allowed', await sign(key, good), 'ERR_JOSE_ALG_NOT_ALLOWED',
        'alg_not_allowed', { algorithms: [wrongAlg] }],
    ];
    const answers = batch(VERIFY, cases.map(([, token, , , extra]) =>
      request(token, key, { issuer: ISS, audience: AUD, ...extra })));
    for (const [i, [label, token, joseCode, ourCode, extra]] of cases.entries()) {
      await assert.rejects(
        jose.jwtVerify(token, key.verifyKey, {
          algorithms: extra?.algorithms ?? [alg], issuer: ISS, audience: AUD,
          currentDate: new Date(t * 1000),
        }),
        (e) => e.code === joseCode, label);
      assert.deepEqual(answers[i], { valid: false, code: ourCode }, label);
    }
  });
}

// --- We sign, jose verifies -----------------------------------------------------------

const dir = mkdtempSync(join(tmpdir(), 'tenxyte-interop-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function generate(alg, kid) {
  const gen = json(['keys', 'generate', '--alg', alg, '--kid', kid]);
  const path = join(dir, `${kid}.key`);
  writeFileSync(path, gen.private_key_pem ?? JSON.stringify(gen.private_jwk));
  return { gen, path };
}

for (const alg of ALGS) {
  test(`tenxyte ${alg} tokens verify in jose`, async () => {
    const kid = `tx-${alg.toLowerCase()}`;
    const { gen, path } = generate(alg, kid);
    // HMAC secrets are never published: jose gets the `oct` JWK; others our JWKS.
    const keyOrSet = alg.startsWith('HS')
      ? await jose.importJWK(gen.private_jwk, alg)
      : jose.createLocalJWKSet(gen.jwks);
    assert.equal(gen.jwks.keys.length, alg.startsWith('HS') ? 0 : 1);
    for (const claims of claimSets()) {
      const token = out(['jwt', 'sign', '--key', path, '--alg', alg, '--kid', kid,
        '--claims', JSON.stringify(claims)]);
      const { payload, protectedHeader } = await jose.jwtVerify(token, keyOrSet,
        { algorithms: [alg], ...optionsFor(claims) });
      assert.deepEqual(payload, claims);
      assert.equal(protectedHeader.alg, alg);
      assert.equal(protectedHeader.kid, kid);
    }
    const token = out(['jwt', 'sign', '--key', path, '--alg', alg, '--kid', kid,
      '--typ', 'at+jwt', '--claims', JSON.stringify({ sub: 'x', exp: nowSeconds() + 60 })]);
    const { protectedHeader } = await jose.jwtVerify(token, keyOrSet,
      { algorithms: [alg], typ: 'at+jwt' });
    assert.equal(protectedHeader.typ, 'at+jwt');
    await assert.rejects(jose.jwtVerify(token, keyOrSet, { algorithms: [alg], typ: 'JWT' }),
      (e) => e.code === 'ERR_JWT_CLAIM_VALIDATION_FAILED');
  });
}

for (const alg of ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA']) {
  test(`our ${alg} PKCS#8 PEM imports in jose, which signs what we verify`, async () => {
    const kid = `pem-${alg.toLowerCase()}`;
    const { gen } = generate(alg, kid);
    const privateKey = await jose.importPKCS8(gen.private_key_pem, alg, { extractable: true });
    const publicKey = await jose.importSPKI(gen.public_key_pem, alg, { extractable: true });
    const fromPem = await jose.exportJWK(publicKey);
    const ours = Object.fromEntries(Object.entries(gen.public_jwk)
      .filter(([k]) => !['kid', 'use', 'alg'].includes(k)));
    assert.deepEqual(ours, fromPem);
    const token = await new jose.SignJWT({ sub: 'from-jose', exp: nowSeconds() + 60 })
      .setProtectedHeader({ alg, kid }).sign(privateKey);
    const [answer] = batch(VERIFY, [{ token, jwks: gen.jwks, algorithms: [alg], now: nowSeconds() }]);
    assert.equal(answer.valid, true, JSON.stringify(answer));
    assert.equal(answer.claims.sub, 'from-jose');
  });
}
