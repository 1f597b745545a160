// The image index of a multi-platform run: one entry per platform manifest, pushed under every tag.
// OCI first; a registry that refuses OCI indexes gets a Docker manifest list instead, when every entry
// is a Docker manifest (a list may only name those).
import type { RegistryClient } from '../../src/registry/client.js';
import { isRegistryError } from '../../src/registry/errors.js';
import { MediaTypes } from '../../src/registry/manifests.js';
import type { ImageReference } from '../../src/registry/reference.js';
import type { PushedManifest } from './image-builder.js';

/** A platform manifest the index names: what ImageBuilder.pushByDigest reports. */
export type IndexEntry = PushedManifest;

/** An index of `mediaType`; entries keep the order of the requested platforms, so equal runs give equal digests. */
export function imageIndex(entries: IndexEntry[], mediaType: string = MediaTypes.ociIndex): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType,
      manifests: entries.map((e) => ({ mediaType: e.mediaType, size: e.size, digest: e.digest, platform: indexPlatform(e.platform) })),
    }),
  );
}

/**
 * An entry's platform as the image spec names its fields. The variant is what tells a linux/arm/v7 image
 * from a v6 one (a pull for arm/v7 matches it), so it is kept whenever the platform has one.
 */
function indexPlatform(p: IndexEntry['platform']): IndexEntry['platform'] {
  return { architecture: p.architecture, os: p.os, ...(p.variant ? { variant: p.variant } : {}), ...(p['os.version'] ? { 'os.version': p['os.version'] } : {}) };
}

/** Pushes the index under each tag; returns the index digest and the media type the registry took. */
export async function pushIndex(registry: RegistryClient, tags: ImageReference[], entries: IndexEntry[]): Promise<{ digest: string; mediaType: string }> {
  let mediaType: string = MediaTypes.ociIndex;
  let digest = '';
  for (const tag of tags) {
    try {
      digest = await registry.putManifest(tag, imageIndex(entries, mediaType), mediaType);
    } catch (err) {
      if (!refusesOciIndex(err) || mediaType !== MediaTypes.ociIndex || !entries.every((e) => e.mediaType === MediaTypes.dockerManifest)) throw err;
      mediaType = MediaTypes.dockerManifestList;
      digest = await registry.putManifest(tag, imageIndex(entries, mediaType), mediaType);
    }
  }
  return { digest, mediaType };
}

/** 400 MANIFEST_INVALID / 415: what registries without OCI index support answer. */
function refusesOciIndex(err: unknown): boolean {
  return isRegistryError(err) && (err.status === 415 || err.status === 400);
}
