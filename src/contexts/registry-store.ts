// The ContextStore adapter every host reaches: uploaded contexts kept as blobs in a repository of the
// deployment's registry (ACR keeps uploaded sources in blob storage the same way), so an upload may land on
// any API instance and its build on any worker, with no disk shared between them.
//
// An upload is first checked entry by entry into a local staging file (the same checks as on one host, done
// by a LocalContextStore in a private directory), then pushed as a blob under its digest, which the registry
// verifies; the staging file is removed. When each context was last used is kept in Redis (the registry
// records no access times), so the TTL sweep sees one list from every API instance. Workers stream a blob
// straight into their workspace, checked against its digest as it arrives.
import { PassThrough, type Readable } from 'node:stream';
import type { Redis } from 'ioredis';
import { BadInputError } from '../errors.js';
import type { RegistryClient } from '../registry/client.js';
import type { ImageReference } from '../registry/reference.js';
import { SlipwayKeys } from '../store/keys.js';
import type { ArchiveLimits } from './archive-rules.js';
import { readContextFile } from './archive.js';
import type { ContextStore, StoredContext } from './context-store.js';
import { DIGEST_PATTERN, LocalContextStore } from './store.js';

export interface RegistryContextStoreOptions {
  redis: Redis;
  prefix: string;
  registry: RegistryClient;
  /** The repository the blobs go to, e.g. `127.0.0.1:5000/slipway/contexts`. */
  repository: ImageReference;
  /** A directory of this host's own for uploads being checked. */
  stagingDir: string;
  maxBytes: number;
  limits: ArchiveLimits;
}

export class RegistryContextStore implements ContextStore {
  private readonly staging: LocalContextStore;
  private readonly keys: SlipwayKeys;
  private readonly repo: ImageReference;

  constructor(private readonly opts: RegistryContextStoreOptions) {
    this.staging = new LocalContextStore(opts.stagingDir, opts.maxBytes, opts.limits);
    this.keys = new SlipwayKeys(opts.prefix);
    this.repo = opts.repository;
  }

  async put(body: Readable, expectedDigest?: string): Promise<StoredContext> {
    const staged = await this.staging.put(body, expectedDigest);
    try {
      const existed = await this.has(staged.digest);
      if (!existed) await this.opts.registry.pushBlobFile(this.repo, this.staging.pathOf(staged.digest), staged.digest, staged.size);
      await this.touch(staged.digest);
      // Also when it existed: a context stored before sizes were kept is counted from its next upload on.
      await this.opts.redis.eval(COUNT_SIZE, 2, this.keys.contextsSizes, this.keys.contextsBytes, staged.digest, staged.size);
      return { digest: staged.digest, size: staged.size, created: !existed };
    } finally {
      await this.staging.delete(staged.digest);
    }
  }

  async has(digest: string): Promise<boolean> {
    return this.opts.registry.blobExists(this.repo, checked(digest));
  }

  async touch(digest: string): Promise<void> {
    await this.opts.redis.zadd(this.keys.contextsLastUsed, Date.now(), checked(digest));
  }

  /** The stream is returned at once, as the port promises; the blob's bytes follow when the registry answers. */
  open(digest: string): Readable {
    const out = new PassThrough();
    this.opts.registry.openBlob(this.repo, checked(digest)).then(
      (blob) => {
        blob.once('error', (err) => out.destroy(err));
        blob.pipe(out);
      },
      (err: unknown) => out.destroy(err as Error),
    );
    return out;
  }

  readFile(digest: string, name: string, maxBytes?: number): Promise<Buffer | undefined> {
    return readContextFile(this.open(digest), this.opts.limits, name, maxBytes);
  }

  async delete(digest: string): Promise<void> {
    await this.opts.registry.deleteBlob(this.repo, checked(digest));
    await this.opts.redis.zrem(this.keys.contextsLastUsed, digest);
    await this.opts.redis.eval(UNCOUNT_SIZE, 2, this.keys.contextsSizes, this.keys.contextsBytes, digest);
  }

  async storedBytes(): Promise<number> {
    return Number((await this.opts.redis.get(this.keys.contextsBytes)) ?? 0);
  }

  async *list(): AsyncIterable<{ digest: string; lastUsedMs: number }> {
    const flat = await this.opts.redis.zrange(this.keys.contextsLastUsed, '0', '-1', 'WITHSCORES');
    for (let i = 0; i < flat.length; i += 2) yield { digest: flat[i]!, lastUsedMs: Number(flat[i + 1]) };
  }

  /** Staging files of uploads that died here; the registry expires its own unfinished upload sessions. */
  removeAbandonedUploads(maxAgeMs: number, now?: number): Promise<void> {
    return this.staging.removeAbandonedUploads(maxAgeMs, now);
  }
}

// Each context's size is counted once however many instances store or delete it at the same time: the
// size's entry and the total change together. KEYS: sizes hash, total. ARGV: digest (and its size).
const COUNT_SIZE = "if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then redis.call('INCRBY', KEYS[2], ARGV[2]) end";
const UNCOUNT_SIZE = "local size = redis.call('HGET', KEYS[1], ARGV[1]) if size then redis.call('HDEL', KEYS[1], ARGV[1]) redis.call('DECRBY', KEYS[2], size) end";

function checked(digest: string): string {
  if (!DIGEST_PATTERN.test(digest)) throw new BadInputError(`invalid context digest ${JSON.stringify(digest.slice(0, 80))}`, 'invalid_digest');
  return digest;
}
