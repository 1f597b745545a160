// A build on local images of its run cannot force its pulls: Docker's --pull would look for those images in a
// registry. Without it, BuildKit in Docker Engine takes any image it finds on the Engine under a base's name,
// and another run may have left one there (a tag it is pushing). So every other image such a Dockerfile names
// by tag is pinned to the digest its registry serves now: a digest names content, whoever tagged what.
import { type ExtractBasesOptions, WORKER_BUILD_PLATFORM } from '../../../src/dockerfile/bases.js';
import { rewriteImages } from '../../../src/dockerfile/rewrite-images.js';
import { isRegistryError } from '../../../src/registry/errors.js';
import type { RegistryClient } from '../../../src/registry/client.js';
import { formatReference, parseImageReference, withDefaultTag } from '../../../src/registry/reference.js';
import { EngineError, RegistryUnreachableError, type BuildOptions } from '../image-builder.js';

/** `text` with every image it names by tag, other than `localBases`, named by the digest its registry serves. */
export async function pinRegistryBases(text: string, opts: BuildOptions, localBases: readonly string[], registry: Pick<RegistryClient, 'headManifest'>): Promise<string> {
  const local = new Set(localBases.map(fullName));
  const parse: ExtractBasesOptions = { buildArgs: opts.buildArgs, platform: opts.platform, buildPlatform: WORKER_BUILD_PLATFORM, ...(opts.target ? { target: opts.target } : {}) };
  const { pulled } = rewriteImages(text, parse, () => undefined);
  const byTag = pulled.filter((use) => !local.has(use.image) && parseImageReference(use.image).digest === undefined);
  const unpinnable = byTag.find((use) => use.via === 'mount-from' || use.onbuild);
  if (unpinnable) {
    throw new EngineError(
      `line ${unpinnable.line}: ${unpinnable.image} is named by tag where Slipway cannot pin it (${unpinnable.onbuild ? 'an ONBUILD trigger' : 'RUN --mount from='}), in a build on this run's own image, which the Engine cannot make pull its other images: name it by digest (${unpinnable.image}@sha256:…)`,
    );
  }
  const pinned = new Map<string, string>();
  await Promise.all(
    [...new Set(byTag.map((use) => use.image))].map(async (image) => {
      const head = await registry.headManifest(parseImageReference(image)).catch((err: unknown) => {
        if (isRegistryError(err) && err.retryable) throw new RegistryUnreachableError(err.registry, `base image ${image}: ${err.message}`);
        throw new EngineError(`base image ${image}: ${(err as Error).message}`);
      });
      if (!head) throw new EngineError(`base image ${image}: not found in its registry`);
      pinned.set(image, `${image}@${head.digest}`);
    }),
  );
  return pinned.size === 0 ? text : rewriteImages(text, parse, (image) => pinned.get(image)).text;
}

function fullName(image: string): string {
  return formatReference(withDefaultTag(parseImageReference(image)));
}
