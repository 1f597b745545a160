// Who may use an uploaded context: the tokens that uploaded it. A context's digest is no secret (it is in
// every run record), so knowing it must not be enough to build someone else's upload, or to learn that it
// exists. Uploading the same bytes again proves having them, and adds the uploader. The record lives as long
// as an unused context does, and is renewed whenever its owner uploads or asks for it.
import type { Redis } from 'ioredis';
import { BadInputError } from '../errors.js';
import { SlipwayKeys } from '../store/keys.js';

export class ContextOwners {
  private readonly keys: SlipwayKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly ttlMs: number,
  ) {
    this.keys = new SlipwayKeys(prefix);
  }

  async add(digest: string, owner: string): Promise<void> {
    const key = this.keys.contextOwners(digest);
    await this.redis.multi().sadd(key, owner).pexpire(key, this.ttlMs).exec();
  }

  /** Whether `owner` uploaded the context; renews the record when it did. */
  async owns(digest: string, owner: string): Promise<boolean> {
    const key = this.keys.contextOwners(digest);
    if (!(await this.redis.sismember(key, owner))) return false;
    await this.redis.pexpire(key, this.ttlMs);
    return true;
  }

  /** Refuses a context the owner did not upload, as if it were not stored at all. */
  async check(digest: string, owner: string): Promise<void> {
    if (!(await this.owns(digest, owner))) throw new BadInputError(`unknown context ${digest}: upload it first with POST /v1/contexts`, 'unknown_context');
  }
}
