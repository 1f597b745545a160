// The API's finished-run counters on real Redis: a fresh API counts the finishes from its start on, not the
// deployment's history already in the stream; and an API restarted counts what finished while it was away.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { createLogger } from '../../src/log.js';
import { ApiMetrics } from '../../src/metrics/api-metrics.js';
import { createRedis } from '../../src/redis.js';
import type { Run } from '../../src/runs/model.js';
import { finishPublisher } from '../../src/runs/finish-events.js';
import type { PlatformQueues } from '../../src/queue/platform-queues.js';
import type { WorkerRegistry } from '../../src/queue/worker-registry.js';
import { deleteKeys, REDIS_URL } from '../support/stack.js';

const silent = createLogger('test', 'silent');
const redis = createRedis(REDIS_URL, 'test-metrics-finishes');
const prefix = `t-metfin-${randomBytes(4).toString('hex')}`;
after(async () => {
  await deleteKeys(REDIS_URL, prefix);
  redis.disconnect();
});

function run(id: string): Run {
  const at = '2026-01-01T00:00:00.000Z';
  return { id, status: 'succeeded', trigger: { type: 'manual' }, platform: 'linux/amd64', platforms: ['linux/amd64'], createdAt: at, startedAt: at, finishedAt: at } as unknown as Run;
}

/** Run records that know every id, and tell when one was read. */
function records() {
  const read = new Map<string, () => void>();
  return {
    get: async (id: string) => {
      // Told once the reader has gone on with what it read: it counts in the same turn.
      const tell = read.get(id);
      if (tell) setImmediate(tell);
      return run(id);
    },
    /** Resolves once the metrics read the run `id` and counted it (they read a run to count its finish). */
    counted: (id: string) => new Promise<void>((resolve) => read.set(id, resolve)),
  };
}

async function finishedTotal(metrics: ApiMetrics): Promise<number> {
  const { values } = await metrics.registry.getSingleMetric('slipway_runs_finished_total')!.get();
  return values.reduce((sum, v) => sum + v.value, 0);
}

// Scrape-time gauges are not read here.
const sources = { queues: {} as PlatformQueues, workers: {} as WorkerRegistry, platforms: [] };

describe('finished-run counters', () => {
  const publish = finishPublisher(redis, prefix);

  it("counts from a fresh API's start, not the finishes already in the stream, and catches up after a restart", async () => {
    for (const id of ['old1', 'old2', 'old3']) await publish(id);

    const first = new ApiMetrics(sources);
    const runs = records();
    await first.start(redis, prefix, runs, silent);
    const counted = runs.counted('new1');
    await publish('new1');
    await counted;
    // Read in stream order: had the old finishes been read, they would have been counted before this one.
    assert.equal(await finishedTotal(first), 1);
    await first.stop();

    // Finished while no API ran: the group reads on from where it stopped.
    await publish('away1');
    const second = new ApiMetrics(sources);
    const again = records();
    const away = again.counted('away1');
    await second.start(redis, prefix, again, silent);
    await away;
    assert.equal(await finishedTotal(second), 1);
    await second.stop();
  });
});
