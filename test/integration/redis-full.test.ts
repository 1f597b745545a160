// Redis nearly full: with maxmemory and noeviction (as scripts/stack.sh runs it), a full Redis refuses
// writes, and a run accepted then could not log or finish. The API refuses new runs with a clear 503 before
// that, keeps answering everything else, and takes runs again once there is room. A Redis of this test's own,
// filled on purpose; the shared one is never touched.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { parseMemoryInfo } from '../../src/api/redis-room.js';
import { createRedis, type Redis } from '../../src/redis.js';
import { apiFetch } from '../support/api.js';
import { freePort, startTestStack, type TestStack } from '../support/stack.js';

const MAX_BYTES = 48 * 1024 * 1024;

describe('Redis nearly full', () => {
  let server: ChildProcess;
  let redis: Redis;
  let stack: TestStack;

  before(async () => {
    const port = await freePort();
    server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory', String(MAX_BYTES), '--maxmemory-policy', 'noeviction'], { stdio: 'ignore' });
    redis = createRedis(`redis://127.0.0.1:${port}`, 'redis-full-test');
    await redis.ping();
    stack = await startTestStack({ worker: false, env: { SLIPWAY_REDIS_URL: `redis://127.0.0.1:${port}` } });
  });
  after(async () => {
    await stack?.close();
    redis?.disconnect();
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server.once('exit', r));
      server.kill('SIGKILL');
      await exited;
    }
  });

  const submit = () => apiFetch(`${stack.url}/v1/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });

  /** Waits until the API's answer to a submit is `status`; the API reads Redis's memory once a second. */
  async function untilSubmitAnswers(status: number): Promise<Response> {
    for (let i = 0; ; i++) {
      const res = await submit();
      if (res.status === status) return res;
      if (i > 50) assert.fail(`POST /v1/runs kept answering ${res.status}, not ${status}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it('refuses new runs with 503 before Redis is full, and takes them again when there is room', async () => {
    // With room, a submit reaches validation (this body is not a run).
    assert.equal((await submit()).status, 400);

    const filler = 'x'.repeat(512 * 1024);
    let n = 0;
    while (parseMemoryInfo(await redis.info('memory')).used < MAX_BYTES * 0.93) await redis.set(`filler:${n++}`, filler);
    const refused = await untilSubmitAnswers(503);
    const body = (await refused.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'redis_full');
    assert.match(body.error.message, /Redis is nearly full/);
    // Everything else still answers: the runs already there can be read and followed.
    assert.equal((await apiFetch(`${stack.url}/v1/runs`)).status, 200);
    assert.equal((await fetch(`${stack.url}/v1/health`)).status, 200);

    for (let i = 0; i < n; i++) await redis.del(`filler:${i}`);
    await untilSubmitAnswers(400);
  });
});
