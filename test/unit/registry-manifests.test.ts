// Table tests of manifest validation: the four kinds, media-type resolution, and what is refused.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidManifestError, MediaTypes, parseManifest } from '../../src/registry/manifests.js';

const d = (c: string) => 'sha256:' + c.repeat(64);
const desc = (mediaType: string, c = 'a') => ({ mediaType, digest: d(c), size: 10 });
const bytes = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));

const ociManifest = { schemaVersion: 2, mediaType: MediaTypes.ociManifest, config: desc(MediaTypes.ociConfig), layers: [desc(MediaTypes.ociLayerGzip, 'b')] };
const ociIndex = { schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [{ ...desc(MediaTypes.ociManifest), platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } }] };
const dockerManifest = { schemaVersion: 2, mediaType: MediaTypes.dockerManifest, config: desc(MediaTypes.dockerConfig), layers: [desc(MediaTypes.dockerLayerGzip, 'b')] };
const dockerList = { schemaVersion: 2, mediaType: MediaTypes.dockerManifestList, manifests: [{ ...desc(MediaTypes.dockerManifest), platform: { os: 'linux', architecture: 'amd64' } }] };
const { mediaType: _m, ...ociManifestBare } = ociManifest;
const { mediaType: _i, ...ociIndexBare } = ociIndex;

describe('parseManifest: accepted', () => {
  const table: [name: string, body: unknown, contentType: string | undefined, mediaType: string][] = [
    ['OCI image manifest', ociManifest, MediaTypes.ociManifest, MediaTypes.ociManifest],
    ['OCI index', ociIndex, MediaTypes.ociIndex, MediaTypes.ociIndex],
    ['Docker v2 manifest', dockerManifest, MediaTypes.dockerManifest, MediaTypes.dockerManifest],
    ['Docker manifest list', dockerList, MediaTypes.dockerManifestList, MediaTypes.dockerManifestList],
    ['OCI manifest without mediaType, from Content-Type', ociManifestBare, MediaTypes.ociManifest, MediaTypes.ociManifest],
    ['OCI index without mediaType, from Content-Type with parameters', ociIndexBare, `${MediaTypes.ociIndex}; charset=utf-8`, MediaTypes.ociIndex],
    ['OCI manifest without mediaType or Content-Type, from its shape', ociManifestBare, undefined, MediaTypes.ociManifest],
    ['OCI index without mediaType or Content-Type, from its shape', ociIndexBare, 'application/json', MediaTypes.ociIndex],
    ['unknown fields are ignored', { ...ociManifest, future: { x: 1 }, annotations: { 'org.opencontainers.image.created': 'now' } }, undefined, MediaTypes.ociManifest],
    ['an artifact with subject and empty layers', { ...ociManifest, artifactType: 'application/vnd.example', layers: [], subject: desc(MediaTypes.ociManifest, 'c') }, undefined, MediaTypes.ociManifest],
    ['sha512 descriptors', { ...ociManifest, config: { ...desc(MediaTypes.ociConfig), digest: 'sha512:' + 'f'.repeat(128) } }, undefined, MediaTypes.ociManifest],
  ];
  for (const [name, body, contentType, mediaType] of table) {
    it(name, () => {
      const parsed = parseManifest(bytes(body), contentType);
      assert.equal(parsed.mediaType, mediaType);
    });
  }
  it('narrows the body on mediaType', () => {
    const parsed = parseManifest(bytes(ociIndex));
    assert.ok(parsed.mediaType === MediaTypes.ociIndex);
    assert.equal(parsed.body.manifests[0]?.platform?.variant, 'v8');
  });
});

describe('parseManifest: refused', () => {
  const table: [name: string, body: unknown, contentType: string | undefined, message: RegExp][] = [
    ['not JSON', '{nope', undefined, /not valid JSON/],
    ['empty', '', undefined, /not valid JSON/],
    ['a JSON array', [], undefined, /not a JSON object/],
    ['JSON null', 'null', undefined, /not a JSON object/],
    ['schema 1', { schemaVersion: 1, name: 'x', tag: 'y', fsLayers: [] }, undefined, /schema 1/],
    ['schemaVersion 3', { ...ociManifest, schemaVersion: 3 }, undefined, /schemaVersion/],
    ['unknown media type', { ...ociManifest, mediaType: 'application/vnd.example+json' }, undefined, /unsupported manifest media type/],
    ['body and Content-Type disagree', ociManifest, MediaTypes.ociIndex, /says mediaType .* but was labelled/],
    ['Docker manifest without mediaType', { ...dockerManifest, mediaType: undefined }, MediaTypes.dockerManifest, /mediaType/],
    ['missing config', { ...ociManifest, config: undefined }, undefined, /config/],
    ['layers not an array', { ...ociManifest, layers: 'x' }, undefined, /layers/],
    ['bad digest in a layer', { ...ociManifest, layers: [{ ...desc(MediaTypes.ociLayerGzip), digest: 'sha256:xyz' }] }, undefined, /layers\.0\.digest/],
    ['negative size', { ...ociManifest, config: { ...desc(MediaTypes.ociConfig), size: -1 } }, undefined, /config\.size/],
    ['fractional size', { ...ociManifest, config: { ...desc(MediaTypes.ociConfig), size: 1.5 } }, undefined, /config\.size/],
    ['manifest list entry without platform', { ...dockerList, manifests: [desc(MediaTypes.dockerManifest)] }, undefined, /platform/],
    ['index platform without os', { ...ociIndex, manifests: [{ ...desc(MediaTypes.ociManifest), platform: { architecture: 'amd64' } }] }, undefined, /platform\.os/],
    ['annotations that are not strings', { ...ociManifest, annotations: { a: 1 } }, undefined, /annotations/],
  ];
  for (const [name, body, contentType, message] of table) {
    it(name, () => {
      assert.throws(
        () => parseManifest(bytes(body), contentType),
        (err: unknown) => err instanceof InvalidManifestError && err.code === 'invalid_manifest' && message.test(err.message),
      );
    });
  }
});
