// Outbound webhooks against a real API, worker, registry and a real receiver on loopback: a signed
// run.succeeded arrives within a second of the run ending; a dead receiver sees retries once it is back; a
// redelivery arrives with the same delivery id and signature; who may manage hooks; hostile URLs refused on a
// server that does not allow private hosts; the secret is never shown again nor stored in clear.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRedis } from '../../src/redis.js';
import { SlipwayKeys } from '../../src/store/keys.js';
import { verifyBody } from '../../src/hooks/signature.js';
import { apiFetch, postJson, submit, waitForRun } from '../support/api.js';
import { contextArchive } from '../support/archives.js';
import { BASE_IMAGE, REGISTRY, startTestStack, uniqueName, type TestStack } from '../support/stack.js';
import { within } from '../support/wait.js';
import { HookReceiver } from '../support/hook-receiver.js';

const SECRET = 'a-receiver-secret-for-tests-0123';

describe('outbound webhooks', () => {
  let stack: TestStack;
  const receiver = new HookReceiver();
  const redis = createRedis(process.env.SLIPWAY_REDIS_URL ?? 'redis://127.0.0.1:6379', 'hooks-test');
  const repo = `${REGISTRY}/${uniqueName('hooks')}/app`;

  const call = async (method: string, path: string, body?: unknown, token?: string) => {
    const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
    const init = { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) };
    const res = token === undefined ? await apiFetch(`${stack.url}${path}`, init) : await fetch(`${stack.url}${path}`, { ...init, headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) } });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const deliveries = async (hook: string) => (await call('GET', `/v1/hooks/${hook}/deliveries`)).body.deliveries as any[];
  /** Deliveries an earlier test saw arrive: a listed delivery shows no body, so not its run. */
  const seen = new Set<string>();

  before(async () => {
    await receiver.start();
    stack = await startTestStack({ env: { SLIPWAY_HOOK_ALLOW_PRIVATE_HOSTS: '1', SLIPWAY_HOOK_FIRST_RETRY_MS: '300' } });
    const created = await call('POST', '/v1/hooks', { name: 'ci', url: receiver.url, events: ['run.succeeded', 'run.failed', 'image.pushed'], secret: SECRET });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.secret, SECRET);
    // Another hook, for tasks none of these runs belongs to: it must hear nothing.
    assert.equal((await call('POST', '/v1/hooks', { name: 'other-tasks', url: receiver.url, tasks: ['team-z-*'] })).status, 201);
  });
  after(async () => {
    await stack?.close();
    await receiver.stop();
    redis.disconnect();
  });

  it('sends a signed run.succeeded within a second of the run ending, and image.pushed for its image', async () => {
    const from = receiver.received.length;
    const started = await submit(stack.url, await contextArchive(`FROM ${BASE_IMAGE}\nRUN echo ${uniqueName('hook')}\n`), { images: [`${repo}:v1`] });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const run = await waitForRun(stack.url, started.body.id);
    assert.equal(run.status, 'succeeded', run.error);
    const got = await receiver.next('run.succeeded', (r) => r.json.event === 'run.succeeded' && r.json.data.run.id === run.id, from);
    const late = got.at - Date.parse(run.finishedAt as string);
    assert.ok(late < 1000, `arrived ${late} ms after the run ended`);

    assert.equal(got.headers['x-slipway-event'], 'run.succeeded');
    assert.match(String(got.headers['x-slipway-delivery']), /^[0-9a-f-]{36}$/);
    assert.equal(got.headers['content-type'], 'application/json');
    assert.ok(verifyBody(SECRET, got.body, String(got.headers['x-hub-signature-256'])), 'the signature verifies with the secret');
    assert.ok(!verifyBody('some-other-secret-entirely', got.body, String(got.headers['x-hub-signature-256'])));
    assert.equal(got.json.data.run.status, 'succeeded');
    assert.equal(got.json.data.run.outputImages[0].digest, run.outputImages[0]!.digest);

    const pushed = await receiver.next('image.pushed', (r) => r.json.event === 'image.pushed' && r.json.data.runId === run.id, from);
    assert.equal(pushed.json.data.image.name, `${repo}:v1`);
    assert.equal(pushed.json.data.image.digest, run.outputImages[0]!.digest);
    seen.add(String(got.headers['x-slipway-delivery']));

    const listed = await deliveries('ci');
    const record = listed.find((d) => d.id === got.headers['x-slipway-delivery']);
    assert.equal(record?.state, 'delivered');
    assert.equal(record?.attempts[0].status, 204);
    assert.equal(record?.body, undefined, 'a listed delivery carries no body');
    assert.deepEqual(await deliveries('other-tasks'), []);
  });

  it('retries while the receiver is dead, delivers once it is back, and redelivers the same delivery', async () => {
    await receiver.stop();
    const started = await submit(stack.url, await contextArchive(`FROM ${BASE_IMAGE}\nRUN echo ${uniqueName('dead')}\n`), { noPush: true });
    const run = await waitForRun(stack.url, started.body.id);
    assert.equal(run.status, 'succeeded', run.error);

    // Two refused attempts, and another one queued.
    const retrying = await within(
      'two failed attempts recorded',
      30_000,
      (async () => {
        for (;;) {
          const d = (await deliveries('ci')).find((x) => x.event === 'run.succeeded' && !seen.has(x.id));
          if (d && d.attempts.length >= 2) return d;
          await new Promise((r) => setTimeout(r, 100));
        }
      })(),
    );
    assert.equal(retrying.state, 'pending');
    assert.ok(retrying.nextAttemptAt, 'says when it tries next');
    for (const a of retrying.attempts) assert.match(a.error, /ECONNREFUSED/);

    const from = receiver.received.length;
    await receiver.start();
    const got = await receiver.next('the retried delivery', (r) => r.headers['x-slipway-delivery'] === retrying.id, from);
    assert.equal(got.json.data.run.id, run.id);
    assert.ok(verifyBody(SECRET, got.body, String(got.headers['x-hub-signature-256'])));
    const delivered = await within('the delivery marked delivered', 10_000, (async () => {
      for (;;) {
        const d = (await deliveries('ci')).find((x) => x.id === retrying.id);
        if (d?.state === 'delivered') return d;
        await new Promise((r) => setTimeout(r, 50));
      }
    })());
    assert.ok(delivered.attempts.length >= 3);
    assert.equal(delivered.attempts.at(-1).status, 204);

    // Redelivered by hand: the same id, body and signature, as GitHub's redeliveries are.
    const again = await call('POST', `/v1/hooks/ci/deliveries/${retrying.id}/redeliver`);
    assert.equal(again.status, 202, JSON.stringify(again.body));
    assert.equal(again.body.redeliveries, 1);
    const redelivered = await receiver.next('the redelivery', (r) => r.headers['x-slipway-delivery'] === retrying.id, receiver.received.indexOf(got) + 1);
    assert.equal(redelivered.body, got.body);
    assert.equal(redelivered.headers['x-hub-signature-256'], got.headers['x-hub-signature-256']);

    const metrics = await (await fetch(`${stack.url}/metrics`)).text();
    const attempts = (result: string) => Number(metrics.split('\n').find((l) => l.startsWith(`slipway_hook_delivery_attempts_total{result="${result}"}`))?.split(' ')[1] ?? 0);
    assert.ok(attempts('retrying') >= 2 && attempts('delivered') >= 2, metrics.split('\n').filter((l) => l.includes('hook')).join('\n'));

    assert.equal((await call('POST', `/v1/hooks/ci/deliveries/no-such-delivery/redeliver`)).status, 404);
    assert.equal((await call('POST', `/v1/hooks/nope/deliveries/${retrying.id}/redeliver`)).status, 404);
  });

  it('lets admins manage hooks and readers look, and never shows or stores the secret in clear', async () => {
    const reader = (await call('POST', '/v1/tokens', { name: uniqueName('reader'), role: 'reader' })).body.token as string;
    const builder = (await call('POST', '/v1/tokens', { name: uniqueName('builder'), role: 'builder' })).body.token as string;
    const hook = { name: uniqueName('h'), url: receiver.url };
    assert.equal((await call('POST', '/v1/hooks', hook, '')).status, 401);
    assert.equal((await call('POST', '/v1/hooks', hook, reader)).status, 403);
    assert.equal((await call('POST', '/v1/hooks', hook, builder)).status, 403);
    assert.equal((await call('GET', '/v1/hooks', undefined, '')).status, 401);
    const listed = await call('GET', '/v1/hooks', undefined, reader);
    assert.equal(listed.status, 200);
    assert.ok(!listed.body.hooks.some((h: { name: string }) => h.name === hook.name), 'a refused create made nothing');
    assert.deepEqual(listed.body.hooks.find((h: { name: string }) => h.name === 'ci').events, ['run.succeeded', 'run.failed', 'image.pushed']);
    assert.equal((await call('GET', '/v1/hooks/ci/deliveries', undefined, reader)).status, 200);
    const one = (await deliveries('ci'))[0];
    assert.equal((await call('POST', `/v1/hooks/ci/deliveries/${one.id}/redeliver`, undefined, reader)).status, 403);
    assert.equal((await call('DELETE', '/v1/hooks/ci', undefined, builder)).status, 403);

    // Made without a secret: the server makes one and answers it once.
    const made = await call('POST', '/v1/hooks', hook);
    assert.equal(made.status, 201);
    assert.ok(made.body.secret.length >= 32);
    assert.equal((await call('POST', '/v1/hooks', hook)).status, 409);
    const shown = JSON.stringify((await call('GET', '/v1/hooks')).body);
    assert.ok(!shown.includes(SECRET) && !shown.includes(made.body.secret), 'list shows no secret');
    const stored = JSON.stringify(await redis.hgetall(new SlipwayKeys(stack.prefix).hooks));
    assert.ok(stored.includes(hook.name));
    assert.ok(!stored.includes(SECRET) && !stored.includes(made.body.secret), 'the secrets are sealed at rest');
    assert.equal((await call('DELETE', `/v1/hooks/${hook.name}`)).status, 204);
    assert.equal((await call('DELETE', `/v1/hooks/${hook.name}`)).status, 404);
    assert.equal((await call('GET', `/v1/hooks/${hook.name}/deliveries`)).status, 404);
  });
});

describe('hook URLs on a server that does not allow private hosts', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack({ worker: false });
  });
  after(async () => {
    await stack?.close();
  });

  it('refuses loopback, private, link-local, non-http and credential-carrying URLs, and accepts a public one', async () => {
    const hostile = [
      'http://127.0.0.1:9/hook',
      'http://localhost/hook',
      'http://[::1]/hook',
      'http://2130706433/hook',
      'http://169.254.169.254/latest/meta-data/',
      'http://10.0.0.1/hook',
      'file:///etc/passwd',
      'gopher://example.com/',
      'https://user:password@hooks.example.com/',
    ];
    for (const url of hostile) {
      const res = await postJson(`${stack.url}/v1/hooks`, { name: uniqueName('bad'), url });
      assert.equal(res.status, 400, `${url}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'hook_url_not_allowed', url);
    }
    const list = await (await apiFetch(`${stack.url}/v1/hooks`)).json();
    assert.deepEqual(list.hooks, []);
    const ok = await postJson(`${stack.url}/v1/hooks`, { name: 'public', url: 'https://hooks.example.com/slipway', events: ['run.failed'] });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
  });
});
