// API tokens in Redis. Each record is stored under the SHA-256 of its secret, so checking a request is one
// GET; a hash of name → secret hash lists them and finds one to revoke. Nothing is cached in the process:
// every request reads the record, so a revoked token stops working at once on every API instance.
import type { Redis } from 'ioredis';
import * as z from '../zod-mini.js';
import { TokenInfo } from '../contract/tokens.js';
import { SlipwayKeys } from '../store/keys.js';

/** A token as stored: its info and the hash of its secret, never the secret. */
export const TokenRecord = z.object({
  ...TokenInfo.shape,
  hash: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
});
export type TokenRecord = z.infer<typeof TokenRecord>;

/** What the middleware needs of the token store. */
export interface TokenRecords {
  byHash(hash: string): Promise<TokenRecord | undefined>;
}

export class TokenStore implements TokenRecords {
  private readonly keys: SlipwayKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.keys = new SlipwayKeys(prefix);
  }

  async byHash(hash: string): Promise<TokenRecord | undefined> {
    const raw = await this.redis.get(this.keys.tokenByHash(hash));
    if (raw === null) return undefined;
    const parsed = TokenRecord.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  }

  /** Stores a new token; false when one of that name exists (names are claimed first, so two creators cannot both win). */
  async create(record: TokenRecord): Promise<boolean> {
    const valid = TokenRecord.parse(record);
    if (!(await this.redis.hsetnx(this.keys.tokenNames, valid.name, valid.hash))) return false;
    await this.redis.set(this.keys.tokenByHash(valid.hash), JSON.stringify(valid));
    return true;
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
    await this.redis.multi().del(this.keys.tokenByHash(hash)).hdel(this.keys.tokenNames, name).exec();
    return true;
  }

  async count(): Promise<number> {
    return this.redis.hlen(this.keys.tokenNames);
  }
}

/** A record without its hash: what the API shows. */
export function info({ hash: _, ...rest }: TokenRecord): TokenInfo {
  return rest;
}
