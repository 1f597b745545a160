// What a followed run leaves behind for scripts, as `docker buildx build` does: the pushed references on
// stdout (or the run as JSON), the log on stderr in the chosen --progress form, and the files --metadata-file
// and --iidfile name. Pure functions here; run-watch.ts does the writing.
import type { Run } from '../contract/runs.js';
import { UsageError } from './errors.js';
import { formatImageRef } from './format.js';
import { quote } from './flags.js';

/** --progress: `auto` is `tty` on a terminal, else `plain`; `quiet` prints no log; `rawjson` one JSON object per log line. */
export const PROGRESS_MODES = ['auto', 'plain', 'tty', 'quiet', 'rawjson'] as const;
export type ProgressMode = (typeof PROGRESS_MODES)[number];

export function parseProgress(input: string, flag = '--progress'): ProgressMode {
  if ((PROGRESS_MODES as readonly string[]).includes(input)) return input as ProgressMode;
  throw new UsageError(`${flag} ${quote(input)}: expected one of ${PROGRESS_MODES.join(', ')}`);
}

/** How one log line is written to stderr, or undefined to write none. */
export function logLineWriter(mode: ProgressMode, runId: string): ((line: string) => string) | undefined {
  if (mode === 'quiet') return undefined;
  if (mode === 'rawjson') return (line) => `${JSON.stringify({ run: runId, line })}\n`;
  return (line) => `${line}\n`;
}

/** The digest a run pushed: the image index of a multi-platform run, else its one manifest. */
export function pushedDigest(run: Run): string | undefined {
  return run.indexDigest ?? run.outputImages[0]?.digest;
}

/** The pushed references, `registry/repository:tag@digest`, one per line as stdout carries them. */
export function pushedReferences(run: Run): string[] {
  return run.outputImages.map(formatImageRef);
}

/**
 * buildx's --metadata-file keys: `containerimage.digest` (what was pushed) and `image.name` (the names,
 * comma-separated); Slipway adds its run id under its own key.
 */
export function buildMetadata(run: Run): Record<string, string> {
  const digest = pushedDigest(run);
  const names = run.outputImages.length ? run.outputImages.map((i) => `${i.registry}/${i.repository}${i.tag ? `:${i.tag}` : ''}`) : run.request.images;
  return {
    ...(digest ? { 'containerimage.digest': digest } : {}),
    ...(names.length ? { 'image.name': names.join(',') } : {}),
    'slipway.run.id': run.id,
  };
}
