// API tokens in Redis. Each record is stored under the SHA-256 of its secret, so checking a request is one
// GET; a hash of name → secret hash lists them and finds one to revoke. Every change of a record (creation,
// update, revocation) is published on the token-change channel in the same MULTI/EXEC as the change itself,
// so no instance can read the change before the message announcing it was sent; an instance may then keep
// records in memory (record-cache.ts) for as long as it hears that channel (change-feed.ts).
import type { Redis } from 'ioredis';
import * as z from '../zod-mini.js';
import { TokenInfo } from '../contract/tokens.js';
import { SlipwayKeys } from '../store/keys.js';
import type { TokenRecordCache } from './record-cache.js';

/** A token as stored: its info and the hash of its secret, never the secret. */
export const TokenRecord = z.object({
  ...TokenInfo.shape,
  hash: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
});
export type TokenRecord = z.infer<typeof TokenRecord>;

/** What can change in a token after its creation. */
export type TokenChange = Partial<Pick<TokenRecord, 'role' | 'repositories' | 'tasks' | 'expiresAt'>>;

/** What the middleware needs of the token store. */
export interface TokenRecords {
  byHash(hash: string): Promise<TokenRecord | undefined>;
}

export class TokenStore implements TokenRecords {
  private readonly keys: SlipwayKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    /** Records this instance keeps in memory; none, every request reads Redis. */
    private readonly cache?: TokenRecordCache,
  ) {
    this.keys = new SlipwayKeys(prefix);
  }

  async byHash(hash: string): Promise<TokenRecord | undefined> {
    return this.cache ? this.cache.read(hash, (h) => this.read(h)) : this.read(hash);
  }

  /** Stores a new token; false when one of that name exists (names are claimed first, so two creators cannot both win). */
  async create(record: TokenRecord): Promise<boolean> {
    const valid = TokenRecord.parse(record);
    if (!(await this.redis.hsetnx(this.keys.tokenNames, valid.name, valid.hash))) return false;
    await this.redis.multi().set(this.keys.tokenByHash(valid.hash), JSON.stringify(valid)).publish(this.keys.tokenChanges, valid.hash).exec();
    return true;
  }

  /** Changes a token's role, scopes or expiry; undefined when there is no token of that name (or it was revoked meanwhile). */
  async update(name: string, change: TokenChange): Promise<TokenInfo | undefined> {
    const hash = await this.redis.hget(this.keys.tokenNames, name);
    const current = hash === null ? undefined : await this.read(hash);
    if (hash === null || !current) return undefined;
    const next = TokenRecord.parse({ ...current, ...change });
    const key = this.keys.tokenByHash(hash);
    // XX: a revocation between the read and this write keeps the token revoked.
    const replies = await this.redis.multi().set(key, JSON.stringify(next), 'XX').publish(this.keys.tokenChanges, hash).exec();
    this.cache?.forget(hash);
    return replies?.[0]?.[1] === 'OK' ? info(next) : undefined;
  }

  async list(): Promise<TokenInfo[]> {
    const hashes = Object.values(await this.redis.hgetall(this.keys.tokenNames));
    if (hashes.length === 0) return [];
    const raws = await this.redis.mget(hashes.map((h) => this.keys.tokenByHash(h)));
    return raws
      .flatMap((raw) => (raw === null ? [] : [TokenRecord.safeParse(JSON.parse(raw))]))
      .flatMap((p) => (p.success ? [info(p.data)] : []))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Deletes a token; false when there was none of that name. */
  async revoke(name: string): Promise<boolean> {
    const hash = await this.redis.hget(this.keys.tokenNames, name);
    if (hash === null) return false;
    await this.redis.multi().del(this.keys.tokenByHash(hash)).hdel(this.keys.tokenNames, name).publish(this.keys.tokenChanges, hash).exec();
    // This instance need not wait for its own message.
    this.cache?.forget(hash);
    return true;
  }

  async count(): Promise<number> {
    return this.redis.hlen(this.keys.tokenNames);
  }

  private async read(hash: string): Promise<TokenRecord | undefined> {
    const raw = await this.redis.get(this.keys.tokenByHash(hash));
    if (raw === null) return undefined;
    const parsed = TokenRecord.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  }
}

/** A record without its hash: what the API shows. */
export function info({ hash: _, ...rest }: TokenRecord): TokenInfo {
  return rest;
}
