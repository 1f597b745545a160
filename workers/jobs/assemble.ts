// After every platform of a run has finished: push one image index naming each platform manifest under
// every requested tag, or do nothing when a platform failed or the run was canceled.
import { NotFoundError } from '../../src/errors.js';
import { AssembleJob } from '../../src/queue/jobs.js';
import { parsePlatform } from '../../src/platforms.js';
import { parseImageReference } from '../../src/registry/reference.js';
import type { OutputImage, RunStatus } from '../../src/runs/model.js';
import { withRegistryLogins, type ChildContext } from '../child-context.js';
import { SecretMasker } from '../../src/log.js';
import { pushIndex, type IndexEntry } from '../builder/image-index.js';
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
  const entries: IndexEntry[] = [];
  for (const r of results) {
    const repo = { registry: tags[0]!.registry, repository: tags[0]!.repository, digest: r.digest };
    const head = await ctx.registry.headManifest(repo);
    if (!head || !r.digest) throw new Error(`the ${r.platform} manifest ${r.digest} is not in ${repo.registry}/${repo.repository}`);
    const platform = { ...parsePlatform(r.platform), ...(r.osVersion ? { 'os.version': r.osVersion } : {}) };
    entries.push({ digest: r.digest, mediaType: head.mediaType, size: head.size, platform });
  }
  if (job.quarantine) {
    // The index goes into each tag's repository by digest; no tag moves until a scanner approves.
    const { digest: indexDigest } = await pushIndex(ctx.registry, distinctRepositories(job.images), entries);
    const lines: string[] = [];
    const outputImages = quarantinedOutputs(job.images, indexDigest, { line: (l) => lines.push(l) });
    await runs.appendLog(run.id, lines);
    await runs.finish(run.id, ['running'], 'succeeded', { outputImages, indexDigest }, ['slipway: run succeeded (images in quarantine)']);
    return 'succeeded';
  }
  const { digest: indexDigest } = await pushIndex(ctx.registry, tags, entries);
  const outputImages: OutputImage[] = tags.map((t) => ({ registry: t.registry, repository: t.repository, tag: t.tag ?? 'latest', digest: indexDigest }));
  await runs.appendLog(run.id, tags.map((t) => `slipway: pushed index ${t.registry}/${t.repository}:${t.tag}@${indexDigest}`));
  await runs.finish(run.id, ['running'], 'succeeded', { outputImages, indexDigest }, ['slipway: run succeeded']);
  return 'succeeded';
}
