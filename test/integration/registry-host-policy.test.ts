// The registry client contacts only hosts the policy allows, against stand-in registries on loopback (the
// test's policy allows loopback where it needs to): a redirect to another host is not followed, a token
// realm on a private or metadata address is refused before anything is sent, and a remote body never reaches
// an error; through the API, a notification naming a private registry is refused and a 500's body not echoed.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { RegistryClient } from '../../src/registry/client.js';
import { postJson } from '../support/api.js';
import { startTestStack, type TestStack } from '../support/stack.js';

const MARKER = 'MARKER-7f3a-remote-body-text';

interface StandIn {
  host: string;
  hits: string[];
  close(): Promise<void>;
}

async function standIn(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<StandIn> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

const noRetry = { attempts: 1 };

describe('registry host policy', () => {
  const servers: StandIn[] = [];
  after(() => Promise.all(servers.map((s) => s.close())));
  const serve = async (handler: Parameters<typeof standIn>[0]) => {
    const s = await standIn(handler);
    servers.push(s);
    return s;
  };

  it('does not follow a redirect to another host', async () => {
    const elsewhere = await serve((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    const registry = await serve((req, res) => res.writeHead(307, { location: `http://${elsewhere.host}${req.url}` }).end());
    const client = new RegistryClient({ hostPolicy: { allowPrivateHosts: true, trusted: [] }, retry: noRetry });
    await assert.rejects(client.getManifest({ registry: registry.host, repository: 'app', tag: 'v1' }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'registry_redirect_refused');
      assert.match(err.message, /redirected to http:\/\/127\.0\.0\.1:\d+, another host, which is not followed/);
      return true;
    });
    assert.equal(registry.hits.length, 1);
    assert.deepEqual(elsewhere.hits, [], 'the other host was never contacted');
  });

  it('follows a redirect on the same host', async () => {
    const registry = await serve((req, res) => {
      if (req.url!.endsWith('/v1')) return void res.writeHead(307, { location: req.url!.replace(/v1$/, 'v1-moved') }).end();
      res.writeHead(404).end();
    });
    const client = new RegistryClient({ hostPolicy: { allowPrivateHosts: true, trusted: [] }, retry: noRetry });
    assert.equal(await client.headManifest({ registry: registry.host, repository: 'app', tag: 'v1' }), undefined);
    assert.deepEqual(registry.hits.map((h) => h.split(' ')[0]), ['HEAD', 'HEAD']);
    assert.match(registry.hits[1]!, /v1-moved$/);
  });

  for (const realm of ['http://169.254.169.254/latest/api/token', 'http://10.0.0.7/token', 'http://[fd00::1]/token', 'http://127.0.0.1:1/token']) {
    it(`refuses a token realm at ${realm}`, async () => {
      const registry = await serve((_req, res) => res.writeHead(401, { 'www-authenticate': `Bearer realm="${realm}",service="r"` }).end());
      // The registry itself is configured (trusted); the realm it names is not.
      const client = new RegistryClient({ hostPolicy: { allowPrivateHosts: false, trusted: [registry.host] }, retry: noRetry });
      await assert.rejects(client.getManifest({ registry: registry.host, repository: 'app', tag: 'v1' }), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'registry_host_refused');
        assert.match(err.message, /is a (link-local|private-network|loopback) address, which this server does not contact/);
        return true;
      });
    });
  }

  it('never puts a remote body in an error', async () => {
    const registry = await serve((_req, res) =>
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'UNKNOWN', message: MARKER, detail: MARKER }], text: MARKER })),
    );
    const client = new RegistryClient({ hostPolicy: { allowPrivateHosts: true, trusted: [] }, retry: noRetry });
    await assert.rejects(client.getManifest({ registry: registry.host, repository: 'app', tag: 'v1' }), (err: Error) => {
      assert.ok(!err.message.includes(MARKER), err.message);
      assert.match(err.message, /HTTP 500 UNKNOWN/);
      return true;
    });
  });

  describe('through the API', () => {
    let open: TestStack;
    let strict: TestStack;
    before(async () => {
      [open, strict] = await Promise.all([
        startTestStack({ worker: false, env: { SLIPWAY_REGISTRY_ALLOW_PRIVATE_HOSTS: '1' } }),
        startTestStack({ worker: false }),
      ]);
    });
    after(() => Promise.all([open?.close(), strict?.close()]));

    it('refuses a notification naming a private, link-local or loopback registry', async () => {
      for (const image of ['169.254.169.254/latest/meta-data:v1', '10.1.2.3:5000/app:v1', '127.0.0.1:6379/app:v1', 'localhost:2375/app:v1']) {
        const res = await postJson(`${strict.url}/v1/graph/notify`, { image });
        assert.equal(res.status, 403, `${image}: ${JSON.stringify(res.body)}`);
        assert.match(res.body.error.message, /which this server does not contact/);
      }
    });

    it("does not echo a registry's 500 body", async () => {
      const registry = await serve((_req, res) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${MARKER}\n{"errors":[{"code":"X","message":"${MARKER}"}]}`));
      const res = await postJson(`${open.url}/v1/graph/notify`, { image: `${registry.host}/app:v1` });
      assert.ok(res.status >= 500, JSON.stringify(res.body));
      assert.ok(!JSON.stringify(res.body).includes(MARKER), JSON.stringify(res.body));
      assert.ok(registry.hits.length >= 1, 'the stand-in was asked');
    });
  });
});
