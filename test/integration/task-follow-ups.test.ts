// Task follow-ups on real Redis: the periodic sweep starts the follow-up a task deferred when its run ended
// without an announcement anyone heard, and stop() waits for a sweep under way.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../../src/log.js';
import { PlatformQueues } from '../../src/queue/platform-queues.js';
import { createRedis } from '../../src/redis.js';
import { RUN_ID_PATTERN } from '../../src/runs/ids.js';
import { RunLog } from '../../src/runs/logs.js';
import { RunService } from '../../src/runs/service.js';
import { RunStore } from '../../src/runs/store.js';
import { TaskSlots } from '../../src/tasks/concurrency.js';
import { TaskFollowUps } from '../../src/tasks/follow-ups.js';
import { TaskService, type GitTools } from '../../src/tasks/service.js';
import { TaskStore } from '../../src/tasks/store.js';

const silent = createLogger('test', 'silent');
const redis = createRedis('redis://127.0.0.1:6379', 'test-follow-ups');
const prefixes: string[] = [];
const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const close of closers) await close();
  for (const prefix of prefixes) {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
  }
  redis.disconnect();
});

// Triggers here name their commit, so nothing asks a remote.
const git: GitTools = {
  parseContext: (context) => ({ url: context }),
  normaliseUrl: (url) => url,
  resolveCommit: () => Promise.reject(new Error('no remote in this test')),
};

async function setup() {
  const prefix = `t-follow-${randomBytes(4).toString('hex')}`;
  prefixes.push(prefix);
  const queues = new PlatformQueues(redis, prefix);
  closers.push(() => queues.close());
  const runs = new RunService(new RunStore(redis, prefix), new RunLog(redis, prefix, 1000), queues, {
    defaultRegistry: '127.0.0.1:5000',
    defaultTimeoutSeconds: 600,
    maxTimeoutSeconds: 3600,
    contextExists: async () => true,
  });
  const slots = new TaskSlots(redis, prefix);
  const store = new TaskStore(redis, prefix);
  const tasks = new TaskService(store, runs, git, { defaultRegistry: '127.0.0.1:5000', defaultTimeoutSeconds: 600, maxTimeoutSeconds: 3600 }, undefined, slots);
  await tasks.create('web', { context: 'https://git.example/web.git', noPush: true });
  return { prefix, runs, slots, store, tasks };
}

describe('task follow-ups', () => {
  it('the sweep starts the deferred follow-up once the run holding the slot has ended unheard', async () => {
    const { prefix, runs, slots, tasks } = await setup();
    const first = await tasks.trigger('web', { trigger: { type: 'commit' }, commit: 'a'.repeat(40) });
    assert.ok('run' in first);
    const deferred = await tasks.trigger('web', { trigger: { type: 'commit' }, commit: 'b'.repeat(40) });
    assert.deepEqual(deferred, { deferredBehind: first.run.id });
    // Ended, but not announced (as when the API that would have heard it was down).
    await runs.store.transition(first.run.id, ['queued'], { status: 'failed', finishedAt: new Date().toISOString() });

    const followUps = new TaskFollowUps(tasks, slots, silent);
    await followUps.start(redis, prefix, 10);
    // The slot passes from the ended run to the follow-up (through the trigger's claim while it is created).
    const passedOn = (h: string | undefined): h is string => h !== undefined && RUN_ID_PATTERN.test(h) && h !== first.run.id;
    let holder: string | undefined;
    for (let i = 0; i < 200 && !passedOn((holder = await slots.holder('web'))); i++) await sleep(10);
    await followUps.stop();
    assert.ok(passedOn(holder), `the slot still held by ${holder}`);
    const next = await runs.get(holder);
    assert.equal(next.request.git?.commit, 'b'.repeat(40));
    assert.equal(next.task, 'web');
  });

  it('stop() waits for the sweep under way', async () => {
    const { prefix, slots, store, tasks } = await setup();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let sweeps = 0;
    const list = store.list.bind(store);
    store.list = async () => {
      sweeps++;
      await gate;
      return list();
    };
    const followUps = new TaskFollowUps(tasks, slots, silent);
    await followUps.start(redis, prefix, 5);
    for (let i = 0; i < 200 && sweeps === 0; i++) await sleep(10);
    let stopped = false;
    const stopping = followUps.stop().then(() => (stopped = true));
    await sleep(50);
    assert.equal(stopped, false, 'stop() returned while a sweep was still reading Redis');
    assert.equal(sweeps, 1, 'no second sweep while the first is under way');
    release();
    await stopping;
  });
});
