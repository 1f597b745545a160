// Periodic sweeps as BullMQ job schedulers on real Redis: with two API instances scheduling the same sweep,
// each pass runs on one of them, not on both; a failed pass does not stop the next; close() waits for the
// pass under way.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../../src/log.js';
import { PeriodicSweeps } from '../../src/periodic.js';
import { createRedis } from '../../src/redis.js';
import { deleteKeys, REDIS_URL } from '../support/stack.js';

const silent = createLogger('test', 'silent');
const redis = createRedis('redis://127.0.0.1:6379', 'test-periodic-sweeps');
const prefixes: string[] = [];
after(async () => {
  await deleteKeys(REDIS_URL, ...prefixes);
  redis.disconnect();
});

function prefix(): string {
  const p = `t-sweeps-${randomBytes(4).toString('hex')}`;
  prefixes.push(p);
  return p;
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await sleep(10);
  assert.ok(cond(), what);
}

describe('PeriodicSweeps', () => {
  it('runs each pass of a sweep on one instance, however many schedule it', async () => {
    const p = prefix();
    const passes: { instance: string; at: number }[] = [];
    const instances = ['api-1', 'api-2'].map((name) => ({ name, sweeps: new PeriodicSweeps(redis, p, silent) }));
    for (const { name, sweeps } of instances) {
      await sweeps.every('tick', 200, async () => void passes.push({ instance: name, at: Date.now() }));
      sweeps.start();
    }
    await until(() => passes.length >= 5, `only ${passes.length} passes`);
    for (const { sweeps } of instances) await sweeps.close();
    const times = passes.map((x) => x.at).sort((a, b) => a - b);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    // Both instances running every tick would give pairs of passes moments apart (BullMQ's timing of the
    // next pass varies by tens of milliseconds either way, never down to a few).
    assert.ok(
      gaps.every((g) => g > 40),
      `passes ${gaps.join(', ')} ms apart: some tick ran twice`,
    );
  });

  it('goes on after a failed pass', async () => {
    const sweeps = new PeriodicSweeps(redis, prefix(), silent);
    let passes = 0;
    await sweeps.every('flaky', 100, async () => {
      if (++passes === 1) throw new Error('Redis was briefly unreachable');
    });
    sweeps.start();
    await until(() => passes >= 2, 'no pass after the failed one');
    await sweeps.close();
  });

  it('close() waits for the pass under way', async () => {
    const sweeps = new PeriodicSweeps(redis, prefix(), silent);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started = false;
    await sweeps.every('slow', 60_000, async () => {
      started = true;
      await gate;
    });
    sweeps.start();
    await until(() => started, 'the first pass never came');
    let closed = false;
    const closing = sweeps.close().then(() => (closed = true));
    await sleep(100);
    assert.equal(closed, false, 'close() returned while a pass was under way');
    release();
    await closing;
    assert.equal(sweeps.close(), sweeps.close(), 'a second close() is the same promise');
  });
});
