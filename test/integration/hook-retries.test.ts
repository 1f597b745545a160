// Which answers of a webhook receiver are retried: a 4xx other than 408 and 429 is a refusal, the delivery
// fails at once with that status; 5xx, 408 and 429 are tried again, a 429 after the time its Retry-After asks
// for. A real dispatcher on real Redis, a real receiver on loopback that answers as each test tells it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { HookDispatcher } from '../../src/hooks/dispatcher.js';
import { publishEvent } from '../../src/hooks/events.js';
import { retryAfterMs, MAX_RETRY_AFTER_MS } from '../../src/hooks/send.js';
import { HookService } from '../../src/hooks/service.js';
import { createLogger } from '../../src/log.js';
import { createRedis } from '../../src/redis.js';
import { Keyring } from '../../src/secrets/sealed.js';
import { deleteKeys, REDIS_URL } from '../support/stack.js';
import type { HookDelivery } from '../../src/contract/hooks.js';

/** Answers each POST with the next of the answers it was given for its path, then 204; records when each came. */
class ScriptedReceiver {
  private server: http.Server | undefined;
  private readonly scripts = new Map<string, { status: number; headers?: Record<string, string> }[]>();
  readonly arrivals = new Map<string, number[]>();

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      req.resume().on('end', () => {
        const path = req.url ?? '/';
        this.arrivals.set(path, [...(this.arrivals.get(path) ?? []), Date.now()]);
        const next = this.scripts.get(path)?.shift() ?? { status: 204 };
        res.writeHead(next.status, next.headers).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
  }

  /** A URL whose receiver answers `answers` in turn, then 204. */
  url(name: string, answers: { status: number; headers?: Record<string, string> }[]): string {
    this.scripts.set(`/${name}`, [...answers]);
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/${name}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve) ?? resolve(undefined));
  }
}

describe('hook delivery retries', () => {
  const prefix = `t-hookretry-${randomBytes(4).toString('hex')}`;
  const redis = createRedis(REDIS_URL, 'hook-retries-test');
  const keyring = new Keyring([Keyring.generateKey()]);
  const policy = { allowPrivateHosts: true };
  const hooks = new HookService(redis, prefix, keyring, policy);
  const receiver = new ScriptedReceiver();
  // Short, so a test waits moments for a plain retry; a Retry-After of a second is then plainly longer.
  const dispatcher = new HookDispatcher(redis, prefix, keyring, createLogger('test', 'silent'), { policy, firstRetryMs: 100, userAgent: 'test' });
  before(async () => {
    await receiver.start();
    dispatcher.start();
  });
  after(async () => {
    await dispatcher.close();
    await receiver.stop();
    await deleteKeys(REDIS_URL, prefix);
    redis.disconnect();
  });

  /** Makes a hook answered by `answers`, publishes one event to it, and waits until its delivery is settled. */
  async function deliver(answers: { status: number; headers?: Record<string, string> }[]): Promise<{ delivery: HookDelivery; arrivals: number[] }> {
    const name = `h${randomBytes(4).toString('hex')}`;
    await hooks.create({ name, url: receiver.url(name, answers), events: ['run.succeeded'] });
    await publishEvent(redis, prefix, { id: `e-${name}`, type: 'run.succeeded', data: { run: name } });
    const deadline = Date.now() + 60_000;
    for (;;) {
      const [delivery] = await hooks.deliveries(name, 1);
      if (delivery && delivery.state !== 'pending') return { delivery, arrivals: receiver.arrivals.get(`/${name}`) ?? [] };
      if (Date.now() > deadline) assert.fail(`delivery still pending: ${JSON.stringify(delivery)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('takes a 4xx other than 408 and 429 as a refusal: failed at once, with its status', async () => {
    for (const status of [400, 401, 404, 410, 422]) {
      const { delivery, arrivals } = await deliver([{ status }, { status }]);
      assert.equal(delivery.state, 'failed', `${status}`);
      assert.deepEqual(delivery.attempts.map((a) => a.status), [status]);
      assert.equal(arrivals.length, 1, `${status} was not sent again`);
      assert.equal(delivery.nextAttemptAt, undefined);
    }
  });

  it('retries 5xx, 408 and 429 until the receiver takes it', async () => {
    const { delivery } = await deliver([{ status: 500 }, { status: 408 }, { status: 429 }, { status: 503 }]);
    assert.equal(delivery.state, 'delivered');
    assert.deepEqual(delivery.attempts.map((a) => a.status), [500, 408, 429, 503, 204]);
  });

  it("waits as long as a 429's Retry-After asks before trying again", async () => {
    const { delivery, arrivals } = await deliver([{ status: 429, headers: { 'retry-after': '2' } }]);
    assert.equal(delivery.state, 'delivered');
    assert.deepEqual(delivery.attempts.map((a) => a.status), [429, 204]);
    // Without Retry-After the retry would come 100 ms later.
    assert.ok(arrivals[1]! - arrivals[0]! >= 2000, `retried ${arrivals[1]! - arrivals[0]!} ms after the 429`);
  });
});

describe('Retry-After', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  const cases: [string | undefined, number | undefined][] = [
    [undefined, undefined],
    ['', undefined],
    ['soon', undefined],
    ['0', 0],
    ['7', 7000],
    [' 30 ', 30_000],
    ['Thu, 01 Jan 2026 00:00:10 GMT', 10_000],
    ['Wed, 31 Dec 2025 23:59:00 GMT', 0],
    ['999999', MAX_RETRY_AFTER_MS],
    ['-5', undefined],
  ];
  for (const [header, want] of cases) it(`${JSON.stringify(header)} is ${want}`, () => assert.equal(retryAfterMs(header, now), want));
});
