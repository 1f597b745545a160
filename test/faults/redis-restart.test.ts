// Redis killed (SIGKILL) under a queue of 20 runs and a running build, down for 5 s, started again from its
// append-only file: the API answers 503 within a second while it is down (or frozen) instead of hanging, a cancel sent
// as the workers reconnect still stops the running build, and every accepted run is there afterwards and
// ends. (appendfsync everysec: Redis writes each command to the file before it answers, so killing the
// process loses nothing acknowledged; only a crash of the machine loses up to the last second.)
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiFetch, getRun, uploadContext, waitForRun, type RunBody } from '../support/api.js';
import { contextArchive } from '../support/archives.js';
import { BASE_IMAGE, startTestStack, uniqueName, type TestStack } from '../support/stack.js';
import { eventually } from './processes.js';
import { startRedis, type TestRedis } from './redis-server.js';

const TERMINAL = ['succeeded', 'failed', 'canceled', 'timeout', 'error'];

describe('a Redis restart', () => {
  let redis: TestRedis;
  let stack: TestStack;
  before(async () => {
    redis = await startRedis();
    stack = await startTestStack({ env: { SLIPWAY_REDIS_URL: redis.url, SLIPWAY_WORKER_CONCURRENCY: '6' } });
  });
  after(async () => {
    await stack?.close();
    await redis?.close();
  });

  const submitRun = async (context: string, dockerfile: string) => {
    const res = await apiFetch(`${stack.url}/v1/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': uniqueName('k') },
      body: JSON.stringify({ context, dockerfile, noPush: true }),
    });
    const text = await res.text();
    assert.equal(res.status, 202, text);
    return (JSON.parse(text) as RunBody).id;
  };
  /** Time to an answer, and the answer. */
  const timed = async (url: string, init?: RequestInit) => {
    const start = Date.now();
    const res = await apiFetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
    return { ms: Date.now() - start, status: res.status, body: (await res.json()) as any };
  };

  it('loses no accepted run, answers 503 while down, and keeps a cancel sent during the reconnect', async () => {
    const nonce = uniqueName('r');
    const files: Record<string, string> = { 'Sleep.Dockerfile': `FROM ${BASE_IMAGE}\nRUN sleep 300 # ${nonce}\n` };
    for (let i = 0; i < 20; i++) files[`Quick${i}.Dockerfile`] = `FROM ${BASE_IMAGE}\nLABEL n="${nonce}-${i}"\n`;
    const up = await uploadContext(stack.url, await contextArchive(`FROM ${BASE_IMAGE}\n`, files));
    const sleeper = await submitRun(up.body.digest, 'Sleep.Dockerfile');
    await waitForRun(stack.url, sleeper, (r) => r.status === 'running', 60_000);
    const accepted: string[] = [];
    for (let i = 0; i < 20; i++) accepted.push(await submitRun(up.body.digest, `Quick${i}.Dockerfile`));

    // Frozen (there, but not answering: a stalled disk, a partition): 503 within a second, not a hang.
    const frozenAt = Date.now();
    process.kill(redis.pid()!, 'SIGSTOP');
    try {
      const frozen = await eventually('503 while Redis is frozen', 5_000, async () => {
        const answer = await timed(`${stack.url}/v1/runs/${accepted[0]}`);
        return answer.status === 503 ? answer : undefined;
      }, 50);
      assert.ok(Date.now() - frozenAt < 2000, `the first 503 came ${Date.now() - frozenAt} ms after the freeze (that request took ${frozen.ms} ms)`);
      const next = await timed(`${stack.url}/v1/runs/${accepted[0]}`);
      assert.equal(next.status, 503);
      assert.ok(next.ms < 1000, `answered 503 in ${next.ms} ms`);
    } finally {
      process.kill(redis.pid()!, 'SIGCONT');
    }
    await eventually('the API back after the freeze', 5_000, async () => ((await fetch(`${stack.url}/v1/health`)).ok ? true : undefined), 50);

    await redis.kill('SIGKILL');
    const read = await timed(`${stack.url}/v1/runs/${accepted[0]}`);
    const write = await timed(`${stack.url}/v1/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ context: up.body.digest }) });
    for (const answer of [read, write]) {
      assert.equal(answer.status, 503);
      assert.equal(answer.body.error.code, 'redis_unavailable');
      assert.ok(answer.ms < 1000, `answered in ${answer.ms} ms`);
    }
    // Down for 5 s, as a restart or a failover takes.
    await new Promise((r) => setTimeout(r, 5_000));
    await redis.start();

    // The cancel goes in as soon as the API answers again, while the workers may still be reconnecting.
    const canceled = await eventually('the API back', 10_000, async () => {
      const res = await apiFetch(`${stack.url}/v1/runs/${sleeper}/cancel`, { method: 'POST' });
      return res.status === 503 ? undefined : res.status;
    }, 50);
    assert.equal(canceled, 202);
    const stopped = await waitForRun(stack.url, sleeper, undefined, 30_000);
    assert.equal(stopped.status, 'canceled', stopped.error);

    const ended: RunBody[] = [];
    for (const id of accepted) ended.push(await waitForRun(stack.url, id, undefined, 120_000));
    assert.deepEqual(ended.map((r) => r.id), accepted, 'every accepted run is still there');
    assert.ok(ended.every((r) => TERMINAL.includes(r.status)));
    assert.deepEqual(ended.filter((r) => r.status !== 'succeeded').map((r) => `${r.id} ${r.status}: ${r.error}`), [], 'and built');
    assert.equal((await getRun(stack.url, accepted[19]!)).status, 'succeeded');
  });
});
