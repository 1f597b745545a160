// Finished-run events on real Redis: finishes published while no consumer runs are all delivered when one
// starts; two consumers of one group share the finishes, each handled exactly once; every group gets every
// finish; a finish whose handling failed is handled again.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../../src/log.js';
import { createRedis } from '../../src/redis.js';
import { FinishConsumer, finishPublisher, type FinishConsumerOptions } from '../../src/runs/finish-events.js';
import { deleteKeys, REDIS_URL } from '../support/stack.js';

const silent = createLogger('test', 'silent');
const redis = createRedis('redis://127.0.0.1:6379', 'test-finish-events');
const prefixes: string[] = [];
const consumers: FinishConsumer[] = [];
after(async () => {
  for (const c of consumers) await c.stop();
  await deleteKeys(REDIS_URL, ...prefixes);
  redis.disconnect();
});

function installation() {
  const prefix = `t-finish-${randomBytes(4).toString('hex')}`;
  prefixes.push(prefix);
  const publish = finishPublisher(redis, prefix);
  const ids = Array.from({ length: 50 }, (_, i) => `r${String(i).padStart(7, '0')}`);
  return { prefix, publish, ids };
}

/** Collects what a consumer handles; `until(n)` waits for n in all (or fails after 10 s). */
function collector() {
  const seen: string[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  return {
    seen,
    handle: (runId: string) => {
      seen.push(runId);
      for (const w of waiters) if (seen.length >= w.n) w.resolve();
    },
    until: (n: number) =>
      Promise.race([
        new Promise<void>((resolve) => (seen.length >= n ? resolve() : waiters.push({ n, resolve }))),
        sleep(10_000, undefined, { ref: false }).then(() => assert.fail(`handled ${seen.length} of ${n} finishes`)),
      ]),
  };
}

async function consumer(prefix: string, handle: (runId: string) => Promise<void> | void, opts: FinishConsumerOptions): Promise<FinishConsumer> {
  const c = new FinishConsumer(redis, prefix, async (id) => void (await handle(id)), silent, { blockMs: 200, ...opts });
  consumers.push(c);
  await c.start();
  return c;
}

describe('finished-run events', () => {
  it('delivers every finish published while no consumer ran, once one starts', async () => {
    const { prefix, publish, ids } = installation();
    for (const id of ids) await publish(id);
    const got = collector();
    await consumer(prefix, got.handle, { group: 'follow-ups' });
    await got.until(ids.length);
    assert.deepEqual(got.seen, ids);
  });

  it('shares a group\'s finishes between its consumers, each handled exactly once, and gives every group all of them', async () => {
    const { prefix, publish, ids } = installation();
    const all = collector();
    const a: string[] = [];
    const b: string[] = [];
    await consumer(prefix, (id) => void (a.push(id), all.handle(id)), { group: 'follow-ups', consumer: 'api-1' });
    await consumer(prefix, (id) => void (b.push(id), all.handle(id)), { group: 'follow-ups', consumer: 'api-2' });
    const graph = collector();
    await consumer(prefix, graph.handle, { group: 'graph' });
    // Half before a pause, half after: both consumers are then blocked reading, and share them.
    for (const id of ids.slice(0, 25)) await publish(id);
    await sleep(50);
    await Promise.all(ids.slice(25).map((id) => publish(id)));
    await all.until(ids.length);
    await graph.until(ids.length);
    await sleep(300); // a duplicate would arrive within a read or two
    assert.deepEqual([...a, ...b].sort(), ids, 'each finish handled exactly once in the group');
    assert.deepEqual([...graph.seen].sort(), ids, 'the other group got every finish too');
  });

  it('handles again a finish whose handling failed', async () => {
    const { prefix, publish } = installation();
    let tries = 0;
    const got = collector();
    await consumer(
      prefix,
      (id) => {
        if (++tries === 1) throw new Error('the graph was briefly unreachable');
        got.handle(id);
      },
      { group: 'graph', claimIdleMs: 100 },
    );
    await publish('r0000001');
    await got.until(1);
    assert.deepEqual(got.seen, ['r0000001']);
    assert.equal(tries, 2);
  });
});
