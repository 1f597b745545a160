// What a finished run tells the graph: the node of its task (the bases it built on, the tags it pushed),
// and the platform manifest digest each pushed tag names now.
import { canonicalImageName } from '../registry/reference.js';
import type { Run } from '../runs/model.js';
import type { GraphBase, GraphNode } from './model.js';

/**
 * Bases enter the graph here, under their canonical names: a FROM keeps its registry host as written, and
 * a notification of the same image names the host in lowercase. Each use keeps its own kind: an image the
 * target stage runs on and a build stage only pulls for BUILDPLATFORM is runtime on one platform only.
 */
export function nodeFromRun(run: Run): GraphNode {
  const bases = new Map<string, GraphBase>();
  for (const use of run.baseImages ?? []) {
    const image = canonicalImageName(use.image);
    const base = bases.get(image) ?? { image, kind: use.kind, uses: [] };
    // A base pulled at run time on any platform is a runtime base of the task.
    if (use.kind === 'runtime') base.kind = 'runtime';
    const same = base.uses.find((u) => u.platform === use.platform && u.basePlatform === use.basePlatform);
    if (same && use.kind === 'runtime') same.kind = 'runtime';
    if (!same) base.uses.push({ platform: use.platform, basePlatform: use.basePlatform, kind: use.kind, ...(use.digest ? { digest: use.digest } : {}) });
    bases.set(image, base);
  }
  return {
    task: run.task ?? '',
    platforms: run.platforms,
    bases: [...bases.values()],
    // A task file pushes what its steps say; the run records it as its output images.
    outputs: (run.request.taskFile ? run.outputImages.map((o) => `${o.registry}/${o.repository}:${o.tag}`) : run.request.noPush ? [] : run.request.images).map(canonicalImageName),
    runId: run.id,
    updatedAt: run.finishedAt ?? new Date().toISOString(),
  };
}

/** Each tag the run pushed → platform → manifest digest. */
export function pushedPlatforms(run: Run): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  // A quarantined image changes no tag: what builds on it rebuilds when a scanner approves it (src/quarantine).
  if (run.request.noPush || run.request.quarantine || run.status !== 'succeeded') return out;
  if (run.platforms.length === 1) {
    for (const o of run.outputImages) out.set(canonicalImageName(`${o.registry}/${o.repository}:${o.tag}`), { [run.platforms[0]!]: o.digest });
    return out;
  }
  const platforms = Object.fromEntries((run.platformResults ?? []).flatMap((r) => (r.digest ? [[r.platform, r.digest]] : [])));
  if (Object.keys(platforms).length) for (const image of run.request.images) out.set(canonicalImageName(image), platforms);
  return out;
}
