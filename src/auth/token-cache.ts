// The API instance's token cache, wired: records kept in memory, trusted only while the change feed hears
// every change (see change-feed.ts for what that guarantees).
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import { TokenChangeFeed } from './change-feed.js';
import { TokenRecordCache, type RecordCacheLimits } from './record-cache.js';

/**
 * Ten thousand records are a few megabytes, more tokens than a deployment has; the TTL bounds how long a
 * change made behind the store's back (a hand edit in Redis) goes unseen.
 */
export const TOKEN_CACHE_LIMITS: RecordCacheLimits = { maxEntries: 10_000, ttlMs: 60_000 };

export interface TokenCache {
  records: TokenRecordCache;
  /** Whether the cache is in use now: its feed hears every change. */
  live(): boolean;
  close(): void;
}

export function startTokenCache(redis: Redis, prefix: string, log: Logger, limits = TOKEN_CACHE_LIMITS): TokenCache {
  // The cache asks the feed on each read, once both exist; the feed tells the cache what changed.
  const records = new TokenRecordCache(limits, () => feed.live());
  const feed = new TokenChangeFeed(redis, prefix, records, log);
  return { records, live: () => feed.live(), close: () => feed.close() };
}
