// Polling for base images in registries that send no notifications (Docker Hub, MCR, GHCR …): each
// registry on its own interval with jitter, one HEAD per image (Docker-Content-Digest), and a GET only
// when that digest moved — to learn the platform manifests. Ticks are a periodic sweep (periodic.ts); one
// API instance polls a registry per interval (a lease on the registry's lock, left to expire, and what it
// saw written through the lease); the registry client caches tokens and honours 429 Retry-After.
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import type { RegistryClient } from '../registry/client.js';
import { SlipwayKeys } from '../store/keys.js';
import { RedisLock, type Lease } from '../store/lock.js';
import { parseImageReference } from '../registry/reference.js';
import type { ImageChange } from './model.js';
import { platformDigests } from './resolve.js';
import type { GraphRecords } from './records.js';

export interface PollerOptions {
  defaultIntervalMs: number;
  intervals: Record<string, number>;
  /** Registries that notify; never polled. */
  notifying: string[];
}

/**
 * How often the poller looks for a registry that is due: a twentieth of the shortest interval, so a registry
 * is polled at most 5% after it is due (within its ±10% jitter), and a deployment polling every few minutes
 * does not run a sweep pass every second to find nothing due. Between 1 s and 1 min.
 */
export function pollTickMs(opts: Pick<PollerOptions, 'defaultIntervalMs' | 'intervals'>): number {
  const shortest = Math.min(opts.defaultIntervalMs, ...Object.values(opts.intervals));
  return Math.min(60_000, Math.max(1000, Math.round(shortest / 20)));
}

export class RegistryPoller {
  private readonly due = new Map<string, number>();
  private readonly keys: SlipwayKeys;

  constructor(
    private readonly graph: Pick<GraphRecords, 'images'>,
    private readonly client: RegistryClient,
    private readonly redis: Redis,
    prefix: string,
    private readonly changed: (change: ImageChange) => Promise<unknown>,
    private readonly opts: PollerOptions,
    private readonly log: Logger,
  ) {
    this.keys = new SlipwayKeys(prefix);
  }

  intervalOf(registry: string): number {
    return this.opts.intervals[registry] ?? this.opts.defaultIntervalMs;
  }

  /** Polls every registry that is due. */
  async tick(now = Date.now()): Promise<void> {
    const byRegistry = new Map<string, string[]>();
    for (const image of await this.graph.images()) {
      const { registry } = parseImageReference(image);
      if (this.opts.notifying.includes(registry)) continue;
      const list = byRegistry.get(registry) ?? [];
      list.push(image);
      byRegistry.set(registry, list);
    }
    for (const [registry, images] of byRegistry) {
      const interval = this.intervalOf(registry);
      if ((this.due.get(registry) ?? 0) > now) continue;
      this.due.set(registry, now + Math.round(interval * (0.9 + Math.random() * 0.2)));
      // Whichever instance takes the registry's lock for this interval polls it; the lease is not released,
      // so no other instance polls the registry again before the interval is (nearly) over.
      const lockKey = this.keys.graphPollLock(registry);
      const lease = await new RedisLock(this.redis, lockKey, { leaseMs: Math.max(500, interval - 250) }).tryAcquire();
      if (lease) await this.pollRegistry(registry, images, lease);
    }
  }

  async pollRegistry(registry: string, images: string[], lease?: Lease): Promise<void> {
    const seenKey = this.keys.graphPolled;
    for (const image of images) {
      try {
        const ref = parseImageReference(image);
        const head = await this.client.headManifest(ref);
        if (!head) continue;
        const last = await this.redis.hget(seenKey, image);
        if (last === head.digest) continue;
        const { platforms } = await platformDigests(this.client, { ...ref, digest: head.digest });
        await this.changed({ image, platforms });
        if (lease) await lease.write([['hset', seenKey, image, head.digest]]);
        else await this.redis.hset(seenKey, image, head.digest);
      } catch (err) {
        this.log.warn({ err, registry, image }, 'base image not polled');
      }
    }
  }
}
