// RegistryClient against real CNCF distribution registries: the open one of the stack (127.0.0.1:5000)
// and a second one this test starts with htpasswd (Basic) auth on a free port and stops at the end.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import { SecretMasker } from '../../src/log.js';
import { RegistryClient } from '../../src/registry/client.js';
import { RegistryError } from '../../src/registry/errors.js';
import { MediaTypes } from '../../src/registry/manifests.js';
import type { ImageReference } from '../../src/registry/reference.js';

const REGISTRY = '127.0.0.1:5000';
const sha256 = (data: Uint8Array) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const uniqueRepo = (prefix: string) => `slipway-test/${prefix}-${randomBytes(5).toString('hex')}`;

/** A one-layer OCI image made of bytes this test invents; returns the blobs and the manifest bytes. */
function makeImage() {
  const layerTar = randomBytes(2048);
  const layer = gzipSync(layerTar);
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(layerTar)] }, config: {} }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaTypes.ociManifest,
      config: { mediaType: MediaTypes.ociConfig, digest: sha256(config), size: config.length },
      layers: [{ mediaType: MediaTypes.ociLayerGzip, digest: sha256(layer), size: layer.length }],
    }),
  );
  return { layer, config, manifest };
}

/** Deletes what a test pushed: manifests by digest (their tags go with them) and blob links. */
async function cleanUp(registry: string, repository: string, manifests: string[], blobs: string[], headers: Record<string, string> = {}) {
  for (const [kind, digests] of [['manifests', manifests], ['blobs', blobs]] as const) {
    for (const digest of digests) {
      await fetch(`http://${registry}/v2/${repository}/${kind}/${digest}`, { method: 'DELETE', headers }).catch(() => undefined);
    }
  }
}

describe('RegistryClient on the stack registry', () => {
  const client = new RegistryClient({ retry: { attempts: 3, baseDelayMs: 50 } });
  const repo = uniqueRepo('regclient');
  const other = uniqueRepo('regclient-mount');
  const ref: ImageReference = { registry: REGISTRY, repository: repo };
  const otherRef: ImageReference = { registry: REGISTRY, repository: other };
  const image = makeImage();
  const pushed = { [repo]: { manifests: [] as string[], blobs: [] as string[] }, [other]: { manifests: [] as string[], blobs: [] as string[] } };

  after(async () => {
    for (const [repository, { manifests, blobs }] of Object.entries(pushed)) await cleanUp(REGISTRY, repository, manifests, blobs);
  });

  let manifestDigest: string;
  let indexDigest: string;

  it('pushes blobs and reports them present; pushing again is a no-op', async () => {
    assert.equal(await client.blobExists(ref, sha256(image.layer)), false);
    for (const blob of [image.config, image.layer]) {
      const digest = await client.pushBlob(ref, blob);
      assert.equal(digest, sha256(blob));
      pushed[repo]!.blobs.push(digest);
      assert.equal(await client.blobExists(ref, digest), true);
      assert.equal(await client.pushBlob(ref, blob), digest);
    }
    assert.deepEqual(await client.getBlob(ref, sha256(image.config)), image.config);
  });

  it('streams a large blob from a file, and the registry serves exactly those bytes', async () => {
    const data = randomBytes(6 * 1024 * 1024);
    const file = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-blob-')), 'layer');
    await fs.writeFile(file, data);
    const digest = await client.pushBlobFile(ref, file, sha256(data), data.length);
    pushed[repo]!.blobs.push(digest);
    assert.equal(digest, sha256(data));
    assert.ok((await client.getBlob(ref, digest, 16 * 1024 * 1024)).equals(data));
    // A size that does not match the file is refused by the registry, not stored under that digest.
    const other = randomBytes(1024);
    const otherFile = path.join(path.dirname(file), 'other');
    await fs.writeFile(otherFile, other);
    await assert.rejects(client.pushBlobFile(ref, otherFile, sha256(data).replace(/.$/, (c) => (c === '0' ? '1' : '0')), other.length), RegistryError);
    await fs.rm(path.dirname(file), { recursive: true, force: true });
  });

  it('pushes an OCI image manifest and reads it back by tag and by digest', async () => {
    manifestDigest = await client.putManifest({ ...ref, tag: 'v1' }, image.manifest, MediaTypes.ociManifest);
    pushed[repo]!.manifests.push(manifestDigest);
    assert.equal(manifestDigest, sha256(image.manifest));

    const head = await client.headManifest({ ...ref, tag: 'v1' });
    assert.deepEqual(head, { digest: sha256(image.manifest), mediaType: MediaTypes.ociManifest, size: image.manifest.length });

    for (const target of [{ tag: 'v1' }, { digest: manifestDigest }]) {
      const got = await client.getManifest({ ...ref, ...target });
      assert.equal(got.digest, manifestDigest);
      assert.equal(sha256(got.raw), manifestDigest);
      assert.deepEqual(got.raw, image.manifest);
      assert.equal(got.mediaType, MediaTypes.ociManifest);
      assert.ok(got.mediaType === MediaTypes.ociManifest);
      assert.equal(got.body.config.digest, sha256(image.config));
      assert.equal(got.body.layers[0]?.digest, sha256(image.layer));
    }

    // The registry's own Docker-Content-Digest header is the sha256 of the bytes it serves.
    const res = await fetch(`http://${REGISTRY}/v2/${repo}/manifests/v1`, { headers: { accept: MediaTypes.ociManifest } });
    const raw = Buffer.from(await res.arrayBuffer());
    assert.equal(res.headers.get('docker-content-digest'), sha256(raw));
  });

  it('pushes an OCI index referring to the image', async () => {
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaTypes.ociIndex,
        manifests: [{ mediaType: MediaTypes.ociManifest, digest: manifestDigest, size: image.manifest.length, platform: { os: 'linux', architecture: 'amd64' } }],
      }),
    );
    indexDigest = await client.putManifest({ ...ref, tag: 'multi' }, index, MediaTypes.ociIndex);
    pushed[repo]!.manifests.unshift(indexDigest);
    assert.equal(indexDigest, sha256(index));

    const got = await client.getManifest({ ...ref, tag: 'multi' });
    assert.equal(got.digest, indexDigest);
    assert.ok(got.mediaType === MediaTypes.ociIndex);
    assert.deepEqual(got.body.manifests.map((m) => [m.digest, m.platform?.architecture]), [[manifestDigest, 'amd64']]);
  });

  it('refuses a manifest whose bytes do not match the schema, before sending it', async () => {
    await assert.rejects(client.putManifest({ ...ref, tag: 'bad' }, Buffer.from('{"schemaVersion":2,"layers":"no"}'), MediaTypes.ociManifest), { name: 'InvalidManifestError' });
    assert.equal(await client.headManifest({ ...ref, tag: 'bad' }), undefined);
  });

  it('mounts a blob into another repository', async () => {
    assert.equal(await client.blobExists(otherRef, sha256(image.layer)), false);
    assert.equal(await client.mountBlob(ref, otherRef, sha256(image.layer)), true);
    pushed[other]!.blobs.push(sha256(image.layer));
    assert.equal(await client.blobExists(otherRef, sha256(image.layer)), true);
    assert.deepEqual(await client.getBlob(otherRef, sha256(image.layer)), image.layer);
  });

  it('mount falls back to false when the blob is unknown or on another registry', async () => {
    const unknown = sha256(randomBytes(16));
    assert.equal(await client.mountBlob(ref, otherRef, unknown), false);
    assert.equal(await client.blobExists(otherRef, unknown), false);
    assert.equal(await client.mountBlob({ registry: 'localhost:5999', repository: repo }, otherRef, sha256(image.layer)), false);
  });

  it('lists tags, and [] for a repository that does not exist', async () => {
    assert.deepEqual((await client.listTags(ref)).sort(), ['multi', 'v1']);
    assert.deepEqual(await client.listTags({ registry: REGISTRY, repository: uniqueRepo('nothing') }), []);
  });

  it('a manifest that is not there: undefined from HEAD, RegistryError 404 from GET', async () => {
    assert.equal(await client.headManifest({ ...ref, tag: 'missing' }), undefined);
    await assert.rejects(client.getManifest({ ...ref, tag: 'missing' }), (e: unknown) => e instanceof RegistryError && e.status === 404 && /MANIFEST_UNKNOWN/.test(e.message));
  });

  it('deletes manifests by digest', async () => {
    assert.equal(await client.deleteManifest(ref, indexDigest), true);
    assert.equal(await client.headManifest({ ...ref, digest: indexDigest }), undefined);
    assert.equal(await client.headManifest({ ...ref, tag: 'multi' }), undefined);
    assert.equal(await client.deleteManifest(ref, indexDigest), false);
    assert.deepEqual(await client.listTags(ref), ['v1']);
    assert.equal(await client.deleteManifest(ref, manifestDigest), true);
    assert.deepEqual(await client.listTags(ref), []);
  });
});

describe('RegistryClient on a registry with htpasswd auth', () => {
  const USER = 'slipway';
  const PASSWORD = `pw-${randomBytes(12).toString('hex')}`;
  let dir: string;
  let registry: string;
  let child: ChildProcess | undefined;
  let stderr = '';

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-registry-'));
    const port = await freePort();
    registry = `127.0.0.1:${port}`;
    await fs.writeFile(path.join(dir, 'htpasswd'), `${USER}:${bcrypt.hashSync(PASSWORD, 8)}\n`);
    await fs.writeFile(
      path.join(dir, 'config.yml'),
      [
        'version: 0.1',
        'log: { level: error }',
        `storage: { filesystem: { rootdirectory: ${JSON.stringify(path.join(dir, 'storage'))} }, delete: { enabled: true } }`,
        `http: { addr: ${JSON.stringify(registry)} }`,
        `auth: { htpasswd: { realm: slipway-test, path: ${JSON.stringify(path.join(dir, 'htpasswd'))} } }`,
        '',
      ].join('\n'),
    );
    child = spawn('docker-registry', ['serve', path.join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await waitFor401(`http://${registry}/v2/`, 15_000, () => stderr);
  });

  after(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('wrong password: RegistryError 401 that names no secret', async () => {
    const client = new RegistryClient({ credentials: () => ({ username: USER, password: 'not-the-password' }), retry: { attempts: 2, baseDelayMs: 10 } });
    const err = await client.headManifest({ registry, repository: 'app', tag: 'x' }).catch((e: unknown) => e);
    assert.ok(err instanceof RegistryError, String(err));
    assert.equal(err.status, 401);
    assert.equal(err.registry, registry);
    assert.ok(!err.message.includes('not-the-password'));
  });

  it('no credentials: RegistryError 401', async () => {
    const client = new RegistryClient({ retry: { attempts: 2, baseDelayMs: 10 } });
    await assert.rejects(client.listTags({ registry, repository: 'app' }), (e: unknown) => e instanceof RegistryError && e.status === 401);
  });

  it('right password: push and pull work, and the password is registered for masking', async () => {
    const masker = new SecretMasker();
    const client = new RegistryClient({ credentials: (r) => (r === registry ? { username: USER, password: PASSWORD } : undefined), masker });
    const ref: ImageReference = { registry, repository: uniqueRepo('auth') };
    const image = makeImage();
    await client.pushBlob(ref, image.config);
    // Streamed from a file, through Basic auth.
    const layerFile = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-blob-')), 'layer');
    await fs.writeFile(layerFile, image.layer);
    await new RegistryClient({ credentials: (r) => (r === registry ? { username: USER, password: PASSWORD } : undefined) }).pushBlobFile(ref, layerFile, sha256(image.layer), image.layer.length);
    await fs.rm(path.dirname(layerFile), { recursive: true, force: true });
    const digest = await client.putManifest({ ...ref, tag: 'v1' }, image.manifest, MediaTypes.ociManifest);
    assert.equal((await client.headManifest({ ...ref, tag: 'v1' }))?.digest, digest);
    assert.deepEqual((await client.getManifest({ ...ref, tag: 'v1' })).raw, image.manifest);
    assert.deepEqual(await client.getBlob(ref, sha256(image.config)), image.config);
    assert.deepEqual(await client.listTags(ref), ['v1']);
    assert.equal(masker.mask(`x ${PASSWORD} y`), 'x *** y');
    assert.equal(await client.deleteManifest(ref, digest), true);
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitFor401(url: string, timeoutMs: number, log: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const status = await fetch(url).then((r) => r.status, () => 0);
    if (status === 401) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`registry at ${url} did not answer 401 within ${timeoutMs} ms: ${log().slice(-2000)}`);
}
