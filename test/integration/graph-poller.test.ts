// Polling for base images in registries that send no notifications, against a local HTTP server standing
// in for a remote registry with token auth (Docker Hub cannot be reached here) and real Redis: one HEAD per
// image per poll, a GET only when the digest moved, the token fetched once, 429 Retry-After waited out.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { ImageChange } from '../../src/graph/model.js';
import { RegistryPoller } from '../../src/graph/poller.js';
import { GraphStore } from '../../src/graph/store.js';
import { createLogger } from '../../src/log.js';
import { createRedis, type Redis } from '../../src/redis.js';
import { RegistryClient } from '../../src/registry/client.js';
import { deleteKeys, REDIS_URL } from '../support/stack.js';

const INDEX = 'application/vnd.oci.image.index.v1+json';
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const TOKEN = 'stand-in-token';
const digestOf = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const fake = (c: string) => `sha256:${c.repeat(64)}`;

function index(amd64: string, arm64: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: INDEX,
      manifests: [
        { mediaType: MANIFEST, digest: amd64, size: 500, platform: { os: 'linux', architecture: 'amd64' } },
        { mediaType: MANIFEST, digest: arm64, size: 500, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
        { mediaType: MANIFEST, digest: fake('9'), size: 500, platform: { os: 'unknown', architecture: 'unknown' } },
      ],
    }),
  );
}

describe('RegistryPoller', () => {
  const requests: { method: string; path: string; at: number }[] = [];
  let body = index(fake('a'), fake('b'));
  let throttleNext = false;
  let origin = '';
  let registry = '';
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '';
    requests.push({ method: req.method ?? '', path, at: Date.now() });
    req.resume();
    if (path.startsWith('/token')) return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: TOKEN, expires_in: 300 }));
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      return res.writeHead(401, { 'www-authenticate': `Bearer realm="${origin}/token",service="stand-in",scope="repository:lib/base:pull"` }).end();
    }
    if (throttleNext) {
      throttleNext = false;
      return res.writeHead(429, { 'retry-after': '1' }).end();
    }
    const wanted = decodeURIComponent(path.split('/manifests/')[1] ?? '');
    if (wanted !== 'latest' && wanted !== digestOf(body)) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': INDEX, 'docker-content-digest': digestOf(body), 'content-length': String(body.length) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });

  let redis: Redis;
  const prefix = `t-poller-${randomBytes(4).toString('hex')}`;
  const changes: ImageChange[] = [];
  let image = '';
  let poller: RegistryPoller;

  before(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    registry = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    origin = `http://${registry}`;
    image = `${registry}/lib/base:latest`;
    redis = createRedis('redis://127.0.0.1:6379', 'test-poller');
    const graph = new GraphStore(redis, prefix);
    await graph.record({ task: 'app', platforms: ['linux/amd64'], bases: [{ image, kind: 'runtime', uses: [{ platform: 'linux/amd64', basePlatform: 'linux/amd64', digest: fake('0') }] }], outputs: [], runId: 'r1', updatedAt: new Date().toISOString() });
    poller = new RegistryPoller(graph, new RegistryClient({ retry: { baseDelayMs: 10 } }), redis, prefix, async (c) => changes.push(c), { defaultIntervalMs: 60_000, intervals: {}, notifying: [] }, createLogger('test', 'silent'));
  });
  after(async () => {
    await deleteKeys(REDIS_URL, prefix);
    redis.disconnect();
    server.close();
    server.closeAllConnections();
  });

  const manifestCalls = (method: string) => requests.filter((r) => r.method === method && r.path.includes('/manifests/')).length;

  it('first poll: HEAD, waits out a 429 Retry-After, then one GET to learn the platform manifests', async () => {
    throttleNext = true;
    await poller.tick();
    assert.equal(changes.length, 1);
    assert.deepEqual(changes[0], { image, platforms: { 'linux/amd64': fake('a'), 'linux/arm64': fake('b') } });
    const heads = requests.filter((r) => r.method === 'HEAD');
    const throttled = heads.findIndex((_, i) => i > 0 && heads[i]!.at - heads[i - 1]!.at >= 900);
    assert.ok(throttled > 0, `the HEAD after the 429 came a second later: ${JSON.stringify(heads)}`);
    assert.equal(manifestCalls('GET'), 1);
  });

  it('the same digest again: HEAD only, nothing reported; the registry is not polled before its interval', async () => {
    const gets = manifestCalls('GET');
    const heads = manifestCalls('HEAD');
    await poller.tick();
    assert.equal(manifestCalls('HEAD'), heads, 'not due yet: no request');
    await poller.pollRegistry(registry, [image]);
    assert.equal(manifestCalls('HEAD'), heads + 1);
    assert.equal(manifestCalls('GET'), gets);
    assert.equal(changes.length, 1);
  });

  it('a moved tag: one GET, and the change names the new platform digests', async () => {
    body = index(fake('c'), fake('b'));
    await poller.pollRegistry(registry, [image]);
    assert.equal(changes.length, 2);
    assert.deepEqual(changes[1]!.platforms, { 'linux/amd64': fake('c'), 'linux/arm64': fake('b') });
    assert.equal(manifestCalls('GET'), 2);
  });

  it('fetched its token once for every poll', () => {
    assert.equal(requests.filter((r) => r.path.startsWith('/token')).length, 1);
  });

  it('never polls a registry that sends notifications', async () => {
    const quiet = new RegistryPoller(new GraphStore(redis, prefix), new RegistryClient(), redis, `${prefix}-other`, async (c) => changes.push(c), { defaultIntervalMs: 1, intervals: {}, notifying: [registry] }, createLogger('test', 'silent'));
    const before = requests.length;
    await quiet.tick();
    assert.equal(requests.length, before);
  });
});
