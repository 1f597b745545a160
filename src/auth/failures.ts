// Failed authentication attempts per client address, counted in Redis so that the limit holds across API
// instances: past the limit within a window, the client is told to wait instead of being told "wrong token".
// Only failures are counted; a request with a valid token never pays for this check.
import type { Redis } from 'ioredis';
import { SlipwayKeys } from '../store/keys.js';

export interface FailureLimit {
  /** Failed attempts allowed per client per window. */
  attempts: number;
  windowSeconds: number;
}

export class AuthFailures {
  private readonly keys: SlipwayKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly limit: FailureLimit,
  ) {
    this.keys = new SlipwayKeys(prefix);
  }

  /** Counts one failure; answers the seconds to wait when the client is past the limit, else undefined. */
  async record(client: string): Promise<number | undefined> {
    const key = this.keys.authFailures(client);
    const [[, count], , [, ttl]] = (await this.redis.multi().incr(key).expire(key, this.limit.windowSeconds, 'NX').ttl(key).exec()) as [[null, number], unknown, [null, number]];
    return count > this.limit.attempts ? Math.max(1, ttl) : undefined;
  }
}
