// The quarantine records in Redis: one JSON value per image digest, and a sorted set of digests by creation.
import type { Redis } from 'ioredis';
import { QuarantinedImage, type QuarantineState } from '../contract/quarantine.js';
import { SlipwayKeys } from '../store/keys.js';
import { RedisLock, type Lease } from '../store/lock.js';
import type { QuarantineRecords } from './records.js';

/** A verdict is a few manifest PUTs: a minute is ample, and a holder that died frees it. */
const VERDICT_LEASE_MS = 60_000;

export class QuarantineStore implements QuarantineRecords {
  private readonly keys: SlipwayKeys;

  constructor(private readonly redis: Redis, prefix: string) {
    this.keys = new SlipwayKeys(prefix);
  }

  async get(digest: string): Promise<QuarantinedImage | undefined> {
    const raw = await this.redis.get(this.keys.quarantined(digest));
    return raw === null ? undefined : QuarantinedImage.parse(JSON.parse(raw));
  }

  async list(opts: { state?: QuarantineState; top: number }): Promise<QuarantinedImage[]> {
    const out: QuarantinedImage[] = [];
    // Read in pages until `top` match: a state filter may pass over many records of other states.
    const page = Math.max(opts.top, 100);
    for (let start = 0; out.length < opts.top; start += page) {
      const digests = await this.redis.zrevrange(this.keys.quarantine, start, start + page - 1);
      if (digests.length === 0) break;
      const raws = await this.redis.mget(digests.map((d) => this.keys.quarantined(d)));
      for (const raw of raws) {
        if (raw === null) continue;
        const image = QuarantinedImage.parse(JSON.parse(raw));
        if (!opts.state || image.state === opts.state) out.push(image);
      }
    }
    return out.slice(0, opts.top);
  }

  async put(image: QuarantinedImage, lease?: Lease): Promise<void> {
    const key = this.keys.quarantined(image.digest);
    const score = Date.parse(image.createdAt);
    if (lease) {
      await lease.write([
        ['SET', key, JSON.stringify(image)],
        ['ZADD', this.keys.quarantine, score, image.digest],
      ]);
      return;
    }
    await this.redis.multi().set(key, JSON.stringify(image)).zadd(this.keys.quarantine, score, image.digest).exec();
  }

  deciding<T>(digest: string, body: (lease: Lease) => Promise<T>): Promise<T> {
    return new RedisLock(this.redis, this.keys.quarantineLock(digest), { leaseMs: VERDICT_LEASE_MS, waitMs: VERDICT_LEASE_MS }).with(body);
  }
}
