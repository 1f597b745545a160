// A rebuild wave whose tasks' git host hangs while their rebuilds start (ls-remote of the commit times out),
// then answers again: each start is tried again after a wait instead of failing its entry for good, and
// every task of the wave is still rebuilt exactly once. No worker runs: a queued run counts as a rebuild.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GraphStore } from '../../src/graph/store.js';
import { WaveStore } from '../../src/graph/wave-store.js';
import { createRedis } from '../../src/redis.js';
import { SlipwayKeys } from '../../src/store/keys.js';
import { postJson } from '../support/api.js';
import { GitServer } from '../support/git-server.js';
import { BASE_IMAGE, REDIS_URL, startTestStack, type TestStack } from '../support/stack.js';
import { LOOPBACK_GIT_ENV } from '../support/with-stack.js';
import { eventually } from './processes.js';

const TASKS = 4;
const AMD = 'linux/amd64';

describe('a git host that hangs while a rebuild wave starts', () => {
  let git: GitServer;
  let stack: TestStack;
  const redis = createRedis(REDIS_URL, 'test-wave-git-timeout');
  before(async () => {
    // Smart HTTP, whose requests the test server can leave unanswered.
    git = await GitServer.start({ daemon: false });
    await git.createRepo('images');
    await git.commit('images', { Dockerfile: `FROM ${BASE_IMAGE}\n` }, 'images');
    stack = await startTestStack({
      worker: false,
      env: {
        ...LOOPBACK_GIT_ENV,
        SLIPWAY_REBUILD_CONCURRENCY: String(TASKS),
        // Not polled: the change is the test's notification alone, one wave of every task.
        SLIPWAY_NOTIFYING_REGISTRIES: '127.0.0.1:5000',
      },
    });
  });
  after(async () => {
    await stack?.close();
    await git?.stop();
    redis.disconnect();
  });

  it('starts each rebuild again once the git host answers, and rebuilds every task exactly once', async () => {
    const names = Array.from({ length: TASKS }, (_, i) => `hang-${i}`);
    const graph = new GraphStore(redis, stack.prefix);
    for (const name of names) {
      const res = await postJson(`${stack.url}/v1/tasks`, { name, context: `${git.httpUrl('images')}#main`, images: [`faults/${name}:v1`], commitTrigger: false });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      // What the task's last build recorded it is built on: the base at a digest older than the registry's.
      await graph.record({ task: name, platforms: [AMD], bases: [{ image: BASE_IMAGE, kind: 'runtime', uses: [{ platform: AMD, basePlatform: AMD, digest: `sha256:${'0'.repeat(64)}` }] }], outputs: [], runId: 'r0000000', updatedAt: new Date().toISOString() });
    }

    const hanging = git.stall('images');
    const notified = await postJson(`${stack.url}/v1/graph/notify`, { image: BASE_IMAGE });
    assert.equal(notified.status, 202, JSON.stringify(notified.body));
    const wave: string = notified.body.wave.id;
    assert.equal(notified.body.wave.total, TASKS, JSON.stringify(notified.body.skipped));

    await hanging;
    const retried = await stack.apiLogged('every start timed out and waits to be tried again', (e) => e.msg === 'base-image rebuild could not start; trying again', TASKS, 120_000);
    assert.match(String((retried[0]!.err as { message?: unknown } | undefined)?.message), /did not answer within/);
    git.resume('images');

    const waves = new WaveStore(redis, stack.prefix);
    const entries = await eventually('every entry dispatched', 120_000, async () => {
      const all = await waves.entries(wave);
      return all.length === TASKS && all.every((e) => e.state === 'dispatched') ? all : undefined;
    }, 500).catch(async (err: Error) => {
      const stuck = (await waves.entries(wave)).filter((e) => e.state !== 'dispatched');
      throw new Error(`${err.message}; not dispatched: ${JSON.stringify(stuck.map((e) => [e.task, e.state, e.reason]))}`);
    });

    const keys = new SlipwayKeys(stack.prefix);
    for (const e of entries) {
      const runs = await redis.zrange(keys.runsOfTask(e.task), '0', '-1');
      assert.deepEqual(runs, [e.runId], `${e.task} is rebuilt exactly once, by its entry's run`);
    }
    assert.deepEqual(await waves.activeMembers().then((m) => m.filter((x) => x.member.startsWith('dispatching'))), []);
  });
});
