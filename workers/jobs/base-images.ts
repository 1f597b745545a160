// Which base images a build pulls, and the platform manifest of each, resolved just before the build so
// the dependency graph knows what every image was built on. Resolving before (not after) errs on the safe
// side: a base pushed during the build is then seen as new and rebuilds the image once more.
import fs from 'node:fs/promises';
import path from 'node:path';
import { extractBases } from '../../src/dockerfile/bases.js';
import { resolveForPlatform } from '../../src/graph/resolve.js';
import { nativePlatform } from '../../src/platforms.js';
import { parseImageReference } from '../../src/registry/reference.js';
import type { BuildJob } from '../../src/queue/jobs.js';
import type { BaseImageUse } from '../../src/runs/model.js';
import type { ChildContext } from '../child-context.js';
import type { RunLogWriter } from '../log-writer.js';
import { contextFolder, type Workspace } from './build-steps.js';

/** Records the run's base images for its platform; never fails the build (the build reports a base it cannot pull). */
export async function recordBaseImages(ctx: ChildContext, spec: BuildJob, ws: Workspace, out: RunLogWriter): Promise<void> {
  let uses: BaseImageUse[];
  try {
    uses = await resolveBaseImages(ctx, spec, ws);
  } catch (err) {
    out.line(`slipway: base images not recorded: ${(err as Error).message}`);
    return;
  }
  for (const use of uses) if (use.error) out.line(`slipway: base image ${use.image}: digest not resolved: ${use.error}`);
  await ctx.runs.store.setBaseImages(spec.runId, spec.platform, uses);
}

async function resolveBaseImages(ctx: ChildContext, spec: BuildJob, ws: Workspace): Promise<BaseImageUse[]> {
  const text = ws.dockerfileText ?? (await fs.readFile(path.join(contextFolder(ws), spec.dockerfile), 'utf8'));
  const build = nativePlatform();
  // Secret build args stay out: an image name made from one would put the secret in the graph.
  const { bases } = extractBases(text, {
    buildArgs: { BUILDPLATFORM: build, TARGETPLATFORM: spec.platform, ...spec.buildArgs },
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
