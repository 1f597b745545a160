// Keeps queued runs honest: a run whose platform no live worker serves says so (`waiting`), and fails
// with that reason once it has waited past the queue time limit, instead of waiting silently forever.
// Every API instance may run one; the run store's atomic transitions keep them from doubling up.
import type { Logger } from '../log.js';
import { Periodic } from '../periodic.js';
import { waitingReason, type WorkerRegistry } from '../queue/worker-registry.js';
import { capabilities, type RunService } from './service.js';

export class QueueWatch {
  private readonly periodic: Periodic;

  constructor(
    private readonly runs: RunService,
    private readonly workers: WorkerRegistry,
    private readonly queueTimeoutMs: number,
    private readonly log: Logger,
    intervalMs = 2_000,
  ) {
    this.periodic = new Periodic(intervalMs, () => this.sweep(), (err) => this.log.warn({ err }, 'queue watch failed'));
  }

  start(): void {
    this.periodic.start();
  }

  stop(): Promise<void> {
    return this.periodic.stop();
  }

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
