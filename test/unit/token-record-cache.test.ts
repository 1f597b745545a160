// The API's memory of token records as rules: what it answers from memory, when it must read again, and that
// a change heard while a read is on its way is never overwritten by that read's older answer.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashToken, newTokenSecret } from '../../src/auth/secret.js';
import { TokenRecordCache } from '../../src/auth/record-cache.js';
import type { TokenRecord } from '../../src/auth/store.js';
import { verifyToken } from '../../src/auth/tokens.js';
import { deferred } from '../support/wait.js';

const record = (name: string, over: Partial<TokenRecord> = {}): TokenRecord => ({
  name,
  role: 'builder',
  repositories: [],
  tasks: [],
  createdAt: '2026-01-01T00:00:00Z',
  hash: hashToken(name),
  ...over,
});

/** A record source that counts its reads: what Redis would answer, as a map. */
function source(...records: TokenRecord[]) {
  const byHash = new Map(records.map((r) => [r.hash, r]));
  const source = {
    reads: 0,
    byHash,
    load: async (hash: string) => {
      source.reads++;
      return byHash.get(hash);
    },
  };
  return source;
}

function cacheOf(opts: { trusted?: () => boolean; maxEntries?: number; ttlMs?: number; now?: () => number } = {}) {
  return new TokenRecordCache({ maxEntries: opts.maxEntries ?? 100, ttlMs: opts.ttlMs ?? 60_000 }, opts.trusted ?? (() => true), opts.now);
}

describe('token record cache', () => {
  it('answers a second read from memory, and reads again once the record is forgotten', async () => {
    const a = record('a');
    const redis = source(a);
    const cache = cacheOf();
    assert.deepEqual(await cache.read(a.hash, redis.load), a);
    assert.deepEqual(await cache.read(a.hash, redis.load), a);
    assert.equal(redis.reads, 1);
    redis.byHash.set(a.hash, { ...a, role: 'reader' });
    cache.forget(a.hash);
    assert.equal((await cache.read(a.hash, redis.load))?.role, 'reader');
    assert.equal(redis.reads, 2);
  });

  it('never remembers an unknown token: one created afterwards is accepted at once', async () => {
    const late = record('late');
    const redis = source();
    const cache = cacheOf();
    assert.equal(await cache.read(late.hash, redis.load), undefined);
    redis.byHash.set(late.hash, late);
    assert.deepEqual(await cache.read(late.hash, redis.load), late);
  });

  it('reads Redis every time while untrusted, and keeps nothing it read then', async () => {
    const a = record('a');
    const redis = source(a);
    let trusted = false;
    const cache = cacheOf({ trusted: () => trusted });
    await cache.read(a.hash, redis.load);
    await cache.read(a.hash, redis.load);
    assert.equal(redis.reads, 2);
    assert.equal(cache.size, 0);
    trusted = true;
    await cache.read(a.hash, redis.load);
    await cache.read(a.hash, redis.load);
    assert.equal(redis.reads, 3);
  });

  it('does not keep what a read answered when a change was heard while that read was on its way', async () => {
    const a = record('a');
    const answer = deferred<TokenRecord | undefined>();
    const cache = cacheOf();
    const reading = cache.read(a.hash, () => answer.promise);
    // The revocation's message arrives before the older GET reply does.
    cache.forget(a.hash);
    answer.resolve(a);
    assert.deepEqual(await reading, a);
    assert.equal(cache.size, 0);
    const redis = source();
    assert.equal(await cache.read(a.hash, redis.load), undefined);
  });

  it('does not keep a read that began before the cache was cleared (a lost subscription)', async () => {
    const a = record('a');
    const answer = deferred<TokenRecord | undefined>();
    const cache = cacheOf();
    const reading = cache.read(a.hash, () => answer.promise);
    cache.clear();
    answer.resolve(a);
    await reading;
    assert.equal(cache.size, 0);
  });

  it('reads a record again after its safety TTL, even with no change heard', async () => {
    let now = 1_000_000;
    const a = record('a');
    const redis = source(a);
    const cache = cacheOf({ ttlMs: 60_000, now: () => now });
    await cache.read(a.hash, redis.load);
    now += 59_999;
    await cache.read(a.hash, redis.load);
    assert.equal(redis.reads, 1);
    now += 1;
    await cache.read(a.hash, redis.load);
    assert.equal(redis.reads, 2);
  });

  it('keeps at most maxEntries, dropping the least recently used', async () => {
    const [a, b, c] = [record('a'), record('b'), record('c')];
    const redis = source(a, b, c);
    const cache = cacheOf({ maxEntries: 2 });
    await cache.read(a.hash, redis.load);
    await cache.read(b.hash, redis.load);
    await cache.read(a.hash, redis.load); // a is now the most recent
    await cache.read(c.hash, redis.load); // b goes
    assert.equal(cache.size, 2);
    assert.equal(redis.reads, 3);
    await cache.read(a.hash, redis.load);
    assert.equal(redis.reads, 3);
    await cache.read(b.hash, redis.load);
    assert.equal(redis.reads, 4);
  });

  it('lets verifyToken refuse a remembered token once its expiry has passed, with nothing read', async () => {
    const secret = newTokenSecret();
    const a = record('a', { hash: hashToken(secret), expiresAt: '2026-06-01T00:00:00Z' });
    const redis = source(a);
    const cache = cacheOf();
    const tokens = { byHash: (hash: string) => cache.read(hash, redis.load) };
    assert.equal((await verifyToken(tokens, secret, Date.parse('2026-05-31T23:59:59Z'))).name, 'a');
    await assert.rejects(verifyToken(tokens, secret, Date.parse('2026-06-01T00:00:00Z')), { status: 401, message: /expired/ });
    assert.equal(redis.reads, 1);
  });
});
