// Issue 17's promise with each API instance keeping token records in memory: a change made through one
// instance applies on another at the very next request. Two API instances share one Redis (one deployment);
// tokens are changed through A (or the store, as any instance would) and used on B, which has each token in
// memory before the change.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { feedConnectionName } from '../../src/auth/change-feed.js';
import { hashToken, newTokenSecret } from '../../src/auth/secret.js';
import { TokenStore } from '../../src/auth/store.js';
import { createRedis } from '../../src/redis.js';
import { SlipwayKeys } from '../../src/store/keys.js';
import { freePort, REDIS_URL, startTestStack, StackProcess, type TestStack } from '../support/stack.js';

const FEED_ON = 'token cache on';

describe('token changes reach every API instance at the next request', () => {
  let stack: TestStack;
  let secondDir: string;
  let second: StackProcess;
  let secondUrl: string;
  const redis = createRedis(REDIS_URL, 'token-cache-test');
  let store: TokenStore;

  /** GET /v1/whoami on `url` with `token`: the status and, when 200, who the API took the caller for. */
  async function whoami(url: string, token: string): Promise<{ status: number; body: any }> {
    const res = await fetch(`${url}/v1/whoami`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: await res.json() };
  }
  async function call(url: string, method: string, route: string, token: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(`${url}${route}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }
  /** A fresh token made through A, used twice on B so that B answers it from memory afterwards. */
  async function tokenKnownToB(name: string, role = 'builder'): Promise<string> {
    const made = await call(stack.url, 'POST', '/v1/tokens', stack.token, { name, role });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    for (let i = 0; i < 2; i++) assert.equal((await whoami(secondUrl, made.body.token)).status, 200);
    return made.body.token as string;
  }
  const feedOnLines = async (atLeast: number) =>
    (await second.linesMatching(`the second API's token cache on (${atLeast} times)`, (line) => line.includes(FEED_ON), atLeast, 60_000)).length;

  before(async () => {
    stack = await startTestStack({ worker: false, env: { SLIPWAY_AUTH_FAILURES_PER_MINUTE: '100000' } });
    store = new TokenStore(redis, stack.prefix);
    secondDir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-api2-'));
    const port = await freePort();
    secondUrl = `http://127.0.0.1:${port}`;
    second = new StackProcess('src/api/main.ts', [], { ...stack.env, SLIPWAY_DATA_DIR: secondDir, SLIPWAY_API_PORT: String(port) }, path.join(secondDir, 'api.log'));
    await second.lineWith('api listening', 'the second API');
    await feedOnLines(1);
  });
  after(async () => {
    await second?.stop();
    await stack?.close();
    if (secondDir) await fs.rm(secondDir, { recursive: true, force: true });
    redis.disconnect();
  });

  it('refuses a token on B at the first request after its revocation through A returned (50 fresh tokens)', async () => {
    for (let i = 0; i < 50; i++) {
      const token = await tokenKnownToB(`revoke-${i}`);
      assert.equal((await call(stack.url, 'DELETE', `/v1/tokens/revoke-${i}`, stack.token)).status, 204);
      const after = await whoami(secondUrl, token);
      assert.equal(after.status, 401, `token ${i} still accepted on B after its revocation: ${JSON.stringify(after.body)}`);
      assert.match(after.body.error.message, /not valid/);
    }
  });

  it('applies a change of role, scopes and expiry on B at once', async () => {
    const token = await tokenKnownToB('changing', 'builder');
    assert.equal((await call(secondUrl, 'GET', '/v1/tokens', token)).status, 403);

    assert.ok(await store.update('changing', { role: 'admin' }));
    assert.equal((await call(secondUrl, 'GET', '/v1/tokens', token)).status, 200);

    assert.ok(await store.update('changing', { role: 'reader', repositories: ['team-a/*'] }));
    const seen = await whoami(secondUrl, token);
    assert.deepEqual([seen.body.role, seen.body.repositories], ['reader', ['team-a/*']]);
    assert.equal((await call(secondUrl, 'GET', '/v1/tokens', token)).status, 403);

    assert.ok(await store.update('changing', { expiresAt: new Date(Date.now() - 1000).toISOString() }));
    const expired = await whoami(secondUrl, token);
    assert.equal(expired.status, 401);
    assert.match(expired.body.error.message, /expired/);
  });

  it('still refuses a revoked token on B while B cannot hear token changes (its subscriber killed)', async () => {
    const admin = createRedis(REDIS_URL, 'token-cache-test-admin');
    try {
      for (let i = 0; i < 10; i++) {
        const heardBefore = await feedOnLines(1);
        const token = await tokenKnownToB(`unheard-${i}`);
        const listed = (await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string;
        const line = listed.split('\n').find((l) => l.includes(` name=${feedConnectionName(second.child.pid)} `));
        assert.ok(line, `B's subscriber connection is not in CLIENT LIST:\n${listed}`);
        const id = /^id=(\d+) /.exec(line)?.[1];
        assert.equal(await admin.client('KILL', 'ID', id!), 1);
        assert.equal((await call(stack.url, 'DELETE', `/v1/tokens/unheard-${i}`, stack.token)).status, 204);
        const after = await whoami(secondUrl, token);
        assert.equal(after.status, 401, `token ${i} still accepted on B after its revocation while B's subscriber was down: ${JSON.stringify(after.body)}`);
        // B subscribes again by itself; the next round starts from a B that hears changes.
        await feedOnLines(heardBefore + 1);
      }
    } finally {
      admin.disconnect();
    }
  });

  it('refuses a token B keeps in memory once its expiry passes, with nothing written to Redis', async () => {
    const token = newTokenSecret();
    const expiresAt = new Date(Date.now() + 2000);
    assert.ok(await store.create({ name: 'short-lived', role: 'reader', repositories: [], tasks: [], createdAt: new Date().toISOString(), expiresAt: expiresAt.toISOString(), hash: hashToken(token) }));
    for (let i = 0; i < 2; i++) assert.equal((await whoami(secondUrl, token)).status, 200);
    // The event waited on is the clock passing the expiry; nothing else happens meanwhile.
    await sleep(expiresAt.getTime() - Date.now() + 50);
    const expired = await whoami(secondUrl, token);
    assert.equal(expired.status, 401);
    assert.match(expired.body.error.message, /expired/);
    assert.ok(await redis.exists(new SlipwayKeys(stack.prefix).tokenByHash(hashToken(token))), 'the record is still in Redis: the expiry alone refused it');
  });
});
