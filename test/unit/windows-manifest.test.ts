// The pure decisions around the registry in Windows assembly: which index entry is the base, what the new
// manifest holds (foreign base layers untouched), and when a WORKDIR needs a layer of its own.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MediaTypes, type Descriptor } from '../../src/registry/manifests.js';
import { pickWindowsEntry, type WindowsBaseImage } from '../../workers/builder/windows/base-image.js';
import { directoriesOf, workdirLayerNeeded } from '../../workers/builder/windows/build-layers.js';
import { buildManifest, isForeignLayer } from '../../workers/builder/windows/push.js';

const digest = (c: string) => `sha256:${c.repeat(64)}`;

describe('pickWindowsEntry', () => {
  const entries = [
    { digest: digest('1'), platform: { os: 'linux', architecture: 'amd64' } },
    { digest: digest('2'), platform: { os: 'windows', architecture: 'amd64', 'os.version': '10.0.17763.5576' } },
    { digest: digest('3'), platform: { os: 'windows', architecture: 'amd64', 'os.version': '10.0.20348.2340' } },
    { digest: digest('4'), platform: { os: 'windows', architecture: 'arm64', 'os.version': '10.0.26100.1' } },
    { digest: digest('5') },
  ];

  it('takes the newest windows/amd64 build unless an os.version is asked for', () => {
    assert.equal(pickWindowsEntry(entries)?.digest, digest('3'));
    assert.equal(pickWindowsEntry(entries, '10.0.17763')?.digest, digest('2'));
    assert.equal(pickWindowsEntry(entries, '10.0.26100'), undefined);
    assert.equal(pickWindowsEntry(entries.slice(0, 1)), undefined);
  });
});

describe('buildManifest', () => {
  const foreign: Descriptor = { mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', digest: digest('a'), size: 100, urls: ['https://mcr.microsoft.com/v2/windows/servercore/blobs/x'] };
  const regular: Descriptor = { mediaType: MediaTypes.dockerLayerGzip, digest: digest('b'), size: 200 };
  const base = (manifestMediaType: WindowsBaseImage['manifestMediaType'], layers: Descriptor[]): WindowsBaseImage => ({
    ref: { registry: 'mcr.microsoft.com', repository: 'windows/servercore' },
    manifestDigest: digest('0'),
    manifestMediaType,
    layers,
    config: { architecture: 'amd64', os: 'windows', rootfs: { type: 'layers', diff_ids: [] } },
    osVersion: undefined,
  });

  it('keeps the base layers as they are and appends the new ones in the base manifest kind', () => {
    const built = buildManifest(base(MediaTypes.dockerManifest, [foreign, regular]), { digest: digest('c'), size: 300 }, [{ blob: Buffer.alloc(0), digest: digest('d'), size: 400 }]);
    const body = JSON.parse(built.raw.toString());
    assert.equal(built.mediaType, MediaTypes.dockerManifest);
    assert.deepEqual(body, {
      schemaVersion: 2,
      mediaType: MediaTypes.dockerManifest,
      config: { mediaType: MediaTypes.dockerConfig, digest: digest('c'), size: 300 },
      layers: [foreign, regular, { mediaType: MediaTypes.dockerLayerGzip, digest: digest('d'), size: 400 }],
    });
    const oci = JSON.parse(buildManifest(base(MediaTypes.ociManifest, [regular]), { digest: digest('c'), size: 300 }, [{ blob: Buffer.alloc(0), digest: digest('d'), size: 400 }]).raw.toString());
    assert.equal(oci.config.mediaType, MediaTypes.ociConfig);
    assert.equal(oci.layers[1].mediaType, MediaTypes.ociLayerGzip);
  });

  it('knows foreign and non-distributable layers', () => {
    assert.equal(isForeignLayer(foreign), true);
    assert.equal(isForeignLayer({ ...regular, mediaType: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip' }), true);
    assert.equal(isForeignLayer(regular), false);
  });
});

describe('workdirLayerNeeded', () => {
  const t = new Date(0);
  const created = directoriesOf([
    { path: ['app', 'bin', 'app.exe'], kind: 'file', mtime: t },
    { path: ['data'], kind: 'directory', mtime: t },
  ]);

  it('skips directories a COPY layer or the base already has', () => {
    assert.deepEqual([...created].sort(), ['APP', 'APP\\BIN', 'DATA']);
    assert.equal(workdirLayerNeeded(['App', 'Bin'], [], created), false, 'NTFS names are case-insensitive');
    assert.equal(workdirLayerNeeded(['data'], [], created), false);
    assert.equal(workdirLayerNeeded(['inetpub'], ['inetpub', 'wwwroot'], created), false, 'parents of the base WorkingDir exist');
    assert.equal(workdirLayerNeeded([], [], created), false, 'C:\\ always exists');
    assert.equal(workdirLayerNeeded(['app', 'bin', 'app.exe'], [], created), true, 'a file is not a directory');
    assert.equal(workdirLayerNeeded(['logs'], [], created), true);
  });
});
