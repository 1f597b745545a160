// After every platform of a run has finished: push one image index naming each platform manifest under
// every requested tag, or do nothing when a platform failed or the run was canceled. A registry away while
// the index is pushed is waited for, as a platform's push waits, within the run's time limit; when it does
// not come back the run ends `error` naming it.
import { NotFoundError } from '../../src/errors.js';
import { AssembleJob } from '../../src/queue/jobs.js';
import { parsePlatform } from '../../src/platforms.js';
import { parseImageReference, type ImageReference } from '../../src/registry/reference.js';
import type { OutputImage, PlatformResult, Run, RunStatus } from '../../src/runs/model.js';
import { withRegistryLogins, type ChildContext } from '../child-context.js';
import { SecretMasker } from '../../src/log.js';
import { pushIndex, type IndexEntry } from '../builder/image-index.js';
import { RegistryUnreachableError } from '../builder/image-builder.js';
import { pushWithRetry, unreachableAsRetryable } from './push-retry.js';
import { trackBuild } from './run-lifecycle.js';
import { quarantinedOutputs } from './single-build.js';
import { distinctRepositories } from './windows-steps.js';

export async function runAssemble(shared: ChildContext, job: AssembleJob): Promise<RunStatus> {
  const ctx = withRegistryLogins(shared, job.registryLogins, new SecretMasker());
  const { runs } = ctx;
  const run = await runs.get(job.runId);
  if (!run) throw new NotFoundError(`no run ${JSON.stringify(job.runId)}`, 'run_not_found');
  if (run.status !== 'running') return run.status;
  const results = run.platformResults ?? [];
  const unfinished = results.filter((r) => r.status !== 'succeeded');
  if (unfinished.length > 0) {
    const reason = `platform ${unfinished.map((r) => `${r.platform} ${r.status}`).join(', ')}; no index pushed`;
    await runs.finish(run.id, ['running'], 'error', { error: reason }, [`slipway: ${reason}`]);
    return 'error';
  }
  if (job.noPush) {
    await runs.finish(run.id, ['running'], 'succeeded', {}, ['slipway: run succeeded (not pushed)']);
    return 'succeeded';
  }
  const tags = job.images.map((image) => parseImageReference(image));
  // A cancel announced while the registry is waited for stops the wait.
  const { abort, release } = trackBuild(ctx.active, run.id);
  if (run.cancelRequested) abort.abort('canceled');
  try {
    const indexDigest = await pushWithRetry(() => unreachableAsRetryable('the image index', () => pushRunIndex(ctx, job, tags, results)), {
      deadline: runDeadline(run),
      signal: abort.signal,
      log: (line) => void runs.appendLog(run.id, [line]).catch(() => undefined),
    });
    if (job.quarantine) {
      const lines: string[] = [];
      const outputImages = quarantinedOutputs(job.images, indexDigest, { line: (l) => lines.push(l) });
      await runs.appendLog(run.id, lines);
      await runs.finish(run.id, ['running'], 'succeeded', { outputImages, indexDigest }, ['slipway: run succeeded (images in quarantine)']);
      return 'succeeded';
    }
    const outputImages: OutputImage[] = tags.map((t) => ({ registry: t.registry, repository: t.repository, tag: t.tag ?? 'latest', digest: indexDigest }));
    await runs.appendLog(run.id, tags.map((t) => `slipway: pushed index ${t.registry}/${t.repository}:${t.tag}@${indexDigest}`));
    await runs.finish(run.id, ['running'], 'succeeded', { outputImages, indexDigest }, ['slipway: run succeeded']);
    return 'succeeded';
  } catch (err) {
    const ending = abort.signal.aborted ? { status: 'canceled' as const, message: 'canceled while running' } : err instanceof RegistryUnreachableError ? { status: 'error' as const, message: err.message } : undefined;
    if (!ending) throw err;
    await runs.finish(run.id, ['running'], ending.status, { error: ending.message }, [`slipway: run ${ending.status}: ${ending.message}`]);
    return ending.status;
  } finally {
    release();
  }
}

/** Looks up each platform manifest and pushes the index naming them; resolves with the index digest. */
async function pushRunIndex(ctx: ChildContext, job: AssembleJob, tags: ImageReference[], results: PlatformResult[]): Promise<string> {
  const entries: IndexEntry[] = [];
  for (const r of results) {
    const repo = { registry: tags[0]!.registry, repository: tags[0]!.repository, digest: r.digest };
    const head = await ctx.registry.headManifest(repo);
    if (!head || !r.digest) throw new Error(`the ${r.platform} manifest ${r.digest} is not in ${repo.registry}/${repo.repository}`);
    const platform = { ...parsePlatform(r.platform), ...(r.osVersion ? { 'os.version': r.osVersion } : {}) };
    entries.push({ digest: r.digest, mediaType: head.mediaType, size: head.size, platform });
  }
  // Quarantined, the index goes into each tag's repository by digest; no tag moves until a scanner approves.
  const targets = job.quarantine ? distinctRepositories(job.images) : tags;
  return (await pushIndex(ctx.registry, targets, entries)).digest;
}

/** When the run's time limit passes: it bounds the waits for the registry, as it bounds every push of the run. */
function runDeadline(run: Run): number {
  const started = Date.parse(run.startedAt ?? '');
  return (Number.isNaN(started) ? Date.now() : started) + run.request.timeoutSeconds * 1000;
}
