// `slipway task create|update|list|show|delete|run|runs`: stored build definitions on the server, the
// `az acr task` analogue. `task run` starts a manual run and follows it exactly as `slipway build` does.
import type { RunQuery, SlipwayApi } from '../api-client.js';
import type { Task } from '../../contract/tasks.js';
import { UsageError } from '../errors.js';
import { ExitCode } from '../exit.js';
import { renderRunTable, renderTask, renderTaskTable } from '../format.js';
import { interruptible } from '../interrupt.js';
import type { CliIo } from '../io.js';
import { watchSubmittedRun, type WatchFlags } from '../run-watch.js';
import { parseTaskFlags, type TaskFlags } from '../task-flags.js';

interface Output {
  json?: boolean;
}

export async function createTask(api: SlipwayApi, name: string, flags: TaskFlags & Output, io: CliIo): Promise<ExitCode> {
  const { context, ...fields } = parseTaskFlags(flags);
  if (context === undefined) throw new UsageError('--context: a task needs a git URL to build from');
  const task = await api.createTask({ name, context, ...fields });
  return printTask(task, flags, io, `Created task ${task.name}`);
}

/** Sends only the options given; a repeatable one given replaces the whole stored list. */
export async function updateTask(api: SlipwayApi, name: string, flags: TaskFlags & Output, io: CliIo): Promise<ExitCode> {
  const patch = parseTaskFlags(flags);
  if (Object.keys(patch).length === 0) throw new UsageError('nothing to update: give at least one option (see slipway task update --help)');
  const task = await api.updateTask(name, patch);
  return printTask(task, flags, io, `Updated task ${task.name}`);
}

export async function listTasks(api: SlipwayApi, opts: Output, io: CliIo): Promise<ExitCode> {
  const tasks = await api.listTasks();
  if (opts.json) io.stdout.write(`${JSON.stringify(tasks, null, 2)}\n`);
  else if (tasks.length === 0) io.stderr.write('No tasks\n');
  else io.stdout.write(`${renderTaskTable(tasks)}\n`);
  return ExitCode.ok;
}

export async function showTask(api: SlipwayApi, name: string, opts: Output, io: CliIo): Promise<ExitCode> {
  return printTask(await api.getTask(name), opts, io);
}

export async function deleteTask(api: SlipwayApi, name: string, io: CliIo): Promise<ExitCode> {
  await api.deleteTask(name);
  io.stdout.write(`Deleted task ${name}\n`);
  return ExitCode.ok;
}

/** A manual run at the current commit of the task's ref; exits 0 only when it succeeded (or with --no-wait). */
export async function runTask(api: SlipwayApi, name: string, flags: WatchFlags, io: CliIo): Promise<ExitCode> {
  return interruptible(async (signal) => watchSubmittedRun(api, await api.runTask(name), flags, io, signal));
}

export async function listTaskRuns(api: SlipwayApi, name: string, query: RunQuery & Output, io: CliIo): Promise<ExitCode> {
  const runs = await api.listTaskRuns(name, { status: query.status, top: query.top });
  if (query.json) io.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
  else if (runs.length === 0) io.stderr.write(`No runs of task ${name}\n`);
  else io.stdout.write(`${renderRunTable(runs)}\n`);
  return ExitCode.ok;
}

function printTask(task: Task, opts: Output, io: CliIo, done?: string): ExitCode {
  if (opts.json) {
    io.stdout.write(`${JSON.stringify(task, null, 2)}\n`);
    return ExitCode.ok;
  }
  if (done) io.stderr.write(`${done}\n`);
  io.stdout.write(`${renderTask(task)}\n`);
  return ExitCode.ok;
}
