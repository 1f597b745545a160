// Run-scoped images (`slipway-run/<prefix>-<run id>…`, steps/run-images.ts) whose run is neither queued nor
// running: a run removes its own names when it ends, so these are what a killed or lost worker left. Only
// this deployment's (its key prefix) are looked at: others share the Engine.
import { RUN_ID_PATTERN } from '../../src/runs/ids.js';
import type { RunProgress } from '../../src/runs/progress.js';
import type { EngineStorage } from '../builder/engine-storage.js';
import { RUN_IMAGE_NAMESPACE } from '../steps/run-images.js';

export interface RunImageScope {
  storage: EngineStorage;
  runs: Pick<RunProgress, 'get'>;
  prefix: string;
}

/** Removes the ended runs' image names; resolves with how many went. */
export async function removeEndedRunImages(scope: RunImageScope): Promise<number> {
  const ended = new Map<string, Promise<boolean>>();
  const hasEnded = (runId: string) => {
    let answer = ended.get(runId);
    if (!answer) ended.set(runId, (answer = scope.runs.get(runId).then((run) => !run || (run.status !== 'queued' && run.status !== 'running'))));
    return answer;
  };
  let removed = 0;
  for (const image of await scope.storage.listImages(RUN_IMAGE_NAMESPACE)) {
    for (const tag of image.tags) {
      const runId = runOfImage(tag, scope.prefix);
      if (runId && (await hasEnded(runId)) && (await scope.storage.removeImage(tag)) === 'removed') removed++;
    }
  }
  return removed;
}

/** The run a run-scoped image name of this deployment belongs to, or undefined for any other name. */
export function runOfImage(tag: string, prefix: string): string | undefined {
  const colon = tag.lastIndexOf(':');
  const repository = colon > tag.lastIndexOf('/') ? tag.slice(0, colon) : tag;
  const owner = `${RUN_IMAGE_NAMESPACE}/${prefix.toLowerCase()}-`;
  if (!repository.startsWith(owner)) return undefined;
  // `<run id>` alone, or followed by `-<platform>` for one platform of a multi-platform run.
  const runId = repository.slice(owner.length).split('-')[0] ?? '';
  return RUN_ID_PATTERN.test(runId) ? runId : undefined;
}
