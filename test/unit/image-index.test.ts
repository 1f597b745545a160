// The index push falls back to a Docker manifest list when a registry refuses OCI indexes. The registry
// here is a small local stand-in that refuses them, as older registries do; the OCI path itself is
// tested on the real registry (test/integration/multi-platform.test.ts).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { RegistryClient } from '../../src/registry/client.js';
import { MediaTypes } from '../../src/registry/manifests.js';
import { parsePlatform } from '../../src/platforms.js';
import { imageIndex, pushIndex, type IndexEntry } from '../../workers/builder/image-index.js';

const entry = (arch: string, mediaType: string = MediaTypes.dockerManifest): IndexEntry => ({
  digest: `sha256:${createHash('sha256').update(arch).digest('hex')}`,
  mediaType,
  size: 500,
  platform: { os: 'linux', architecture: arch },
});

describe('pushIndex on a registry without OCI index support', () => {
  const stored = new Map<string, { type: string; body: string }>();
  let server: http.Server;
  let registry: string;
  before(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const type = req.headers['content-type'] ?? '';
        if (req.method === 'PUT' && type === MediaTypes.ociIndex) {
          res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'MANIFEST_INVALID', message: 'manifest invalid' }] }));
          return;
        }
        const body = Buffer.concat(chunks);
        const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
        stored.set(req.url ?? '', { type, body: body.toString() });
        res.writeHead(201, { 'docker-content-digest': digest }).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    registry = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  it('pushes a Docker manifest list under every tag when the OCI index is refused', async () => {
    const client = new RegistryClient({ retry: { attempts: 1 } });
    const tags = ['v1', 'latest'].map((tag) => ({ registry, repository: 'app', tag }));
    const pushed = await pushIndex(client, tags, [entry('amd64'), entry('arm64')]);
    assert.equal(pushed.mediaType, MediaTypes.dockerManifestList);
    for (const tag of ['v1', 'latest']) {
      const list = stored.get(`/v2/app/manifests/${tag}`);
      assert.equal(list?.type, MediaTypes.dockerManifestList);
      assert.deepEqual(JSON.parse(list!.body).manifests.map((m: { platform: { architecture: string } }) => m.platform.architecture), ['amd64', 'arm64']);
      assert.equal(`sha256:${createHash('sha256').update(list!.body).digest('hex')}`, pushed.digest);
    }
  });

  it('does not fall back when an entry is an OCI manifest, which a Docker list cannot name', async () => {
    const client = new RegistryClient({ retry: { attempts: 1 } });
    await assert.rejects(pushIndex(client, [{ registry, repository: 'app', tag: 'oci' }], [entry('amd64', MediaTypes.ociManifest)]), { status: 400 });
  });
});

describe('imageIndex', () => {
  it('names each platform as the image spec does, the arm variant included', () => {
    const entries = ['linux/amd64', 'linux/arm64/v8', 'linux/arm/v7'].map((p, i): IndexEntry => ({ ...entry(String(i)), platform: { ...parsePlatform(p) } }));
    const index = JSON.parse(imageIndex(entries).toString());
    assert.deepEqual(
      index.manifests.map((m: { platform: unknown }) => m.platform),
      [{ architecture: 'amd64', os: 'linux' }, { architecture: 'arm64', os: 'linux' }, { architecture: 'arm', os: 'linux', variant: 'v7' }],
    );
  });
});
