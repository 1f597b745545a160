// The pure parts of outbound webhooks: GitHub's signature scheme, which URLs a hook may send to, which hooks an
// event reaches, the retry schedule, and the events a finished run makes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deliveryId, DELIVERY_ATTEMPTS, hookWants } from '../../src/hooks/events.js';
import { retryDelay } from '../../src/hooks/dispatcher.js';
import { runEvents } from '../../src/hooks/run-events.js';
import { signBody, verifyBody } from '../../src/hooks/signature.js';
import { hookUrlProblem } from '../../src/hooks/url-policy.js';
import type { Run } from '../../src/runs/model.js';

describe('hook signatures', () => {
  it("signs as GitHub does: its documented example verifies", () => {
    // From GitHub's "Validating webhook deliveries".
    const sig = signBody("It's a Secret to Everybody", 'Hello, World!');
    assert.equal(sig, 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17');
    assert.ok(verifyBody("It's a Secret to Everybody", 'Hello, World!', sig));
    assert.ok(!verifyBody('another secret here', 'Hello, World!', sig));
    assert.ok(!verifyBody("It's a Secret to Everybody", 'Hello, World?', sig));
    assert.ok(!verifyBody("It's a Secret to Everybody", 'Hello, World!', 'sha256=00'));
  });
});

describe('hook URLs', () => {
  const closed = { allowPrivateHosts: false };
  const open = { allowPrivateHosts: true };
  const cases: [string, boolean, RegExp | undefined][] = [
    ['https://hooks.example.com/slipway', false, undefined],
    ['http://hooks.example.com:8080/x?y=1', false, undefined],
    ['http://127.0.0.1:9000/hook', false, /loopback/],
    ['http://localhost/hook', false, /loopback/],
    ['http://[::1]/hook', false, /loopback/],
    ['http://2130706433/hook', false, /loopback/],
    ['http://0x7f.1/hook', false, /loopback/],
    ['http://169.254.169.254/latest/meta-data', false, /link-local/],
    ['http://10.1.2.3/hook', false, /private/],
    ['http://[::ffff:192.168.0.1]/', false, /private/],
    ['http://0.0.0.0/', false, /unspecified/],
    ['file:///etc/passwd', false, /not http/],
    ['gopher://example.com/', false, /not http/],
    ['ftp://example.com/', false, /not http/],
    ['https://user:pass@example.com/', false, /credentials/],
    ['https://example.com/#frag', false, /fragment/],
    ['not a url', false, /absolute URL/],
    ['/relative/path', false, /absolute URL/],
    ['http://127.0.0.1:9000/hook', true, undefined],
    ['http://169.254.169.254/', true, undefined],
    ['https://user@127.0.0.1/', true, /credentials/],
    ['file:///etc/passwd', true, /not http/],
  ];
  for (const [url, allow, problem] of cases) {
    it(`${url} ${allow ? 'with' : 'without'} private hosts: ${problem ? 'refused' : 'allowed'}`, () => {
      const got = hookUrlProblem(url, allow ? open : closed);
      if (problem) assert.match(got ?? '(allowed)', problem);
      else assert.equal(got, undefined);
    });
  }
});

describe('which hooks an event reaches', () => {
  const hook = (events: string[], tasks: string[] = []) => ({ events, tasks }) as Parameters<typeof hookWants>[0];
  it('by event type', () => {
    assert.ok(hookWants(hook(['run.succeeded']), { type: 'run.succeeded' }));
    assert.ok(!hookWants(hook(['run.succeeded']), { type: 'run.failed' }));
  });
  it('by task pattern; a hook with patterns does not get ad-hoc builds', () => {
    const h = hook(['run.failed'], ['team-a-*', 'web']);
    assert.ok(hookWants(h, { type: 'run.failed', task: 'team-a-api' }));
    assert.ok(hookWants(h, { type: 'run.failed', task: 'web' }));
    assert.ok(!hookWants(h, { type: 'run.failed', task: 'webapp' }));
    assert.ok(!hookWants(h, { type: 'run.failed' }));
    assert.ok(hookWants(hook(['run.failed']), { type: 'run.failed' }));
  });
});

describe('deliveries', () => {
  it('an event published twice is one delivery per hook; another hook or event is another', () => {
    const id = deliveryId('run-ca1-run.succeeded', 'ci');
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(deliveryId('run-ca1-run.succeeded', 'ci'), id);
    assert.notEqual(deliveryId('run-ca1-run.succeeded', 'chat'), id);
    assert.notEqual(deliveryId('run-ca2-run.succeeded', 'ci'), id);
  });
  it('retries for up to a day at the default first delay, doubling', () => {
    assert.equal(retryDelay(10_000, 1), 10_000);
    assert.equal(retryDelay(10_000, 2), 20_000);
    assert.equal(retryDelay(10_000, 5), 160_000);
    let total = 0;
    for (let made = 1; made < DELIVERY_ATTEMPTS; made++) total += retryDelay(10_000, made);
    assert.ok(total > 20 * 3600_000 && total <= 24 * 3600_000, `${total / 3600_000} h`);
  });
});

describe('events of a finished run', () => {
  const run = (status: Run['status'], extra: Partial<Run> = {}): Run =>
    ({ id: 'ca7', status, platform: 'linux/amd64', platforms: ['linux/amd64'], createdAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:01:00.000Z', trigger: { type: 'manual' }, request: {}, outputImages: [], ...extra }) as Run;
  it('one per outcome', () => {
    assert.deepEqual(runEvents(run('failed')).map((e) => e.type), ['run.failed']);
    assert.deepEqual(runEvents(run('error')).map((e) => e.type), ['run.errored']);
    assert.deepEqual(runEvents(run('canceled')).map((e) => e.type), ['run.canceled']);
    assert.deepEqual(runEvents(run('timeout')).map((e) => e.type), ['run.timeout']);
    assert.deepEqual(runEvents(run('running')), []);
  });
  it('a success also reports each pushed image, with the task for task patterns', () => {
    const events = runEvents(run('succeeded', { task: 'web', outputImages: [{ registry: 'r:5000', repository: 'app', tag: 'v1', digest: 'sha256:ab' }] }));
    assert.deepEqual(events.map((e) => [e.type, e.task]), [['run.succeeded', 'web'], ['image.pushed', 'web']]);
    assert.deepEqual((events[1]!.data as { image: { name: string; digest: string } }).image.name, 'r:5000/app:v1');
    assert.equal(new Set(events.map((e) => e.id)).size, 2);
    assert.equal(events[0]!.at?.toISOString(), '2026-01-01T00:01:00.000Z');
  });
});

describe('sending to a name that resolves inside', () => {
  it('refuses at connection time a public-looking name whose address is loopback, and sends nothing', async (t) => {
    const { hostname } = await import('node:os');
    const dns = await import('node:dns/promises');
    const http = await import('node:http');
    const { sendDelivery } = await import('../../src/hooks/send.js');
    const name = hostname();
    const addresses = await dns.lookup(name, { all: true }).catch(() => []);
    if (!addresses.length || !addresses.every((a) => a.address.startsWith('127.') || a.address === '::1')) return t.skip(`${name} does not resolve to loopback here`);
    let hits = 0;
    const server = http.createServer((_req, res) => {
      hits++;
      res.writeHead(204).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
    const { port } = server.address() as import('node:net').AddressInfo;
    try {
      const out = { url: `http://${name}:${port}/hook`, secret: 's'.repeat(20), deliveryId: 'd', event: 'run.failed', body: '{}' };
      // The name passes the check at creation (a name is not an address)…
      assert.equal(hookUrlProblem(out.url, { allowPrivateHosts: false }), undefined);
      // …and is refused when it is resolved to connect, for good.
      const refused = await sendDelivery(out, { allowPrivateHosts: false }, 'test');
      assert.equal(refused.ok, false);
      assert.equal(refused.refused, true);
      assert.match(refused.error ?? '', /resolves to .*loopback/);
      assert.equal(hits, 0);
      const allowed = await sendDelivery(out, { allowPrivateHosts: true }, 'test');
      assert.deepEqual([allowed.ok, allowed.status, hits], [true, 204, 1]);
    } finally {
      server.close();
    }
  });
});
