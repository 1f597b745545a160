// Which base images a build pulls, and the platform manifest of each, resolved just before the build so
// the dependency graph knows what every image was built on. Resolving before (not after) errs on the safe
// side: a base pushed during the build is then seen as new and rebuilds the image once more.
import fs from 'node:fs/promises';
import path from 'node:path';
import { extractBases } from '../../src/dockerfile/bases.js';
import { resolveForPlatform } from '../../src/graph/resolve.js';
import { nativePlatform } from '../../src/platforms.js';
import { parseImageReference } from '../../src/registry/reference.js';
import type { DockerfileJob, TaskFileJob } from '../../src/queue/jobs.js';
import type { BaseImageUse } from '../../src/runs/model.js';
import type { ChildContext } from '../child-context.js';
import type { RunLogWriter } from '../log-writer.js';
import type { SecretMasker } from '../../src/log.js';
import type { ResolvedTask } from '../../src/taskfile/model.js';
import { buildPaths } from '../steps/build-step.js';
import { WORKSPACE_MOUNT } from '../steps/model.js';
import { contextFolder, type Workspace } from './build-steps.js';

/**
 * The bases of a task file's build steps, recorded for the run's platform so a task whose file is a task
 * file joins the graph too. A step whose Dockerfile cannot be read is left to fail when it runs; a base whose
 * name holds a secret (through a build arg) is left out of the graph.
 */
export async function recordTaskFileBases(ctx: ChildContext, spec: TaskFileJob, task: ResolvedTask, workspace: string, masker: SecretMasker, out: RunLogWriter): Promise<void> {
  const uses: BaseImageUse[] = [];
  for (const step of task.steps) {
    if (!step.build) continue;
    try {
      const { contextDir, dockerfile } = await buildPaths(workspace, step.workingDirectory ?? WORKSPACE_MOUNT, step.build.context, step.build.dockerfile);
      const text = await fs.readFile(path.join(contextDir, dockerfile), 'utf8');
      const found = await basesOfDockerfile(ctx, text, { platform: step.build.platform ?? spec.platform, buildArgs: step.build.buildArgs, ...(step.build.target ? { target: step.build.target } : {}) });
      uses.push(...found.filter((u) => masker.mask(u.image) === u.image && !uses.some((x) => x.image === u.image && x.platform === u.platform)));
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
  const text = ws.dockerfileText ?? (await fs.readFile(path.join(contextFolder(ws), spec.dockerfile), 'utf8'));
  // Secret build args stay out: an image name made from one would put the secret in the graph.
  return basesOfDockerfile(ctx, text, { platform: spec.platform, buildArgs: spec.buildArgs, ...(spec.target ? { target: spec.target } : {}) });
}

/** The bases one Dockerfile pulls for one platform, each resolved to the platform manifest it gets now. */
export async function basesOfDockerfile(ctx: ChildContext, text: string, spec: { platform: string; buildArgs: Record<string, string>; target?: string }): Promise<BaseImageUse[]> {
  const { bases } = extractBases(text, {
    buildArgs: { BUILDPLATFORM: nativePlatform(), TARGETPLATFORM: spec.platform, ...spec.buildArgs },
    ...(spec.target ? { target: spec.target } : {}),
  });
  return Promise.all(
    bases
      .filter((b) => !parseImageReference(b.image).digest)
      .map(async (b): Promise<BaseImageUse> => {
        const basePlatform = b.platform && !b.platform.includes('$') ? b.platform : spec.platform;
        const use = { image: b.image, kind: b.kind, platform: spec.platform, basePlatform };
        try {
          return { ...use, ...(await resolveForPlatform(ctx.registry, parseImageReference(b.image), basePlatform)) };
        } catch (err) {
          return { ...use, error: (err as Error).message.slice(0, 300) };
        }
      }),
  );
}
