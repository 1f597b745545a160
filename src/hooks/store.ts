// Hooks and their deliveries in Redis. A hook's record holds its secret sealed with the server keyring
// (src/secrets), bound to the hook's name, so a record copied under another name does not open. Deliveries
// are kept per hook, the newest KEPT_DELIVERIES of them, each with the exact body it sends, so a redelivery
// sends the same bytes under the same signature.
import type { Redis } from 'ioredis';
import * as z from '../zod-mini.js';
import { HookDelivery, HookInfo } from '../contract/hooks.js';
import { Sealed } from '../secrets/sealed.js';
import { SlipwayKeys } from '../store/keys.js';

const KEPT_DELIVERIES = 500;
/** Attempts kept per delivery: a redelivered one grows; the oldest go first. */
const KEPT_ATTEMPTS = 50;

export const HookRecord = z.object({ ...HookInfo.shape, secret: Sealed });
export type HookRecord = z.infer<typeof HookRecord>;

export const StoredDelivery = z.object({ ...HookDelivery.shape, body: z.string() });
export type StoredDelivery = z.infer<typeof StoredDelivery>;

/** The sealing context of a hook's secret. */
export const secretContext = (hook: string) => `hook:${hook}`;

export class HookStore {
  private readonly keys: SlipwayKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.keys = new SlipwayKeys(prefix);
  }

  /** Stores a new hook; false when one of that name exists. */
  async create(record: HookRecord): Promise<boolean> {
    const valid = HookRecord.parse(record);
    return (await this.redis.hsetnx(this.keys.hooks, valid.name, JSON.stringify(valid))) === 1;
  }

  async get(name: string): Promise<HookRecord | undefined> {
    const raw = await this.redis.hget(this.keys.hooks, name);
    return raw === null ? undefined : parseOr(HookRecord, raw);
  }

  async list(): Promise<HookRecord[]> {
    const raws = Object.values(await this.redis.hgetall(this.keys.hooks));
    return raws.flatMap((raw) => parseOr(HookRecord, raw) ?? []).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Deletes a hook and its deliveries; false when there was none. Retries still queued find it gone. */
  async delete(name: string): Promise<boolean> {
    const [[, removed] = []] = (await this.redis
      .multi()
      .hdel(this.keys.hooks, name)
      .del(this.keys.hookDeliveries(name), this.keys.hookDeliveryOrder(name))
      .exec()) as [Error | null, number][];
    return removed === 1;
  }

  /** Records a new delivery; false when one of that id exists (the same event handled twice). */
  async addDelivery(delivery: StoredDelivery): Promise<boolean> {
    const valid = StoredDelivery.parse(delivery);
    if (!(await this.redis.hsetnx(this.keys.hookDeliveries(valid.hook), valid.id, JSON.stringify(valid)))) return false;
    const order = this.keys.hookDeliveryOrder(valid.hook);
    await this.redis.zadd(order, Date.parse(valid.createdAt), valid.id);
    const extra = (await this.redis.zcard(order)) - KEPT_DELIVERIES;
    if (extra > 0) {
      const dropped = (await this.redis.zpopmin(order, extra)).filter((_, i) => i % 2 === 0);
      if (dropped.length) await this.redis.hdel(this.keys.hookDeliveries(valid.hook), ...dropped);
    }
    return true;
  }

  async delivery(hook: string, id: string): Promise<StoredDelivery | undefined> {
    const raw = await this.redis.hget(this.keys.hookDeliveries(hook), id);
    return raw === null ? undefined : parseOr(StoredDelivery, raw);
  }

  /** Changes a delivery that still exists (its hook may have been deleted meanwhile: then nothing). */
  async updateDelivery(hook: string, id: string, change: (d: StoredDelivery) => StoredDelivery): Promise<StoredDelivery | undefined> {
    const current = await this.delivery(hook, id);
    if (!current) return undefined;
    const next = change(current);
    next.attempts = next.attempts.slice(-KEPT_ATTEMPTS);
    // Only if still there: a delete between the read and this write must not bring it back.
    const written = await this.redis.eval(
      "if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) return 1 end return 0",
      1,
      this.keys.hookDeliveries(hook),
      id,
      JSON.stringify(StoredDelivery.parse(next)),
    );
    return written === 1 ? next : undefined;
  }

  /** The newest deliveries first. */
  async deliveries(hook: string, top: number): Promise<StoredDelivery[]> {
    const ids = await this.redis.zrevrange(this.keys.hookDeliveryOrder(hook), 0, top - 1);
    if (ids.length === 0) return [];
    const raws = await this.redis.hmget(this.keys.hookDeliveries(hook), ...ids);
    return raws.flatMap((raw) => (raw === null ? [] : (parseOr(StoredDelivery, raw) ?? [])));
  }
}

function parseOr<T>(schema: z.ZodMiniType<T>, raw: string): T | undefined {
  try {
    const parsed = schema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
