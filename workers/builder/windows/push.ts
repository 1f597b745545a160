// Puts an assembled image into the target repository: base layers mounted (or copied when small), new layers and
// the config uploaded, then the manifest pushed by digest — no tag. Foreign (non-distributable) Windows base layers
// are not blobs of any registry we push to; their descriptors, `urls` included, are kept as they are.
import type { RegistryClient } from '../../../src/registry/client.js';
import { digestOf } from '../../../src/registry/digest.js';
import { isRegistryError } from '../../../src/registry/errors.js';
import { MediaTypes, type Descriptor } from '../../../src/registry/manifests.js';
import type { ImageReference } from '../../../src/registry/reference.js';
import type { ImageManifestMediaType, WindowsBaseImage } from './base-image.js';
import { WindowsAssemblyError } from '../../../src/dockerfile/windows/errors.js';

export interface NewLayer {
  blob: Buffer;
  digest: string;
  size: number;
}

export interface BuiltManifest {
  raw: Buffer;
  digest: string;
  mediaType: ImageManifestMediaType;
}

/** Largest base layer copied through memory when it cannot be mounted (another registry, say). */
export const DEFAULT_MAX_COPIED_LAYER_BYTES = 256 * 1024 * 1024;

/** The manifest: the base's kind (Docker v2 or OCI), its layers untouched, then the new ones. */
export function buildManifest(base: WindowsBaseImage, config: { digest: string; size: number }, layers: readonly NewLayer[]): BuiltManifest {
  const oci = base.manifestMediaType === MediaTypes.ociManifest;
  const body = {
    schemaVersion: 2,
    mediaType: base.manifestMediaType,
    config: { mediaType: oci ? MediaTypes.ociConfig : MediaTypes.dockerConfig, digest: config.digest, size: config.size },
    layers: [
      ...base.layers,
      ...layers.map((l) => ({ mediaType: oci ? MediaTypes.ociLayerGzip : MediaTypes.dockerLayerGzip, digest: l.digest, size: l.size })),
    ],
  };
  const raw = Buffer.from(JSON.stringify(body));
  return { raw, digest: digestOf(raw), mediaType: base.manifestMediaType };
}

/** Foreign layers (Docker) and non-distributable ones (OCI) are fetched from their `urls`, never pushed. */
export function isForeignLayer(descriptor: Descriptor): boolean {
  return /foreign|nondistributable/.test(descriptor.mediaType);
}

export interface PushImageInput {
  registry: RegistryClient;
  target: ImageReference;
  base: WindowsBaseImage;
  config: Buffer;
  layers: readonly NewLayer[];
  manifest: BuiltManifest;
  onLine: (line: string) => void;
  signal?: AbortSignal;
  maxCopiedLayerBytes?: number;
}

export async function pushAssembledImage(input: PushImageInput): Promise<void> {
  const { registry, target, onLine } = input;
  for (const layer of input.base.layers) {
    input.signal?.throwIfAborted();
    if (isForeignLayer(layer)) continue;
    await ensureBaseLayer(input, layer);
  }
  for (const layer of input.layers) {
    input.signal?.throwIfAborted();
    await registry.pushBlob(target, layer.blob);
    onLine(`pushed layer ${layer.digest} (${layer.size} bytes)`);
  }
  await registry.pushBlob(target, input.config);
  input.signal?.throwIfAborted();
  try {
    await registry.putManifest({ registry: target.registry, repository: target.repository, digest: input.manifest.digest }, input.manifest.raw, input.manifest.mediaType);
  } catch (err) {
    throw explainForeignRefusal(err, input.base);
  }
  onLine(`pushed manifest ${target.registry}/${target.repository}@${input.manifest.digest}`);
}

/**
 * CNCF distribution refuses manifests with foreign-layer URLs unless its validation.manifests.urls.allow says
 * otherwise, answering MANIFEST_BLOB_UNKNOWN; say so instead of leaving a puzzling "blob unknown".
 */
function explainForeignRefusal(err: unknown, base: WindowsBaseImage): unknown {
  const foreign = base.layers.filter(isForeignLayer);
  if (foreign.length === 0 || !isRegistryError(err) || !/MANIFEST_BLOB_UNKNOWN/.test(err.message)) return err;
  return new WindowsAssemblyError(
    `the registry refused the manifest; the base has ${foreign.length} foreign (non-distributable) layer(s) whose URLs it does not allow ` +
      `(distribution: validation.manifests.urls.allow) — ${err.message}`,
  );
}

async function ensureBaseLayer(input: PushImageInput, layer: Descriptor): Promise<void> {
  const { registry, target, base } = input;
  if (await registry.blobExists(target, layer.digest)) return;
  if (await registry.mountBlob(base.ref, target, layer.digest)) {
    input.onLine(`mounted base layer ${layer.digest} from ${base.ref.repository}`);
    return;
  }
  const limit = input.maxCopiedLayerBytes ?? DEFAULT_MAX_COPIED_LAYER_BYTES;
  if (layer.size > limit) {
    throw new WindowsAssemblyError(
      `base layer ${layer.digest} (${layer.size} bytes) is not in ${target.registry}/${target.repository} and cannot be mounted there; ` +
        `copying more than ${limit} bytes needs streaming blob uploads — push the base image into ${target.registry} first`,
    );
  }
  await registry.pushBlob(target, await registry.getBlob(base.ref, layer.digest, layer.size));
  input.onLine(`copied base layer ${layer.digest} from ${base.ref.registry}/${base.ref.repository}`);
}
