// The one lock for work shared between processes (API instances): a lease in Redis that expires, so a holder
// that dies frees it, with a fencing token. Expiry alone is not safe: a holder that stalls (a long GC pause,
// a slow Redis) past its lease may wake up and write after another process took the lock. So each lease
// carries a token, INCR'd per lease and never reused, and writes made under the lock go through the lease
// (`write`), which applies them only while the lock still holds that token, atomically in one script. A
// stalled holder's writes are refused with LeaseLostError and the newer holder's state stands.
// (A lock on a local directory, as git mirrors use, is a file lock: see workers/source/git-lock.ts.)
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { SlipwayKeys } from './keys.js';

// KEYS: lock, fence counter. ARGV: lease ms. The new token, or false while another lease holds the lock.
const ACQUIRE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token, 'PX', ARGV[1])
return token`;

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

// KEYS: lock, then the key of each write. ARGV: token, the writes as JSON [[command, arg...], ...].
const WRITE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return redis.error_reply('LEASE_LOST the lock has a newer holder') end
local writes = cjson.decode(ARGV[2])
local out = {}
for i, w in ipairs(writes) do
  local command = table.remove(w, 1)
  out[i] = redis.call(command, KEYS[i + 1], unpack(w))
end
return out`;

/** One write: a Redis command on one key, with its other arguments. */
export type FencedWrite = [command: string, key: string, ...args: (string | number)[]];

/** A write refused because the lease it was made under expired and the lock has a newer holder (or none). */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
  constructor(readonly lock: string) {
    super(`the lease on ${lock} was lost (it expired while its holder stalled): the write was refused`);
  }
}

export interface Lease {
  /** Increases with every lease of the lock. */
  readonly token: number;
  /** Applies the writes atomically, if this lease still holds the lock; the replies, one per write. */
  write(writes: readonly FencedWrite[]): Promise<unknown[]>;
  /** Gives the lock up early (a no-op once it has a newer holder). */
  release(): Promise<void>;
}

export interface LockOptions {
  /** How long a lease lasts unless released. */
  leaseMs: number;
  /** How long `with` waits for the lock before it gives up. */
  waitMs?: number;
}

export class RedisLock {
  private readonly fenceKey: string;

  constructor(
    private readonly redis: Redis,
    /** The lock's key, from SlipwayKeys. */
    readonly key: string,
    private readonly opts: LockOptions,
  ) {
    this.fenceKey = SlipwayKeys.fence(key);
  }

  /** A lease if the lock is free now; otherwise undefined. */
  async tryAcquire(): Promise<Lease | undefined> {
    const token = (await this.redis.eval(ACQUIRE, 2, this.key, this.fenceKey, this.opts.leaseMs)) as number | null;
    return token === null ? undefined : this.lease(token);
  }

  /** Waits for the lock (up to waitMs), runs `body` under it, and releases it. */
  async with<T>(body: (lease: Lease) => Promise<T>): Promise<T> {
    const deadline = Date.now() + (this.opts.waitMs ?? 60_000);
    let lease: Lease | undefined;
    for (let delay = 2; !(lease = await this.tryAcquire()); delay = Math.min(delay * 2, 50)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${this.key}`);
      await sleep(delay);
    }
    try {
      return await body(lease);
    } finally {
      await lease.release();
    }
  }

  private lease(token: number): Lease {
    const { redis, key } = this;
    return {
      token,
      async write(writes) {
        if (writes.length === 0) return [];
        const keys = writes.map((w) => w[1]);
        const args = writes.map(([command, , ...rest]) => [command, ...rest.map(String)]);
        try {
          return (await redis.eval(WRITE, 1 + keys.length, key, ...keys, String(token), JSON.stringify(args))) as unknown[];
        } catch (err) {
          if (err instanceof Error && err.message.startsWith('LEASE_LOST')) throw new LeaseLostError(key);
          throw err;
        }
      },
      async release() {
        await redis.eval(RELEASE, 1, key, String(token));
      },
    };
  }
}
