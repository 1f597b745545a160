// `slipway task validate FILE`: reads a task file as a run would (templates, aliases, schema, step graph) and
// prints the resolved step graph, or every error as FILE:LINE:COL: message. Nothing runs, nothing is sent.
// Secrets not given stand in as a placeholder; run variables take sample values (the run's are not known yet).
import fs from 'node:fs/promises';
import { loadConfig } from '../../config.js';
import { TaskFileError, formatIssue } from '../../taskfile/errors.js';
import { formatGraph } from '../../taskfile/format.js';
import { TASK_FILE_LIMITS } from '../../taskfile/limits.js';
import { loadTaskFile } from '../../taskfile/load.js';
import { parseValuesFile, setValue } from '../../taskfile/values.js';
import { UsageError } from '../errors.js';
import { ExitCode } from '../exit.js';
import { quote } from '../flags.js';
import type { CliIo } from '../io.js';

export interface ValidateFlags {
  set?: string[];
  setSecret?: string[];
  values?: string[];
  registry?: string;
}

const VALUE_KEY = /^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*$/;

/** The values (--values files, then --set) and secrets (--set-secret) a task file is given. */
export async function taskFileInputs(flags: Pick<ValidateFlags, 'set' | 'setSecret' | 'values'>): Promise<{ values: Record<string, unknown>; secrets: Record<string, string> }> {
  let values: Record<string, unknown> = {};
  for (const path of flags.values ?? []) values = { ...values, ...parseValuesFile(await readText(path, '--values file'), path) };
  for (const input of flags.set ?? []) {
    const [key, value] = keyValue('--set', input, false);
    values = setValue(values, key, value);
  }
  const secrets = Object.fromEntries((flags.setSecret ?? []).map((input) => keyValue('--set-secret', input, true)));
  return { values, secrets };
}

export async function validateTaskFile(file: string, flags: ValidateFlags, io: CliIo): Promise<ExitCode> {
  const source = await readText(file, 'task file');
  // The server's settings decide at run time; the ones this environment has are the best guess here.
  const config = loadConfig();
  const registry = flags.registry ?? config.defaultRegistry;
  try {
    // A malformed --values file is reported as the task file's own mistakes are: at its file and line.
    const { values, secrets } = await taskFileInputs(flags);
    const { task, masker, warnings } = loadTaskFile(source, {
      file,
      run: sampleRun(registry),
      values,
      secrets,
      imageAliases: config.taskFiles.imageAliases,
      allowPrivileged: config.taskFiles.allowPrivileged,
      stepLimits: config.taskFiles.stepLimits,
      dryRun: true,
    });
    for (const w of warnings) io.stderr.write(`${file}:${w.replace(/^(\d+:\d+): /, '$1: warning: ')}\n`);
    io.stdout.write(formatGraph(file, task, (t) => masker.mask(t)));
    return ExitCode.ok;
  } catch (err) {
    if (!(err instanceof TaskFileError)) throw err;
    for (const issue of err.issues) io.stderr.write(`${formatIssue(err.file, issue)}\n`);
    io.stderr.write(`slipway: ${err.file}: ${err.issues.length} error${err.issues.length === 1 ? '' : 's'}\n`);
    return ExitCode.usage;
  }
}

async function readText(path: string, what: string): Promise<string> {
  const stat = await fs.stat(path).catch(() => undefined);
  if (!stat?.isFile()) throw new UsageError(`${what} ${quote(path)} not found`);
  if (stat.size > TASK_FILE_LIMITS.bytes) throw new UsageError(`${what} ${quote(path)} is larger than ${TASK_FILE_LIMITS.bytes} bytes`);
  return fs.readFile(path, 'utf8');
}

function keyValue(flag: string, input: string, secret: boolean): [string, string] {
  const eq = input.indexOf('=');
  // A secret flag's text may be the secret itself (KEY= forgotten), so it is never echoed.
  if (eq < 1) throw new UsageError(`${flag}${secret ? '' : ` ${quote(input)}`}: expected KEY=VALUE`);
  const key = input.slice(0, eq);
  if (!VALUE_KEY.test(key)) throw new UsageError(`${flag} ${quote(key)}: a name is letters, digits, _ and -, with . between nested names`);
  return [key, input.slice(eq + 1)];
}

/** Run variables of a run that has not happened: plausible, so image names built from them still parse. */
function sampleRun(registry: string) {
  const date = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15) + 'z';
  return { ID: 'dryrun', Registry: registry, RegistryName: registry.split(/[.:]/)[0]!, Date: date, OS: 'linux', Architecture: 'amd64', Commit: '', Branch: '', TaskName: '', SharedVolume: '/workspace' };
}
