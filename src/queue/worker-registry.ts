// Which platforms live workers serve. Each worker writes a heartbeat per platform into a sorted set
// scored by time; a platform is served while some heartbeat is younger than the stale limit. With the same
// beat it renews a lease on each run it is building, so a run whose worker died (kill -9, a lost host) is
// noticed by the API's watchdog (runs/watchdog.ts) even though no process is left to say so.
import type { Redis } from 'ioredis';
import { WorkerDisk } from '../contract/workers.js';
import { SlipwayKeys } from '../store/keys.js';

type PoolEntry = { name: string; platforms: string[]; lastSeen: number; live: boolean; disk?: WorkerDisk };

export const HEARTBEAT_MS = 5_000;
export const STALE_MS = 3 * HEARTBEAT_MS;

export class WorkerRegistry {
  private readonly keys: SlipwayKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.keys = new SlipwayKeys(prefix);
  }

  private key(platform: string): string {
    return this.keys.workers(platform);
  }

  async heartbeat(worker: string, platforms: readonly string[], now = Date.now()): Promise<void> {
    const multi = this.redis.multi();
    for (const p of platforms) multi.zadd(this.key(p), now, worker).zremrangebyscore(this.key(p), 0, now - 10 * STALE_MS);
    await multi.exec();
  }

  /** Renews the leases of the runs a worker is building. */
  async renewLeases(runIds: Iterable<string>, now = Date.now()): Promise<void> {
    const ids = [...new Set(runIds)];
    if (ids.length) await this.redis.zadd(this.keys.runLeases, ...ids.flatMap((id) => [now, id]));
  }

  /** When each run's lease was last renewed (undefined: never, or dropped). */
  async leases(runIds: readonly string[]): Promise<(number | undefined)[]> {
    if (!runIds.length) return [];
    const scores = await this.redis.zmscore(this.keys.runLeases, ...runIds);
    return scores.map((s) => (s === null ? undefined : Number(s)));
  }

  /** When `worker` last beat for any of `platforms` (undefined: not within the last while). */
  async lastSeen(worker: string, platforms: readonly string[]): Promise<number | undefined> {
    if (!platforms.length) return undefined;
    const multi = this.redis.multi();
    for (const p of platforms) multi.zscore(this.key(p), worker);
    const seen = ((await multi.exec()) ?? []).map(([, s]) => (s === null || s === undefined ? 0 : Number(s)));
    return Math.max(...seen) || undefined;
  }

  /** Forgets leases of ended runs, and any not renewed for a long while. */
  async dropLeases(runIds: readonly string[], now = Date.now()): Promise<void> {
    const multi = this.redis.multi().zremrangebyscore(this.keys.runLeases, 0, now - 10 * STALE_MS);
    if (runIds.length) multi.zrem(this.keys.runLeases, ...runIds);
    await multi.exec();
  }

  /** Records what the worker's janitor measured and removed; it outlives the worker by `ttlMs` at most. */
  async recordDisk(worker: string, disk: WorkerDisk, ttlMs: number): Promise<void> {
    await this.redis.set(this.keys.workerDisk(worker), JSON.stringify(disk), 'PX', ttlMs);
  }

  async leave(worker: string, platforms: readonly string[]): Promise<void> {
    const multi = this.redis.multi().del(this.keys.workerDisk(worker));
    for (const p of platforms) multi.zrem(this.key(p), worker);
    await multi.exec();
  }

  /** The platforms among `platforms` that no live worker serves. */
  async unserved(platforms: readonly string[], now = Date.now()): Promise<string[]> {
    const counts = await this.live(platforms, now);
    return platforms.filter((_, i) => counts[i] === 0);
  }

  /** Every worker that beat for any of `platforms` lately: the platforms it serves, when it last beat, whether that is recent. */
  async pool(platforms: readonly string[], now = Date.now()): Promise<PoolEntry[]> {
    const multi = this.redis.multi();
    for (const p of platforms) multi.zrange(this.key(p), '0', '-1', 'WITHSCORES');
    const byName = new Map<string, PoolEntry>();
    ((await multi.exec()) ?? []).forEach(([, reply], i) => {
      const flat = (reply ?? []) as string[];
      for (let j = 0; j + 1 < flat.length; j += 2) {
        const name = flat[j]!;
        const seen = Number(flat[j + 1]);
        const w = byName.get(name) ?? { name, platforms: [], lastSeen: 0, live: false };
        w.platforms.push(platforms[i]!);
        w.lastSeen = Math.max(w.lastSeen, seen);
        w.live = w.lastSeen >= now - STALE_MS;
        byName.set(name, w);
      }
    });
    const pool = [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
    if (!pool.length) return pool;
    const disks = await this.redis.mget(pool.map((w) => this.keys.workerDisk(w.name)));
    return pool.map((w, i) => {
      const disk = parseDisk(disks[i]);
      return disk ? { ...w, disk } : w;
    });
  }

  /** How many live workers serve each of `platforms`. */
  async live(platforms: readonly string[], now = Date.now()): Promise<number[]> {
    const multi = this.redis.multi();
    for (const p of platforms) multi.zcount(this.key(p), now - STALE_MS, '+inf');
    return ((await multi.exec()) ?? []).map(([, n]) => Number(n));
  }
}

export function waitingReason(unserved: readonly string[]): string | undefined {
  return unserved.length ? `no worker serves ${unserved.join(', ')}` : undefined;
}

/** A stored disk record, or undefined for none or one this version cannot read. */
function parseDisk(stored: string | null | undefined): WorkerDisk | undefined {
  if (!stored) return undefined;
  try {
    const parsed = WorkerDisk.safeParse(JSON.parse(stored));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
