// A short Redis mutex: rebuild waves are planned and advanced by whichever API instance hears of a change
// first, one at a time, so a task is never claimed by two waves. The holder's token guards the release;
// the expiry frees it if the holder dies.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export class RedisMutex {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly holdMs = 30_000,
    private readonly waitMs = 60_000,
  ) {}

  async with<T>(body: () => Promise<T>): Promise<T> {
    const token = randomUUID();
    const deadline = Date.now() + this.waitMs;
    for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
      if ((await this.redis.set(this.key, token, 'PX', this.holdMs, 'NX')) === 'OK') break;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${this.key}`);
      await sleep(delay);
    }
    try {
      return await body();
    } finally {
      await this.redis.eval(RELEASE, 1, this.key, token);
    }
  }
}
