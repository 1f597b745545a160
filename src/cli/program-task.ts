// The `slipway task` command group: its subcommands, options and help, wired to commands/task.ts.
// create and update share one option set; update adds the switches that undo (--push, --no-schedule).
import type { Command } from 'commander';
import type { SlipwayApi } from './api-client.js';
import { createTask, deleteTask, listTaskRuns, listTasks, runTask, showTask, updateTask } from './commands/task.js';
import type { ExitCode } from './exit.js';
import { parseStatus, parseTop } from './flags.js';
import type { ValidateFlags } from './commands/task-validate.js';
import type { CliIo } from './io.js';
import type { WatchFlags } from './run-watch.js';
import { parseTaskName, type TaskFlags } from './task-flags.js';
import { watchOptions } from './watch-options.js';

const collect = (value: string, previous: unknown): string[] => (Array.isArray(previous) ? [...(previous as string[]), value] : [value]);

export interface ProgramContext {
  io: CliIo;
  setExit: (code: ExitCode) => void;
  serverOf: (cmd: Command) => SlipwayApi;
}

export function addTaskCommands(program: Command, { io, setExit, serverOf }: ProgramContext): void {
  const task = program.command('task').description('manage tasks: stored builds of a git repository, run on commits, pull requests, base-image updates and schedules');

  task
    .command('validate')
    .description('check a task file (ACR task YAML) and print its step graph; nothing runs and nothing is sent')
    .argument('<file>', 'task file, e.g. acb.yaml')
    .option('--set <key=value>', 'a value for {{.Values.KEY}} (repeatable; a.b=v sets a nested value)', collect)
    .option('--set-secret <key=value>', 'a secret for {{.Secrets.KEY}}, masked in the output (repeatable)', collect)
    .option('--values <file>', 'a YAML file of values (repeatable; --set wins)', collect)
    .option('--registry <host>', "the registry {{.Run.Registry}} stands for (default: $SLIPWAY_REGISTRY, else the server's default)")
    .action(async (file: string, flags: ValidateFlags) => {
      // Loaded only for this command: it pulls in the yaml package and the task file schema.
      const { validateTaskFile } = await import('./commands/task-validate.js');
      setExit(await validateTaskFile(file, flags, io));
    });

  const create = task.command('create').description('define a task').argument('<name>', 'task name: letters, digits, - and _');
  create.requiredOption('-c, --context <git-url>', 'repository to build: URL[#ref[:subdir]], e.g. https://github.com/org/app.git#main');
  taskOptions(create, 'create').action(async (name: string, flags: TaskFlags & { json?: boolean }, cmd: Command) =>
    setExit(await createTask(serverOf(cmd), parseTaskName(name), flags, io)),
  );

  const update = task.command('update').description('change a task; only the options given change').argument('<name>', 'task name');
  update.option('-c, --context <git-url>', 'repository to build: URL[#ref[:subdir]]');
  taskOptions(update, 'update').action(async (name: string, flags: TaskFlags & { json?: boolean }, cmd: Command) => setExit(await updateTask(serverOf(cmd), parseTaskName(name), flags, io)));

  task
    .command('list')
    .description('list tasks')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => setExit(await listTasks(serverOf(cmd), opts, io)));
  task
    .command('show')
    .description('show one task')
    .argument('<name>', 'task name')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean }, cmd: Command) => setExit(await showTask(serverOf(cmd), parseTaskName(name), opts, io)));
  task
    .command('delete')
    .description('delete a task (its runs are kept)')
    .argument('<name>', 'task name')
    .action(async (name: string, _opts: unknown, cmd: Command) => setExit(await deleteTask(serverOf(cmd), parseTaskName(name), io)));
  const run = task.command('run').description("run a task now, at the current commit of its ref, and follow the run's log").argument('<name>', 'task name');
  watchOptions(run).action(async (name: string, flags: WatchFlags, cmd: Command) => setExit(await runTask(serverOf(cmd), parseTaskName(name), flags, io)));
  task
    .command('runs')
    .description("list a task's runs, newest first")
    .argument('<name>', 'task name')
    .option('--status <status>', 'only runs in this status')
    .option('--top <n>', 'at most this many runs (default: 20)')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { status?: string; top?: string; json?: boolean }, cmd: Command) => {
      const query = {
        status: opts.status === undefined ? undefined : parseStatus(opts.status),
        top: opts.top === undefined ? undefined : parseTop(opts.top),
        json: opts.json,
      };
      setExit(await listTaskRuns(serverOf(cmd), parseTaskName(name), query, io));
    });
}

function taskOptions(cmd: Command, mode: 'create' | 'update'): Command {
  const update = mode === 'update';
  const replaces = update ? '; replaces the stored ones' : '';
  // An update changes only what is given, so the creation defaults would mislead there.
  const byDefault = (value: string) => (update ? '' : ` (default: ${value})`);
  cmd
    .option('-f, --file <path>', `Dockerfile, relative to the context in the repository${byDefault('Dockerfile')}`)
    .option('-t, --image <name>', `image to push, may use run variables, e.g. app:{{.Run.ID}} or app:$ID (repeatable${replaces})`, collect)
    .option('--platform <os/arch>', `target platform(s), comma-separated${byDefault('linux/amd64')}`)
    .option('--build-arg <key=value>', `build-time variable (repeatable${replaces})`, collect)
    .option('--label <key=value>', `label on the image config (repeatable${replaces})`, collect)
    .option('--commit-trigger <on|off>', `run on pushes to the ref${byDefault('on')}`)
    .option('--pr-trigger <on|off>', `run on pull requests${byDefault('off')}`)
    .option('--base-image-trigger <runtime|all|off>', `run when a base image is updated: the runtime one, all, or none${byDefault('runtime')}`)
    .option('--schedule <cron>', `run on a 5-field cron schedule in UTC, e.g. "0 3 * * *" (repeatable${replaces})`, collect);
  if (update) cmd.option('--no-schedule', 'remove every schedule');
  cmd
    .option('--git-token <token>', 'token for a private repository; stored apart, never shown (a new one replaces the old)')
    .option('--timeout <seconds>', `give up on a run after this long${byDefault("the server's")}`)
    .option('--quarantine <on|off>', `push by digest only; each tag moves when a scanner approves the image${byDefault('off')}`);
  // --push first: defined after --no-push it would not be, and push would default to true, sent on every update.
  if (update) cmd.option('--push', 'push the images again (undoes --no-push)');
  return cmd.option('--no-push', 'build without pushing').option('--json', 'print the task as JSON');
}
