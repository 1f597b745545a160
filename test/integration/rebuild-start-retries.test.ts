// Starting a rebuild that meets a passing failure (the task's git host timed out or was unreachable: a 503)
// on real Redis: the start is tried again after each wait, so a host back in time costs the entry nothing
// and its task is started once; one that stays away fails the entry after the last wait, and the cap's slot
// is given back; a failure that will not pass (a 422) fails the entry at once. The seam that starts a run
// records each call instead of queuing a build.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { SlipwayError, UnavailableError } from '../../src/errors.js';
import { rebuildLock } from '../../src/graph/rebuild-lock.js';
import { BaseImageRebuilds } from '../../src/graph/rebuilds.js';
import { GraphStore } from '../../src/graph/store.js';
import { WaveStore } from '../../src/graph/wave-store.js';
import { createLogger } from '../../src/log.js';
import { createRedis } from '../../src/redis.js';
import type { Run, Trigger } from '../../src/runs/model.js';
import { deleteKeys, REDIS_URL } from '../support/stack.js';
import { eventually } from '../faults/processes.js';

const R = '127.0.0.1:5000';
const AMD = 'linux/amd64';
const img = (n: string) => `${R}/${n}:latest`;
const redis = createRedis(REDIS_URL, 'test-rebuild-start-retries');
const prefix = `t-start-retries-${randomBytes(4).toString('hex')}`;
after(async () => {
  await deleteKeys(REDIS_URL, prefix);
  redis.disconnect();
});

describe('a rebuild start that fails', () => {
  it('is tried again while the failure may pass, a bounded number of times, and the task is started once', async () => {
    const graph = new GraphStore(redis, prefix);
    const waves = new WaveStore(redis, prefix);
    const tasks = ['flaky', 'gone', 'broken'];
    for (const t of tasks) {
      await graph.record({ task: t, platforms: [AMD], bases: [{ image: img('base'), kind: 'runtime', uses: [{ platform: AMD, basePlatform: AMD, digest: 'sha256:old' }] }], outputs: [img(t)], runId: 'r0000000', updatedAt: new Date().toISOString() });
    }
    const calls = new Map<string, number>();
    const started: string[] = [];
    const startRun = async (task: string, trigger: Trigger): Promise<Run> => {
      const n = (calls.get(task) ?? 0) + 1;
      calls.set(task, n);
      if (task === 'gone' || (task === 'flaky' && n <= 2)) throw new UnavailableError(`cannot read main of http://git.example/${task}.git: the remote did not answer within 20 s`, 'git_unavailable');
      if (task === 'broken') throw new SlipwayError(422, 'git_repository_not_found', 'the repository was not found');
      started.push(task);
      return { id: `r${String(started.length).padStart(7, '0')}`, status: 'queued', platform: AMD, platforms: [AMD], createdAt: new Date().toISOString(), trigger, task, request: { dockerfile: 'Dockerfile', images: [img(task)], buildArgs: {}, secretBuildArgKeys: [], platform: AMD, noPush: false, timeoutSeconds: 60 }, outputImages: [] };
    };
    const rebuilds = new BaseImageRebuilds(graph, waves, rebuildLock(redis, prefix), async (names) => new Map(names.map((n) => [n, 'runtime' as const])), startRun, { concurrency: 5, maxPlanTasks: 100, startRetryDelaysMs: [50, 100] }, createLogger('test', 'silent'));

    const { wave } = await rebuilds.changed({ image: img('base'), platforms: { [AMD]: 'sha256:new' } }, 'manual');
    assert.ok(wave);
    const entries = await eventually('every entry dispatched or failed', 30_000, async () => {
      const all = await waves.entries(wave.id);
      return all.length === tasks.length && all.every((e) => e.state === 'dispatched' || e.state === 'failed') ? new Map(all.map((e) => [e.task, e])) : undefined;
    }, 50);

    assert.equal(entries.get('flaky')?.state, 'dispatched');
    assert.deepEqual(started, ['flaky'], 'the task whose host came back is started once');
    assert.equal(calls.get('flaky'), 3);
    assert.equal(entries.get('gone')?.state, 'failed');
    assert.equal(calls.get('gone'), 3, 'a first start and one per wait, no more');
    assert.match(entries.get('gone')?.reason ?? '', /^could not start: .*did not answer within 20 s/);
    assert.equal(entries.get('broken')?.state, 'failed');
    assert.equal(calls.get('broken'), 1, 'a failure that will not pass is not tried again');
    // Only the started run holds a place under the cap.
    assert.deepEqual((await waves.activeMembers()).map((m) => m.member), ['r0000001']);
  });
});
