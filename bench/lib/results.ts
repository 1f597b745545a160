// What the build and latency benches measure, section by section: summaries render them
// (bench/lib/summary.ts), history lines keep their key figures (bench/lib/figures.ts).
import type { ComponentTimings } from './components.js';
import type { SlipwayPhases } from './slipway.js';
import type { Summary } from './stats.js';

export type Side = 'raw' | 'legacy' | `slipway-${string}`;

/**
 * The compiled CLI started as `node dist/cli/slipway.js`, timed where the machine sets NODE_EXTRA_CA_CERTS:
 * Node then loads that CA file at start, which the bin's launcher defers (`compiled` is the bin).
 */
export const UNDER_NODE_VARIANT = 'compiled-node';
export type Mode = 'uncached' | 'cached';

export interface BuildSample {
  iteration: number;
  side: Side;
  mode: Mode;
  totalMs: number;
  /** raw and legacy: the build command and the push command */
  buildMs?: number;
  /** raw: time to the Engine's first answer byte (upload + the Engine's work before BuildKit reports) */
  firstByteMs?: number;
  pushMs?: number;
  /** slipway: consecutive phases adding up to totalMs */
  phases?: SlipwayPhases;
  runId?: string;
  /** CPU ms spent meanwhile: `client` by the processes this side started (CLI, or tar + curl + docker), api and worker by the stack */
  cpuMs?: { client: number; api?: number; worker?: number };
  logLagMs?: number | null;
  uploaded?: boolean;
  error?: string;
}

export interface Comparison {
  /** median(slipway) / median(raw), uncached */
  uncachedRatio: number;
  /** median over iterations of slipway_i / raw_i */
  uncachedPairRatio: number;
  /** median(slipway) − median(raw), cached */
  cachedDeltaMs: number;
  cachedPairDeltaMs: number;
  uncachedTargetMet: boolean;
  cachedTargetMet: boolean;
}

/**
 * Slipway's overhead from the phases that involve no Engine work (CLI startup, pack, upload and submit,
 * queue, record, following the end, exit), set against the
 * median raw build. Less exposed to the Engine's noise than the totals; raw's own client costs (tar, the
 * docker CLI starting for the push) are not subtracted, so it errs against Slipway by a few tens of ms.
 */
export interface OverheadEstimate {
  slipwayOnlyMs: number;
  /** the rest of each run: prepare, build, push */
  engineSideMs: number;
  rawMs: number;
  /** (raw + slipwayOnly) / raw */
  estimatedRatio: number;
  /** = slipwayOnlyMs: what Slipway adds to a raw build */
  estimatedDeltaMs: number;
}

export interface BuildSection {
  iterations: number;
  context: { bytes: number; dockerfile: string };
  /** `slipway --version` wall time per CLI variant (what any command pays before doing anything), and `node -e 0` as `node…`. */
  cliStartup: Record<string, Summary>;
  compiledCli: { compileMs: number } | { error: string };
  /** Medians of the total wall time, ms. */
  medians: Record<string, Record<Mode, number | null>>;
  comparisons: Record<string, Comparison>;
  /** Median of each Slipway phase per CLI variant and mode, ms (medians need not add up to the median total). */
  breakdown: Record<string, Record<Mode, Partial<SlipwayPhases> & { logLagMs?: number }>>;
  /** Median build and push command times of the raw sides. */
  rawBreakdown: Record<string, Record<Mode, { buildMs?: number; firstByteMs?: number; pushMs?: number }>>;
  overheadEstimate: Record<string, Record<Mode, OverheadEstimate>>;
  /** Median CPU ms per build by side and mode: client processes, and for Slipway its API and worker. */
  cpu: Record<string, Record<Mode, { client?: number; api?: number; worker?: number }>>;
  /** Slipway's own steps timed in-process on one context (median of 5). */
  components: ComponentTimings;
  warmup: BuildSample[];
  samples: BuildSample[];
  failures: string[];
  loadAverageAtEnd: number[];
  elapsedMs: number;
}

export interface LatencySection {
  runs: number;
  /** The first run after the worker started: it may fork the sandboxed child and open its connections. */
  first: { submitToStartMs: number; submitToCreatedMs: number; createdToStartMs: number };
  /** Before the POST → the run's startedAt, over the runs after the first. */
  submitToStart: Summary;
  /** Before the POST → createdAt (HTTP, validation, record, enqueue up to the timestamp). */
  submitToCreated: Summary;
  /** createdAt → startedAt (BullMQ dispatch, child, start transition). */
  createdToStart: Summary;
  /** Response time of POST /v1/runs. */
  postResponse: Summary;
  /** startedAt → finishedAt of the main series' runs (they fail before any Engine call). */
  runDuration: Summary;
  /** Real trivial builds (noPush): submit-to-start, and how long the build itself took. */
  fullBuilds: { submitToStart: Summary; runDuration: Summary };
  /** Runs submitted after the worker sat idle for a while, to catch a blocking-poll timeout. */
  afterLongIdle: { idleMs: number; submitToStartMs: number[] };
  targetP99Ms: number;
  targetMet: boolean;
  /** The gate's token check for POST /v1/runs alone, in µs, with the API's token cache in use (bench/lib/token-check.ts). */
  tokenCheckUs?: Summary & { targetP99Us: number; targetMet: boolean };
  /** The same check reading Redis every time: the token cache off, a miss, or its feed not hearing Redis. */
  tokenCheckColdUs?: Summary;
  /** Checks of the cached series that found the cache out of use. */
  tokenCheckCachedColdReads?: number;
  failures: string[];
  loadAverageAtEnd: number[];
  elapsedMs: number;
}
