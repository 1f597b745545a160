// GET /v1/workers: the pool as the workers' heartbeats describe it, each with the runs it is building now.
import { Router } from 'express';
import type { WorkerList } from '../../contract/workers.js';
import { SUPPORTED_PLATFORMS } from '../../platforms.js';
import { DAEMONLESS_WINDOWS } from '../../queue/jobs.js';
import type { WorkerRegistry } from '../../queue/worker-registry.js';
import type { RunService } from '../../runs/service.js';

/** Every queue a worker may serve, so a worker on any of them is listed. */
const QUEUE_PLATFORMS = [...SUPPORTED_PLATFORMS, DAEMONLESS_WINDOWS];
/** As many running runs as the pool could plausibly hold. */
const RUNNING_TOP = 1000;

export function workerRoutes(workers: Pick<WorkerRegistry, 'pool'>, runs: RunService): Router {
  const router = Router();

  router.get('/v1/workers', async (_req, res) => {
    const [pool, running] = await Promise.all([workers.pool(QUEUE_PLATFORMS), runs.store.list({ status: 'running', top: RUNNING_TOP })]);
    res.json({
      workers: pool.map((w) => ({
        name: w.name,
        host: hostOf(w.name),
        platforms: w.platforms,
        lastHeartbeat: new Date(w.lastSeen).toISOString(),
        live: w.live,
        ...(w.disk ? { disk: w.disk } : {}),
        runs: running
          .filter((r) => r.worker === w.name)
          .map((r) => ({ id: r.id, platform: r.platform, ...(r.task ? { task: r.task } : {}), ...(r.startedAt ? { startedAt: r.startedAt } : {}) })),
      })),
    } satisfies WorkerList);
  });

  return router;
}

/** A worker is named `host/pid` (workers/worker.ts). */
function hostOf(name: string): string {
  const slash = name.lastIndexOf('/');
  return slash > 0 ? name.slice(0, slash) : name;
}
