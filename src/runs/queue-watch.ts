// Keeps queued runs honest: a run whose platform no live worker serves says so (`waiting`), and fails
// with that reason once it has waited past the queue time limit, instead of waiting silently forever.
// A periodic sweep (periodic.ts); the run store's atomic transitions keep two passes from doubling up.
import type { WorkerRegistry } from '../queue/worker-registry.js';
import { waitingReason } from '../queue/worker-registry.js';
import { capabilities, type RunService } from './service.js';

/** Often enough that a run says why it waits within moments of being queued. */
export const QUEUE_WATCH_EVERY_MS = 2_000;

export class QueueWatch {
  constructor(
    private readonly runs: RunService,
    private readonly workers: Pick<WorkerRegistry, 'unserved'>,
    private readonly queueTimeoutMs: number,
  ) {}

  /** One pass over the queued runs. */
  async sweep(now = Date.now()): Promise<void> {
    for (const run of await this.runs.store.list({ status: 'queued', top: 1000 })) {
      const reason = waitingReason(await this.workers.unserved(capabilities(run.platforms, run.request.windowsDaemonless)));
      if (reason && now - Date.parse(run.createdAt) > this.queueTimeoutMs) {
        const message = `waited ${Math.round(this.queueTimeoutMs / 1000)} s in the queue: ${reason}`;
        await this.runs.finish(run.id, ['queued'], 'error', { error: message, waiting: null }, [`slipway: ${message}`]);
      } else if ((reason ?? null) !== (run.waiting ?? null)) {
        await this.runs.store.transition(run.id, ['queued'], { waiting: reason ?? null });
      }
    }
  }
}
