// The images one run builds, under names only that run uses. The Engine is shared by every run of every
// deployment: a tag a build leaves under a name others use (`-t 127.0.0.1:5000/base/busybox:latest
// --no-push`) would be what their cmd steps run and their FROM lines start from. So a build tags a name of
// its run only; a requested name exists on the Engine only while it is being pushed; the run's names are
// removed when it ends; and an image this run did not build is always pulled, then run by its digest.
import { createHash } from 'node:crypto';
import { parseImageReference } from '../../src/registry/reference.js';
import type { ImageBuilder } from '../builder/image-builder.js';

/** The namespace of every run-scoped image name: the janitor finds the images of ended runs by it. */
export const RUN_IMAGE_NAMESPACE = 'slipway-run';

/** What handling a run's images needs from the image builder. */
type Images = Pick<ImageBuilder, 'tagImage' | 'push' | 'removeImage'>;

/**
 * The local name of a run's image: the `slipway-run` namespace, the run's scope (prefix and run id, which
 * no other run shares), and a tag naming what was asked for, so it can be found again in `docker images`.
 */
export function runImageName(scope: string, requested: string): string {
  const repository = `${RUN_IMAGE_NAMESPACE}/${scope.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'run'}`;
  return `${repository}:${createHash('sha256').update(imageKey(requested)).digest('hex').slice(0, 32)}`;
}

/** The name Docker would give `reference` in full (`busybox` → `docker.io/library/busybox:latest`), or the text as it is. */
export function imageKey(reference: string): string {
  try {
    const ref = parseImageReference(reference);
    return `${ref.registry}/${ref.repository}${ref.digest ? `@${ref.digest}` : `:${ref.tag ?? 'latest'}`}`;
  } catch {
    return reference;
  }
}

/** The names a task run's build steps tagged, each kept under the run's own local name until release(). */
export class RunImages {
  /** Requested name (in full) → the run's local name for it, the step that built it, and for which platform. */
  private readonly names = new Map<string, { local: string; step: string; platform: string }>();

  constructor(
    private readonly scope: string,
    private readonly engine: Pick<ImageBuilder, 'removeImage'>,
  ) {}

  /** The local names a build step tags for the names it was asked for. */
  tagsFor(requested: string[]): string[] {
    return requested.map((name) => runImageName(this.scope, name));
  }

  /** Remembers a build step's names for the steps after it, once it has built them. */
  built(requested: string[], stepId: string, platform: string): void {
    for (const name of requested) this.names.set(imageKey(name), { local: runImageName(this.scope, name), step: stepId, platform });
  }

  /** The local name of an image an earlier build step of this run tagged, or undefined when none did. */
  localFor(reference: string): string | undefined {
    return this.names.get(imageKey(reference))?.local;
  }

  /** The step of this run that built `reference`, and the platform it built it for; undefined when none did. */
  builderOf(reference: string): { step: string; platform: string } | undefined {
    return this.names.get(imageKey(reference));
  }

  /** Removes every local name this run tagged; never fails. */
  async release(): Promise<void> {
    for (const local of new Set([...this.names.values()].map((n) => n.local))) await this.engine.removeImage(local);
    this.names.clear();
  }
}

/**
 * Pushes a run's local image as `reference`: the requested name is tagged for the push only, then removed,
 * so no other run finds it on the Engine afterwards. Resolves with the digest the registry stored.
 */
export async function pushAs(engine: Images, local: string, reference: string, signal: AbortSignal, onStatus: (status: string) => void): Promise<string> {
  await engine.tagImage(local, reference);
  try {
    return await engine.push(reference, parseImageReference(reference).registry, signal, onStatus);
  } finally {
    await engine.removeImage(reference);
  }
}
