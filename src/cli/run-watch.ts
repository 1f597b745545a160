// What `slipway build` and `slipway task run` do once the API has accepted a run: print its id, follow its log
// (or wait quietly), cancel it on Ctrl-C, and report the outcome. Exits 0 only when the run succeeded.
import type { SlipwayApi } from './api-client.js';
import type { Run } from '../contract/runs.js';
import { InterruptedError } from './errors.js';
import { ExitCode, RunNotSucceededError } from './exit.js';
import { formatImageRef, runDuration } from './format.js';
import type { CliIo } from './io.js';
import { followRunLog, waitForRun } from './run-follower.js';

export interface WatchFlags {
  /** false: wait for the outcome without printing the log. */
  logs: boolean;
  /** false: print the run id and return. */
  wait: boolean;
}

/** `signal` is the command's Ctrl-C (interrupt.ts): once it fires, the run is canceled. */
export async function watchSubmittedRun(api: SlipwayApi, run: Run, flags: WatchFlags, io: CliIo, signal: AbortSignal): Promise<ExitCode> {
  io.stdout.write(`Run ID: ${run.id}\n`);
  if (run.waiting) io.stderr.write(`Waiting: ${run.waiting}\n`);
  if (signal.aborted) throw await cancelOnInterrupt(api, run.id);
  if (!flags.wait) return ExitCode.ok;

  let final: Run;
  try {
    final = flags.logs
      ? await followRunLog(api, run.id, (line) => io.stdout.write(`${line}\n`), { signal })
      : await waitForRun(api, run.id, { signal });
  } catch (err) {
    if (signal.aborted) throw await cancelOnInterrupt(api, run.id);
    throw err;
  }
  return report(final, io);
}

async function cancelOnInterrupt(api: SlipwayApi, runId: string): Promise<InterruptedError> {
  try {
    await api.cancelRun(runId, AbortSignal.timeout(10_000));
    return new InterruptedError(runId);
  } catch (err) {
    return new InterruptedError(runId, err instanceof Error ? err.message : String(err));
  }
}

function report(run: Run, io: CliIo): ExitCode {
  if (run.status !== 'succeeded') throw new RunNotSucceededError(run);
  const took = runDuration(run);
  io.stderr.write(`Run ${run.id} succeeded${took ? ` after ${took}` : ''}\n`);
  for (const image of run.outputImages) io.stdout.write(`${formatImageRef(image)}\n`);
  return ExitCode.ok;
}
