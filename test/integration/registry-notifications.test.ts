// The registry's own notification envelopes, captured from Debian's CNCF distribution registry as it
// sends them, read by tagPushes: a manifest pushed under a tag is a change of that tag; blob pushes,
// pushes by digest and pulls are not. Then hostile envelopes: every one is refused or ignored with a reason.
import assert from 'node:assert/strict';
import { once, EventEmitter } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { NotificationEnvelope, tagPushes } from '../../src/graph/notifications.js';
import { RegistryClient } from '../../src/registry/client.js';
import { MediaTypes } from '../../src/registry/manifests.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { REGISTRY } from '../support/stack.js';
import { within } from '../support/wait.js';

describe('registry notification envelopes', () => {
  const received: unknown[] = [];
  const arrivals = new EventEmitter();
  const listener = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ auth: req.headers.authorization, type: req.headers['content-type'], body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      arrivals.emit('envelope');
      res.writeHead(200).end();
    });
  });
  let registry: TestRegistry;

  before(async () => {
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    registry = await startRegistry({ notify: { url: `http://127.0.0.1:${(listener.address() as AddressInfo).port}`, token: 'tkn' } });
  });
  after(async () => {
    await registry?.stop();
    listener.close();
  });

  const events = () => received.flatMap((r: any) => r.body.events);
  async function waitForEvents(n: number): Promise<void> {
    while (events().length < n) await within(`${n} events (${events().length} so far)`, 10_000, once(arrivals, 'envelope'));
  }

  it('a tag push of a real image: one change of that tag; its blob pushes and a push by digest are ignored', async () => {
    const client = new RegistryClient();
    const source = await client.getManifest({ registry: REGISTRY, repository: 'base/busybox', tag: 'amd64' });
    assert.equal(source.mediaType, MediaTypes.dockerManifest);
    const target = { registry: registry.host, repository: 'lib/base' };
    const body = source.body as { config: { digest: string }; layers: { digest: string }[] };
    for (const digest of [body.config.digest, ...body.layers.map((l) => l.digest)]) {
      await client.pushBlob(target, await client.getBlob({ registry: REGISTRY, repository: 'base/busybox' }, digest, 64 * 1024 * 1024));
    }
    const digest = await client.putManifest({ ...target, tag: 'latest' }, source.raw, source.mediaType);
    await client.putManifest({ ...target, digest }, source.raw, source.mediaType);
    await waitForEvents(body.layers.length + 3);

    assert.ok(received.every((r: any) => r.auth === 'Bearer tkn'), 'the configured header is sent');
    const envelope = NotificationEnvelope.parse({ events: events() });
    const { pushes, ignored } = tagPushes(envelope);
    assert.deepEqual(pushes.map((p) => ({ image: p.image, digest: p.digest })), [{ image: `${registry.host}/lib/base:latest`, digest }]);
    assert.ok(ignored.some((r) => /not a manifest push/.test(r)), JSON.stringify(ignored));
    assert.ok(ignored.some((r) => /pushed by digest/.test(r)), JSON.stringify(ignored));
  });

  it('hostile or odd events are ignored with a reason, never thrown', () => {
    const manifest = MediaTypes.ociManifest;
    const digest = `sha256:${'a'.repeat(64)}`;
    const cases: [unknown, RegExp][] = [
      [{ action: 'pull', target: { mediaType: manifest, repository: 'x', tag: 'y', digest } }, /action pull/],
      [{ action: 'push', target: { mediaType: 'text/html', repository: 'x', tag: 'y', digest } }, /not a manifest push/],
      [{ action: 'push', target: { mediaType: manifest, repository: 'x', tag: 'y', digest: 'sha256:zz' } }, /valid digest/],
      [{ action: 'push', target: { mediaType: manifest, repository: 'x', tag: 'y', digest } }, /no registry host/],
      [{ action: 'push', target: { mediaType: manifest, repository: 'x', tag: 'y', digest, url: 'not a url' } }, /no registry host/],
      [{ action: 'push', target: { mediaType: manifest, repository: '../../etc', tag: 'y', digest }, request: { host: 'r.example' } }, /invalid|reference|repository/i],
      [{ action: 'push', target: { mediaType: manifest, repository: 'x', tag: 'bad tag!', digest }, request: { host: 'r.example' } }, /invalid|reference|tag/i],
    ];
    for (const [event, reason] of cases) {
      const { pushes, ignored } = tagPushes(NotificationEnvelope.parse({ events: [event] }));
      assert.deepEqual(pushes, [], JSON.stringify(event));
      assert.match(ignored[0]!, reason, JSON.stringify(event));
    }
    assert.equal(NotificationEnvelope.safeParse({ events: Array.from({ length: 1001 }, () => ({ action: 'push' })) }).success, false);
    assert.equal(NotificationEnvelope.safeParse({ events: [{ action: 'push', target: { tag: 'x'.repeat(200) } }] }).success, false);
    assert.equal(NotificationEnvelope.safeParse({ nope: [] }).success, false);
  });
});
