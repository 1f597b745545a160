// Run retention on real Redis and real run records: runs that ended past the retention go with their log
// and out of every index; recent runs and runs that have not ended stay; a pass deletes at most its cap;
// a rebuild not yet settled keeps its run, and a task slot the run still holds is released with it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { WaveStore } from '../../src/graph/wave-store.js';
import { createLogger } from '../../src/log.js';
import { createRedis } from '../../src/redis.js';
import { RunLog } from '../../src/runs/logs.js';
import type { Run, RunStatus } from '../../src/runs/model.js';
import { isExpired, RunRetention, type RunRetentionOptions } from '../../src/runs/retention.js';
import { RunStore, type RunSummary } from '../../src/runs/store.js';
import { TaskSlots } from '../../src/tasks/concurrency.js';
import { deleteKeys, REDIS_URL } from '../support/stack.js';

const DAY = 24 * 3600_000;
const NOW = Date.parse('2026-06-01T12:00:00.000Z');
const RETENTION = 30 * DAY;
const ago = (ms: number, now = NOW) => new Date(now - ms).toISOString();
const silent = createLogger('test', 'silent');
const redis = createRedis('redis://127.0.0.1:6379', 'test-run-retention');
const prefixes: string[] = [];
after(async () => {
  await deleteKeys(REDIS_URL, ...prefixes);
  redis.disconnect();
});

/** A fresh installation: its own prefix, run store, logs and retention. */
function setup(opts: RunRetentionOptions = {}) {
  const prefix = `t-retention-${randomBytes(4).toString('hex')}`;
  prefixes.push(prefix);
  const runs = new RunStore(redis, prefix);
  const logs = new RunLog(redis, prefix, 1000);
  const retention = new RunRetention(runs, silent, { retentionMs: RETENTION, ...opts });
  /** Creates a run with a log; `ended` is how long ago it finished (it has not when its status is not terminal). */
  const add = async (status: RunStatus, created: number, ended?: number, extra: Partial<Run> = {}, now = NOW): Promise<string> => {
    const { id, seq } = await runs.nextId();
    const platforms = extra.platforms ?? ['linux/amd64'];
    await runs.create(
      {
        id,
        status,
        platform: platforms.join(','),
        platforms,
        createdAt: ago(created, now),
        ...(ended !== undefined ? { finishedAt: ago(ended, now) } : {}),
        trigger: { type: 'manual' },
        request: { context: `sha256:${'a'.repeat(64)}`, dockerfile: 'Dockerfile', images: [], buildArgs: {}, secretBuildArgKeys: [], platform: platforms.join(','), noPush: true, timeoutSeconds: 60 },
        outputImages: [],
        ...extra,
      },
      seq,
    );
    await logs.append(id, [`building ${id}`]);
    if (ended !== undefined) await logs.end(id, status);
    return id;
  };
  /** Every trace of a run in Redis: its keys and its entries in the indexes. */
  const traces = async (id: string, status: RunStatus, task?: string): Promise<string[]> => {
    const indexes = [`${prefix}:runs`, `${prefix}:runs:status:${status}`, ...(task ? [`${prefix}:runs:task:${task}`] : [])];
    const listed = [];
    for (const index of indexes) if ((await redis.zscore(index, id)) !== null) listed.push(index);
    return [...(await redis.keys(`${prefix}:run:${id}*`)), ...listed].sort();
  };
  return { prefix, runs, logs, retention, add, traces };
}

describe('run retention', () => {
  it('deletes runs that ended past the retention with their log, platform results and base images, from every index', async () => {
    const { runs, logs, retention, add, traces } = setup();
    const multi = await add('succeeded', 41 * DAY, 40 * DAY, { task: 'web', platforms: ['linux/amd64', 'linux/arm64'] });
    await runs.setPlatformResult(multi, { platform: 'linux/arm64', status: 'succeeded', digest: `sha256:${'b'.repeat(64)}` });
    await runs.setBaseImages(multi, 'linux/amd64', [{ image: '127.0.0.1:5000/base/busybox:latest', kind: 'runtime', platform: 'linux/amd64', basePlatform: 'linux/amd64' }]);
    const others = [await add('failed', 35 * DAY, 35 * DAY), await add('canceled', 32 * DAY, 31 * DAY), await add('timeout', 33 * DAY, 33 * DAY), await add('error', 50 * DAY, 49 * DAY)];
    const before = await traces(multi, 'succeeded', 'web');
    assert.equal(before.length, 8, `the fixture has every kind of trace: ${before.join(', ')}`);

    assert.deepEqual((await retention.sweep(NOW)).sort(), [multi, ...others].sort());

    assert.deepEqual(await traces(multi, 'succeeded', 'web'), []);
    const statuses: RunStatus[] = ['failed', 'canceled', 'timeout', 'error'];
    for (const [i, id] of others.entries()) assert.deepEqual(await traces(id, statuses[i]!), [], id);
    for (const id of [multi, ...others]) {
      assert.equal(await runs.get(id), undefined);
      assert.deepEqual(await logs.read(id), []);
    }
    assert.deepEqual(await runs.list({ top: 100 }), []);
    assert.deepEqual(await runs.list({ task: 'web', top: 100 }), []);
  });

  it('keeps runs that ended within the retention, and runs that have not ended whatever their age', async () => {
    const { runs, retention, add, traces } = setup();
    // Queued for a long time, ended lately: its age counts from its end.
    const waitedLong = await add('error', 40 * DAY, 10 * DAY, { task: 'web' });
    const queued = await add('queued', 39 * DAY);
    const running = await add('running', 38 * DAY, undefined, { startedAt: ago(38 * DAY), task: 'web' });
    // Behind a kept run in its status index, an expired run still goes.
    const expired = await add('error', 35 * DAY, 34 * DAY);
    const recent = await add('succeeded', 2 * DAY, 1 * DAY);

    assert.deepEqual(await retention.sweep(NOW), [expired]);
    assert.deepEqual(await traces(expired, 'error'), []);
    for (const id of [waitedLong, queued, running, recent]) assert.notEqual(await runs.get(id), undefined, id);
    assert.equal((await traces(running, 'running', 'web')).length, 6, 'its hash, its log (lines and byte count) and its three index entries');
    assert.deepEqual(await retention.sweep(NOW + 21 * DAY), [waitedLong], 'three weeks on, the long-queued run has passed the retention too');
    assert.deepEqual(await retention.sweep(NOW + 365 * DAY), [recent]);
    assert.deepEqual((await runs.list({ top: 10 })).map((r) => r.id).sort(), [queued, running].sort());
  });

  it('deletes at most its cap in one pass, oldest first; the next pass goes on', async () => {
    const { runs, retention, add } = setup({ perPass: 3 });
    const ids = [];
    for (let i = 0; i < 7; i++) ids.push(await add(i % 2 ? 'failed' : 'succeeded', 60 * DAY - i * DAY, 60 * DAY - i * DAY));
    const passes = [];
    for (let i = 0; i < 4; i++) passes.push(await retention.sweep(NOW));
    assert.deepEqual(passes.map((p) => p.length), [3, 3, 1, 0]);
    assert.deepEqual(passes.flat().sort(), [...ids].sort());
    // One status after another, oldest first within each.
    assert.deepEqual(passes[0], [ids[0], ids[2], ids[4]]);
    assert.deepEqual(await runs.list({ top: 10 }), []);
  });

  it('reads on past more kept runs than one batch holds', async () => {
    const { retention, add } = setup();
    for (let i = 0; i < 120; i++) await add('failed', 40 * DAY, 10 * DAY);
    const expired = await add('failed', 35 * DAY, 34 * DAY);
    assert.deepEqual(await retention.sweep(NOW), [expired]);
  });

  it('keeps a run whose rebuild is not settled, and releases a task slot the run still holds', async () => {
    const { prefix, add, traces, retention } = setup();
    const slots = new TaskSlots(redis, prefix);
    const waves = new WaveStore(redis, prefix);
    const holder = await add('succeeded', 40 * DAY, 40 * DAY, { task: 'web' });
    await slots.claim('web', 'trigger-1');
    await slots.replace('web', 'trigger-1', holder);
    // A task whose slot another (newer) run holds keeps it.
    const old = await add('failed', 40 * DAY, 40 * DAY, { task: 'api' });
    const newer = await add('running', 1 * DAY, undefined, { task: 'api' });
    await slots.claim('api', 'trigger-2');
    await slots.replace('api', 'trigger-2', newer);
    const rebuild = await add('succeeded', 40 * DAY, 40 * DAY, { task: 'base' });
    await waves.linkRun(rebuild, { wave: 'w000001', task: 'base' });

    assert.deepEqual((await retention.sweep(NOW)).sort(), [holder, old].sort());
    assert.equal(await slots.holder('web'), undefined, 'the slot of a deleted run would block the task for good');
    assert.equal(await slots.holder('api'), newer);
    assert.equal((await traces(rebuild, 'succeeded', 'base')).length, 6, 'the unsettled rebuild keeps its run whole');
    await waves.unlinkRun(rebuild, 'base');
    assert.deepEqual(await retention.sweep(NOW), [rebuild]);
  });
});

describe('isExpired', () => {
  const cutoff = NOW - RETENTION;
  const cases: [string, RunSummary, boolean][] = [
    ['succeeded before the cutoff', { id: 'r1', status: 'succeeded', createdAt: ago(41 * DAY), finishedAt: ago(40 * DAY) }, true],
    ['succeeded after the cutoff', { id: 'r1', status: 'succeeded', createdAt: ago(41 * DAY), finishedAt: ago(29 * DAY) }, false],
    ['queued for a year', { id: 'r1', status: 'queued', createdAt: ago(365 * DAY) }, false],
    ['running for a year', { id: 'r1', status: 'running', createdAt: ago(365 * DAY), finishedAt: ago(365 * DAY) }, false],
    ['ended without an end time: its creation counts', { id: 'r1', status: 'error', createdAt: ago(40 * DAY) }, true],
    ['record gone, index entry left', { id: 'r1', status: 'failed' }, true],
    ['an end time that is not a date', { id: 'r1', status: 'failed', finishedAt: 'yesterday' }, false],
  ];
  for (const [name, run, expected] of cases) it(name, () => assert.equal(isExpired(run, cutoff), expected));
});
