// Cache affinity's routing and hand-off on real Redis and BullMQ (the worker side, and two hosts, are in
// test/hosts/affinity.test.ts): a task's run goes to its last worker's own queue only while that worker
// publishes a free slot, and a hand-off moves a job nobody started to the shared queue without ever making
// a second job of a run a worker holds or one that ended.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Worker } from 'bullmq';
import { CacheAffinity } from '../../src/queue/affinity.js';
import { handOff, retireQueue } from '../../src/queue/handoff.js';
import { affinityQueueName, HANDOFF_QUEUE, HandoffJob, platformQueueName, type QueuedDockerfileJob } from '../../src/queue/jobs.js';
import { OwnQueues, OwnQueueSweep, RETIRE_AFTER_MS } from '../../src/queue/own-queues.js';
import { PlatformQueues } from '../../src/queue/platform-queues.js';
import { WorkerRegistry } from '../../src/queue/worker-registry.js';
import { SlipwayKeys } from '../../src/store/keys.js';
import { createRedis } from '../../src/redis.js';
import { deleteKeys, REDIS_URL } from '../support/stack.js';

const redis = createRedis(REDIS_URL, 'test-affinity');
const prefixes: string[] = [];
const closers: (() => Promise<void>)[] = [];
after(async () => {
  await Promise.all(closers.map((close) => close()));
  await deleteKeys(REDIS_URL, ...prefixes);
  redis.disconnect();
});

const PLATFORM = 'linux/amd64';
const WORKER = 'host-b/4242';

function setup() {
  const prefix = `t-affinity-${randomBytes(4).toString('hex')}`;
  prefixes.push(prefix);
  const queues = new PlatformQueues(redis, prefix, { affinityWaitMs: 60_000 });
  closers.push(() => queues.close());
  return { prefix, queues, affinity: new CacheAffinity(redis, prefix) };
}

function job(runId: string, task?: string): QueuedDockerfileJob {
  return {
    kind: 'dockerfile',
    runId,
    source: { kind: 'git', url: 'https://git.example/app.git', commit: 'a'.repeat(40) },
    ...(task ? { task } : {}),
    platform: PLATFORM,
    timeoutSeconds: 60,
    dockerfile: 'Dockerfile',
    images: [],
    buildArgs: {},
    noPush: true,
    daemonless: false,
    sealed: { kid: '0123456789abcdef', iv: 'aXY=', data: 'ZGF0YQ==' },
  };
}

/** Which queues hold a job of `runId`: the shared one, the worker's own, the hand-offs. */
async function where(queues: PlatformQueues, runId: string): Promise<string[]> {
  const names = [platformQueueName(PLATFORM), affinityQueueName(PLATFORM, WORKER), HANDOFF_QUEUE];
  const found = await Promise.all(names.map((n) => queues.named(n).getJob(runId)));
  return names.filter((_, i) => found[i]);
}

describe('cache affinity routing', () => {
  it("sends a task's run to its last worker's own queue only while that worker has a free slot", async () => {
    const { queues, affinity } = setup();
    await affinity.started('app', PLATFORM, WORKER);
    await affinity.publishSlots(WORKER, { [PLATFORM]: 1 });
    await queues.enqueue(job('r1', 'app'));
    assert.deepEqual(await where(queues, 'r1'), [affinityQueueName(PLATFORM, WORKER), HANDOFF_QUEUE]);
    const handoff = HandoffJob.parse((await queues.named(HANDOFF_QUEUE).getJob('r1'))!.data);
    assert.equal(handoff.to, platformQueueName(PLATFORM));
    assert.equal(await queues.named(HANDOFF_QUEUE).getJobState('r1'), 'delayed', 'the hand-off waits for the bound');

    await affinity.publishSlots(WORKER, { [PLATFORM]: 0 });
    await queues.enqueue(job('r2', 'app'));
    assert.deepEqual(await where(queues, 'r2'), [platformQueueName(PLATFORM)], 'busy: the shared queue');

    await affinity.forget(WORKER);
    await queues.enqueue(job('r3', 'app'));
    assert.deepEqual(await where(queues, 'r3'), [platformQueueName(PLATFORM)], 'gone: the shared queue');

    await affinity.publishSlots(WORKER, { [PLATFORM]: 1 });
    await queues.enqueue(job('r4', 'other-task'));
    await queues.enqueue(job('r5'));
    assert.deepEqual(await where(queues, 'r4'), [platformQueueName(PLATFORM)], 'a task built nowhere yet');
    assert.deepEqual(await where(queues, 'r5'), [platformQueueName(PLATFORM)], 'a run of no task');
  });

  it('cancels a queued run routed to a worker', async () => {
    const { queues, affinity } = setup();
    await affinity.started('app', PLATFORM, WORKER);
    await affinity.publishSlots(WORKER, { [PLATFORM]: 1 });
    await queues.enqueue(job('r1', 'app'));
    assert.equal(await queues.removeWaiting(PLATFORM, 'r1'), true);
    assert.deepEqual(await where(queues, 'r1'), []);
  });
});

describe('hand-off', () => {
  const handoffOf = (runId: string): HandoffJob => ({ from: affinityQueueName(PLATFORM, WORKER), to: platformQueueName(PLATFORM), jobId: runId, name: 'build', data: job(runId, 'app'), priority: 5 });
  const queued = async () => true;

  it('moves a job nobody started to the shared queue, keeping its priority, and is safe to repeat', async () => {
    const { queues } = setup();
    await queues.named(affinityQueueName(PLATFORM, WORKER)).add('build', job('r1', 'app'), { jobId: 'r1', priority: 5 });
    assert.equal(await handOff(queues, handoffOf('r1'), queued), 'moved');
    assert.deepEqual(await where(queues, 'r1'), [platformQueueName(PLATFORM)]);
    assert.equal((await queues.named(platformQueueName(PLATFORM)).getJob('r1'))!.opts.priority, 5);
    // A second try (the first one's process died after the move) adds nothing new.
    assert.equal(await handOff(queues, handoffOf('r1'), queued), 'moved');
    assert.equal(await queues.named(platformQueueName(PLATFORM)).count(), 1);
  });

  it('leaves a job its worker has started where it is', async () => {
    const { prefix, queues } = setup();
    const from = affinityQueueName(PLATFORM, WORKER);
    await queues.named(from).add('build', job('r1', 'app'), { jobId: 'r1' });
    const worker = new Worker(from, null, { connection: redis, prefix, autorun: false });
    closers.push(() => worker.close());
    const taken = await worker.getNextJob('token-1');
    assert.equal(taken?.id, 'r1');
    assert.equal(await handOff(queues, handoffOf('r1'), queued), 'started');
    assert.deepEqual(await where(queues, 'r1'), [from]);
  });

  it('adds nothing for a run that is no longer queued', async () => {
    const { queues } = setup();
    await queues.named(affinityQueueName(PLATFORM, WORKER)).add('build', job('r1', 'app'), { jobId: 'r1' });
    assert.equal(await handOff(queues, handoffOf('r1'), async () => false), 'ended');
    assert.deepEqual(await where(queues, 'r1'), []);
  });

  it("retires a stopping worker's own queue: what waits there moves to the shared queue, and its keys go", async () => {
    const { queues } = setup();
    const from = affinityQueueName(PLATFORM, WORKER);
    await queues.named(from).add('build', job('r1', 'app'), { jobId: 'r1' });
    await queues.named(from).add('build', job('r2', 'app'), { jobId: 'r2', priority: 3 });
    await retireQueue(queues, from, platformQueueName(PLATFORM), async (runId) => runId === 'r1');
    assert.deepEqual(await where(queues, 'r1'), [platformQueueName(PLATFORM)]);
    assert.deepEqual(await where(queues, 'r2'), [], 'a run no longer queued is not queued again');
    assert.equal(await redis.exists(queues.named(from).keys.meta!), 0);
  });
});

describe("the own queues of workers that died without retiring them", () => {
  const LIVE = 'host-a/1111';
  const sweepOf = (prefix: string, queues: PlatformQueues) => {
    const recorded = new OwnQueues(redis, prefix);
    const sweep = new OwnQueueSweep(recorded, new WorkerRegistry(redis, prefix), (q) => retireQueue(queues, q.queueName, platformQueueName(q.capability), async (runId) => runId === 'r1'));
    return { recorded, sweep };
  };

  it("retires a silent worker's queue: what waits there moves to the shared queue, its keys and its record go", async () => {
    const { prefix, queues } = setup();
    const { recorded, sweep } = sweepOf(prefix, queues);
    const dead = affinityQueueName(PLATFORM, WORKER);
    const live = affinityQueueName(PLATFORM, LIVE);
    await recorded.record([{ queueName: dead, worker: WORKER, capability: PLATFORM }]);
    await recorded.record([{ queueName: live, worker: LIVE, capability: PLATFORM }]);
    await queues.named(dead).add('build', job('r1', 'app'), { jobId: 'r1' });
    await queues.named(live).add('build', job('r3', 'app'), { jobId: 'r3' });
    const registry = new WorkerRegistry(redis, prefix);
    const now = Date.now();
    // The dead worker last beat longer ago than the limit; the live one just now.
    await registry.heartbeat(WORKER, [PLATFORM], now - RETIRE_AFTER_MS - 1_000);
    await registry.heartbeat(LIVE, [PLATFORM], now);

    assert.deepEqual(await sweep.sweep(now), [dead]);
    assert.deepEqual(await where(queues, 'r1'), [platformQueueName(PLATFORM)], 'the run waiting for the dead worker is queued for any worker');
    assert.equal(await redis.exists(queues.named(dead).keys.meta!), 0, "the dead worker's queue keys are gone");
    assert.ok(await queues.named(live).getJob('r3'), "a live worker's queue is left as it is");
    assert.deepEqual((await recorded.list()).map((q) => q.queueName), [live]);
    assert.deepEqual(await sweep.sweep(now), [], 'a second pass finds nothing to do');
  });

  it('leaves the queue of a worker silent for less than the limit (a stall, not a death)', async () => {
    const { prefix, queues } = setup();
    const { recorded, sweep } = sweepOf(prefix, queues);
    const own = affinityQueueName(PLATFORM, WORKER);
    await recorded.record([{ queueName: own, worker: WORKER, capability: PLATFORM }]);
    await queues.named(own).add('build', job('r1', 'app'), { jobId: 'r1' });
    const now = Date.now();
    await new WorkerRegistry(redis, prefix).heartbeat(WORKER, [PLATFORM], now - RETIRE_AFTER_MS + 5_000);
    assert.deepEqual(await sweep.sweep(now), []);
    assert.deepEqual(await where(queues, 'r1'), [own]);
  });

  it('forgets a record no worker could have written, and retires nothing for it', async () => {
    const { prefix, queues } = setup();
    const { recorded, sweep } = sweepOf(prefix, queues);
    await redis.hset(new SlipwayKeys(prefix).ownQueues, 'junk', '{"worker":', 'other', JSON.stringify({ worker: 7 }));
    assert.deepEqual(await sweep.sweep(), []);
    assert.equal(await redis.exists(new SlipwayKeys(prefix).ownQueues), 0);
    assert.deepEqual(await recorded.list(), []);
  });
});
