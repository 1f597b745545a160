// Daemonless Windows assembly against the real registry (127.0.0.1:5000): the test makes a windows/amd64 base
// (a Windows-format layer from our writer, a Docker v2 manifest, an index with its platform), assembles a
// Dockerfile on top of it, and reads back what was pushed — manifest, config, and the new layer's tar.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import tar from 'tar-stream';
import { RegistryClient } from '../../src/registry/client.js';
import { digestOf } from '../../src/registry/digest.js';
import { MediaTypes } from '../../src/registry/manifests.js';
import type { ImageReference } from '../../src/registry/reference.js';
import { assembleWindowsImage, canAssembleWithoutDaemon, isWindowsAssemblyError } from '../../workers/builder/windows/assemble.js';
import { compressLayer, writeWindowsLayer } from '../../workers/builder/windows/layer-writer.js';

const REGISTRY = '127.0.0.1:5000';
const uniqueRepo = (suffix = '') => `slipway-test/win-${randomBytes(5).toString('hex')}${suffix}`;
const json = (value: unknown) => Buffer.from(JSON.stringify(value));

interface Pushed {
  ref: ImageReference;
  manifests: string[];
  blobs: string[];
}

async function readTar(blob: Buffer): Promise<Map<string, { type: string; pax: Record<string, string>; body: string }>> {
  const extract = tar.extract();
  Readable.from([gunzipSync(blob)]).pipe(extract);
  const out = new Map<string, { type: string; pax: Record<string, string>; body: string }>();
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    out.set(entry.header.name, { type: entry.header.type, pax: (entry.header.pax ?? {}) as Record<string, string>, body: Buffer.concat(chunks).toString() });
  }
  return out;
}

describe('assembleWindowsImage on the stack registry', () => {
  const client = new RegistryClient({ retry: { attempts: 3, baseDelayMs: 50 } });
  const baseRepo = uniqueRepo();
  const appRepo = `${baseRepo}-app`;
  const pushed: Pushed[] = [
    { ref: { registry: REGISTRY, repository: baseRepo }, manifests: [], blobs: [] },
    { ref: { registry: REGISTRY, repository: appRepo }, manifests: [], blobs: [] },
  ];
  const [base, app] = pushed as [Pushed, Pushed];
  let contextDir: string;
  let baseLayer: Awaited<ReturnType<typeof compressLayer>>;
  let windowsManifestDigest: string;

  /** Pushes an image (Docker v2 unless `oci`); returns its manifest descriptor. */
  async function pushImage(config: Record<string, unknown>, layers: { mediaType: string; digest: string; size: number }[], oci = false) {
    const configBlob = json(config);
    base.blobs.push(await client.pushBlob(base.ref, configBlob));
    const mediaType = oci ? MediaTypes.ociManifest : MediaTypes.dockerManifest;
    const manifest = json({
      schemaVersion: 2,
      mediaType,
      config: { mediaType: oci ? MediaTypes.ociConfig : MediaTypes.dockerConfig, digest: digestOf(configBlob), size: configBlob.length },
      layers,
    });
    const digest = await client.putManifest(base.ref, manifest, mediaType);
    base.manifests.unshift(digest);
    return { mediaType, digest, size: manifest.length };
  }

  before(async () => {
    baseLayer = await compressLayer(
      await writeWindowsLayer([
        { path: ['Windows', 'System32', 'cmd.exe'], kind: 'file', mtime: new Date('2024-01-01T00:00:00Z'), data: Buffer.from('MZ not really cmd') },
        { path: ['Windows', 'System32', 'config', 'SOFTWARE'], kind: 'file', mtime: new Date('2024-01-01T00:00:00Z'), data: Buffer.from('regf') },
      ]),
    );
    base.blobs.push(await client.pushBlob(base.ref, baseLayer.blob));
    const layerDescriptor = { mediaType: MediaTypes.dockerLayerGzip, digest: baseLayer.digest, size: baseLayer.size };
    const windows = await pushImage(
      {
        architecture: 'amd64',
        os: 'windows',
        'os.version': '10.0.20348.2340',
        config: { Env: ['Path=C:\\Windows\\system32;C:\\Windows'], Cmd: ['c:\\windows\\system32\\cmd.exe'], User: 'ContainerUser' },
        rootfs: { type: 'layers', diff_ids: [baseLayer.diffId] },
        history: [{ created: '2024-01-01T00:00:00Z', created_by: 'Apply image 10.0.20348.2340' }],
      },
      [layerDescriptor],
    );
    windowsManifestDigest = windows.digest;
    const linux = await pushImage({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [baseLayer.diffId] } }, [layerDescriptor]);
    const index = json({
      schemaVersion: 2,
      mediaType: MediaTypes.dockerManifestList,
      manifests: [
        { ...linux, platform: { os: 'linux', architecture: 'amd64' } },
        { ...windows, platform: { os: 'windows', architecture: 'amd64', 'os.version': '10.0.20348.2340' } },
      ],
    });
    base.manifests.unshift(await client.putManifest({ ...base.ref, tag: 'ltsc2022' }, index, MediaTypes.dockerManifestList));

    contextDir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-wincontext-'));
    await fs.mkdir(path.join(contextDir, 'app', 'config'), { recursive: true });
    await fs.writeFile(path.join(contextDir, 'app', 'hello.exe'), 'MZ hello');
    await fs.writeFile(path.join(contextDir, 'app', 'config', 'settings.json'), '{"greeting":"hi"}');
    await fs.writeFile(path.join(contextDir, 'unused.txt'), 'not copied');
  });

  after(async () => {
    for (const { ref, manifests, blobs } of [...pushed].reverse()) {
      for (const digest of manifests) await client.deleteManifest(ref, digest).catch(() => false);
      for (const digest of blobs) await fetch(`http://${REGISTRY}/v2/${ref.repository}/blobs/${digest}`, { method: 'DELETE' }).catch(() => undefined);
    }
    if (contextDir) await fs.rm(contextDir, { recursive: true, force: true });
  });

  it('assembles ARG, COPY, ENV, WORKDIR, LABEL, ENTRYPOINT and CMD onto the windows/amd64 base', async () => {
    const dockerfile = [
      '# escape=`',
      'ARG BASE_TAG=ltsc2019',
      `FROM ${baseRepo}:\${BASE_TAG}`,
      'ARG GREETING=hello',
      'COPY app/ C:/app/',
      'ENV APP_HOME=C:\\app GREETING=${GREETING}',
      'WORKDIR C:\\app',
      'LABEL org.opencontainers.image.title="windows test"',
      'ENTRYPOINT ["C:\\\\app\\\\hello.exe"]',
      'CMD --greeting %GREETING%',
    ].join('\n');
    const lines: string[] = [];
    const result = await assembleWindowsImage({
      dockerfile,
      contextDir,
      buildArgs: { BASE_TAG: 'ltsc2022', GREETING: 'hi' },
      registry: client,
      defaultRegistry: REGISTRY,
      target: { registry: REGISTRY, repository: appRepo },
      onLine: (line) => lines.push(line),
    });
    app.manifests.push(result.manifestDigest);
    assert.deepEqual(result.platform, { os: 'windows', architecture: 'amd64', 'os.version': '10.0.20348.2340' });
    assert.equal(result.manifestMediaType, MediaTypes.dockerManifest);
    assert.ok(lines.includes('step 4/9: COPY app/ C:/app/'), lines.join('\n'));
    assert.ok(lines.some((l) => l.includes(`using its windows/amd64 10.0.20348.2340 entry ${windowsManifestDigest}`)), lines.join('\n'));

    const manifest = await client.getManifest({ ...app.ref, digest: result.manifestDigest });
    assert.equal(manifest.raw.length, result.size);
    assert.ok(manifest.mediaType === MediaTypes.dockerManifest);
    const layers = manifest.body.layers;
    assert.equal(layers.length, 2, 'the base layer plus one COPY layer (WORKDIR C:\\app is made by the COPY)');
    assert.deepEqual(layers[0], { mediaType: MediaTypes.dockerLayerGzip, digest: baseLayer.digest, size: baseLayer.size });
    assert.equal(layers[1]!.mediaType, MediaTypes.dockerLayerGzip);
    assert.equal(await client.blobExists(app.ref, baseLayer.digest), true, 'the base layer was mounted into the target repository');
    app.blobs.push(baseLayer.digest, layers[1]!.digest, manifest.body.config.digest);

    const entries = await readTar(await client.getBlob(app.ref, layers[1]!.digest));
    assert.deepEqual([...entries.keys()], ['Files', 'Hives', 'Files/app', 'Files/app/config', 'Files/app/config/settings.json', 'Files/app/hello.exe']);
    assert.equal(entries.get('Files/app/hello.exe')!.body, 'MZ hello');
    assert.equal(entries.get('Files/app/config/settings.json')!.body, '{"greeting":"hi"}');
    assert.equal(entries.get('Files/app/hello.exe')!.pax['MSWINDOWS.fileattr'], '32');
    assert.equal(entries.get('Files/app/config')!.pax['MSWINDOWS.fileattr'], '16');
    assert.equal(entries.get('Hives')!.type, 'directory');

    const config = JSON.parse((await client.getBlob(app.ref, manifest.body.config.digest)).toString());
    assert.equal(config.os, 'windows');
    assert.equal(config.architecture, 'amd64');
    assert.equal(config['os.version'], '10.0.20348.2340');
    assert.equal(config.rootfs.diff_ids.length, 2);
    assert.equal(config.rootfs.diff_ids[0], baseLayer.diffId);
    assert.equal(config.rootfs.diff_ids[1], digestOf(gunzipSync(await client.getBlob(app.ref, layers[1]!.digest))));
    assert.deepEqual(
      config.history.map((h: { created_by: string; empty_layer?: boolean }) => [h.created_by, h.empty_layer ?? false]),
      [
        ['Apply image 10.0.20348.2340', false],
        ['ARG GREETING', true], // a build arg's value stays out of history
        ['COPY app/ C:/app/', false],
        ['ENV APP_HOME=C:\\app GREETING=hi', true],
        ['WORKDIR C:\\app', true],
        ['LABEL org.opencontainers.image.title=windows test', true],
        ['ENTRYPOINT ["C:\\\\app\\\\hello.exe"]', true],
        ['CMD ["cmd /S /C --greeting %GREETING%"]', true],
      ],
    );
    assert.deepEqual(config.config.Env, ['Path=C:\\Windows\\system32;C:\\Windows', 'APP_HOME=C:\\app', 'GREETING=hi']);
    assert.equal(config.config.WorkingDir, 'C:\\app');
    assert.deepEqual(config.config.Entrypoint, ['C:\\app\\hello.exe']);
    assert.deepEqual(config.config.Cmd, ['cmd /S /C --greeting %GREETING%']);
    assert.equal(config.config.ArgsEscaped, true);
    assert.equal(config.config.User, 'ContainerUser');
    assert.deepEqual(config.config.Labels, { 'org.opencontainers.image.title': 'windows test' });
  });

  it('follows an OCI base with OCI media types, and adds a layer for a WORKDIR nothing else creates', async () => {
    const ociBase = await pushImage(
      { architecture: 'amd64', os: 'windows', 'os.version': '10.0.17763.5576', rootfs: { type: 'layers', diff_ids: [baseLayer.diffId] } },
      [{ mediaType: MediaTypes.ociLayerGzip, digest: baseLayer.digest, size: baseLayer.size }],
      true,
    );
    const result = await assembleWindowsImage({
      dockerfile: `FROM ${baseRepo}@${ociBase.digest}\nWORKDIR C:/data/logs\nUSER ContainerAdministrator\n`,
      contextDir,
      buildArgs: { UNUSED: 'x' },
      registry: client,
      defaultRegistry: REGISTRY,
      target: { registry: REGISTRY, repository: appRepo },
      onLine: () => undefined,
    });
    app.manifests.push(result.manifestDigest);
    assert.equal(result.manifestMediaType, MediaTypes.ociManifest);
    assert.deepEqual(result.platform, { os: 'windows', architecture: 'amd64', 'os.version': '10.0.17763.5576' });
    const manifest = await client.getManifest({ ...app.ref, digest: result.manifestDigest });
    assert.ok(manifest.mediaType === MediaTypes.ociManifest);
    assert.equal(manifest.body.config.mediaType, MediaTypes.ociConfig);
    assert.deepEqual(manifest.body.layers.map((l) => l.mediaType), [MediaTypes.ociLayerGzip, MediaTypes.ociLayerGzip]);
    const entries = await readTar(await client.getBlob(app.ref, manifest.body.layers[1]!.digest));
    assert.deepEqual([...entries.keys()], ['Files', 'Hives', 'Files/data', 'Files/data/logs']);
    const config = JSON.parse((await client.getBlob(app.ref, manifest.body.config.digest)).toString());
    assert.equal(config.config.WorkingDir, 'C:\\data\\logs');
    assert.equal(config.config.User, 'ContainerAdministrator');
    assert.deepEqual(config.history.map((h: { empty_layer?: boolean }) => h.empty_layer ?? false), [false, false, true], 'an empty entry stands for the base layer');
  });

  it('refuses a base index without a windows/amd64 image', async () => {
    // The registry checks that an index entry exists, not what it is: enough for an index that offers no windows/amd64.
    const { raw } = await client.getManifest({ ...base.ref, digest: windowsManifestDigest });
    const index = json({
      schemaVersion: 2,
      mediaType: MediaTypes.dockerManifestList,
      manifests: [{ mediaType: MediaTypes.dockerManifest, digest: windowsManifestDigest, size: raw.length, platform: { os: 'linux', architecture: 'arm64' } }],
    });
    base.manifests.unshift(await client.putManifest({ ...base.ref, tag: 'linux-only' }, index, MediaTypes.dockerManifestList));
    await assert.rejects(
      assembleWindowsImage({
        dockerfile: `FROM ${REGISTRY}/${baseRepo}:linux-only\nCOPY app/ C:/app/\n`,
        contextDir,
        buildArgs: {},
        registry: client,
        defaultRegistry: 'docker.io',
        target: { registry: REGISTRY, repository: appRepo },
        onLine: () => undefined,
      }),
      (err: unknown) => isWindowsAssemblyError(err) && err.line === 1 && /no windows\/amd64 image \(it offers linux\/arm64\)/.test(err.message),
    );
  });

  it('refuses a Dockerfile with RUN before touching the registry, naming the line', () => {
    const check = canAssembleWithoutDaemon(`FROM ${baseRepo}:ltsc2022\nCOPY app/ C:/app/\nRUN C:\\app\\hello.exe --selftest\nCMD ["C:\\\\app\\\\hello.exe"]\n`);
    assert.equal(check.ok, false);
    assert.ok(!check.ok && check.line === 3 && /^line 3: RUN executes a command/.test(check.reason), JSON.stringify(check));
  });
});
