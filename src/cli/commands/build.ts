// `slipway build`: pack and upload a context, submit a run, follow its log, print the pushed images.
// Exits 0 only when the run succeeded; Ctrl-C cancels the run, like docker build.
import type { SlipwayApi } from '../api-client.js';
import type { Run, RunSubmission } from '../api-schemas.js';
import { uploadContext } from '../context-upload.js';
import { InterruptedError, UsageError } from '../errors.js';
import { ExitCode, RunNotSucceededError } from '../exit.js';
import { parseImage, parseKeyValues, parsePlatformFlag, parseTimeout } from '../flags.js';
import { formatImageRef, runDuration } from '../format.js';
import { trapInterrupt } from '../interrupt.js';
import type { CliIo } from '../io.js';
import { followRunLog, waitForRun } from '../run-follower.js';

/** The options as commander hands them over (repeatable ones collected, --no-x as x: false). */
export interface BuildFlags {
  tag?: string[];
  file?: string;
  buildArg?: string[];
  secretBuildArg?: string[];
  platform?: string;
  target?: string;
  push: boolean;
  logs: boolean;
  wait: boolean;
  timeout?: string;
}

type BuildRequest = Omit<RunSubmission, 'context' | 'dockerfile'>;

/** Checks every flag before anything is packed or sent. */
export function parseBuildFlags(flags: BuildFlags): BuildRequest {
  const buildArgs = parseKeyValues('--build-arg', flags.buildArg ?? []);
  const secretBuildArgs = parseKeyValues('--secret-build-arg', flags.secretBuildArg ?? [], { secret: true });
  const both = Object.keys(secretBuildArgs).filter((k) => Object.hasOwn(buildArgs, k));
  if (both.length > 0) throw new UsageError(`${both.join(', ')}: given both as --build-arg and --secret-build-arg; pick one`);
  if (flags.target !== undefined && flags.target === '') throw new UsageError('--target: the stage name is empty');
  return {
    images: (flags.tag ?? []).map((t) => parseImage(t, '--tag')),
    buildArgs,
    secretBuildArgs,
    platform: flags.platform === undefined ? undefined : parsePlatformFlag(flags.platform),
    target: flags.target,
    noPush: !flags.push,
    timeoutSeconds: flags.timeout === undefined ? undefined : parseTimeout(flags.timeout),
  };
}

export async function build(api: SlipwayApi, contextDir: string, flags: BuildFlags, io: CliIo): Promise<ExitCode> {
  const request = parseBuildFlags(flags);
  const interrupt = trapInterrupt();
  const { signal } = interrupt;
  try {
    const context = await uploadContext(api, contextDir, { dockerfile: flags.file, io, signal });
    const run = await api.submitRun({ ...request, context: context.digest, dockerfile: context.dockerfile });
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
  } catch (err) {
    // Ctrl-C before a run existed: the upload or the packing was cut short.
    if (signal.aborted && !(err instanceof InterruptedError)) throw new InterruptedError();
    throw err;
  } finally {
    interrupt.dispose();
  }
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
