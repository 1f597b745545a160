// The cache bench's project and its measurements: a Dockerfile whose first layer is expensive (a RUN that
// writes LAYER_MB of incompressible data, as an install step does) under a COPY of the source, and one build
// of it through a Slipway API, timed by its run record (started → finished: the build and the push).
import { contextArchive } from '../../test/support/archives.js';
import { runLog, submit, waitForRun } from '../../test/support/api.js';

export const LAYER_MB = 100;

/** The project at one version of its source; `nonce` makes the expensive step new to every Engine. */
export function cacheProject(base: string, nonce: string, source: string): Promise<Buffer> {
  const dockerfile = [`FROM ${base}`, `RUN echo ${nonce} && dd if=/dev/urandom of=/deps.bin bs=1048576 count=${LAYER_MB}`, 'COPY src/ /app/src/', ''].join('\n');
  return contextArchive(dockerfile, { 'src/main.txt': source });
}

export interface CacheBuild {
  runId: string;
  /** startedAt → finishedAt of the run: BuildKit's build and the push. */
  ms: number;
  /** The expensive step came from cache (its log shows CACHED). */
  expensiveCached: boolean;
  digest?: string;
  error?: string;
}

/** Builds one context through the API with `options` (the build options of the run request) and waits for it. */
export async function timedBuild(api: string, archive: Buffer, image: string, options: Record<string, unknown>): Promise<CacheBuild> {
  const res = await submit(api, archive, { images: [image], ...options });
  if (res.status !== 202) return { runId: '', ms: NaN, expensiveCached: false, error: `submit answered ${res.status}: ${JSON.stringify(res.body)}` };
  const run = await waitForRun(api, res.body.id as string, undefined, 600_000);
  const log = await runLog(api, run.id);
  const ms = Date.parse(String(run.finishedAt)) - Date.parse(String(run.startedAt));
  const step = /^(#\d+) \[2\/3\] RUN echo /m.exec(log)?.[1];
  const expensiveCached = step !== undefined && log.split('\n').includes(`${step} CACHED`);
  return {
    runId: run.id,
    ms,
    expensiveCached,
    ...(run.outputImages[0] ? { digest: run.outputImages[0].digest } : {}),
    ...(run.status === 'succeeded' ? {} : { error: `run ${run.id} ${run.status}: ${run.error ?? ''}` }),
  };
}
