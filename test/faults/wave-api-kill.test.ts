// The API killed with SIGKILL in the middle of dispatching a 200-task rebuild wave, then started again:
// every task is rebuilt exactly once. A dispatch that died between creating its run and linking it to the
// wave is dispatched again after SLIPWAY_REBUILD_LOST_DISPATCH_SECONDS, and links the run it had made
// instead of queuing a second. No worker runs: a queued run counts as a rebuild, and with the cap above the
// wave's size every task is dispatched at once, which is when the API is killed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GraphStore } from '../../src/graph/store.js';
import { WaveStore } from '../../src/graph/wave-store.js';
import { createRedis } from '../../src/redis.js';
import { SlipwayKeys } from '../../src/store/keys.js';
import { postJson } from '../support/api.js';
import { GitServer } from '../support/git-server.js';
import { BASE_IMAGE, startTestStack, type TestStack } from '../support/stack.js';
import { eventually, killTree } from './processes.js';

const TASKS = 200;
const AMD = 'linux/amd64';

describe('the API killed in the middle of a rebuild wave', () => {
  let git: GitServer;
  let stack: TestStack;
  const redis = createRedis('redis://127.0.0.1:6379', 'test-wave-api-kill');
  before(async () => {
    // git daemon: each ls-remote is a process of its own, not a request to this test process's HTTP server.
    git = await GitServer.start();
    await git.createRepo('images');
    await git.commit('images', { 'Dockerfile': `FROM ${BASE_IMAGE}\n` }, 'images');
    stack = await startTestStack({
      worker: false,
      env: {
        SLIPWAY_GIT_ALLOW_INSECURE: '1',
        SLIPWAY_GIT_ALLOW_PRIVATE_HOSTS: '1',
        SLIPWAY_REBUILD_CONCURRENCY: String(TASKS),
        SLIPWAY_REBUILD_LOST_DISPATCH_SECONDS: '15',
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

  it('rebuilds every task of the wave exactly once', async () => {
    const names = Array.from({ length: TASKS }, (_, i) => `wave-${String(i).padStart(3, '0')}`);
    const graph = new GraphStore(redis, stack.prefix);
    for (const name of names) {
      const res = await postJson(`${stack.url}/v1/tasks`, { name, context: `${git.gitUrl('images')}#main`, images: [`faults/${name}:v1`], commitTrigger: false });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      // What the task's last build recorded it is built on: the base at a digest older than the registry's.
      await graph.record({ task: name, platforms: [AMD], bases: [{ image: BASE_IMAGE, kind: 'runtime', uses: [{ platform: AMD, basePlatform: AMD, digest: `sha256:${'0'.repeat(64)}` }] }], outputs: [], runId: 'r0000000', updatedAt: new Date().toISOString() });
    }

    const notified = await postJson(`${stack.url}/v1/graph/notify`, { image: BASE_IMAGE });
    assert.equal(notified.status, 202, JSON.stringify(notified.body));
    const wave: string = notified.body.wave.id;
    assert.equal(notified.body.wave.total, TASKS, JSON.stringify(notified.body.skipped));

    // Killed once some rebuilds are queued and others are still being dispatched.
    const keys = new SlipwayKeys(stack.prefix);
    const waves = new WaveStore(redis, stack.prefix);
    await eventually('rebuild runs being queued', 60_000, async () => ((await redis.zcard(keys.runs)) >= 20 || undefined), 20);
    killTree(stack.apiPid()!);
    const inFlight = (await waves.activeMembers()).filter((m) => m.member.startsWith('dispatching')).length;
    assert.ok(inFlight > 0, `the API was killed with dispatches under way (${await redis.zcard(keys.runs)} runs queued)`);

    await stack.startApi();
    const entries = await eventually('every entry dispatched', 180_000, async () => {
      const all = await waves.entries(wave);
      const placeholders = (await waves.activeMembers()).filter((m) => m.member.startsWith('dispatching'));
      return all.length === TASKS && all.every((e) => e.state === 'dispatched') && placeholders.length === 0 ? all : undefined;
    }, 500).catch(async (err: Error) => {
      // Which states the entries are stuck in says where to look (a `failed` one says why).
      const stuck = (await waves.entries(wave)).filter((e) => e.state !== 'dispatched').slice(0, 5);
      throw new Error(`${err.message}; not dispatched: ${JSON.stringify(stuck.map((e) => [e.task, e.state, e.reason]))}`);
    });

    const runsPerTask = await Promise.all(names.map(async (name) => (await redis.zcard(keys.runsOfTask(name))) as number));
    const twice = names.filter((_, i) => runsPerTask[i] !== 1);
    assert.deepEqual(twice, [], `tasks not rebuilt exactly once: ${twice.map((n) => `${n} (${runsPerTask[names.indexOf(n)]})`).join(', ')}`);
    // Each entry is linked to its task's one run.
    for (const e of entries) {
      const [runId] = await redis.zrange(keys.runsOfTask(e.task), '0', '-1');
      assert.equal(e.runId, runId, e.task);
    }
  });
});
