// One platform of a multi-platform run: build it, push its manifest by digest (no tag), record the digest.
// The first platform to fail fails the whole run and stops its siblings; the index is then never pushed.
import { cancelChannel, type BuildJob } from '../../src/queue/jobs.js';
import { isTerminal, type RunStatus } from '../../src/runs/model.js';
import { trackBuild, type ChildContext } from '../child-context.js';
import { RunLogWriter } from '../log-writer.js';
import { recordBaseImages } from './base-images.js';
import { buildImage, contextFolder, outcome, withWorkspace } from './build-steps.js';
import { secretsMasker } from './single-build.js';
import { assembleWindows, distinctRepositories } from './windows-steps.js';

export async function runPlatformBuild(ctx: ChildContext, spec: BuildJob, worker: string): Promise<RunStatus> {
  const { runs } = ctx;
  const { runId: id, platform } = spec;
  const now = () => new Date().toISOString();
  const run = await runs.store.get(id);
  if (!run || isTerminal(run.status) || run.cancelRequested) {
    await runs.store.setPlatformResult(id, { platform, status: 'canceled', error: `run ${run?.status ?? 'gone'} before this platform started`, finishedAt: now() });
    return 'canceled';
  }
  // The first platform to start moves the run to running; the others find it there.
  await runs.store.transition(id, ['queued'], { status: 'running', startedAt: now(), worker, waiting: null });
  const startedAt = now();
  await runs.store.setPlatformResult(id, { platform, status: 'running', startedAt });

  const masker = secretsMasker(spec);
  const out = new RunLogWriter(runs.log, id, masker, `[${platform}] `);
  const { abort, release } = trackBuild(ctx, id);
  const timer = setTimeout(() => abort.abort('timeout'), spec.timeoutSeconds * 1000);
  try {
    out.line(`slipway: building ${platform} on ${worker}`);
    const pushed = await withWorkspace(ctx, spec, { out, signal: abort.signal }, async (ws) => {
      if (spec.daemonless) {
        await recordBaseImages(ctx, spec, ws, out);
        const assembled = await assembleWindows(ctx, spec, contextFolder(ws), out, abort.signal);
        return spec.noPush ? undefined : { digest: assembled.manifestDigest, osVersion: assembled.platform['os.version'] };
      }
      const imageId = await buildImage(ctx, spec, ws, [], out, abort.signal);
      try {
        if (spec.noPush) return undefined;
        const pushed = await ctx.engine.pushByDigest(imageId, distinctRepositories(spec.images), ws.dir);
        out.line(`slipway: pushed ${platform} manifest ${pushed.digest}`);
        return { digest: pushed.digest, osVersion: pushed.platform['os.version'] };
      } finally {
        await ctx.engine.removeImage(imageId);
      }
    });
    await out.flush();
    await runs.store.setPlatformResult(id, { platform, status: 'succeeded', startedAt, finishedAt: now(), ...pushed });
    return 'succeeded';
  } catch (err) {
    const { status, message } = outcome(err, abort.signal, spec.timeoutSeconds);
    const masked = masker.mask(message);
    await out.flush().catch(() => undefined);
    await runs.store.setPlatformResult(id, { platform, status, error: masked, startedAt, finishedAt: now() });
    const runStatus = status === 'canceled' ? 'canceled' : status;
    const first = await runs.finish(id, ['queued', 'running'], runStatus, { error: `${platform}: ${masked}` }, [`slipway: run ${runStatus}: ${platform}: ${masked}`]);
    // This platform ended the run: stop the others.
    if (first && runStatus !== 'canceled') await ctx.redis.publish(cancelChannel(ctx.config.prefix), id);
    return status;
  } finally {
    clearTimeout(timer);
    release();
  }
}
