// The port to where uploaded build contexts (gzipped tars, named by the sha256 of their bytes) are kept.
// LocalContextStore (store.ts) keeps them in a directory of the API's host; an adapter every host reaches
// (the registry's blob store) goes beside it, and the API, the sweeper and the workers see only this.
import type { Readable } from 'node:stream';

export interface StoredContext {
  digest: string;
  size: number;
  /** false when a context with the same digest was already stored */
  created: boolean;
}

export interface ContextStore {
  /** Stores one upload, checked entry by entry. `expectedDigest`, when the client sent one, must match what arrived. */
  put(body: Readable, expectedDigest?: string): Promise<StoredContext>;
  has(digest: string): Promise<boolean>;
  /** Marks a context as just used (uploaded, asked for or submitted), so a sweep keeps it for another full TTL. */
  touch(digest: string): Promise<void>;
  /** The stored bytes; the stream fails when the context is not there. */
  open(digest: string): Readable;
  /** One regular file of a stored context (e.g. its Dockerfile), or undefined when it has none by that path. */
  readFile(digest: string, name: string, maxBytes?: number): Promise<Buffer | undefined>;
  /** Removes a context; removing one that is not there is no error. */
  delete(digest: string): Promise<void>;
  /** Every stored context with the time it was last used (ms since the epoch). */
  list(): AsyncIterable<{ digest: string; lastUsedMs: number }>;
  /** Removes what uploads that died left behind, when older than `maxAgeMs`. */
  removeAbandonedUploads(maxAgeMs: number, now?: number): Promise<void>;
  /** The bytes of the contexts held: kept up to date as contexts come and go, so reading it is cheap (metrics). */
  storedBytes(): Promise<number>;
}

/**
 * Deletes contexts not used for `maxAgeMs` unless `inUse` says a run still needs one, and what dead uploads
 * left behind. Returns what it removed.
 */
export async function sweepContexts(store: ContextStore, maxAgeMs: number, inUse: ReadonlySet<string>, now = Date.now()): Promise<{ removed: string[]; kept: number }> {
  const removed: string[] = [];
  let kept = 0;
  for await (const { digest, lastUsedMs } of store.list()) {
    if (inUse.has(digest) || now - lastUsedMs < maxAgeMs) {
      kept++;
      continue;
    }
    await store.delete(digest);
    removed.push(digest);
  }
  await store.removeAbandonedUploads(maxAgeMs, now);
  return { removed, kept };
}
