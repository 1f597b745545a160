// What a finished run tells the graph: the node of its task (the bases it built on, the tags it pushed),
// and the platform manifest digest each pushed tag names now.
import type { Run } from '../runs/model.js';
import type { GraphBase, GraphNode } from './model.js';

export function nodeFromRun(run: Run): GraphNode {
  const bases = new Map<string, GraphBase>();
  for (const use of run.baseImages ?? []) {
    const base = bases.get(use.image) ?? { image: use.image, kind: use.kind, uses: [] };
    // A base pulled at run time on any platform is a runtime base of the task.
    if (use.kind === 'runtime') base.kind = 'runtime';
    base.uses.push({ platform: use.platform, basePlatform: use.basePlatform, ...(use.digest ? { digest: use.digest } : {}) });
    bases.set(use.image, base);
  }
  return {
    task: run.task ?? '',
    platforms: run.platforms,
    bases: [...bases.values()],
    // A task file pushes what its steps say; the run records it as its output images.
    outputs: run.request.taskFile ? run.outputImages.map((o) => `${o.registry}/${o.repository}:${o.tag}`) : run.request.noPush ? [] : run.request.images,
    runId: run.id,
    updatedAt: run.finishedAt ?? new Date().toISOString(),
  };
}

/** Each tag the run pushed → platform → manifest digest. */
export function pushedPlatforms(run: Run): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  if (run.request.noPush || run.status !== 'succeeded') return out;
  if (run.platforms.length === 1) {
    for (const o of run.outputImages) out.set(`${o.registry}/${o.repository}:${o.tag}`, { [run.platforms[0]!]: o.digest });
    return out;
  }
  const platforms = Object.fromEntries((run.platformResults ?? []).flatMap((r) => (r.digest ? [[r.platform, r.digest]] : [])));
  if (Object.keys(platforms).length) for (const image of run.request.images) out.set(image, platforms);
  return out;
}
