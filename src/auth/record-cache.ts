// The API instance's memory of token records it has read, so that most requests are checked without a Redis
// round trip. It holds only what Redis answered and is trusted only while `trusted()` says so: the change feed
// (change-feed.ts) answers true while its subscription hears every change, clears the cache whenever it may
// have missed one, and forgets each record a change names.
//
// Only records that exist are kept. Remembering "no such token" would save nothing a user notices (a valid
// client does not repeat an unknown token, and an attacker's guesses never repeat), while a record created
// on another instance would be refused here until the entry went.
import type { TokenRecord } from './store.js';

export interface RecordCacheLimits {
  /** Records kept; the least recently used goes first. */
  maxEntries: number;
  /** How long a record is kept at most, even with no change heard: a bound should the feed be wrong. */
  ttlMs: number;
}

interface Entry {
  record: TokenRecord;
  storedAt: number;
}

export class TokenRecordCache {
  /** In least-recently-used order: a hit moves its entry to the end. */
  private readonly entries = new Map<string, Entry>();
  /**
   * Counts every forget and clear. A read that started before one must not store what it read: its answer may
   * predate the change that message announced, and the message has already been handled.
   */
  private generation = 0;

  constructor(
    private readonly limits: RecordCacheLimits,
    private readonly trusted: () => boolean,
    private readonly now: () => number = Date.now,
  ) {}

  /** The record of `hash`: from memory when trusted and fresh, else from `load`, kept for the next request. */
  async read(hash: string, load: (hash: string) => Promise<TokenRecord | undefined>): Promise<TokenRecord | undefined> {
    if (!this.trusted()) return load(hash);
    const hit = this.entries.get(hash);
    if (hit) {
      this.entries.delete(hash);
      if (this.now() - hit.storedAt < this.limits.ttlMs) {
        this.entries.set(hash, hit);
        return hit.record;
      }
    }
    const generation = this.generation;
    const record = await load(hash);
    if (record && generation === this.generation && this.trusted()) this.store(hash, record);
    return record;
  }

  /** Drops one record: a change to it was heard. */
  forget(hash: string): void {
    this.generation++;
    this.entries.delete(hash);
  }

  /** Drops every record: changes may have gone unheard. */
  clear(): void {
    this.generation++;
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  private store(hash: string, record: TokenRecord): void {
    this.entries.set(hash, { record, storedAt: this.now() });
    if (this.entries.size > this.limits.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }
}
