// The image index of a multi-platform run: one entry per platform manifest, pushed under every tag.
import type { RegistryClient } from '../../src/registry/client.js';
import { MediaTypes } from '../../src/registry/manifests.js';
import type { ImageReference } from '../../src/registry/reference.js';

export interface IndexEntry {
  digest: string;
  mediaType: string;
  size: number;
  platform: { os: string; architecture: string; variant?: string; 'os.version'?: string };
}

/** An OCI image index; entries keep the order of the requested platforms, so equal runs give equal digests. */
export function imageIndex(entries: IndexEntry[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaTypes.ociIndex,
      manifests: entries.map((e) => ({ mediaType: e.mediaType, size: e.size, digest: e.digest, platform: e.platform })),
    }),
  );
}

/** Pushes the index under each tag; returns the index digest. */
export async function pushIndex(registry: RegistryClient, tags: ImageReference[], entries: IndexEntry[]): Promise<string> {
  const raw = imageIndex(entries);
  let digest = '';
  for (const tag of tags) digest = await registry.putManifest(tag, raw, MediaTypes.ociIndex);
  return digest;
}
