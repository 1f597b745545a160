// What the API's gate adds to POST /v1/runs: the same calls authenticate() makes for it (the operation's
// rule found, the bearer token hashed and its record looked up, the role compared), timed one by one in this
// process against the bench stack's own Redis. The whole request's latency is in the series beside it; this
// isolates the part the auth issue bounds at 1 ms p99.
//
// Two paths: `cached`, as an API instance runs by default (the record in memory while the instance's change
// feed hears every token change, see src/auth/change-feed.ts); `cold`, one Redis GET per check, which every
// request pays with SLIPWAY_TOKEN_CACHE=0, on a cache miss, and while the feed cannot hear Redis.
import { setTimeout as sleep } from 'node:timers/promises';
import { OPERATIONS } from '../../src/api/operations.js';
import { accessFor, accessRules } from '../../src/api/authenticate.js';
import { roleAllows } from '../../src/auth/roles.js';
import { TokenStore, type TokenRecords } from '../../src/auth/store.js';
import { startTokenCache } from '../../src/auth/token-cache.js';
import { verifyToken } from '../../src/auth/tokens.js';
import { createLogger } from '../../src/log.js';
import { createRedis } from '../../src/redis.js';
import { summarize, type Summary } from './stats.js';

export const TOKEN_CHECK_TARGET_P99_US = 1000;
const FEED_WAIT_MS = 30_000;

export interface TokenCheckFigures {
  cached: Summary;
  cold: Summary;
  /** Checks of the cached series that found the cache out of use (its feed not hearing Redis) and read Redis. */
  cachedSeriesColdReads: number;
}

/** Microseconds per check on each path, over `count` checks each after a warm-up. */
export async function measureTokenCheck(redisUrl: string, prefix: string, token: string, count = 2000): Promise<TokenCheckFigures> {
  const redis = createRedis(redisUrl, 'bench-token-check');
  const cache = startTokenCache(redis, prefix, createLogger('bench-token-check', 'warn'));
  try {
    const rules = accessRules(OPERATIONS);
    const series = async (tokens: TokenRecords) => {
      const once = async () => {
        const need = accessFor(rules, 'POST', '/v1/runs');
        const principal = await verifyToken(tokens, token);
        if (need === undefined || need === 'public' || need === 'webhook' || !roleAllows(principal.role, need)) throw new Error(`the bench token may not POST /v1/runs (${need})`);
      };
      for (let i = 0; i < 200; i++) await once();
      const samples: number[] = [];
      for (let i = 0; i < count; i++) {
        const t0 = performance.now();
        await once();
        samples.push((performance.now() - t0) * 1000);
      }
      return summarize(samples);
    };
    const cold = await series(new TokenStore(redis, prefix));
    for (const deadline = Date.now() + FEED_WAIT_MS; !cache.live(); await sleep(10)) {
      if (Date.now() > deadline) throw new Error(`the token cache's feed did not subscribe within ${FEED_WAIT_MS} ms`);
    }
    const store = new TokenStore(redis, prefix, cache.records);
    let coldReads = 0;
    const cached = await series({
      byHash: (hash) => {
        if (!cache.live()) coldReads++;
        return store.byHash(hash);
      },
    });
    return { cached, cold, cachedSeriesColdReads: coldReads };
  } finally {
    cache.close();
    redis.disconnect();
  }
}
