// A build step's FROM (or COPY --from) naming an image an earlier build step of the same run built uses
// exactly that image, pushed since or not, as in ACR, where every step shares one Docker daemon. The build
// gets the Dockerfile with those names replaced by the run's local names; the requested names are never
// tagged on the shared Engine, where another run could take them (see run-images.ts).
import fs from 'node:fs/promises';
import { resolveInside } from '../../src/contexts/resolve-inside.js';
import { WORKER_BUILD_PLATFORM } from '../../src/dockerfile/bases.js';
import { type ImageUse, type RewrittenDockerfile, UnreplaceableWordError, rewriteImages } from '../../src/dockerfile/rewrite-images.js';
import { formatPlatform, parsePlatform } from '../../src/platforms.js';
import type { ResolvedStep } from '../../src/taskfile/model.js';
import { StepFailedError } from './cmd-step.js';
import type { RunImages } from './run-images.js';

/** A build's Dockerfile pointed at images of its run, and the names the user wrote for them. */
export interface RunLocalBases {
  dockerfileText: string;
  /** Local name → the image as the Dockerfile names it. */
  requested: Map<string, string>;
}

/** What finding a build's run images needs of the step's context. */
export interface RunLocalContext {
  images: RunImages;
  /** The run's platform, for a step without --platform. */
  platform: string;
  log: (line: string) => void;
}

/**
 * The step's Dockerfile (`dockerfile` in `contextDir`) with this run's images put in, refused with what to do
 * where they cannot be. Undefined when it names none of them, or cannot be read (left to the build, which
 * reports it in BuildKit's words).
 */
export async function runLocalBases(step: ResolvedStep, contextDir: string, dockerfile: string, ctx: RunLocalContext): Promise<RunLocalBases | undefined> {
  const spec = step.build!;
  let rewritten: RewrittenDockerfile;
  try {
    const text = await fs.readFile(resolveInside(contextDir, dockerfile) ?? '', 'utf8');
    const opts = { buildArgs: spec.buildArgs, platform: spec.platform ?? ctx.platform, buildPlatform: WORKER_BUILD_PLATFORM, ...(spec.target !== undefined ? { target: spec.target } : {}) };
    rewritten = rewriteImages(text, opts, (image) => ctx.images.localFor(image));
  } catch (err) {
    if (err instanceof UnreplaceableWordError) throw new StepFailedError(`${dockerfile}: ${err.message}`);
    return undefined;
  }
  const builder = (image: string) => ctx.images.builderOf(image)?.step ?? '?';
  const stuck = rewritten.unreplaceable[0];
  if (stuck) {
    const where = stuck.onbuild ? 'an ONBUILD trigger' : 'RUN --mount from=';
    throw new StepFailedError(
      `${dockerfile}:${stuck.line}: ${stuck.image} is built by step ${builder(stuck.image)} of this run, which ${where} cannot use: build a stage on it (FROM ${stuck.image} AS base) and name that stage instead`,
    );
  }
  const first = rewritten.replaced[0];
  if (!first) return undefined;
  if (spec.pull) {
    throw new StepFailedError(
      `${dockerfile}:${first.line}: ${first.image} is this run's image from step ${builder(first.image)}, and --pull would look for it in its registry: drop --pull from this step (the other images it names are pulled from their registries all the same)`,
    );
  }
  for (const use of rewritten.replaced) checkPlatform(use, use.platform ?? spec.platform ?? ctx.platform, dockerfile, ctx.images);
  const requested = new Map<string, string>();
  for (const use of rewritten.replaced) {
    requested.set(use.replacement, use.image);
    const written = use.via === 'from' ? `FROM ${use.image}` : `COPY --from=${use.image}`;
    ctx.log(`slipway: ${written} is this run's image from step ${builder(use.image)}`);
  }
  return { dockerfileText: rewritten.text, requested };
}

/**
 * The Engine finds a local image only for the platform it was built for; for another, BuildKit would look in
 * the registry, and fail there or build on an older image. A platform still holding a `$VAR` is left to it.
 */
function checkPlatform(use: ImageUse, wanted: string, dockerfile: string, images: RunImages): void {
  const built = images.builderOf(use.image);
  if (!built || wanted.includes('$') || samePlatform(wanted, built.platform)) return;
  throw new StepFailedError(
    `${dockerfile}:${use.line}: ${use.image} is this run's image from step ${built.step}, built for ${built.platform}, and this build needs it for ${wanted}: build it for ${wanted} as well (another step, with --platform ${wanted} and a tag of its own)`,
  );
}

function samePlatform(a: string, b: string): boolean {
  try {
    return formatPlatform(parsePlatform(a)) === formatPlatform(parsePlatform(b));
  } catch {
    return a === b;
  }
}

/** Text with the run's local names written as the user wrote them (BuildKit prints them in full, docker.io/…). */
export function asRequested(text: string, local: RunLocalBases | undefined): string {
  if (!local) return text;
  let out = text;
  for (const [name, image] of local.requested) out = out.split(`docker.io/${name}`).join(image).split(name).join(image);
  return out;
}
