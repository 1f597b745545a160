// What a stack keeps in Redis, as text, for tests that prove a secret is in none of it.
import { createRedis } from '../../src/redis.js';

/** Every value under the stack's prefix, read by type (a DUMP could compress a value out of sight). */
export async function redisDump(url: string, prefix: string): Promise<string> {
  const redis = createRedis(url, 'test-redis-dump');
  try {
    const out: string[] = [];
    for await (const keys of redis.scanStream({ match: `${prefix}:*`, count: 1000 }) as AsyncIterable<string[]>) {
      for (const key of keys) {
        const type = await redis.type(key);
        const value =
          type === 'string' ? await redis.get(key)
          : type === 'hash' ? await redis.hgetall(key)
          : type === 'list' ? await redis.lrange(key, 0, -1)
          : type === 'set' ? await redis.smembers(key)
          : type === 'zset' ? await redis.zrange(key, '0', '-1', 'WITHSCORES')
          : type === 'stream' ? await redis.xrange(key, '-', '+')
          : null;
        out.push(`${key} ${JSON.stringify(value)}`);
      }
    }
    return out.join('\n');
  } finally {
    redis.disconnect();
  }
}
