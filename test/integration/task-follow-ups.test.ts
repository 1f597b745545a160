// Task follow-ups on real Redis: a run that ended while no API instance was reading finishes still starts
// the follow-up its task deferred, once follow-ups start reading.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../../src/log.js';
import { PlatformQueues } from '../../src/queue/platform-queues.js';
import { createRedis } from '../../src/redis.js';
import { RUN_ID_PATTERN } from '../../src/runs/ids.js';
import { finishPublisher } from '../../src/runs/finish-events.js';
import { RunLog } from '../../src/runs/logs.js';
import { RunService } from '../../src/runs/service.js';
import { RunStore } from '../../src/runs/store.js';
import { TaskSlots } from '../../src/tasks/concurrency.js';
import { TaskFollowUps } from '../../src/tasks/follow-ups.js';
import { TaskService, type GitTools } from '../../src/tasks/service.js';
import { TaskStore } from '../../src/tasks/store.js';
import { Keyring } from '../../src/secrets/sealed.js';
import { deleteKeys, REDIS_URL } from '../support/stack.js';

const silent = createLogger('test', 'silent');
const redis = createRedis('redis://127.0.0.1:6379', 'test-follow-ups');
const prefixes: string[] = [];
const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const close of closers) await close();
  await deleteKeys(REDIS_URL, ...prefixes);
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
    keyring: new Keyring([Keyring.generateKey()]),
    announceFinished: finishPublisher(redis, prefix),
  });
  const slots = new TaskSlots(redis, prefix);
  const store = new TaskStore(redis, prefix, new Keyring([Keyring.generateKey()]));
  const tasks = new TaskService(store, runs, git, { defaultRegistry: '127.0.0.1:5000', defaultTimeoutSeconds: 600, maxTimeoutSeconds: 3600 }, undefined, slots);
  await tasks.create('web', { context: 'https://git.example/web.git', noPush: true });
  return { prefix, runs, slots, store, tasks };
}

describe('task follow-ups', () => {
  it('start the deferred follow-up of a run that ended while no API instance read finishes', async () => {
    const { prefix, runs, slots, tasks } = await setup();
    const first = await tasks.trigger('web', { trigger: { type: 'commit' }, commit: 'a'.repeat(40) });
    assert.ok('run' in first);
    const deferred = await tasks.trigger('web', { trigger: { type: 'commit' }, commit: 'b'.repeat(40) });
    assert.deepEqual(deferred, { deferredBehind: first.run.id });
    // Ended while nothing read the finished runs (as when every API instance was down).
    assert.equal(await runs.finish(first.run.id, ['queued'], 'failed'), true);

    const followUps = new TaskFollowUps(tasks, silent);
    closers.push(() => followUps.stop());
    await followUps.start(redis, prefix);
    // The slot passes from the ended run to the follow-up (through the trigger's claim while it is created).
    const passedOn = (h: string | undefined): h is string => h !== undefined && RUN_ID_PATTERN.test(h) && h !== first.run.id;
    let holder: string | undefined;
    for (let i = 0; i < 500 && !passedOn((holder = await slots.holder('web'))); i++) await sleep(10);
    assert.ok(passedOn(holder), `the slot still held by ${holder}`);
    const next = await runs.get(holder);
    assert.equal(next.request.git?.commit, 'b'.repeat(40));
    assert.equal(next.task, 'web');
  });
});
