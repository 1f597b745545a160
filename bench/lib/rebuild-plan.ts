// Part one of the rebuild bench: a generated graph of many tasks in real Redis, then the time from a base
// image change to every rebuild planned and queued (the wave written, the first runs under the cap
// enqueued in BullMQ). Every service is the real one, wired as the API wires it; the tasks build from a
// git repository on loopback, which the first dispatched runs ask for their commit.
import { randomBytes } from 'node:crypto';
import { createLogger } from '../../src/log.js';
import { rebuildLock } from '../../src/graph/rebuild-lock.js';
import { BaseImageRebuilds } from '../../src/graph/rebuilds.js';
import { GraphStore } from '../../src/graph/store.js';
import { WaveStore } from '../../src/graph/wave-store.js';
import { PlatformQueues } from '../../src/queue/platform-queues.js';
import { createRedis } from '../../src/redis.js';
import { RunLog } from '../../src/runs/logs.js';
import { RunService } from '../../src/runs/service.js';
import { RunStore } from '../../src/runs/store.js';
import { gitTools } from '../../src/tasks/git-tools.js';
import { TaskService } from '../../src/tasks/service.js';
import { TaskStore } from '../../src/tasks/store.js';
import { Keyring } from '../../src/secrets/sealed.js';
import type { GitServer } from '../../test/support/git-server.js';

const R = '127.0.0.1:5000';
const AMD = 'linux/amd64';

export interface PlanSample {
  tasks: number;
  planned: number;
  dispatched: number;
  /** Change → every rebuild planned and queued (the wave written). */
  ms: number;
  /** Change → the first runs under the cap created and in BullMQ. */
  firstRunsMs: number;
}

/**
 * `tasks` tasks: a hundredth on the base itself, the rest each on two of those (one runtime, one build-time
 * base, trigger `all`), so the plan has two levels and thousands of diamonds.
 */
export async function planAndEnqueue(git: GitServer, tasks: number, redisUrl = 'redis://127.0.0.1:6379'): Promise<PlanSample> {
  const prefix = `bench-rebuild-${randomBytes(4).toString('hex')}`;
  const redis = createRedis(redisUrl, 'bench-rebuilds');
  const log = createLogger('bench-rebuilds', 'warn');
  const queues = new PlatformQueues(redis, prefix);
  try {
    const keyring = new Keyring([Keyring.generateKey()]);
    const runs = new RunService(new RunStore(redis, prefix), new RunLog(redis, prefix, 1000), queues, {
      defaultRegistry: R,
      defaultTimeoutSeconds: 600,
      maxTimeoutSeconds: 3600,
      contextExists: async () => true,
      keyring,
    });
    const taskStore = new TaskStore(redis, prefix, keyring);
    const service = new TaskService(taskStore, runs, gitTools({ allowInsecure: true, allowPrivateHosts: true, allowFile: false }, process.env.PATH ?? '/usr/bin:/bin'), {
      defaultRegistry: R,
      defaultTimeoutSeconds: 600,
      maxTimeoutSeconds: 3600,
      rebuildPriority: 1000,
    });
    const graph = new GraphStore(redis, prefix);
    const waves = new WaveStore(redis, prefix);
    const rebuilds = new BaseImageRebuilds(graph, waves, rebuildLock(redis, prefix), (n) => taskStore.baseImageTriggers(n), (task, trigger) => service.run(task, { trigger }), { concurrency: 2, maxPlanTasks: 100_000 }, log);

    const base = `${R}/bench-base:latest`;
    const firstLevel = Math.max(1, Math.round(tasks / 100));
    const names = Array.from({ length: tasks }, (_, i) => `t${i}`);
    const context = `${git.httpUrl('bench-rebuilds')}#main`;
    for (let i = 0; i < names.length; i += 200) {
      await Promise.all(
        names.slice(i, i + 200).map(async (name, k) => {
          const n = i + k;
          await service.create(name, { context, images: [`${R}/bench/${name}:latest`], commitTrigger: false, baseImageTrigger: 'all' });
          const bases =
            n < firstLevel
              ? [{ image: base, kind: 'runtime' as const, uses: [{ platform: AMD, basePlatform: AMD, digest: 'sha256:old' }] }]
              : [
                  { image: `${R}/bench/t${n % firstLevel}:latest`, kind: 'runtime' as const, uses: [{ platform: AMD, basePlatform: AMD, digest: 'sha256:x' }] },
                  { image: `${R}/bench/t${(n * 7 + 3) % firstLevel}:latest`, kind: 'buildtime' as const, uses: [{ platform: AMD, basePlatform: AMD, digest: 'sha256:y' }] },
                ];
          await graph.record({ task: name, platforms: [AMD], bases, outputs: [`${R}/bench/${name}:latest`], runId: 'r0000000', updatedAt: new Date().toISOString() });
        }),
      );
    }

    const t0 = performance.now();
    const outcome = await rebuilds.changed({ image: base, platforms: { [AMD]: `sha256:${randomBytes(32).toString('hex')}` } }, 'manual');
    const ms = performance.now() - t0;
    if (!outcome.wave) throw new Error('no wave was planned');
    const wave = outcome.wave.id;
    // Runs enter the active set of the cap as their ids once created and queued (placeholders before).
    const dispatchedNow = async () => (await redis.zrange(`${prefix}:rebuilds:active`, '0', '-1')).filter((m) => !m.startsWith('dispatching')).length;
    while ((await dispatchedNow()) < 2 && performance.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 2));
    const firstRunsMs = performance.now() - t0;
    const entries = await waves.entries(wave);
    return { tasks, planned: entries.length, dispatched: entries.filter((e) => e.state === 'dispatched').length, ms, firstRunsMs };
  } finally {
    await queues.close();
    // Everything under the bench's prefix goes; nothing else is touched.
    for (let cursor = '0'; ; ) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 5000);
      if (keys.length) await redis.unlink(...keys);
      if ((cursor = next) === '0') break;
    }
    redis.disconnect();
  }
}
