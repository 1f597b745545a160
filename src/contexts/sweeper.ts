// Deletes uploaded contexts nobody has used for SLIPWAY_CONTEXT_TTL_HOURS, so the store does not grow
// forever. Contexts of queued and running runs are always kept; one API instance sweeps at a time.
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import { Periodic } from '../periodic.js';
import type { RunStore } from '../runs/store.js';
import type { ContextStore } from './store.js';

export class ContextSweeper {
  private periodic: Periodic | undefined;

  constructor(
    private readonly contexts: ContextStore,
    private readonly runs: RunStore,
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly maxAgeMs: number,
    private readonly log: Logger,
  ) {}

  start(everyMs = 15 * 60_000): void {
    this.periodic = new Periodic(everyMs, () => this.sweep(), (err) => this.log.error({ err }, 'context sweep failed'));
    this.periodic.start();
  }

  async stop(): Promise<void> {
    await this.periodic?.stop();
  }

  /** One sweep, unless another instance swept within the last few minutes. */
  async sweep(): Promise<{ removed: string[]; kept: number } | undefined> {
    if ((await this.redis.set(`${this.prefix}:contexts:sweep-lock`, '1', 'PX', 5 * 60_000, 'NX')) !== 'OK') return undefined;
    const inUse = new Set<string>();
    for (const status of ['queued', 'running'] as const) {
      for (const run of await this.runs.list({ status, top: 10_000 })) if (run.request.context) inUse.add(run.request.context);
    }
    const result = await this.contexts.sweep(this.maxAgeMs, inUse);
    if (result.removed.length) this.log.info({ removed: result.removed.length, kept: result.kept }, 'unused build contexts removed');
    return result;
  }
}
