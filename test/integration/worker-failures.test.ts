// A job that fails outside the build (here: a payload the worker refuses) against a real worker: its run
// ends `error` with its log closed, and the finish is announced like any other, so task follow-ups and
// base-image rebuilds hear of it at once instead of at their next sweep.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { JobNames, platformQueueName } from '../../src/queue/jobs.js';
import { FinishConsumer } from '../../src/runs/finish-events.js';
import { createLogger } from '../../src/log.js';
import { createRedis } from '../../src/redis.js';
import { RunLog } from '../../src/runs/logs.js';
import { RunStore } from '../../src/runs/store.js';
import { startTestStack, type TestStack } from '../support/stack.js';

describe('a job that fails outside the build', () => {
  let stack: TestStack;
  const redis = createRedis('redis://127.0.0.1:6379', 'test-worker-failures');
  before(async () => {
    stack = await startTestStack();
  });
  after(async () => {
    // Deletes the stack's keys too.
    await stack?.close();
    redis.disconnect();
  });

  it('ends its run as error and announces the finish', async () => {
    const runs = new RunStore(redis, stack.prefix);
    const { id, seq } = await runs.nextId();
    await runs.create(
      {
        id,
        status: 'queued',
        platform: 'linux/amd64',
        platforms: ['linux/amd64'],
        createdAt: new Date().toISOString(),
        trigger: { type: 'manual' },
        request: { context: `sha256:${'a'.repeat(64)}`, dockerfile: 'Dockerfile', images: [], buildArgs: {}, secretBuildArgKeys: [], platform: 'linux/amd64', noPush: true, timeoutSeconds: 60 },
        outputImages: [],
      },
      seq,
    );
    let heardFinish!: (runId: string) => void;
    const announced = new Promise<string>((resolve) => (heardFinish = resolve));
    const finishes = new FinishConsumer(redis, stack.prefix, async (runId) => void (runId === id && heardFinish(runId)), createLogger('test', 'silent'), { group: 'test-worker-failures' });
    await finishes.start();
    const queue = new Queue(platformQueueName('linux/amd64'), { connection: redis, prefix: stack.prefix });
    await queue.add(JobNames.build, { runId: id }, { jobId: id, removeOnFail: true });
    await queue.close();

    const heard = await Promise.race([announced, sleep(30_000, undefined, { ref: false })]);
    await finishes.stop();
    assert.equal(heard, id, 'no finish announced for the failed job');
    const run = await runs.get(id);
    assert.equal(run?.status, 'error');
    assert.match(run?.error ?? '', /^worker error: /);
    assert.ok(run?.finishedAt);
    const last = (await new RunLog(redis, stack.prefix, 1000).read(id)).at(-1);
    assert.ok(last && 'end' in last && last.end === 'error', `the log ends with ${JSON.stringify(last)}`);
  });
});
