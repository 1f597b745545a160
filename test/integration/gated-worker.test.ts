// The worker's build slots on real Redis and BullMQ (workers/gated-worker.ts): a worker's shared queue and its
// own queue (cache affinity) share one budget, and a job of its own queue that finds the budget spent goes
// to the shared queue at once instead of waiting for the worker.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { Queue, QueueEvents, type Job } from 'bullmq';
import { moveTo } from '../../src/queue/handoff.js';
import { PlatformQueues } from '../../src/queue/platform-queues.js';
import { createRedis } from '../../src/redis.js';
import { BuildSlots, GatedWorker, HANDED_OFF } from '../../workers/gated-worker.js';
import { deleteKeys, REDIS_URL } from '../support/stack.js';

const processor = fileURLToPath(new URL('../support/sleep-processor.ts', import.meta.url));
const redis = createRedis(REDIS_URL, 'test-gated-worker');
const prefix = `t-gated-${randomBytes(4).toString('hex')}`;
const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const close of closers.reverse()) await close();
  await deleteKeys(REDIS_URL, prefix);
  redis.disconnect();
});

describe('a worker with one build slot and two queues', () => {
  it("hands a job of its own queue to the shared queue while the slot is taken, and builds it there once it is free", async () => {
    const queues = new PlatformQueues(redis, prefix);
    closers.push(() => queues.close());
    const shared = queues.named('shared');
    const own = queues.named('own');
    const eventsConnection = createRedis(REDIS_URL, 'test-gated-events');
    const events = new QueueEvents('own', { connection: eventsConnection, prefix });
    closers.push(async () => {
      await events.close();
      eventsConnection.disconnect();
    });
    await events.waitUntilReady();

    const started: string[] = [];
    let running = 0;
    let most = 0;
    let longStarted!: () => void;
    const longRunning = new Promise<void>((resolve) => (longStarted = resolve));
    let sharedWorker: GatedWorker | undefined;
    const slots = new BuildSlots(1, (free) => sharedWorker?.followSlots(free));
    const gate = {
      slots,
      started: (job: Job) => {
        started.push(job.id!);
        most = Math.max(most, ++running);
        if (job.id === 'long') longStarted();
      },
      ended: () => void running--,
    };
    const options = { connection: redis, prefix, maxStalledCount: 0 };
    const fail = (err: unknown) => assert.fail(String(err));
    sharedWorker = GatedWorker.start('shared', processor, { ...options, concurrency: 1 }, gate, fail);
    const ownWorker = GatedWorker.start('own', processor, { ...options, concurrency: 3 }, { ...gate, handOn: (job) => moveTo(queues, { to: 'shared', jobId: job.id!, name: job.name, data: job.data }) }, fail);
    closers.push(() => ownWorker.close(), () => sharedWorker!.close());

    // A long job takes the slot through the shared queue.
    await shared.add('build', { ms: 4_000 }, { jobId: 'long' });
    await longRunning;
    // A job routed to this worker meanwhile is not held: it is handed on, and waits in the shared queue.
    const handedOn = new Promise<string>((resolve) => events.on('completed', ({ jobId, returnvalue }) => jobId === 'routed' && resolve(String(returnvalue))));
    await own.add('build', { ms: 10 }, { jobId: 'routed' });
    assert.equal(await handedOn, HANDED_OFF);
    assert.equal(await shared.getJobState('routed'), 'waiting', 'in the shared queue, for any worker with a free slot');
    assert.deepEqual(started, ['long'], 'never two builds at once');

    // Once the slot is free, this worker takes it from the shared queue itself.
    assert.equal(await finished(shared, 'routed'), 'done');
    assert.deepEqual(started, ['long', 'routed']);
    assert.equal(most, 1, 'one build at a time across both queues');
  });
});

/** What a job returned, once it has (it may be removed on completion: the return value comes with the event). */
async function finished(queue: Queue, id: string): Promise<unknown> {
  const connection = createRedis(REDIS_URL, 'test-gated-events');
  const events = new QueueEvents(queue.name, { connection, prefix });
  try {
    await events.waitUntilReady();
    const job = await queue.getJob(id);
    assert.ok(job, `job ${id} in ${queue.name}`);
    return await job.waitUntilFinished(events, 120_000);
  } finally {
    await events.close();
    connection.disconnect();
  }
}
