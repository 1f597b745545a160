// Ends runs whose worker died. A worker renews a lease on each run it builds with its heartbeat
// (queue/worker-registry.ts); a worker killed mid-build (kill -9, an OOM kill, a lost host) leaves its run
// `running` with no process left to end it, and its timeout died with it. This sweep (periodic.ts, one pass
// per deployment) ends such a run as `error`, naming the worker, so nothing stays stuck in Running.
import { STALE_MS, type WorkerRegistry } from '../queue/worker-registry.js';
import type { Run } from './model.js';
import { capabilities, type RunService } from './service.js';

/** With the heartbeat every 5 s and the lease stale after 15 s, a lost run ends within ~20 s. */
export const WATCHDOG_EVERY_MS = 5_000;

export class RunWatchdog {
  constructor(
    private readonly runs: Pick<RunService, 'finish'> & { store: Pick<RunService['store'], 'list'> },
    private readonly workers: Pick<WorkerRegistry, 'leases' | 'dropLeases' | 'lastSeen'>,
    private readonly staleMs = STALE_MS,
  ) {}

  /** One pass over the running runs; resolves with the ids it ended. */
  async sweep(now = Date.now()): Promise<string[]> {
    const running = await this.runs.store.list({ status: 'running', top: 1000 });
    const leases = await this.workers.leases(running.map((r) => r.id));
    const ended: string[] = [];
    for (const [i, run] of running.entries()) {
      if (!this.isLost(run, leases[i], now)) continue;
      // A worker still beating holds its runs (one from before leases, in a rolling upgrade, renews none).
      const seen = run.worker ? await this.workers.lastSeen(run.worker, capabilities(run.platforms, run.request.windowsDaemonless)) : undefined;
      if (seen !== undefined && now - seen <= this.staleMs) continue;
      const message = lostMessage(run, leases[i], now);
      if (await this.runs.finish(run.id, ['running'], 'error', { error: message }, [`slipway: run error: ${message}`])) ended.push(run.id);
    }
    await this.workers.dropLeases(ended, now);
    return ended;
  }

  /** Lost: no lease renewed within the stale limit, and started long enough ago for one to be. */
  private isLost(run: Run, lease: number | undefined, now: number): boolean {
    // A multi-platform run between jobs (a platform still queued, the index not yet assembling) has no
    // job to hold a lease; only one with a platform building can have lost its worker.
    if (run.platforms.length > 1 && !run.platformResults?.some((p) => p.status === 'running')) return false;
    const since = Math.max(lease ?? 0, Date.parse(run.startedAt ?? run.createdAt));
    return now - since > this.staleMs;
  }
}

function lostMessage(run: Run, lease: number | undefined, now: number): string {
  const who = run.worker ? `worker ${run.worker}` : 'worker';
  const silent = lease === undefined ? 'it never reported the build' : `no heartbeat for ${Math.round((now - lease) / 1000)} s`;
  return `the ${who} running this run stopped responding (${silent}); the run was lost: submit it again`;
}
