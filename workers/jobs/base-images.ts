// Which base images a build pulls, and the platform manifest of each, resolved just before the build so
// the dependency graph knows what every image was built on. Resolving before (not after) errs on the safe
// side: a base pushed during the build is then seen as new and rebuilds the image once more.
import fs from 'node:fs/promises';
import { resolveInside } from '../../src/contexts/resolve-inside.js';
import { extractBases } from '../../src/dockerfile/bases.js';
import { resolveForPlatform } from '../../src/graph/resolve.js';
import { formatPlatform, nativePlatform, parsePlatform } from '../../src/platforms.js';
import { parseImageReference } from '../../src/registry/reference.js';
import type { DockerfileJob, TaskFileJob } from '../../src/queue/jobs.js';
import type { BaseImageUse } from '../../src/runs/model.js';
import type { ChildContext } from '../child-context.js';
import type { RunLogWriter } from '../log-writer.js';
import type { SecretMasker } from '../../src/log.js';
import type { ResolvedTask } from '../../src/taskfile/model.js';
import { buildPaths } from '../steps/build-step.js';
import { WORKSPACE_MOUNT } from '../steps/model.js';
import { imageKey } from '../steps/run-images.js';
import { contextFolder, type Workspace } from './build-steps.js';

/**
 * The bases of a task file's build steps, recorded for the run's platform so a task whose file is a task
 * file joins the graph too. A step whose Dockerfile cannot be read is left to fail when it runs; a base whose
 * name holds a secret (through a build arg) is left out of the graph.
 */
export async function recordTaskFileBases(ctx: ChildContext, spec: TaskFileJob, task: ResolvedTask, workspace: string, masker: SecretMasker, out: RunLogWriter): Promise<void> {
  const uses: BaseImageUse[] = [];
  // An image a build step of the task builds is the run's own when another step builds on it, not a base
  // from a registry: its own bases are recorded from its step, and a push of it must not rebuild the task.
  const built = new Set(task.steps.flatMap((s) => s.build?.tags ?? []).map(imageKey));
  for (const step of task.steps) {
    // A remote git context's Dockerfile is not in the workspace (and belongs to another repository).
    if (!step.build || step.build.git) continue;
    try {
      const { contextDir, dockerfile } = await buildPaths(workspace, step.workingDirectory ?? WORKSPACE_MOUNT, step.build.context, step.build.dockerfile);
      const text = await fs.readFile(resolveInside(contextDir, dockerfile) ?? '', 'utf8');
      const found = await basesOfDockerfile(ctx, text, { platform: step.build.platform ?? spec.platform, buildArgs: step.build.buildArgs, ...(step.build.target ? { target: step.build.target } : {}) });
      for (const use of found) if (masker.mask(use.image) === use.image && !built.has(imageKey(use.image))) addUse(uses, use);
    } catch {
      continue;
    }
  }
  for (const use of uses) if (use.error) out.line(`slipway: base image ${use.image}: digest not resolved: ${use.error}`);
  await ctx.runs.setBaseImages(spec.runId, spec.platform, uses);
}

/** Records the run's base images for its platform; never fails the build (the build reports a base it cannot pull). */
export async function recordBaseImages(ctx: ChildContext, spec: DockerfileJob, ws: Workspace, out: RunLogWriter): Promise<void> {
  let uses: BaseImageUse[];
  try {
    uses = await resolveBaseImages(ctx, spec, ws);
  } catch (err) {
    out.line(`slipway: base images not recorded: ${(err as Error).message}`);
    return;
  }
  for (const use of uses) if (use.error) out.line(`slipway: base image ${use.image}: digest not resolved: ${use.error}`);
  await ctx.runs.setBaseImages(spec.runId, spec.platform, uses);
}

async function resolveBaseImages(ctx: ChildContext, spec: DockerfileJob, ws: Workspace): Promise<BaseImageUse[]> {
  const text = ws.dockerfileText ?? (await fs.readFile(resolveInside(contextFolder(ws), spec.dockerfile) ?? '', 'utf8'));
  // Secret build args stay out: an image name made from one would put the secret in the graph.
  return basesOfDockerfile(ctx, text, { platform: spec.platform, buildArgs: spec.buildArgs, ...(spec.target ? { target: spec.target } : {}) });
}

/** What one Dockerfile build asks of the graph: the target platform, its build args and target stage. */
export interface BaseImageSpec {
  platform: string;
  buildArgs: Record<string, string>;
  target?: string;
}

/**
 * The bases one Dockerfile pulls for one platform, each resolved to the platform manifest it gets now.
 * BUILDPLATFORM is this worker's own platform: BuildKit runs build stages on the Engine that builds.
 */
export async function basesOfDockerfile(ctx: ChildContext, text: string, spec: BaseImageSpec, buildPlatform: string = nativePlatform()): Promise<BaseImageUse[]> {
  return Promise.all(
    baseUses(text, spec, buildPlatform).map(async (use): Promise<BaseImageUse> => {
      try {
        return { ...use, ...(await resolveForPlatform(ctx.registry, parseImageReference(use.image), use.basePlatform)) };
      } catch (err) {
        return { ...use, error: (err as Error).message.slice(0, 300) };
      }
    }),
  );
}

/**
 * The bases a build pulls, before their digests are known: one per image and base platform. The platforms
 * go to the reader as BuildKit gets them (not as build args), so a global `ARG TARGETPLATFORM=…` default
 * wins over the build's platform as it does in BuildKit, and only a build arg of that name beats it.
 */
export function baseUses(text: string, spec: BaseImageSpec, buildPlatform: string): BaseImageUse[] {
  const { bases } = extractBases(text, {
    buildArgs: spec.buildArgs,
    platform: spec.platform,
    buildPlatform,
    ...(spec.target ? { target: spec.target } : {}),
  });
  return bases
    .filter((b) => !parseImageReference(b.image).digest)
    .map((b) => ({ image: b.image, kind: b.kind, platform: spec.platform, basePlatform: basePlatformOf(b.platform, spec.platform) }));
}

/** The platform a FROM --platform pulls, named as registries' indexes name it (linux/arm64/v8 is linux/arm64). */
function basePlatformOf(written: string | undefined, target: string): string {
  if (written === undefined || written.includes('$')) return target;
  try {
    return formatPlatform(parsePlatform(written));
  } catch {
    return target;
  }
}

/**
 * Adds a use unless the list has it: the same image for the same platform and base platform. An image a
 * build stage pulls for BUILDPLATFORM and the target pulls for the target platform stays two uses; of two
 * equal uses, a runtime one wins over a buildtime one.
 */
export function addUse(uses: BaseImageUse[], use: BaseImageUse): void {
  const i = uses.findIndex((x) => x.image === use.image && x.platform === use.platform && x.basePlatform === use.basePlatform);
  if (i === -1) uses.push(use);
  else if (uses[i]!.kind === 'buildtime' && use.kind === 'runtime') uses[i] = { ...uses[i]!, kind: 'runtime' };
}
