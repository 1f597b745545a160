// The lock around planning and advancing rebuild waves (see BaseImageRebuilds): whichever API instance hears
// of a change takes it, so a task is never claimed by two waves. Its lease outlasts any one wave step, and
// wave writes go through the lease, so a holder that stalled past it cannot write over the next one.
import type { Redis } from 'ioredis';
import { SlipwayKeys } from '../store/keys.js';
import { RedisLock } from '../store/lock.js';

export function rebuildLock(redis: Redis, prefix: string): RedisLock {
  return new RedisLock(redis, new SlipwayKeys(prefix).rebuildsLock, { leaseMs: 30_000, waitMs: 60_000 });
}
