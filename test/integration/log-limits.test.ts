// A run that floods its log: long lines stay under the line cap, so only a byte cap keeps one run from
// filling Redis's memory. Past SLIPWAY_LOG_MAX_BYTES the log keeps one line saying so, and the run still ends
// as its steps decide, with its end event.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRedis } from '../../src/redis.js';
import { SlipwayKeys } from '../../src/store/keys.js';
import { apiFetch, runLog, submit, waitForLogLine, waitForRun } from '../support/api.js';
import { contextArchive } from '../support/archives.js';
import { REGISTRY, startTestStack, type TestStack } from '../support/stack.js';

const CAP = 256 * 1024;

describe('log limits', () => {
  const redis = createRedis(process.env.SLIPWAY_REDIS_URL ?? 'redis://127.0.0.1:6379', 'log-cap-test');
  let stack: TestStack;

  before(async () => {
    stack = await startTestStack({ env: { SLIPWAY_LOG_MAX_BYTES: String(CAP), SLIPWAY_LOG_FOLLOWERS_PER_CLIENT: '2' } });
  });
  after(async () => {
    await stack?.close();
    redis.disconnect();
  });

  it('keeps at most the cap of a flood of long lines, says so once, and the run still ends', async () => {
    // 8 MiB in lines of 8 KiB: 1,024 lines, far under the line cap, 32 times the byte cap.
    const taskFile = `version: v1.1.0\nsteps:\n  - id: flood\n    cmd: ${REGISTRY}/base/busybox:latest sh -c 'line=$(head -c 8191 /dev/zero | tr "\\\\0" x); i=0; while [ $i -lt 1024 ]; do echo "$line"; i=$((i+1)); done; echo flood-done >&2'\n`;
    const res = await submit(stack.url, await contextArchive('FROM scratch\n', { 'acb.yaml': taskFile }), { taskFile: 'acb.yaml', noPush: true });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const run = await waitForRun(stack.url, res.body.id);
    assert.equal(run.status, 'succeeded', run.error);

    const log = await runLog(stack.url, run.id);
    const notices = log.split('\n').filter((l) => l.includes('the most a run keeps (SLIPWAY_LOG_MAX_BYTES)'));
    assert.equal(notices.length, 1, 'the cap is announced once');
    assert.ok(Buffer.byteLength(log) < CAP + 16 * 1024, `the log holds ${Buffer.byteLength(log)} bytes`);
    // What Redis holds for it, as anyone reading its memory would count.
    const stored = await redis.memory('USAGE', new SlipwayKeys(stack.prefix).runLog(run.id));
    assert.ok(Number(stored) < 2 * CAP, `the log takes ${stored} bytes in Redis`);
  });

  it('one client follows at most SLIPWAY_LOG_FOLLOWERS_PER_CLIENT logs at once', async () => {
    const taskFile = `version: v1.1.0\nsteps:\n  - cmd: ${REGISTRY}/base/busybox:latest sh -c 'echo waiting; sleep 60'\n`;
    const res = await submit(stack.url, await contextArchive('FROM scratch\n', { 'acb.yaml': taskFile }), { taskFile: 'acb.yaml', noPush: true });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const id = res.body.id as string;
    await waitForLogLine(stack.url, id, /waiting/);
    const follows: AbortController[] = [];
    const follow = async () => {
      const abort = new AbortController();
      follows.push(abort);
      return apiFetch(`${stack.url}/v1/runs/${id}/logs?follow=1`, { signal: abort.signal });
    };
    try {
      assert.equal((await follow()).status, 200);
      assert.equal((await follow()).status, 200);
      const third = await follow();
      assert.equal(third.status, 429);
      assert.equal(((await third.json()) as { error: { code: string } }).error.code, 'too_many_followers');
      // One closed, one more may follow; the count is the client's live streams, not a quota used up.
      follows[0]!.abort();
      let again: Response;
      for (let i = 0; (again = await follow()).status === 429 && i < 50; i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal(again.status, 200);
    } finally {
      for (const f of follows) f.abort();
      await apiFetch(`${stack.url}/v1/runs/${id}/cancel`, { method: 'POST' });
    }
  });
});
