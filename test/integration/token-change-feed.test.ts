// The token change feed against real Redis, in this process: it hears each change the store publishes,
// keeps itself trusted by its pings, and on a killed connection clears what it told the cache and is not
// trusted until it has subscribed again.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { feedConnectionName, TokenChangeFeed, type ChangeListener } from '../../src/auth/change-feed.js';
import { hashToken, newTokenSecret } from '../../src/auth/secret.js';
import { TokenStore } from '../../src/auth/store.js';
import { createLogger } from '../../src/log.js';
import { createRedis } from '../../src/redis.js';
import { deleteKeys, REDIS_URL, uniqueName } from '../support/stack.js';
import { within } from '../support/wait.js';

/** What the feed told the cache, in order, and a wait for the next thing it tells. */
class Heard implements ChangeListener {
  readonly said: string[] = [];
  private waiters: (() => void)[] = [];
  forget(hash: string): void {
    this.tell(`forget ${hash}`);
  }
  clear(): void {
    this.tell('clear');
  }
  async next(what: string, match: (said: string) => boolean, from = 0): Promise<void> {
    while (!this.said.slice(from).some(match)) await within(what, 30_000, new Promise<void>((r) => this.waiters.push(r)));
  }
  private tell(what: string): void {
    this.said.push(what);
    for (const wake of this.waiters.splice(0)) wake();
  }
}

describe('token change feed', () => {
  const prefix = uniqueName('feed');
  const redis = createRedis(REDIS_URL, 'token-change-feed-test');
  const heard = new Heard();
  const timing = { heartbeatMs: 100, trustForMs: 2000, reconnectAfterMs: 10_000 };
  let feed: TokenChangeFeed;

  const untilLive = async () => {
    for (const deadline = Date.now() + 30_000; !feed.live(); await sleep(20)) {
      if (Date.now() > deadline) throw new Error('the feed did not subscribe within 30 s');
    }
  };

  before(async () => {
    feed = new TokenChangeFeed(redis, prefix, heard, createLogger('feed-test', 'silent'), timing);
    await untilLive();
  });
  after(async () => {
    feed?.close();
    await deleteKeys(REDIS_URL, prefix);
    redis.disconnect();
  });

  it('hears the hash of each token created, changed and revoked through the store', async () => {
    const store = new TokenStore(redis, prefix);
    const hash = hashToken(newTokenSecret());
    const from = heard.said.length;
    assert.ok(await store.create({ name: 'ci', role: 'builder', repositories: [], tasks: [], createdAt: new Date().toISOString(), hash }));
    assert.ok(await store.update('ci', { role: 'reader' }));
    assert.ok(await store.revoke('ci'));
    await heard.next('three changes heard', () => heard.said.slice(from).filter((s) => s === `forget ${hash}`).length === 3, from);
  });

  it('does not bring a revoked token back by changing it', async () => {
    const store = new TokenStore(redis, prefix);
    const hash = hashToken(newTokenSecret());
    assert.ok(await store.create({ name: 'gone', role: 'builder', repositories: [], tasks: [], createdAt: new Date().toISOString(), hash }));
    assert.ok(await store.revoke('gone'));
    assert.equal(await store.update('gone', { role: 'admin' }), undefined);
    assert.equal(await store.byHash(hash), undefined);
  });

  it('stays trusted past its trust window while its pings are answered', async () => {
    await sleep(timing.trustForMs * 1.5);
    assert.ok(feed.live());
  });

  it('clears and is not trusted once its connection is killed, then subscribes again by itself', async () => {
    const admin = createRedis(REDIS_URL, 'token-change-feed-test-admin');
    try {
      const listed = (await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string;
      const id = listed.split('\n').find((l) => l.includes(` name=${feedConnectionName()} `))?.match(/^id=(\d+) /)?.[1];
      assert.ok(id, `the feed's connection is not in CLIENT LIST:\n${listed}`);
      const from = heard.said.length;
      assert.equal(await admin.client('KILL', 'ID', id), 1);
      await heard.next('a clear after the kill', (s) => s === 'clear', from);
      assert.equal(feed.live(), false);
      await untilLive();
      // Subscribed again, it hears changes again.
      const hash = hashToken(newTokenSecret());
      const again = heard.said.length;
      assert.ok(await new TokenStore(redis, prefix).create({ name: 'after-kill', role: 'reader', repositories: [], tasks: [], createdAt: new Date().toISOString(), hash }));
      await heard.next('a change heard after subscribing again', (s) => s === `forget ${hash}`, again);
    } finally {
      admin.disconnect();
    }
  });
});
