// The build cache a task's run carries when its definition says nothing about cache: the run exports inline
// cache into the images it pushes, and imports cache from the images the task's last successful runs pushed
// (by digest, so a tag moved since does not matter) and from the task's own tags that stay the same from run
// to run (app:latest, app:{{.Run.Branch}}). A run that lands on an Engine that never built the task then reuses
// the layers of the one that did. On-demand builds are left as their flags ask.
import type { BuildOptions } from '../contract/build-options.js';
import { BadInputError } from '../errors.js';
import type { Run } from '../runs/model.js';
import { renderRunTemplate, type RunVariables } from './template.js';

/** Images a run imports cache from, at most (the run request's own limit is 10). */
const MAX_CACHE_FROM = 10;
/** The task's latest pushed images a run imports cache from. */
const PUSHED_IMAGES = 3;

export interface TaskCacheInput {
  /** The build options the task's definition sets. */
  options: BuildOptions;
  /** Whether this run pushes: inline cache travels only in a pushed image. */
  pushes: boolean;
  /** The task's latest runs, newest first. */
  recentRuns: readonly Pick<Run, 'status' | 'outputImages'>[];
  /** The task's tags that name the same image from one run to the next, as this run renders them. */
  stableTags: readonly string[];
}

/** The run's build options: the task's own when it decides about cache, else those plus the default cache. */
export function taskBuildOptions(input: TaskCacheInput): BuildOptions {
  const { options } = input;
  if (options.noCache || options.cacheFrom !== undefined || options.cacheTo !== undefined) return options;
  // A scanner's rejection covers the layers too: a rejected image is no cache to build on.
  const pushed = input.recentRuns
    .filter((run) => run.status === 'succeeded' && run.outputImages.length > 0 && run.outputImages[0]!.quarantine?.state !== 'rejected')
    .map((run) => run.outputImages[0]!)
    .map((image) => `${image.registry}/${image.repository}@${image.digest}`);
  // More than the last image: Docker 20.10's BuildKit leaves out of an image's inline cache the steps it took
  // from imported cache (moby/buildkit#1981), so an image built on another host's cache carries none of it,
  // while the one before it does.
  const sources = [...new Set(pushed)].slice(0, PUSHED_IMAGES).concat(input.stableTags);
  const cacheFrom = [...new Set(sources)].slice(0, MAX_CACHE_FROM);
  return {
    ...options,
    ...(cacheFrom.length ? { cacheFrom } : {}),
    ...(input.pushes ? { cacheTo: 'inline' as const } : {}),
  };
}

/**
 * The images whose names do not change from run to run (no run id, commit or date in them), rendered for this
 * run's branch: what a later run can take cache from by name.
 */
export function stableTags(images: readonly string[], variables: (runId: string, commit: string) => RunVariables): string[] {
  const one = { ...variables('r0000000', '0'.repeat(40)), Date: '20000101-000000z' };
  const other = { ...variables('r0000001', '1'.repeat(40)), Date: '20010101-000000z' };
  return images.flatMap((image) => {
    try {
      const name = renderRunTemplate(image, one);
      return name === renderRunTemplate(image, other) ? [name] : [];
    } catch (err) {
      // A variable this run has no value for: the run itself will say so.
      if (err instanceof BadInputError) return [];
      throw err;
    }
  });
}
