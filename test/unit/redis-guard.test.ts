// The API's guard while Redis is away: a request arriving then is answered 503 at once, and one already
// waiting on Redis when it went away is answered 503 instead of hanging until Redis returns.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { errorHandler, redisGuard } from '../../src/api/errors.js';
import { createLogger } from '../../src/log.js';

describe('redisGuard', () => {
  let up = true;
  let release: () => void = () => undefined;
  let url = '';
  let server: ReturnType<ReturnType<typeof express>['listen']>;
  before(async () => {
    const app = express();
    app.use(redisGuard(() => up, 20));
    app.get('/wait', async (_req, res) => {
      await new Promise<void>((r) => (release = r));
      res.json({ ok: true });
    });
    app.get('/now', (_req, res) => void res.json({ ok: true }));
    app.use(errorHandler(createLogger('test', 'silent')));
    await new Promise<void>((r) => (server = app.listen(0, '127.0.0.1', () => r())));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  it('passes requests while Redis is up', async () => {
    up = true;
    assert.equal((await fetch(`${url}/now`)).status, 200);
  });

  it('answers 503 redis_unavailable while it is down', async () => {
    up = false;
    const res = await fetch(`${url}/now`);
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('retry-after'), '2');
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'redis_unavailable');
  });

  it('answers a request already waiting when Redis goes away, and ignores its late answer', async () => {
    up = true;
    const pending = fetch(`${url}/wait`);
    await new Promise((r) => setTimeout(r, 50));
    up = false;
    const res = await pending;
    assert.equal(res.status, 503);
    release();
    up = true;
    // The server is still fine after the handler's late answer.
    assert.equal((await fetch(`${url}/now`)).status, 200);
  });
});
