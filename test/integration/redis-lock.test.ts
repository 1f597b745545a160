// The fenced Redis lock on real Redis: one holder at a time, tokens that grow with every lease, and a
// holder that stalls past its lease cannot write once another process has taken the lock.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRedis } from '../../src/redis.js';
import { LeaseLostError, RedisLock } from '../../src/store/lock.js';
import { deleteKeys, REDIS_URL } from '../support/stack.js';

const redis = createRedis('redis://127.0.0.1:6379', 'test-redis-lock');
const other = createRedis('redis://127.0.0.1:6379', 'test-redis-lock-other');
const prefix = `t-lock-${randomBytes(4).toString('hex')}`;
after(async () => {
  await deleteKeys(REDIS_URL, prefix);
  redis.disconnect();
  other.disconnect();
});

describe('RedisLock', () => {
  it('gives one lease at a time, each with a larger token', async () => {
    const key = `${prefix}:one`;
    const a = new RedisLock(redis, key, { leaseMs: 5_000 });
    const b = new RedisLock(other, key, { leaseMs: 5_000 });
    const first = await a.tryAcquire();
    assert.ok(first);
    assert.equal(await b.tryAcquire(), undefined, 'a second process took a held lock');
    await first.release();
    const second = await b.tryAcquire();
    assert.ok(second);
    assert.ok(second.token > first.token, `token ${second.token} after ${first.token}`);
    await second.release();
  });

  it('refuses the writes of a holder that stalled past its lease once another took the lock', async () => {
    const key = `${prefix}:stall`;
    const data = `${prefix}:data`;
    const stalled = await new RedisLock(redis, key, { leaseMs: 100 }).tryAcquire();
    assert.ok(stalled);
    assert.deepEqual(await stalled.write([['set', data, 'first holder']]), ['OK']);
    await sleep(200); // the holder stalls; its lease runs out
    const newer = await new RedisLock(other, key, { leaseMs: 5_000 }).tryAcquire();
    assert.ok(newer, 'the expired lease still blocked the lock');
    await newer.write([['set', data, 'second holder']]);

    await assert.rejects(stalled.write([['set', data, 'stale write'], ['del', `${prefix}:other`]]), LeaseLostError);
    assert.equal(await redis.get(data), 'second holder', 'the stalled holder wrote over the newer one');
    await stalled.release();
    assert.ok(await redis.exists(key), "the stalled holder's release freed the newer holder's lock");
    await newer.release();
  });

  it('refuses the writes of an expired lease nobody took either', async () => {
    const lease = await new RedisLock(redis, `${prefix}:lapsed`, { leaseMs: 50 }).tryAcquire();
    assert.ok(lease);
    await sleep(120);
    await assert.rejects(lease.write([['set', `${prefix}:lapsed-data`, 'x']]), LeaseLostError);
    assert.equal(await redis.exists(`${prefix}:lapsed-data`), 0);
  });

  it('applies a lease\'s writes atomically and returns their replies', async () => {
    const lock = new RedisLock(redis, `${prefix}:multi`, { leaseMs: 5_000 });
    const replies = await lock.with((lease) =>
      lease.write([
        ['zadd', `${prefix}:z`, 1, 'a', 2, 'b'],
        ['zpopmin', `${prefix}:z`, 1],
        ['hset', `${prefix}:h`, 'f', 'v'],
      ]),
    );
    assert.deepEqual(replies, [2, ['a', '1'], 1]);
    assert.equal(await redis.exists(`${prefix}:multi`), 0, 'with() left the lock held');
  });

  it('with() waits for a held lock and runs once it is free', async () => {
    const key = `${prefix}:wait`;
    const held = await new RedisLock(redis, key, { leaseMs: 5_000 }).tryAcquire();
    assert.ok(held);
    const order: string[] = [];
    const waiting = new RedisLock(other, key, { leaseMs: 5_000, waitMs: 5_000 }).with(async () => void order.push('waiter'));
    await sleep(50);
    order.push('release');
    await held.release();
    await waiting;
    assert.deepEqual(order, ['release', 'waiter']);
  });
});
