// Cache affinity: a task's run goes to the worker that started the task's last run when that worker is live and
// has a free slot now, so its Engine's own build cache serves the build; otherwise to the shared queue at once.
// A job never waits on a worker that became busy or died in between: a worker hands a job of its own queue that
// finds no free slot to the shared queue at once (workers/gated-worker.ts), and a hand-off job moves one nobody
// started within the bound (handoff.ts), which covers a worker that died without leaving.
import type { Redis } from 'ioredis';
import { SlipwayKeys } from '../store/keys.js';
import { STALE_MS } from './worker-registry.js';

/** A task not built for this long has little cache left anywhere: its affinity is forgotten. */
const REMEMBER_MS = 7 * 86_400_000;

export class CacheAffinity {
  private readonly keys: SlipwayKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.keys = new SlipwayKeys(prefix);
  }

  /** The worker to send a run of `task` for `capability` to, or undefined for the shared queue. */
  async target(task: string, capability: string): Promise<string | undefined> {
    const worker = await this.redis.hget(this.keys.taskWorkers(task), capability);
    if (!worker) return undefined;
    // The slots record expires unless its worker renews it with every heartbeat: present means live.
    const free = await this.redis.hget(this.keys.workerSlots(worker), capability);
    return free !== null && Number(free) > 0 ? worker : undefined;
  }

  /** Worker side: `worker` started a run of `task` for `capability`. */
  async started(task: string, capability: string, worker: string): Promise<void> {
    const key = this.keys.taskWorkers(task);
    await this.redis.multi().hset(key, capability, worker).pexpire(key, REMEMBER_MS).exec();
  }

  /** Worker side: how many more jobs `worker` would start now, per capability; renewed with every heartbeat. */
  async publishSlots(worker: string, free: Record<string, number>): Promise<void> {
    const key = this.keys.workerSlots(worker);
    if (Object.keys(free).length) await this.redis.multi().hset(key, free).pexpire(key, STALE_MS).exec();
  }

  /** Worker side: the worker stops; no run goes to its own queue any more. */
  async forget(worker: string): Promise<void> {
    await this.redis.del(this.keys.workerSlots(worker));
  }
}
