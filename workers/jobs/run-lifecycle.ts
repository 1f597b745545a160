// The one lifecycle of every build job: claim the run, mask its secrets in its log, stop it on timeout or
// cancel, map a failure to the final status a user sees, record the end, let go. A job kind supplies its
// body and its scope: where its outcome is recorded (the whole run here, or one platform of it).
import { setTimeout as sleep } from 'node:timers/promises';
import { isSlipwayError } from '../../src/errors.js';
import type { SecretMasker } from '../../src/log.js';
import { isTerminal, type Run, type RunStatus } from '../../src/runs/model.js';
import type { RunProgress } from '../../src/runs/progress.js';
import type { RunPatch } from '../../src/runs/records.js';
import { BuildStepError, EngineError, EngineUnavailableError, isEngineUnavailable } from '../builder/image-builder.js';
import { RunLogWriter } from '../log-writer.js';

/** Abort switches of the builds a process runs, by run id; a cancel announcement trips every one of a run. */
export type AbortSwitches = Map<string, Set<AbortController>>;

/** What a job's body works with. */
export interface JobIO {
  out: RunLogWriter;
  /** Aborted with reason 'canceled' or 'timeout'. */
  signal: AbortSignal;
  /** The run as it was when this job claimed it. */
  run: Run | undefined;
  /** When the run's time limit passes (ms since the epoch). */
  deadline: number;
}

/** The run taken for this job, or the status to answer when there is nothing to run. */
export type Claim = { run: Run | undefined } | { skipped: RunStatus };

/** Where a job's outcome is recorded. */
export interface RunScope<T> {
  claim(): Promise<Claim>;
  /** Records what the body returned; resolves with the job's status. */
  record(result: T): Promise<RunStatus>;
  /** Records a failure whose message is already masked; resolves with the job's status. */
  fail(status: RunStatus, message: string): Promise<RunStatus>;
}

export interface RunJob<T> {
  runId: string;
  timeoutSeconds: number;
  /** Knows the job's secret values: every log line, error and record is masked with it. */
  masker: SecretMasker;
  /** Marks each log line, e.g. `[linux/arm64] ` when platforms build side by side. */
  logPrefix?: string;
  /** The log's first line. */
  greeting: string;
  scope: RunScope<T>;
  body(io: JobIO): Promise<T>;
}

export interface LifecycleDeps {
  runs: RunProgress;
  active: AbortSwitches;
  /** Building again after the engine went away mid-build; absent, such a run ends `error` at once. */
  engineLoss?: EngineLossRetry;
}

export interface EngineLossRetry {
  /** Whether the engine answers now. */
  answers(): Promise<boolean>;
  /** Times a run is built again (0: never). */
  retries: number;
  /** How often to ask whether it answers again. */
  pollMs?: number;
}

export async function runLifecycle<T>(deps: LifecycleDeps, job: RunJob<T>): Promise<RunStatus> {
  // The switch is armed before the run is read, so a cancel announced in between still trips it.
  const { abort, release } = trackBuild(deps.active, job.runId);
  try {
    const claim = await job.scope.claim();
    if ('skipped' in claim) return claim.skipped;
    if (claim.run?.cancelRequested) abort.abort('canceled');
    return await runClaimed(deps, job, claim.run, abort);
  } finally {
    release();
  }
}

async function runClaimed<T>({ runs, engineLoss }: LifecycleDeps, job: RunJob<T>, run: Run | undefined, abort: AbortController): Promise<RunStatus> {
  const out = new RunLogWriter(runs, job.runId, job.masker, job.logPrefix);
  const deadline = Date.now() + job.timeoutSeconds * 1000;
  const timer = setTimeout(() => abort.abort('timeout'), deadline - Date.now());
  const watch = watchCancel(runs, job.runId, abort);
  try {
    out.line(job.greeting);
    const result = await bodyAcrossEngineLoss(job, { out, signal: abort.signal, run, deadline }, engineLoss);
    await out.flush();
    return await job.scope.record(result);
  } catch (err) {
    const { status, message } = outcome(err, abort.signal, job.timeoutSeconds);
    await out.flush().catch(() => undefined);
    return await job.scope.fail(status, job.masker.mask(message));
  } finally {
    clearTimeout(timer);
    clearInterval(watch);
  }
}

/**
 * Runs the body, and again (as often as allowed) when the engine went away under it, once it answers: an
 * Engine restarted by its host's upgrade or crash costs the run a retry rather than blaming its user.
 * The whole body runs again, from a fresh workspace; a build's cache makes the steps that were done cheap.
 */
async function bodyAcrossEngineLoss<T>(job: RunJob<T>, io: JobIO, retry: EngineLossRetry | undefined): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await job.body(io);
    } catch (err) {
      if (!isEngineUnavailable(err) || !retry || attempt >= retry.retries || io.signal.aborted) throw err;
      io.out.line(`slipway: ${err.message}; building again once it answers (attempt ${attempt + 2} of ${retry.retries + 1})`);
      await untilEngineAnswers(retry, io, err);
      io.out.line('slipway: the engine answers again; building again');
    }
  }
}

/** Left before the run's deadline for the retried build to do anything at all. */
const ENGINE_WAIT_MARGIN_MS = 5_000;

async function untilEngineAnswers(retry: EngineLossRetry, io: JobIO, lost: Error): Promise<void> {
  const every = retry.pollMs ?? 500;
  while (!(await retry.answers())) {
    if (Date.now() + every + ENGINE_WAIT_MARGIN_MS > io.deadline) throw new EngineUnavailableError(`${lost.message}; it did not answer again within the run's time limit`);
    // A cancel or the run's timeout ends the wait; the outcome then says which.
    await sleep(every, undefined, { signal: io.signal });
  }
}

/** How often a build re-reads its run: the bound on how late a cancel whose announcement was missed is seen. */
export const CANCEL_POLL_MS = 3_000;

/**
 * The cancel announcement is pub/sub: a worker reconnecting to Redis at that moment never hears it. So the
 * build also re-reads its run, and stops once a cancel is recorded (or the run was ended by someone else).
 */
function watchCancel(runs: RunProgress, runId: string, abort: AbortController): NodeJS.Timeout {
  let reading = false;
  const timer = setInterval(() => {
    if (reading || abort.signal.aborted) return;
    reading = true;
    runs
      .get(runId)
      .then((run) => {
        if (run?.cancelRequested || (run && isTerminal(run.status))) abort.abort('canceled');
      })
      // Redis away: the next tick asks again.
      .catch(() => undefined)
      .finally(() => (reading = false));
  }, CANCEL_POLL_MS);
  timer.unref();
  return timer;
}

/** Registers an abort switch for a run's build until `release` is called. */
export function trackBuild(active: AbortSwitches, runId: string): { abort: AbortController; release: () => void } {
  const abort = new AbortController();
  const set = active.get(runId) ?? new Set();
  set.add(abort);
  active.set(runId, set);
  return {
    abort,
    release: () => {
      set.delete(abort);
      if (set.size === 0) active.delete(runId);
    },
  };
}

/** Decides the final status: canceled and timeout win over the error they caused; the user's mistakes are `failed`. */
export function outcome(err: unknown, signal: AbortSignal, timeoutSeconds: number): { status: RunStatus; message: string } {
  if (signal.aborted && signal.reason === 'canceled') return { status: 'canceled', message: 'canceled while running' };
  if (signal.aborted && signal.reason === 'timeout') return { status: 'timeout', message: `timed out after ${timeoutSeconds} s` };
  if (err instanceof BuildStepError) {
    const { output } = err.failure;
    return { status: 'failed', message: `${err.message}${output.length ? `\n${output.join('\n')}` : ''}` };
  }
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof EngineError || isSlipwayError(err)) return { status: 'failed', message };
  return { status: 'error', message };
}

/** How the body of a whole-run job ended without throwing: what goes in the record, and a failure it reports itself. */
export interface RunEnding {
  patch: RunPatch;
  /** A failure the body found rather than threw (a task file's failed step), its message not yet masked. */
  failure?: { status: RunStatus; message: string };
}

/**
 * A job that is the whole run: it moves the run from queued to running, and ends it. A run found still
 * running belonged to a worker that died mid-build: it ends as `error`.
 */
export function wholeRun(runs: RunProgress, opts: { runId: string; worker: string; masker: SecretMasker; noun: 'build' | 'run' }): RunScope<RunEnding> {
  const id = opts.runId;
  const fail = async (status: RunStatus, message: string, patch: RunPatch = {}) => {
    await runs.finish(id, ['running'], status, { ...patch, error: message }, [`slipway: run ${status}: ${message}`]);
    return status;
  };
  return {
    async claim() {
      if (await runs.start(id, opts.worker)) return { run: await runs.get(id) };
      // Canceled while queued: nothing to do. Still running: the worker that had it died mid-build.
      const run = await runs.get(id);
      if (run?.status === 'running') await runs.finish(id, ['running'], 'error', { error: `the worker running this ${opts.noun} stopped before it finished` });
      return { skipped: run?.status ?? 'error' };
    },
    async record({ patch, failure }) {
      if (failure) return fail(failure.status, opts.masker.mask(failure.message), patch);
      await runs.finish(id, ['running'], 'succeeded', patch, ['slipway: run succeeded']);
      return 'succeeded';
    },
    fail: (status, message) => fail(status, message),
  };
}
