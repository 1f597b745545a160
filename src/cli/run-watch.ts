// What `slipway build`, `slipway run` and `slipway task run` do once the API has accepted a run: say its id,
// follow its log (or wait quietly), cancel it on Ctrl-C, and report the outcome. As `docker buildx build`
// does, the log and progress go to stderr and the result to stdout: the pushed `image@digest` lines, or the
// run as JSON with -o json. Exits 0 only when the run succeeded.
import fs from 'node:fs/promises';
import type { SlipwayApi } from './api-client.js';
import type { Run } from '../contract/runs.js';
import { InterruptedError } from './errors.js';
import { ExitCode, RunNotSucceededError } from './exit.js';
import { runDuration } from './format.js';
import type { CliIo } from './io.js';
import { followRunLog, waitForRun } from './run-follower.js';
import { buildMetadata, logLineWriter, parseProgress, pushedDigest, pushedReferences } from './run-output.js';
import { TtyProgressView } from './progress-view.js';
import { loadCliConfig } from '../config.js';

export interface WatchFlags {
  /** false: wait for the outcome without printing the log. */
  logs: boolean;
  /** false: print the run id and return. */
  wait: boolean;
  /** -q: print nothing but the pushed references. */
  quiet?: boolean;
  /** --progress auto|plain|quiet|rawjson. */
  progress?: string;
  /** -o json (or --json): the run as JSON on stdout. */
  json?: boolean;
  /** --metadata-file: buildx's JSON keys about what was pushed. */
  metadataFile?: string;
  /** --iidfile: the pushed digest. */
  iidfile?: string;
}

/** `signal` is the command's Ctrl-C (interrupt.ts): once it fires, the run is canceled. */
export async function watchSubmittedRun(api: SlipwayApi, run: Run, flags: WatchFlags, io: CliIo, signal: AbortSignal): Promise<ExitCode> {
  const mode = flags.quiet ? 'quiet' : parseProgress(flags.progress ?? 'auto');
  if (!flags.wait) {
    // The run id is this command's result.
    io.stdout.write(flags.json ? `${JSON.stringify(run, null, 2)}\n` : flags.quiet ? `${run.id}\n` : `Run ID: ${run.id}\n`);
    if (run.waiting && !flags.quiet) io.stderr.write(`Waiting: ${run.waiting}\n`);
    return ExitCode.ok;
  }
  if (!flags.quiet) io.stderr.write(`Run ID: ${run.id}\n`);
  if (run.waiting && !flags.quiet) io.stderr.write(`Waiting: ${run.waiting}\n`);
  if (signal.aborted) throw await cancelOnInterrupt(api, run.id);

  const shown = mode === 'auto' ? (io.stderr.isTTY ? 'tty' : 'plain') : mode;
  const view = flags.logs && shown === 'tty' ? new TtyProgressView(io.stderr, { color: !loadCliConfig().cli.noColor }) : undefined;
  const write = flags.logs && !view ? logLineWriter(shown, run.id) : undefined;
  const onLine = view ? (line: string) => view.line(line) : write ? (line: string) => io.stderr.write(write(line)) : () => undefined;
  let final: Run;
  try {
    // Quiet still follows the stream: it ends the moment the run does, where polling would lag.
    final = flags.logs ? await followRunLog(api, run.id, onLine, { signal }) : await waitForRun(api, run.id, { signal });
  } catch (err) {
    if (signal.aborted) throw await cancelOnInterrupt(api, run.id);
    throw err;
  } finally {
    view?.finish();
  }
  return report(final, flags, io);
}

async function cancelOnInterrupt(api: SlipwayApi, runId: string): Promise<InterruptedError> {
  try {
    await api.cancelRun(runId, AbortSignal.timeout(10_000));
    return new InterruptedError(runId);
  } catch (err) {
    return new InterruptedError(runId, err instanceof Error ? err.message : String(err));
  }
}

async function report(run: Run, flags: WatchFlags, io: CliIo): Promise<ExitCode> {
  if (flags.json) io.stdout.write(`${JSON.stringify(run, null, 2)}\n`);
  if (run.status !== 'succeeded') throw new RunNotSucceededError(run);
  if (flags.metadataFile) await fs.writeFile(flags.metadataFile, `${JSON.stringify(buildMetadata(run), null, 2)}\n`);
  const digest = pushedDigest(run);
  if (flags.iidfile && digest) await fs.writeFile(flags.iidfile, digest);
  if (flags.json) return ExitCode.ok;
  if (!flags.quiet) {
    const took = runDuration(run);
    io.stderr.write(`Run ${run.id} succeeded${took ? ` after ${took}` : ''}\n`);
  }
  for (const reference of pushedReferences(run)) io.stdout.write(`${reference}\n`);
  return ExitCode.ok;
}
