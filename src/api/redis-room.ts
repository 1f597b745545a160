// Room left in Redis, for refusing new runs before it is full. Redis runs with maxmemory and `noeviction`
// (evicting would drop BullMQ's keys: jobs, locks), so a full Redis refuses writes, and a run accepted
// then could not log, finish or be found. New runs get a clear 503 while the room is short; everything
// already queued or running goes on.
import type { RequestHandler } from 'express';
import type { Redis } from 'ioredis';
import { sendError } from './errors.js';

/** used_memory and maxmemory from `INFO memory`; max 0 means no limit is set. */
export function parseMemoryInfo(info: string): { used: number; max: number } {
  const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)\\r?$`, 'm').exec(info)?.[1] ?? 0);
  return { used: field('used_memory'), max: field('maxmemory') };
}

/** Reads Redis's memory every `everyMs`; short() says whether use is at or over `highPercent` of maxmemory. */
export class RedisRoom {
  private used = 0;
  private max = 0;
  private readonly timer: NodeJS.Timeout;
  private reading = false;

  constructor(
    private readonly redis: Redis,
    private readonly highPercent: number,
    everyMs = 1000,
  ) {
    this.timer = setInterval(() => void this.read(), everyMs);
    this.timer.unref();
    void this.read();
  }

  private async read(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    try {
      ({ used: this.used, max: this.max } = parseMemoryInfo(await this.redis.info('memory')));
    } catch {
      // Redis away is the availability guard's to answer.
    } finally {
      this.reading = false;
    }
  }

  short(): boolean {
    return this.max > 0 && this.used * 100 >= this.max * this.highPercent;
  }

  close(): void {
    clearInterval(this.timer);
  }
}

/** The requests that create runs: submits, task runs, webhooks. */
const CREATES_RUNS = /^\/v1\/(?:runs|tasks\/[^/]+\/runs|webhooks\/[^/]+)\/?$/i;

/** 503 to a request that would create a run while Redis is short of room. */
export function redisRoomGuard(short: () => boolean): RequestHandler {
  return (req, res, next) => {
    if (req.method !== 'POST' || !CREATES_RUNS.test(req.path) || !short()) return next();
    res.setHeader('Retry-After', '60');
    sendError(res, 503, 'redis_full', 'Redis is nearly full: no new runs are accepted until runs finish or are deleted, or its maxmemory is raised');
  };
}
