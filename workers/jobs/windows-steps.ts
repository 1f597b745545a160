// windows/amd64 without a daemon: the image is assembled from the registry and the context, then its
// manifest is pushed by digest into every repository the run's tags live in.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { DockerfileJob } from '../../src/queue/jobs.js';
import { parseImageReference, type ImageReference } from '../../src/registry/reference.js';
import type { ChildContext } from '../child-context.js';
import { assembleWindowsImage, type AssembleResult } from '../builder/windows/assemble.js';
import type { RunLogWriter } from '../log-writer.js';

export async function assembleWindows(ctx: ChildContext, spec: DockerfileJob, contextDir: string, out: RunLogWriter, signal: AbortSignal): Promise<AssembleResult> {
  const dockerfile = await fs.readFile(path.join(contextDir, spec.dockerfile), 'utf8');
  const repos = spec.noPush ? [undefined] : distinctRepositories(spec.images);
  let result: AssembleResult | undefined;
  for (const target of repos) {
    result = await assembleWindowsImage({
      dockerfile,
      contextDir,
      buildArgs: { ...spec.buildArgs, ...spec.secretBuildArgs },
      registry: ctx.registry,
      defaultRegistry: ctx.config.defaultRegistry,
      ...(target ? { target } : {}),
      onLine: (line) => out.line(line),
      signal,
    });
  }
  return result!;
}

/** Tags an assembled manifest, already in each tag's repository, under the tag itself. */
export async function tagManifest(ctx: ChildContext, image: string, digest: string): Promise<void> {
  const ref = parseImageReference(image);
  const manifest = await ctx.registry.getManifest({ registry: ref.registry, repository: ref.repository, digest });
  await ctx.registry.putManifest(ref, manifest.raw, manifest.mediaType);
}

/** Each repository the run's tags live in; manifests pushed by digest must be in the repository that names them. */
export function distinctRepositories(images: string[]): ImageReference[] {
  const seen = new Map<string, ImageReference>();
  for (const image of images) {
    const ref = parseImageReference(image);
    seen.set(`${ref.registry}/${ref.repository}`, { registry: ref.registry, repository: ref.repository });
  }
  return [...seen.values()];
}
