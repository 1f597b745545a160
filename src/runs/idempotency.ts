// Idempotency keys of run submissions, in Redis: key → the hash of the request body and the run it made.
// A key is reserved before the run is created, so two copies of a request racing each other (a client's
// retry overtaking its first attempt) never both create one; a reservation whose request died lapses soon.
// Keys are kept per token: one token's key can neither answer another's run nor block another's submission.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { IDEMPOTENCY_KEY_TTL_SECONDS } from '../contract/idempotency.js';
import { SlipwayKeys } from '../store/keys.js';

/** Long enough for any submission (a task file is checked, a context looked up), short after a crash. */
const RESERVATION_SECONDS = 60;

export interface IdempotencyRecord {
  /** sha256 of the request body the key was first used with. */
  hash: string;
  /** The run it created; absent while that request is still under way. */
  runId?: string;
}

export class IdempotencyKeys {
  private readonly keys: SlipwayKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.keys = new SlipwayKeys(prefix);
  }

  /** The hash a request body is remembered by. */
  hash(body: unknown): string {
    return createHash('sha256').update(JSON.stringify(body ?? null)).digest('hex');
  }

  /** Reserves `key` for a request with body `hash`; resolves with the earlier record when the key is taken. */
  async reserve(owner: string, key: string, hash: string): Promise<IdempotencyRecord | undefined> {
    const k = this.keys.idempotencyKey(owner, key);
    const taken = await this.redis.set(k, JSON.stringify({ hash } satisfies IdempotencyRecord), 'EX', RESERVATION_SECONDS, 'NX');
    if (taken === 'OK') return undefined;
    const earlier = await this.redis.get(k);
    // Lapsed between the two calls: take it again.
    return earlier === null ? this.reserve(owner, key, hash) : (JSON.parse(earlier) as IdempotencyRecord);
  }

  /** Records the run a reserved key created, for the next 24 h. */
  async complete(owner: string, key: string, hash: string, runId: string): Promise<void> {
    await this.redis.set(this.keys.idempotencyKey(owner, key), JSON.stringify({ hash, runId } satisfies IdempotencyRecord), 'EX', IDEMPOTENCY_KEY_TTL_SECONDS);
  }

  /** Frees a reserved key whose request failed, so that it may be retried. */
  async release(owner: string, key: string): Promise<void> {
    await this.redis.del(this.keys.idempotencyKey(owner, key));
  }
}
