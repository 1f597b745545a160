// What the API's gate adds to POST /v1/runs: the same calls authenticate() makes for it (the operation's
// rule found, the bearer token hashed and its record read from Redis, the role compared), timed one by one
// in this process against the bench stack's own Redis. The whole request's latency is in the series beside
// it; this isolates the part the auth issue bounds at 1 ms p99.
import { OPERATIONS } from '../../src/api/operations.js';
import { accessFor, accessRules } from '../../src/api/authenticate.js';
import { roleAllows } from '../../src/auth/roles.js';
import { TokenStore } from '../../src/auth/store.js';
import { verifyToken } from '../../src/auth/tokens.js';
import { createRedis } from '../../src/redis.js';
import { summarize, type Summary } from './stats.js';

export const TOKEN_CHECK_TARGET_P99_US = 1000;

/** Microseconds per check, over `count` checks after a warm-up. */
export async function measureTokenCheck(redisUrl: string, prefix: string, token: string, count = 2000): Promise<Summary> {
  const redis = createRedis(redisUrl, 'bench-token-check');
  try {
    const tokens = new TokenStore(redis, prefix);
    const rules = accessRules(OPERATIONS);
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
  } finally {
    redis.disconnect();
  }
}
