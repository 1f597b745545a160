// Deletes uploaded contexts nobody has used for SLIPWAY_CONTEXT_TTL_HOURS, so the store does not grow
// forever. Contexts of queued and running runs are always kept. A periodic sweep (periodic.ts); a lease on
// the sweep lock, left to expire, keeps instances from sweeping again within a few minutes of each other.
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import type { RunRecords } from '../runs/records.js';
import { SlipwayKeys } from '../store/keys.js';
import { RedisLock } from '../store/lock.js';
import { sweepContexts, type ContextStore } from './context-store.js';

export const CONTEXT_SWEEP_EVERY_MS = 15 * 60_000;

export class ContextSweeper {
  private readonly lock: RedisLock;

  constructor(
    private readonly contexts: ContextStore,
    private readonly runs: Pick<RunRecords, 'list'>,
    redis: Redis,
    prefix: string,
    private readonly maxAgeMs: number,
    private readonly log: Logger,
  ) {
    const keys = new SlipwayKeys(prefix);
    this.lock = new RedisLock(redis, keys.contextsSweepLock, { leaseMs: 5 * 60_000 });
  }

  /** One sweep, unless another instance swept within the last few minutes. */
  async sweep(): Promise<{ removed: string[]; kept: number } | undefined> {
    if (!(await this.lock.tryAcquire())) return undefined;
    const inUse = new Set<string>();
    for (const status of ['queued', 'running'] as const) {
      for (const run of await this.runs.list({ status, top: 10_000 })) if (run.request.context) inUse.add(run.request.context);
    }
    const result = await sweepContexts(this.contexts, this.maxAgeMs, inUse);
    if (result.removed.length) this.log.info({ removed: result.removed.length, kept: result.kept }, 'unused build contexts removed');
    return result;
  }
}
