// `slipway run -f task.yaml [CONTEXT] --set K=V --set-secret K=V --values FILE`: the `az acr run` analogue.
// The task file is checked here first (errors as FILE:LINE:COL, before anything is packed), then the context
// is uploaded as for `slipway build`, the run submitted with its values and secrets, and followed to its end.
import path from 'node:path';
import type { SlipwayApi } from '../api-client.js';
import { uploadContext } from '../context-upload.js';
import { UsageError } from '../errors.js';
import type { ExitCode } from '../exit.js';
import { parsePlatformFlag, parseTimeout, quote } from '../flags.js';
import { interruptible } from '../interrupt.js';
import { resultOnly, type CliIo } from '../io.js';
import { watchSubmittedRun, type WatchFlags } from '../run-watch.js';
import { cacheDir } from './build.js';
import { taskFileInputs, validateTaskFile, type ValidateFlags } from './task-validate.js';

export interface RunFileFlags extends Omit<ValidateFlags, 'registry'>, WatchFlags {
  file?: string;
  platform?: string;
  timeout?: string;
}

export async function runFile(api: SlipwayApi, contextDir: string, flags: RunFileFlags, io: CliIo): Promise<ExitCode> {
  const file = flags.file ?? path.join(contextDir, 'acb.yaml');
  const relative = path.relative(path.resolve(contextDir), path.resolve(file));
  if (relative.startsWith('..') || path.isAbsolute(relative)) {
    throw new UsageError(`task file ${quote(file)} is outside the context ${quote(contextDir)}: the server reads it from the uploaded source, so put it inside`);
  }
  const platform = flags.platform === undefined ? undefined : parsePlatformFlag(flags.platform);
  const timeoutSeconds = flags.timeout === undefined ? undefined : parseTimeout(flags.timeout);
  // The same reading `task validate` does, quietly: a mistake is shown with its line before any upload.
  const quiet: CliIo = { stdout: { write: () => true }, stderr: io.stderr };
  const checked = await validateTaskFile(file, { ...flags, registry: 'registry.invalid' }, quiet);
  if (checked !== 0) return checked;
  const { values, secrets } = await taskFileInputs(flags);
  return interruptible(async (signal) => {
    const context = await uploadContext(api, contextDir, { dockerfile: file, io: flags.quiet ? resultOnly(io) : io, signal, cacheDir: cacheDir(io) });
    const run = await api.submitRun({
      context: context.digest,
      taskFile: context.dockerfile,
      values,
      secretValues: secrets,
      ...(platform ? { platform } : {}),
      ...(timeoutSeconds ? { timeoutSeconds } : {}),
    });
    return watchSubmittedRun(api, run, flags, io, signal);
  });
}
