// The cache bench's project and its measurements: a Dockerfile whose first layer is expensive under a COPY of
// the source, and one build of it through a Slipway API, timed by its run record (started → finished: the
// build and the push) and split into phases by its log's timestamps.
import { contextArchive } from '../../test/support/archives.js';
import { apiFetch, runLog, submit, waitForRun } from '../../test/support/api.js';
import { sseBatches } from '../../test/support/sse.js';

export const LAYER_MB = 100;
/** Bytes the expensive step hashes before it writes: several seconds of one core, as a compile or an install spends. */
export const HASHED_MB = 384;

/**
 * How the first layer is expensive. `compute`: CPU-bound work decided by the nonce (SHA-256 over the nonce and
 * HASHED_MB of zeros), then LAYER_MB written, as a dependency install or a compile spends time and then writes
 * its output. `write-only`: only the LAYER_MB written, which costs about what pulling the layer back costs.
 * The bytes written are random either way: incompressible, as installed dependencies nearly are, so the
 * layer the registry keeps is as large as the step's output (deterministic bytes from busybox's tools cost
 * far more CPU than the step itself, and the cache key is the instruction, not its output).
 */
export type ExpensiveStep = 'compute' | 'write-only';
export const EXPENSIVE_STEPS: readonly ExpensiveStep[] = ['compute', 'write-only'];

/** The project at one version of its source; `nonce` makes the expensive step new to every Engine. */
export function cacheProject(base: string, nonce: string, source: string, step: ExpensiveStep = 'compute'): Promise<Buffer> {
  const write = `dd if=/dev/urandom of=/deps.bin bs=1048576 count=${LAYER_MB}`;
  const compute = `{ echo ${nonce}; dd if=/dev/zero bs=1048576 count=${HASHED_MB} 2>/dev/null; } | sha256sum > /deps.sha256`;
  const run = step === 'compute' ? `RUN echo ${nonce} && ${compute} && ${write}` : `RUN echo ${nonce} && ${write}`;
  return contextArchive([`FROM ${base}`, run, 'COPY src/ /app/src/', ''].join('\n'), { 'src/main.txt': source });
}

/** Where a build's time went, in ms, from its log's entry times and BuildKit's own durations. */
export interface BuildPhases {
  /** Run started → BuildKit's first line: the worker's claim, the context fetched into the workspace, the build request sent. */
  beforeBuildKit: number;
  /** BuildKit's first line → Slipway's first push line: the build, its layers exported into the Engine. */
  buildKit: number;
  /** First push line → run finished: the push to the registry and the run's end. */
  push: number;
  /**
   * BuildKit's own durations within the build (status lines `… Ns done` and vertices' `DONE Ns`); absent when
   * the log has no such line, which says BuildKit did not report that phase, not that it took no time.
   */
  importCache?: number;
  pullLayers?: number;
  extract?: number;
  runStep?: number;
  export?: number;
}

export interface CacheBuild {
  runId: string;
  /** startedAt → finishedAt of the run: BuildKit's build and the push. */
  ms: number;
  /** The expensive step came from cache (its log shows CACHED). */
  expensiveCached: boolean;
  phases?: BuildPhases;
  digest?: string;
  error?: string;
}

/** Builds one context through the API with `options` (the build options of the run request) and waits for it. */
export async function timedBuild(api: string, archive: Buffer, image: string, options: Record<string, unknown>): Promise<CacheBuild> {
  const res = await submit(api, archive, { images: [image], ...options });
  if (res.status !== 202) return { runId: '', ms: NaN, expensiveCached: false, error: `submit answered ${res.status}: ${JSON.stringify(res.body)}` };
  const run = await waitForRun(api, res.body.id as string, undefined, 600_000);
  const log = await runLog(api, run.id);
  const started = Date.parse(String(run.startedAt));
  const finished = Date.parse(String(run.finishedAt));
  const step = /^(#\d+) \[2\/3\] RUN echo /m.exec(log)?.[1];
  const expensiveCached = step !== undefined && log.split('\n').includes(`${step} CACHED`);
  return {
    runId: run.id,
    ms: finished - started,
    expensiveCached,
    phases: buildPhases(await timedLines(api, run.id), started, finished),
    ...(run.outputImages[0] ? { digest: run.outputImages[0].digest } : {}),
    ...(run.status === 'succeeded' ? {} : { error: `run ${run.id} ${run.status}: ${run.error ?? ''}` }),
  };
}

interface TimedLine {
  at: number;
  text: string;
}

/** An ended run's log lines with the time each was written (its stream id), replayed by the follow endpoint. */
async function timedLines(api: string, runId: string): Promise<TimedLine[]> {
  const res = await apiFetch(`${api}/v1/runs/${runId}/logs?follow=1`);
  const lines: TimedLine[] = [];
  for await (const batch of sseBatches(res.body as AsyncIterable<Uint8Array>)) {
    for (const event of batch) {
      if (event.type === 'end') return lines;
      if (event.type === 'log' && event.id) lines.push({ at: Number(event.id.split('-')[0]), text: event.data });
    }
  }
  return lines;
}

/** Splits a build's time by its log: pure, so the bench's summary can be checked against a log by hand. */
export function buildPhases(lines: readonly TimedLine[], started: number, finished: number): BuildPhases {
  const firstBuildKit = lines.find((l) => /^#\d+ /.test(l.text))?.at ?? started;
  const firstPush = lines.find((l) => l.text.startsWith('slipway: pushing '))?.at ?? finished;
  const phases: BuildPhases = { beforeBuildKit: firstBuildKit - started, buildKit: firstPush - firstBuildKit, push: finished - firstPush };
  const add = (key: 'importCache' | 'pullLayers' | 'extract' | 'runStep' | 'export', ms: number) => (phases[key] = (phases[key] ?? 0) + ms);
  const names = new Map<string, string>();
  for (const { text } of lines) {
    const m = /^(#\d+) (.*)$/.exec(text);
    if (!m) continue;
    const [, vertex, rest] = m as unknown as [string, string, string];
    if (!names.has(vertex)) names.set(vertex, rest);
    const name = names.get(vertex)!;
    const seconds = (re: RegExp) => Math.round(Number(re.exec(rest)?.[1] ?? 0) * 1000);
    if (/^extracting sha256:.* done$/.test(rest)) add('extract', seconds(/ ([\d.]+)s done$/));
    else if (/^sha256:[a-f0-9]+ .* done$/.test(rest)) add('pullLayers', seconds(/ ([\d.]+)s done$/));
    else if (/^DONE /.test(rest)) {
      const done = seconds(/^DONE ([\d.]+)s/);
      if (name.startsWith('importing cache manifest')) add('importCache', done);
      else if (name.startsWith('[2/3] RUN ')) add('runStep', done);
      else if (name.startsWith('exporting to image')) add('export', done);
    }
  }
  return phases;
}
