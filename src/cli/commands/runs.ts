// `slipway runs list|show|logs|cancel`: reading and canceling runs.
import type { SlipwayApi } from '../api-client.js';
import { isTerminal, type RunStatus } from '../../runs/status.js';
import { TRIGGER_TYPES, type Run } from '../../contract/runs.js';
import { UsageError } from '../errors.js';
import { ExitCode, RunNotSucceededError } from '../exit.js';
import { quote } from '../flags.js';
import { renderRun, renderRunTable } from '../format.js';
import { parseTaskName } from '../task-flags.js';
import type { CliIo } from '../io.js';
import { followRunLog } from '../run-follower.js';

export interface RunListFlags {
  status?: RunStatus;
  top?: number;
  json?: boolean;
  /** Only the runs of this task (asked of the task's own list). */
  task?: string;
  /** Only runs created since then: a duration back from now (90m, 2h, 7d) or a date and time. */
  since?: string;
  trigger?: string;
}

/** How far back the list is read when it is filtered here: the API filters by status and task, not by time or trigger. */
const FILTER_WINDOW = 1000;

export async function listRuns(api: SlipwayApi, flags: RunListFlags, io: CliIo): Promise<ExitCode> {
  const since = flags.since === undefined ? undefined : parseSince(flags.since);
  const trigger = flags.trigger === undefined ? undefined : parseTrigger(flags.trigger);
  const here = since !== undefined || trigger !== undefined;
  const query = { status: flags.status, top: here ? FILTER_WINDOW : flags.top };
  const all = flags.task === undefined ? await api.listRuns(query) : await api.listTaskRuns(parseTaskName(flags.task), query);
  const runs = here
    ? all.filter((r) => (since === undefined || Date.parse(r.createdAt) >= since) && (trigger === undefined || r.trigger.type === trigger)).slice(0, flags.top ?? 20)
    : all;
  if (flags.json) io.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
  else if (runs.length === 0) io.stderr.write('No runs\n');
  else io.stdout.write(`${renderRunTable(runs)}\n`);
  return ExitCode.ok;
}

export async function showRun(api: SlipwayApi, id: string, opts: { json?: boolean }, io: CliIo): Promise<ExitCode> {
  const run = await api.getRun(id);
  io.stdout.write(opts.json ? `${JSON.stringify(run, null, 2)}\n` : `${renderRun(run)}\n`);
  return ExitCode.ok;
}

/** Prints the log so far, or with `follow` the live log until the run ends, then exits as `build` would: 0 only when it succeeded. */
export async function printLog(api: SlipwayApi, id: string, opts: { follow?: boolean }, io: CliIo): Promise<ExitCode> {
  if (opts.follow) {
    const run: Run = await followRunLog(api, id, (line) => io.stdout.write(`${line}\n`));
    if (run.status !== 'succeeded') throw new RunNotSucceededError(run);
    return ExitCode.ok;
  }
  const body = await api.readLog(id);
  for await (const chunk of body) io.stdout.write(chunk);
  return ExitCode.ok;
}

export async function cancelRun(api: SlipwayApi, id: string, io: CliIo): Promise<ExitCode> {
  const run = await api.cancelRun(id);
  io.stdout.write(isTerminal(run.status) ? `Run ${run.id} ${run.status}\n` : `Canceling run ${run.id} (it is ${run.status})\n`);
  return ExitCode.ok;
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `--since`: `90m`, `2h`, `7d` back from `now`, or an ISO 8601 date or date and time; the time in ms. */
export function parseSince(input: string, now = Date.now()): number {
  const ago = /^([0-9]{1,9})([smhdw])$/.exec(input);
  if (ago) return now - Number(ago[1]) * UNITS[ago[2]!]!;
  const at = /^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(input) ? Date.parse(input) : NaN;
  if (Number.isNaN(at)) throw new UsageError(`--since ${quote(input)}: expected a duration such as 90m, 2h or 7d, or a date such as 2024-05-01 or 2024-05-01T12:00:00Z`);
  return at;
}

export function parseTrigger(input: string): Run['trigger']['type'] {
  if ((TRIGGER_TYPES as readonly string[]).includes(input)) return input as Run['trigger']['type'];
  throw new UsageError(`--trigger ${quote(input)}: expected one of ${TRIGGER_TYPES.join(', ')}`);
}
