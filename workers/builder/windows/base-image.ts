// The FROM image, resolved the way `docker pull --platform windows/amd64` would: an index picks its windows/amd64
// entry, then the manifest and its config are read and checked (os windows, amd64, no ONBUILD triggers to run).
import type { RegistryClient } from '../../../src/registry/client.js';
import { MediaTypes, isIndexMediaType, type Descriptor, type Platform } from '../../../src/registry/manifests.js';
import { formatReference, withDefaultTag, type ImageReference } from '../../../src/registry/reference.js';
import { WindowsAssemblyError } from '../../../src/dockerfile/windows/errors.js';
import { imageConfigSchema, type ImageConfig } from './image-config.js';

export type ImageManifestMediaType = typeof MediaTypes.dockerManifest | typeof MediaTypes.ociManifest;

export interface WindowsBaseImage {
  /** Where the base lives (its repository is where layers are mounted from). */
  ref: ImageReference;
  manifestDigest: string;
  manifestMediaType: ImageManifestMediaType;
  /** Descriptors exactly as the base manifest has them (foreign layers keep their `urls`). */
  layers: Descriptor[];
  config: ImageConfig;
  /** The config's os.version, else the one the index entry declared. */
  osVersion: string | undefined;
}

export interface ResolveBaseOptions {
  /** Dockerfile line of FROM, for errors. */
  line: number;
  /** Prefix of the os.version to pick from an index, e.g. `10.0.20348`; default: the newest. */
  osVersion?: string;
  onLine: (line: string) => void;
}

export async function resolveWindowsBase(registry: RegistryClient, image: ImageReference, opts: ResolveBaseOptions): Promise<WindowsBaseImage> {
  const ref = withDefaultTag(image);
  const name = formatReference(ref);
  const fail = (message: string) => new WindowsAssemblyError(`FROM ${name}: ${message}`, opts.line);
  let manifest = await registry.getManifest(ref);
  let indexOsVersion: string | undefined;
  if (manifest.mediaType === MediaTypes.ociIndex || manifest.mediaType === MediaTypes.dockerManifestList) {
    const entries = manifest.body.manifests as (Descriptor & { platform?: Platform })[];
    const chosen = pickWindowsEntry(entries, opts.osVersion);
    if (!chosen) {
      const offered = entries.map((e) => (e.platform ? `${e.platform.os}/${e.platform.architecture}${e.platform['os.version'] ? ` ${e.platform['os.version']}` : ''}` : 'unknown')).join(', ');
      throw fail(`the index has no windows/amd64 image${opts.osVersion ? ` for os.version ${opts.osVersion}` : ''} (it offers ${offered || 'nothing'})`);
    }
    const version = (indexOsVersion = chosen.platform?.['os.version']);
    opts.onLine(`base: ${name} is an index; using its windows/amd64${version ? ` ${version}` : ''} entry ${chosen.digest}`);
    manifest = await registry.getManifest({ registry: ref.registry, repository: ref.repository, digest: chosen.digest });
  }
  if (isIndexMediaType(manifest.mediaType) || (manifest.mediaType !== MediaTypes.dockerManifest && manifest.mediaType !== MediaTypes.ociManifest)) {
    throw fail(`expected an image manifest, got ${manifest.mediaType}`);
  }
  const body = manifest.body as { config: Descriptor; layers: Descriptor[] };
  const raw = await registry.getBlob({ registry: ref.registry, repository: ref.repository }, body.config.digest);
  const parsed = imageConfigSchema.safeParse(safeJson(raw));
  if (!parsed.success) throw fail(`its image config is not valid (${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')})`);
  const config = parsed.data;
  if (config.os !== 'windows' || config.architecture !== 'amd64') throw fail(`it is a ${config.os}/${config.architecture} image, not windows/amd64`);
  if (config.config?.OnBuild?.length) throw fail('it has ONBUILD triggers, which run at FROM and need a daemon');
  if (config.rootfs.diff_ids.length !== body.layers.length) throw fail(`its config lists ${config.rootfs.diff_ids.length} diff_ids for ${body.layers.length} layers`);
  return { ref, manifestDigest: manifest.digest, manifestMediaType: manifest.mediaType, layers: body.layers, config, osVersion: config['os.version'] ?? indexOsVersion };
}

/** The windows/amd64 entry; with several (one per Windows build), the os.version asked for, else the newest. */
export function pickWindowsEntry<T extends { platform?: Platform }>(entries: readonly T[], osVersion?: string): T | undefined {
  const candidates = entries.filter(
    (e) => e.platform?.os === 'windows' && e.platform.architecture === 'amd64' && (!osVersion || (e.platform['os.version'] ?? '').startsWith(osVersion)),
  );
  return candidates.sort((a, b) => compareVersions(b.platform?.['os.version'] ?? '', a.platform?.['os.version'] ?? ''))[0];
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] || 0) - (pb[i] || 0);
    if (d !== 0) return d;
  }
  return 0;
}

function safeJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
}
