// Base images tests make in the local registry: a three-platform index (linux/amd64 and linux/arm64 from
// the busybox bases, plus a small windows/amd64 image with a Windows-format layer), all in one repository.
import { RegistryClient } from '../../src/registry/client.js';
import { digestOf } from '../../src/registry/digest.js';
import { MediaTypes } from '../../src/registry/manifests.js';
import { compressLayer, writeWindowsLayer } from '../../workers/builder/windows/layer-writer.js';
import { REGISTRY } from './stack.js';

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

export const WINDOWS_OS_VERSION = '10.0.20348.2340';

/** Pushes `<repository>:latest` as an index of linux/amd64, linux/arm64 and windows/amd64; returns the image name. */
export async function pushThreePlatformBase(repository: string): Promise<string> {
  const client = new RegistryClient();
  const repo = { registry: REGISTRY, repository };
  const busybox = { registry: REGISTRY, repository: 'base/busybox' };
  const entries = [];
  for (const arch of ['amd64', 'arm64']) {
    const manifest = await client.getManifest({ ...busybox, tag: arch });
    if (manifest.mediaType !== MediaTypes.dockerManifest && manifest.mediaType !== MediaTypes.ociManifest) throw new Error(`base/busybox:${arch} is not an image manifest`);
    const { body } = manifest;
    for (const digest of [body.config.digest, ...body.layers.map((l) => l.digest)]) {
      if (!(await client.mountBlob(busybox, repo, digest))) await client.pushBlob(repo, await client.getBlob(busybox, digest, 64 * 1024 * 1024));
    }
    const digest = await client.putManifest(repo, manifest.raw, manifest.mediaType);
    entries.push({ mediaType: manifest.mediaType, size: manifest.raw.length, digest, platform: { os: 'linux', architecture: arch } });
  }

  const layer = await compressLayer(
    await writeWindowsLayer([{ path: ['Windows', 'System32', 'cmd.exe'], kind: 'file', mtime: new Date('2024-01-01T00:00:00Z'), data: Buffer.from('MZ not really cmd') }]),
  );
  await client.pushBlob(repo, layer.blob);
  const config = json({
    architecture: 'amd64',
    os: 'windows',
    'os.version': WINDOWS_OS_VERSION,
    config: { Env: ['Path=C:\\Windows\\system32;C:\\Windows'], Cmd: ['c:\\windows\\system32\\cmd.exe'] },
    rootfs: { type: 'layers', diff_ids: [layer.diffId] },
    history: [{ created: '2024-01-01T00:00:00Z', created_by: `Apply image ${WINDOWS_OS_VERSION}` }],
  });
  await client.pushBlob(repo, config);
  const windows = json({
    schemaVersion: 2,
    mediaType: MediaTypes.dockerManifest,
    config: { mediaType: MediaTypes.dockerConfig, digest: digestOf(config), size: config.length },
    layers: [{ mediaType: MediaTypes.dockerLayerGzip, digest: layer.digest, size: layer.size }],
  });
  const windowsDigest = await client.putManifest(repo, windows, MediaTypes.dockerManifest);
  entries.push({ mediaType: MediaTypes.dockerManifest, size: windows.length, digest: windowsDigest, platform: { os: 'windows', architecture: 'amd64', 'os.version': WINDOWS_OS_VERSION } });

  await client.putManifest({ ...repo, tag: 'latest' }, json({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: entries }), MediaTypes.ociIndex);
  return `${REGISTRY}/${repository}:latest`;
}
