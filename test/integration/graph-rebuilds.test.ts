// Rebuild waves on real Redis: the order runs start in, what a failed or skipped parent does to its
// children, joining a wave that has not started a task yet, the cap, and a failed rebuild that the same
// change can start again. Runs are not built here: the seam that starts one records the call, and the
// test finishes runs as a worker would (the real builds are in test/integration/base-image-rebuilds).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, beforeEach, describe, it } from 'node:test';
import { rebuildLock } from '../../src/graph/rebuild-lock.js';
import type { BaseImagePolicy } from '../../src/graph/model.js';
import { BaseImageRebuilds } from '../../src/graph/rebuilds.js';
import { GraphStore } from '../../src/graph/store.js';
import { WaveStore } from '../../src/graph/wave-store.js';
import { createLogger } from '../../src/log.js';
import { createRedis } from '../../src/redis.js';
import type { Run, RunStatus, Trigger } from '../../src/runs/model.js';
import { deleteKeys, REDIS_URL } from '../support/stack.js';
import { within } from '../support/wait.js';

const R = '127.0.0.1:5000';
const AMD = 'linux/amd64';
const img = (n: string) => `${R}/${n}:latest`;
const redis = createRedis('redis://127.0.0.1:6379', 'test-rebuilds');
const prefixes: string[] = [];
after(async () => {
  await deleteKeys(REDIS_URL, ...prefixes);
  redis.disconnect();
});

describe('BaseImageRebuilds', () => {
  let prefix: string;
  let graph: GraphStore;
  let waves: WaveStore;
  let rebuilds: BaseImageRebuilds;
  let started: { task: string; trigger: Trigger; run: Run }[];
  let policies: Map<string, BaseImagePolicy>;
  let seq: number;

  beforeEach(async () => {
    prefix = `t-rebuilds-${randomBytes(4).toString('hex')}`;
    prefixes.push(prefix);
    graph = new GraphStore(redis, prefix);
    waves = new WaveStore(redis, prefix);
    started = [];
    policies = new Map();
    seq = 0;
    rebuilds = make(2);
  });

  function make(concurrency: number): BaseImageRebuilds {
    return new BaseImageRebuilds(
      graph,
      waves,
      rebuildLock(redis, prefix),
      async (names) => new Map(names.flatMap((n) => (policies.has(n) ? [[n, policies.get(n)!] as const] : []))),
      async (task, trigger) => {
        if (!policies.has(task)) throw new Error(`no task ${task}`);
        const run = runOf(task, trigger);
        started.push({ task, trigger, run });
        return run;
      },
      { concurrency, maxPlanTasks: 10_000 },
      createLogger('test', 'silent'),
    );
  }

  function runOf(task: string, trigger: Trigger, status: RunStatus = 'queued'): Run {
    return {
      id: `r${String(++seq).padStart(7, '0')}`,
      status,
      platform: AMD,
      platforms: [AMD],
      createdAt: new Date().toISOString(),
      trigger,
      task,
      request: { dockerfile: 'Dockerfile', images: [img(task)], buildArgs: {}, secretBuildArgKeys: [], platform: AMD, noPush: false, timeoutSeconds: 60 },
      outputImages: [],
    };
  }

  /** A task built on `bases` (each at digest `old-<image>`), pushing its own image. */
  async function task(name: string, bases: string[], policy: BaseImagePolicy = 'runtime'): Promise<void> {
    policies.set(name, policy);
    await graph.record({ task: name, platforms: [AMD], bases: bases.map((b) => ({ image: img(b), kind: 'runtime' as const, uses: [{ platform: AMD, basePlatform: AMD, digest: `sha256:old-${b}` }] })), outputs: [img(name)], runId: 'r0000000', updatedAt: new Date().toISOString() });
  }

  /** Ends a started run as a worker would; a success pushes the task's image at a new digest. */
  async function finish(task: string, status: RunStatus = 'succeeded'): Promise<void> {
    const s = started.find((x) => x.task === task && x.run.status === 'queued');
    assert.ok(s, `${task} was started`);
    s.run.status = status;
    const done: Run = { ...s.run, status, finishedAt: new Date().toISOString(), outputImages: status === 'succeeded' ? [{ registry: R, repository: task, tag: 'latest', digest: `sha256:new-${task}-${s.run.id}` }] : [] };
    await rebuilds.runFinished(done);
    await settle();
  }

  /**
   * Dispatching goes on in the background after a change or a finish. Settled: with no start in flight (each
   * holds a placeholder in the active set until its run is queued), a dispatch pass of the test's own starts
   * nothing, so nothing is ready within the cap. A start that fails frees its place, so passes repeat.
   */
  async function settle(): Promise<void> {
    const startsInFlight = async () => (await waves.activeMembers()).some((m) => m.member.startsWith('dispatching'));
    await within('rebuild dispatch settling', 10_000, (async () => {
      for (;;) {
        while (await startsInFlight()) await new Promise((r) => setImmediate(r));
        const before = started.length;
        await rebuilds.dispatch();
        if (started.length === before && !(await startsInFlight())) return;
      }
    })());
  }

  const startedTasks = () => started.map((s) => s.task);
  const changeBase = async (digest = 'sha256:new-base') => {
    const outcome = await rebuilds.changed({ image: img('base'), platforms: { [AMD]: digest } }, 'manual');
    await settle();
    return outcome;
  };

  it('a chain rebuilds in order, the cause chain growing at each step', async () => {
    await task('mid', ['base']);
    await task('app', ['mid']);
    await changeBase();
    assert.deepEqual(startedTasks(), ['mid']);
    await finish('mid');
    assert.deepEqual(startedTasks(), ['mid', 'app']);
    const app = started[1]!.trigger;
    assert.deepEqual(app.causes?.map((c) => c.image), [img('base'), img('mid')]);
    assert.equal(app.causes?.[1]?.task, 'mid');
    await finish('app');
    assert.deepEqual(startedTasks(), ['mid', 'app']);
  });

  it('a diamond rebuilds its bottom once, after both sides, even when one side fails', async () => {
    await task('a', ['base']);
    await task('b', ['base']);
    await task('c', ['a', 'b']);
    await changeBase();
    assert.deepEqual(startedTasks().sort(), ['a', 'b']);
    await finish('a');
    assert.deepEqual(startedTasks().sort(), ['a', 'b'], 'c waits for b');
    await finish('b', 'failed');
    assert.deepEqual(startedTasks().sort(), ['a', 'b', 'c']);
    assert.deepEqual(started[2]!.trigger.causes?.map((c) => c.image), [img('base'), img('a')]);
  });

  it('a child whose only parent failed is skipped, and so is its own child', async () => {
    await task('mid', ['base']);
    await task('app', ['mid']);
    await task('leaf', ['app']);
    const { wave } = await changeBase();
    await finish('mid', 'failed');
    assert.deepEqual(startedTasks(), ['mid']);
    const entries = Object.fromEntries((await waves.entries(wave!.id)).map((e) => [e.task, e.state]));
    assert.deepEqual(entries, { mid: 'failed', app: 'skipped', leaf: 'skipped' });
  });

  it('the same digest again plans nothing; a failed rebuild is planned again by the same change', async () => {
    await task('mid', ['base']);
    await changeBase('sha256:v2');
    assert.equal((await changeBase('sha256:v2')).wave, undefined);
    await finish('mid', 'failed');
    const again = await changeBase('sha256:v2');
    assert.ok(again.wave, 'planned again after the failure');
    assert.deepEqual(startedTasks(), ['mid', 'mid']);
  });

  it('a change while a task waits in a wave joins that wave instead of queuing it twice', async () => {
    rebuilds = make(1);
    await task('a', ['base']);
    await task('b', ['base']);
    await changeBase('sha256:v2');
    assert.equal(started.length, 1, 'the cap of one');
    const waiting = started[0]!.task === 'a' ? 'b' : 'a';
    const second = await changeBase('sha256:v3');
    assert.deepEqual(second.joined, [waiting]);
    assert.equal(second.wave?.total, 1, `${started[0]!.task} is running, so it rebuilds again for v3`);
  });

  it('never has more than the cap started and unfinished', async () => {
    for (let i = 0; i < 6; i++) await task(`t${i}`, ['base']);
    await changeBase();
    assert.equal(started.length, 2);
    await finish(started[0]!.task);
    assert.equal(started.length, 3);
  });

  it('a task that pushed one of the causes is not rebuilt for its own push (no loop)', async () => {
    await task('loop', ['base', 'loop']);
    await changeBase();
    await finish('loop');
    assert.deepEqual(startedTasks(), ['loop']);
  });

  it('a task deleted before its turn ends its entry as failed and lets the wave go on', async () => {
    await task('mid', ['base']);
    await task('app', ['mid']);
    policies.delete('app');
    const { wave } = await changeBase();
    await finish('mid');
    assert.deepEqual(startedTasks(), ['mid']);
    assert.equal(wave?.total, 1, 'a deleted task is not planned');
  });
});
