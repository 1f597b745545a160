// A single-platform run: build, then let the daemon push each tag, as `docker build && docker push`.
import type { BuildJob } from '../../src/queue/jobs.js';
import { SecretMasker } from '../../src/log.js';
import { parseImageReference } from '../../src/registry/reference.js';
import type { OutputImage, RunStatus } from '../../src/runs/model.js';
import { trackBuild, type ChildContext } from '../child-context.js';
import { RunLogWriter } from '../log-writer.js';
import { recordBaseImages } from './base-images.js';
import { buildImage, contextFolder, outcome, withWorkspace } from './build-steps.js';
import { assembleWindows, tagManifest } from './windows-steps.js';

export async function runSingleBuild(ctx: ChildContext, spec: BuildJob, worker: string): Promise<RunStatus> {
  const { runs } = ctx;
  const id = spec.runId;
  if (!(await runs.start(id, worker))) {
    // Canceled while queued: nothing to do. Still running: the worker that had it died mid-build.
    const run = await runs.store.get(id);
    if (run?.status === 'running') await runs.finish(id, ['running'], 'error', { error: 'the worker running this build stopped before it finished' });
    return run?.status ?? 'error';
  }
  const masker = secretsMasker(spec);
  const out = new RunLogWriter(runs.log, id, masker);
  const { abort, release } = trackBuild(ctx, id);
  const timer = setTimeout(() => abort.abort('timeout'), spec.timeoutSeconds * 1000);
  if ((await runs.store.get(id))?.cancelRequested) abort.abort('canceled');
  try {
    out.line(`slipway: run ${id} on ${worker}, platform ${spec.platform}`);
    const outputImages = await withWorkspace(ctx, spec, { out, signal: abort.signal }, async (ws) => {
      if (spec.daemonless) {
        await recordBaseImages(ctx, spec, ws, out);
        const { manifestDigest } = await assembleWindows(ctx, spec, contextFolder(ws), out, abort.signal);
        const pushed: OutputImage[] = [];
        for (const image of spec.noPush ? [] : spec.images) {
          await tagManifest(ctx, image, manifestDigest);
          const ref = parseImageReference(image);
          pushed.push({ registry: ref.registry, repository: ref.repository, tag: ref.tag ?? 'latest', digest: manifestDigest });
          out.line(`slipway: pushed ${image}@${manifestDigest}`);
        }
        return pushed;
      }
      await buildImage(ctx, spec, ws, spec.images, out, abort.signal);
      const pushed: OutputImage[] = [];
      for (const image of spec.noPush ? [] : spec.images) {
        const ref = parseImageReference(image);
        out.line(`slipway: pushing ${image}`);
        const digest = await ctx.engine.push(image, ref.registry, abort.signal, (status) => out.line(`slipway: ${status}`));
        pushed.push({ registry: ref.registry, repository: ref.repository, tag: ref.tag ?? 'latest', digest });
        out.line(`slipway: pushed ${image}@${digest}`);
      }
      return pushed;
    });
    await out.flush();
    await runs.finish(id, ['running'], 'succeeded', { outputImages }, ['slipway: run succeeded']);
    return 'succeeded';
  } catch (err) {
    const { status, message } = outcome(err, abort.signal, spec.timeoutSeconds);
    await out.flush().catch(() => undefined);
    await runs.finish(id, ['running'], status, { error: masker.mask(message) }, [masker.mask(`slipway: run ${status}: ${message}`)]);
    return status;
  } finally {
    clearTimeout(timer);
    release();
  }
}

export function secretsMasker(spec: BuildJob): SecretMasker {
  const masker = new SecretMasker();
  for (const value of Object.values(spec.secretBuildArgs)) masker.add(value);
  return masker;
}
