// Redis connections. BullMQ workers need maxRetriesPerRequest: null; blocking reads need their own connection.
import { Redis } from 'ioredis';

export function createRedis(url: string, name: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, connectionName: name, lazyConnect: false });
}

/** How long Redis may fail to answer before the API calls it unavailable. */
export const REDIS_PROBE_TIMEOUT_MS = 800;

/**
 * Whether Redis answers, for the API's request path. Its connection queues commands while Redis is away
 * (maxRetriesPerRequest: null, which BullMQ needs), so a request would hang instead of failing. The
 * connection's status tells at once when Redis closed the socket; a ping on a connection of its own, which
 * gives up fast, tells when Redis is there but does not answer (stopped, swapping, a network partition).
 */
export class RedisAvailability {
  private readonly probe: Redis;
  private answering = true;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly redis: Redis, everyMs = 250) {
    this.probe = redis.duplicate({ connectionName: 'slipway-api-probe', maxRetriesPerRequest: 0, enableOfflineQueue: false, commandTimeout: REDIS_PROBE_TIMEOUT_MS });
    // Its errors are the point of it: they are read through `available`, not logged.
    this.probe.on('error', () => undefined);
    this.timer = setInterval(() => {
      this.probe.ping().then(
        () => (this.answering = true),
        () => (this.answering = false),
      );
    }, everyMs);
    this.timer.unref();
  }

  get available(): boolean {
    return this.redis.status === 'ready' && this.answering;
  }

  close(): void {
    clearInterval(this.timer);
    this.probe.disconnect();
  }
}

/** An error ioredis raises when Redis is away (a closed connection, a command timed out, retries used up). */
export function isRedisUnavailableError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return err.name === 'MaxRetriesPerRequestError' || /^(Connection is closed|Command timed out|Stream isn't writeable)/.test(err.message);
}

export type { Redis };
