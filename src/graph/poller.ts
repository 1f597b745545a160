// Polling for base images in registries that send no notifications (Docker Hub, MCR, GHCR …): each
// registry on its own interval with jitter, one HEAD per image (Docker-Content-Digest), and a GET only
// when that digest moved — to learn the platform manifests. One API instance polls a registry per tick
// (a Redis lock); the registry client caches tokens and honours 429 Retry-After.
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import { Periodic } from '../periodic.js';
import type { RegistryClient } from '../registry/client.js';
import { parseImageReference } from '../registry/reference.js';
import type { ImageChange } from './model.js';
import { platformDigests } from './resolve.js';
import type { GraphStore } from './store.js';

export interface PollerOptions {
  defaultIntervalMs: number;
  intervals: Record<string, number>;
  /** Registries that notify; never polled. */
  notifying: string[];
  /** How often the poller looks for a registry that is due. */
  tickMs?: number;
}

export class RegistryPoller {
  private readonly due = new Map<string, number>();
  private periodic: Periodic | undefined;

  constructor(
    private readonly graph: GraphStore,
    private readonly client: RegistryClient,
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly changed: (change: ImageChange) => Promise<unknown>,
    private readonly opts: PollerOptions,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.periodic = new Periodic(this.opts.tickMs ?? 1000, () => this.tick(), (err) => this.log.error({ err }, 'base-image polling failed'));
    this.periodic.start();
  }

  async stop(): Promise<void> {
    await this.periodic?.stop();
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
      // Whichever instance takes the registry's lock for this interval polls it.
      if ((await this.redis.set(`${this.prefix}:graph:poll-lock:${registry}`, '1', 'PX', Math.max(500, interval - 250), 'NX')) !== 'OK') continue;
      await this.pollRegistry(registry, images);
    }
  }

  async pollRegistry(registry: string, images: string[]): Promise<void> {
    const seenKey = `${this.prefix}:graph:polled`;
    for (const image of images) {
      try {
        const ref = parseImageReference(image);
        const head = await this.client.headManifest(ref);
        if (!head) continue;
        const last = await this.redis.hget(seenKey, image);
        if (last === head.digest) continue;
        const { platforms } = await platformDigests(this.client, { ...ref, digest: head.digest });
        await this.changed({ image, platforms });
        await this.redis.hset(seenKey, image, head.digest);
      } catch (err) {
        this.log.warn({ err, registry, image }, 'base image not polled');
      }
    }
  }
}
