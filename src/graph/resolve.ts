// What digest an image tag names for each platform, asked of its registry. The dependency graph compares
// platform manifests, not index digests: an index that changes only because another architecture was added
// must not rebuild images of the architectures that stayed the same.
import * as z from 'zod';
import { formatPlatform, parsePlatform } from '../platforms.js';
import type { Manifest, RegistryClient } from '../registry/client.js';
import { isIndexMediaType, type Descriptor, type Platform as ManifestPlatform } from '../registry/manifests.js';
import type { ImageReference } from '../registry/reference.js';

export interface PlatformDigests {
  /** The digest the tag names: an index's, or the single manifest's. */
  digest: string;
  /** Platform (`os/arch[/variant]`) → the platform manifest's digest. */
  platforms: Record<string, string>;
}

const imageConfig = z.object({ os: z.string().min(1), architecture: z.string().min(1), variant: z.string().optional() });

/** Every platform a tag (or digest) offers, with its manifest digest. */
export async function platformDigests(client: RegistryClient, ref: ImageReference): Promise<PlatformDigests> {
  const manifest = await client.getManifest(ref);
  if (isIndex(manifest)) return { digest: manifest.digest, platforms: indexPlatforms(manifest) };
  return { digest: manifest.digest, platforms: { [await manifestPlatform(client, ref, manifest)]: manifest.digest } };
}

/** The platform manifest a pull of `ref` for `platform` gets: the index entry for it, or the single manifest. */
export async function resolveForPlatform(client: RegistryClient, ref: ImageReference, platform: string): Promise<{ digest: string; indexDigest?: string }> {
  const head = await client.headManifest(ref);
  if (!head) throw new Error(`${ref.registry}/${ref.repository}:${ref.tag ?? 'latest'} not found in its registry`);
  if (!isIndexMediaType(head.mediaType)) return { digest: head.digest };
  const manifest = await client.getManifest({ ...ref, digest: head.digest });
  const digest = isIndex(manifest) ? indexPlatforms(manifest)[normalise(platform)] : undefined;
  if (!digest) throw new Error(`the image index has no ${platform} manifest`);
  return { digest, indexDigest: head.digest };
}

type IndexManifest = Manifest & { body: { manifests: (Descriptor & { platform?: ManifestPlatform })[] } };
const isIndex = (m: Manifest): m is IndexManifest => isIndexMediaType(m.mediaType) && 'manifests' in m.body;

function indexPlatforms(index: IndexManifest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of index.body.manifests) {
    // Attestation manifests (unknown/unknown) and entries without a platform are not images to build on.
    if (!entry.platform || entry.platform.os === 'unknown') continue;
    const key = normalise(formatPlatform({ os: entry.platform.os, architecture: entry.platform.architecture, ...(entry.platform.variant ? { variant: entry.platform.variant } : {}) }));
    out[key] ??= entry.digest;
  }
  return out;
}

async function manifestPlatform(client: RegistryClient, ref: ImageReference, manifest: Manifest): Promise<string> {
  if (!('config' in manifest.body)) throw new Error('the manifest has no config');
  const config = imageConfig.parse(JSON.parse((await client.getBlob(ref, manifest.body.config.digest, 4 * 1024 * 1024)).toString('utf8')));
  return normalise(formatPlatform({ os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) }));
}

function normalise(platform: string): string {
  try {
    return formatPlatform(parsePlatform(platform));
  } catch {
    return platform.toLowerCase();
  }
}
