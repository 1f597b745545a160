// The secret masker on what builds really print: multi-line keys line by line (each with a log prefix), the
// base64 and URL-encoded forms, halves of a secret cut at a line-length limit, and short values refused.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MIN_SECRET_LENGTH, SecretMasker, secretTooShort } from '../../src/log.js';

const PEM = `-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj
MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu
NMoSfm76oqFvAp8Gy0iz5sxjZmSnXyCdPEovGhLa0VzMaQ8s+CLOyS56YyCFGeJZ
-----END PRIVATE KEY-----`;
const TOKEN = 'tok3n/with+odd chars&=ü';

function masker(...values: string[]): SecretMasker {
  const m = new SecretMasker();
  for (const v of values) m.add(v);
  return m;
}
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

describe('SecretMasker', () => {
  const m = masker(PEM, TOKEN, 'hunter2-secret');
  const printed: [string, string][] = [
    ['the value', `token=${TOKEN}!`],
    ['each line of a PEM key, prefixed as BuildKit prints it', PEM.split('\n').map((l) => `#7 0.31 ${l}`).join('\n')],
    ['a PEM key on one line, JSON-escaped', JSON.stringify({ key: PEM })],
    ['base64', `echo ${b64(TOKEN)}`],
    ['base64 without padding', b64(TOKEN).replace(/=+$/, '')],
    ['base64 of the value and a newline (echo | base64)', b64(`${TOKEN}\n`)],
    ['base64url', b64(TOKEN).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')],
    ['a long base64, wrapped at 76 columns', (b64(PEM).match(/.{1,76}/g) ?? []).join('\n')],
    ['URL-encoded', `https://x/?t=${encodeURIComponent(TOKEN)}`],
  ];
  for (const [name, text] of printed) {
    it(`masks ${name}`, () => {
      const out = text.split('\n').map((l) => m.mask(l)).join('\n');
      for (const secret of [TOKEN, ...PEM.split('\n').slice(1, -1), encodeURIComponent(TOKEN), b64(TOKEN)]) assert.ok(!out.includes(secret), `${secret} in ${out}`);
      assert.match(out, /\*\*\*/);
    });
  }

  it('masks both halves of a secret cut at a line limit', () => {
    const line = `${'x'.repeat(100)}hunter2-secret${'y'.repeat(10)}`;
    for (const cut of [104, 107, 110]) {
      const [first, second] = [m.mask(line.slice(0, cut)), m.mask(line.slice(cut))];
      const halves = first + second;
      assert.ok(!halves.includes('hunter2'), `cut at ${cut}: ${first} | ${second}`);
      assert.ok(!/er2-se|ecret/.test(halves), `cut at ${cut}: ${first} | ${second}`);
    }
  });

  it('leaves ordinary text alone', () => {
    for (const text of ['Step 1/3 : FROM busybox', 'the hunt', 'no secrets here', '-----', 'done in 0.3 s']) assert.equal(m.mask(text), text);
  });

  it(`refuses values shorter than ${MIN_SECRET_LENGTH} characters, with a message`, () => {
    assert.match(secretTooShort('secret build arg PIN', '1234') ?? '', /^secret build arg PIN is shorter than 6 characters, too short to be masked/);
    assert.equal(secretTooShort('secret build arg PIN', '123456'), undefined);
  });
});
