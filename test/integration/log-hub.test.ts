// The hub that wakes log followers, against the real Redis: many followers of many runs share one blocking
// connection, each is woken by an entry past its own point (and not by one it has seen), a run followed
// while the hub is already blocked on others is taken into the read, and closing wakes everyone.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { createRedis } from '../../src/redis.js';
import { compareIds, LogHub } from '../../src/runs/log-hub.js';
import { RunLog } from '../../src/runs/logs.js';
import { SlipwayKeys } from '../../src/store/keys.js';

const REDIS_URL = process.env.SLIPWAY_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Longer than any wake can take on a loaded machine: a waiter that times out instead returns false. */
const PATIENCE_MS = 60_000;

describe('the log hub', () => {
  const prefix = `t-hub-${randomBytes(4).toString('hex')}`;
  const redis = createRedis(REDIS_URL, `${prefix}-commands`);
  const log = new RunLog(redis, prefix, 1000);
  const hubName = `${prefix}-hub`;
  const hub = new LogHub(redis, hubName);
  after(async () => {
    await hub.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  const hubConnections = async () => String(await redis.client('LIST')).split('\n').filter((l) => l.includes(` name=${hubName} `)).length;

  it('wakes 50 followers of 25 runs through one connection, each by an entry past its own point', async () => {
    const runs = Array.from({ length: 25 }, (_, i) => `r${i}`);
    for (const r of runs) await log.append(r, ['first']);
    const firstIds = new Map<string, string>();
    for (const r of runs) firstIds.set(r, (await log.read(r))[0]!.id);
    const waits = runs.flatMap((r) => [hub.waitForEntries(log.key(r), firstIds.get(r)!, PATIENCE_MS), hub.waitForEntries(log.key(r), firstIds.get(r)!, PATIENCE_MS)]);
    // Everyone is waiting on the hub's read now (a wait resolves only once its run has a new entry).
    assert.ok((await hubConnections()) <= 1, 'one blocking connection');
    for (const r of runs) await log.append(r, ['second']);
    assert.deepEqual(await Promise.all(waits), waits.map(() => true));
    assert.equal(await hubConnections(), 1);
  });

  it('a follower already past the newest entry is not woken by it, and times out', async () => {
    await log.append('seen', ['one', 'two']);
    const [, two] = await log.read('seen');
    const early = hub.waitForEntries(log.key('seen'), '0-0', PATIENCE_MS);
    const caughtUp = hub.waitForEntries(log.key('seen'), two!.id, 300);
    assert.equal(await early, true);
    assert.equal(await caughtUp, false);
  });

  it('a run followed while the hub is blocked on another is taken into its read', async () => {
    const blocked = hub.waitForEntries(log.key('quiet'), '0-0', PATIENCE_MS);
    // The hub is blocked on `quiet` alone; `late` joins, and an entry there must wake its follower.
    const late = hub.waitForEntries(log.key('late'), '0-0', PATIENCE_MS);
    await log.append('late', ['hello']);
    assert.equal(await late, true);
    await log.append('quiet', ['bye']);
    assert.equal(await blocked, true);
  });

  it('a follower that goes away stops waiting', async () => {
    const gone = new AbortController();
    const waiting = hub.waitForEntries(log.key('nobody-writes'), '0-0', PATIENCE_MS, gone.signal);
    gone.abort();
    assert.equal(await waiting, false);
  });

  it('orders stream ids as Redis does', () => {
    assert.equal(compareIds('1-0', '1-1'), -1);
    assert.equal(compareIds('10-0', '9-5'), 1);
    assert.equal(compareIds('1733400000000-3', '1733400000000-3'), 0);
    assert.equal(compareIds('0-0', '1733400000000-0'), -1);
  });
});

describe('closing the hub', () => {
  it('wakes every follower with nothing new', async () => {
    const prefix = `t-hub-${randomBytes(4).toString('hex')}`;
    const redis = createRedis(REDIS_URL, `${prefix}-commands`);
    const hub = new LogHub(redis, `${prefix}-hub`);
    const key = new SlipwayKeys(prefix).runLog('r');
    const waiting = hub.waitForEntries(key, '0-0', PATIENCE_MS);
    await hub.close();
    assert.equal(await waiting, false);
    assert.equal(await hub.waitForEntries(key, '0-0', PATIENCE_MS), false);
    redis.disconnect();
  });
});
