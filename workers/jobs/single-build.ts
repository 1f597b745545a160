// A single-platform run: build, then let the daemon push each tag, as `docker build && docker push`. A
// quarantined run pushes the manifest by digest into each tag's repository and moves no tag.
import type { DockerfileJob } from '../../src/queue/jobs.js';
import { parseImageReference } from '../../src/registry/reference.js';
import type { OutputImage, RunStatus } from '../../src/runs/model.js';
import { withRegistryLogins, type ChildContext } from '../child-context.js';
import { recordBaseImages } from './base-images.js';
import { buildArgsMasker, buildImage, contextFolder, withWorkspace, type Workspace } from './build-steps.js';
import { runLifecycle, wholeRun, type JobIO } from './run-lifecycle.js';
import { pushAs, runImageName } from '../steps/run-images.js';
import { pushWithRetry } from './push-retry.js';
import { checkPushScope } from './push-scope.js';
import { assembleWindows, distinctRepositories, tagManifest } from './windows-steps.js';

export function runSingleBuild(shared: ChildContext, spec: DockerfileJob, worker: string): Promise<RunStatus> {
  const masker = buildArgsMasker(spec);
  const ctx = withRegistryLogins(shared, spec.registryLogins, masker);
  return runLifecycle(ctx, {
    runId: spec.runId,
    timeoutSeconds: spec.timeoutSeconds,
    masker,
    greeting: `slipway: run ${spec.runId} on ${worker}, platform ${spec.platform}`,
    scope: wholeRun(ctx.runs, { runId: spec.runId, worker, masker, noun: 'build' }),
    body: async (io) => {
      if (!spec.noPush) checkPushScope(spec, spec.images, ctx.config.defaultRegistry);
      const outputImages = await withWorkspace(ctx, spec, io, (ws) => (spec.daemonless ? assembleAndTag(ctx, spec, ws, io) : spec.quarantine && !spec.noPush ? buildAndQuarantine(ctx, spec, ws, io) : buildAndPush(ctx, spec, ws, io)));
      return { patch: { outputImages } };
    },
  });
}

async function buildAndPush(ctx: ChildContext, spec: DockerfileJob, ws: Workspace, io: JobIO): Promise<OutputImage[]> {
  const { out, signal } = io;
  // The build tags only the run's own name: a requested name exists on the shared Engine only while it is
  // pushed, and a --no-push build leaves nothing behind that another run's step or FROM could pick up.
  const local = runImageName(`${ctx.config.prefix}-${spec.runId}`, 'build');
  await buildImage(ctx, spec, ws, [local], out, signal);
  try {
    const pushed: OutputImage[] = [];
    for (const image of spec.noPush ? [] : spec.images) {
      const ref = parseImageReference(image);
      out.line(`slipway: pushing ${image}`);
      const digest = await pushWithRetry(() => pushAs(ctx.engine, local, image, signal, (status) => out.line(`slipway: ${status}`)), { deadline: io.deadline, signal, log: (l) => out.line(l) });
      pushed.push({ registry: ref.registry, repository: ref.repository, tag: ref.tag ?? 'latest', digest });
      out.line(`slipway: pushed ${image}@${digest}`);
    }
    return pushed;
  } finally {
    await ctx.engine.removeImage(local);
  }
}

/** The image goes to every tag's repository by digest; each tag stays where it was until a scanner approves. */
async function buildAndQuarantine(ctx: ChildContext, spec: DockerfileJob, ws: Workspace, io: JobIO): Promise<OutputImage[]> {
  const { out, signal } = io;
  const imageId = await buildImage(ctx, spec, ws, [], out, signal);
  try {
    const pushed = await pushWithRetry(() => ctx.engine.pushByDigest(imageId, distinctRepositories(spec.images), ws.dir), { deadline: io.deadline, signal, log: (l) => out.line(l) });
    return quarantinedOutputs(spec.images, pushed.digest, out);
  } finally {
    await ctx.engine.removeImage(imageId);
  }
}

/** The run's output images when they wait in quarantine: the tags they will go under, and the digest pushed. */
export function quarantinedOutputs(images: readonly string[], digest: string, out: { line(l: string): void }): OutputImage[] {
  return images.map((image) => {
    const ref = parseImageReference(image);
    out.line(`slipway: quarantined ${ref.registry}/${ref.repository}@${digest}: ${image} moves to it when a scanner approves`);
    return { registry: ref.registry, repository: ref.repository, tag: ref.tag ?? 'latest', digest, quarantine: { state: 'quarantined' } };
  });
}

/** windows/amd64 without a daemon: the manifest is assembled into each repository, then tagged there. */
async function assembleAndTag(ctx: ChildContext, spec: DockerfileJob, ws: Workspace, io: JobIO): Promise<OutputImage[]> {
  const { out, signal } = io;
  await recordBaseImages(ctx, spec, ws, out);
  const { manifestDigest } = await assembleWindows(ctx, spec, contextFolder(ws), out, signal);
  if (spec.quarantine && !spec.noPush) return quarantinedOutputs(spec.images, manifestDigest, out);
  const pushed: OutputImage[] = [];
  for (const image of spec.noPush ? [] : spec.images) {
    await tagManifest(ctx, image, manifestDigest);
    const ref = parseImageReference(image);
    pushed.push({ registry: ref.registry, repository: ref.repository, tag: ref.tag ?? 'latest', digest: manifestDigest });
    out.line(`slipway: pushed ${image}@${manifestDigest}`);
  }
  return pushed;
}
