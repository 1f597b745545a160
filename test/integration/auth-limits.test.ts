// Failed authentication is limited per client address: past the limit the API answers 429 with Retry-After
// instead of another "bad token", while a request with a valid token still goes through.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestStack, type TestStack } from '../support/stack.js';

describe('failed authentication attempts', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack({ worker: false, env: { SLIPWAY_AUTH_FAILURES_PER_MINUTE: '3' } });
  });
  after(async () => {
    await stack?.close();
  });

  it('are answered 429 with Retry-After past the limit; a valid token still works', async () => {
    const guess = (i: number) => fetch(`${stack.url}/v1/runs`, { headers: { authorization: `Bearer slw_${String(i).padStart(43, 'x')}` } });
    for (let i = 0; i < 3; i++) assert.equal((await guess(i)).status, 401);
    const limited = await guess(3);
    assert.equal(limited.status, 429);
    assert.equal(((await limited.json()) as { error: { code: string } }).error.code, 'too_many_failures');
    const wait = Number(limited.headers.get('retry-after'));
    assert.ok(wait >= 1 && wait <= 60, `Retry-After ${wait}`);
    assert.equal((await fetch(`${stack.url}/v1/runs`)).status, 429, 'no token at all counts too');
    assert.equal((await fetch(`${stack.url}/v1/runs`, { headers: stack.authHeaders() })).status, 200);
    assert.equal((await fetch(`${stack.url}/v1/health`)).status, 200);
  });
});
