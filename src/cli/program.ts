// The `slipway` command line: commands, options and help, wired to the command functions. runCli() parses
// argv, runs one command and turns whatever it throws into an exit code and a one-line message (exit.ts).
// Startup is part of every command's latency: this module loads only commander and the exit codes; each
// action imports its command (and with it zod, the HTTP client, the packer) when it runs, and the task
// commands are added only when the command line may need them (see needsTaskCommands).
import { Command, CommanderError } from 'commander';
import type { SlipwayApi } from './api-client.js';
import type { BuildFlags } from './commands/build.js';
import type { DepsFlags } from './commands/deps.js';
import type { RunFileFlags } from './commands/run-file.js';
import { ExitCode, exitFor } from './exit.js';
import { processIo, type CliIo } from './io.js';
import { addOutputOptions, applyOutputOption, watchOptions } from './watch-options.js';
import { packageVersion } from '../package-version.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** The top-level commands defined in this file; any other word may be `task`, `help` or a typo to suggest for. */
const OWN_COMMANDS = new Set(['build', 'runs', 'run', 'deps', 'graph']);
/** Top-level options that take a value, so that value is not mistaken for the command. */
const VALUE_OPTIONS = new Set(['--server']);

/**
 * Whether the task command group must be defined for these arguments (after `node main.js`): yes for `task`,
 * for help and for anything commander may have to list or suggest from; no for `build`, `runs` and a
 * leading `--version`, which then skip loading it (its flags pull in zod and the task model).
 */
export function needsTaskCommands(args: readonly string[]): boolean {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') return true;
    if (VALUE_OPTIONS.has(arg)) {
      i++;
      continue;
    }
    if (arg === '-V' || arg === '--version') return false;
    if (arg.startsWith('-')) continue;
    return !OWN_COMMANDS.has(arg);
  }
  return true;
}

export async function runCli(argv: string[], io: CliIo = processIo): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const setExit = (code: number) => (exitCode = code);
  const { program, serverOf } = createProgram(io, setExit);
  if (needsTaskCommands(argv.slice(2))) {
    const [{ addTaskCommands }, { addAuthCommands }, { addQuarantineCommands }, { addHookCommands }] = await Promise.all([
      import('./program-task.js'),
      import('./program-auth.js'),
      import('./program-quarantine.js'),
      import('./commands/hook-program.js'),
    ]);
    addTaskCommands(program, { io, setExit, serverOf });
    addAuthCommands(program, { io, setExit, serverOf });
    // After the task commands: it adds `task credential` to them.
    (await import('./program-registry.js')).addRegistryCommands(program, { io, setExit, serverOf });
    addQuarantineCommands(program, { io, setExit, serverOf });
    addHookCommands(program, { io, setExit, serverOf });
    (await import('./completion.js')).addCompletionCommand(program, io);
  }
  addOutputOptions(program);
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    // Commander has already printed its own message (unknown option, missing argument, help, version).
    if (err instanceof CommanderError) return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    const { code, message } = exitFor(err);
    if (message) io.stderr.write(`slipway: ${message}\n`);
    return code;
  }
}

function createProgram(io: CliIo, setExit: (code: number) => void): { program: Command; serverOf: (cmd: Command) => SlipwayApi } {
  const program = new Command('slipway')
    .description('Build container images on a Slipway server, the self-hosted analogue of az acr build.')
    .version(packageVersion(import.meta.url), '-V, --version', 'print the CLI version')
    .option('--server <url>', 'Slipway API URL (default: $SLIPWAY_SERVER, else http://127.0.0.1:8080)')
    .exitOverride()
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(`slipway: ${redactUnknownOption(text.replace(/^error: /, ''))}`),
    });
  // Loaded before any action runs, so that serverOf (which the task commands call synchronously) can use it.
  let connect: typeof import('./connect.js') | undefined;
  program.hook('preAction', async (_program, action) => {
    applyOutputOption(action);
    connect ??= await import('./connect.js');
  });
  const serverOf = (cmd: Command) => connect!.apiFor(cmd.optsWithGlobals<{ server?: string }>().server);
  const flags = () => import('./flags.js');
  const runsCommands = () => import('./commands/runs.js');

  const buildCommand = program
    .command('build')
    .description('pack a local folder, upload it and build it on the server')
    .argument('[context]', 'build context directory, or a git repository: https://host/org/repo.git#ref:dir', '.')
    .option('-t, --tag <image>', 'image to build and push, e.g. app:1.0 (repeatable)', collect)
    .option('-f, --file <path>', 'Dockerfile, relative to the working directory (default: CONTEXT/Dockerfile)')
    .option('--build-arg <key=value>', 'build-time variable (repeatable)', collect)
    .option('--secret <id=ID,src=FILE|env=VAR>', 'secret for RUN --mount=type=secret,id=ID: read here, never stored, never in the image (repeatable)', collect)
    .option('--secret-build-arg <key=value>', 'build arg kept out of run records and logs, but a RUN that uses it records it in the image history: prefer --secret (repeatable)', collect)
    .option('--platform <os/arch>', 'target platform, e.g. linux/arm64 (default: linux/amd64)')
    .option('--target <stage>', 'build stage to stop at')
    .option('--label <key=value>', 'label on the image config (repeatable)', collect)
    .option('--no-cache', 'do not use the build cache: every step runs again')
    .option('--pull', 'fetch the base images again even when the builder has them')
    .option('--cache-from <image>', 'use a pushed image with inline cache as cache: IMAGE or type=registry,ref=IMAGE (repeatable)', collect)
    .option('--cache-to <type=inline>', 'put the cache metadata in the pushed image, for a later --cache-from (the Engine exports no other kind)')
    .option('--no-push', 'build without pushing')
    .option('--metadata-file <file>', "write buildx's build metadata (containerimage.digest, image.name) to this JSON file")
    .option('--iidfile <file>', 'write the pushed digest to this file');
  followOptions(buildCommand).action(async (context: string, opts: BuildFlags, cmd: Command) => {
    const { build } = await import('./commands/build.js');
    setExit(await build(serverOf(cmd), context, opts, io));
  });

  program
    .command('workers')
    .description('the worker pool: each worker, the platforms it builds, what it builds now, and whether it still beats')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { listWorkers } = await import('./commands/workers.js');
      setExit(await listWorkers(serverOf(cmd), opts, io));
    });

  const runs = program.command('runs').description('list, inspect, follow and cancel runs');
  runs
    .command('list')
    .description('list runs, newest first')
    .option('--status <status>', 'only runs in this status')
    .option('--task <name>', "only this task's runs")
    .option('--trigger <type>', 'only runs started this way: manual, commit, pull_request, timer, base-image')
    .option('--since <when>', 'only runs created since then: 90m, 2h, 7d, or a date such as 2024-05-01')
    .option('--top <n>', 'at most this many runs (default: 20)')
    .option('--json', 'print JSON')
    .action(async (opts: { status?: string; top?: string; json?: boolean; task?: string; since?: string; trigger?: string }, cmd: Command) => {
      const [{ parseStatus, parseTop }, { listRuns }] = await Promise.all([flags(), runsCommands()]);
      const query = {
        ...opts,
        status: opts.status === undefined ? undefined : parseStatus(opts.status),
        top: opts.top === undefined ? undefined : parseTop(opts.top),
      };
      setExit(await listRuns(serverOf(cmd), query, io));
    });
  runs
    .command('show')
    .description('show one run')
    .argument('<id>', 'run id')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const [{ parseRunId }, { showRun }] = await Promise.all([flags(), runsCommands()]);
      setExit(await showRun(serverOf(cmd), parseRunId(id), opts, io));
    });
  runs
    .command('logs')
    .description("print a run's log")
    .argument('<id>', 'run id')
    .option('--follow', "keep printing until the run ends, then exit with its outcome (0 only when it succeeded)")
    .action(async (id: string, opts: { follow?: boolean }, cmd: Command) => {
      const [{ parseRunId }, { printLog }] = await Promise.all([flags(), runsCommands()]);
      setExit(await printLog(serverOf(cmd), parseRunId(id), opts, io));
    });
  runs
    .command('cancel')
    .description('cancel a queued or running run')
    .argument('<id>', 'run id')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const [{ parseRunId }, { cancelRun }] = await Promise.all([flags(), runsCommands()]);
      setExit(await cancelRun(serverOf(cmd), parseRunId(id), io));
    });
  const runCommand = program
    .command('run')
    .description('run a multi-step task file (ACR task YAML) on the server, the az acr run analogue')
    .argument('[context]', 'source directory, uploaded and shared by the steps', '.')
    .option('-f, --file <path>', 'task file inside the context (default: CONTEXT/acb.yaml)')
    .option('--set <key=value>', 'a value for {{.Values.KEY}} (repeatable; a.b=v sets a nested value)', collect)
    .option('--set-secret <key=value>', 'a secret for {{.Secrets.KEY}}: masked in the log, never stored (repeatable)', collect)
    .option('--values <file>', 'a YAML file of values (repeatable; --set wins)', collect)
    .option('--platform <os/arch>', 'platform of build steps that name none (default: linux/amd64)');
  followOptions(runCommand).action(async (context: string, opts: RunFileFlags, cmd: Command) => {
    const { runFile } = await import('./commands/run-file.js');
    setExit(await runFile(serverOf(cmd), context, opts, io));
  });

  program
    .command('deps')
    .description('show the base images a Dockerfile builds on, without building')
    .argument('[context]', 'directory holding the Dockerfile', '.')
    .option('-f, --file <path>', 'Dockerfile (default: CONTEXT/Dockerfile)')
    .option('--build-arg <key=value>', 'value for an ARG used in FROM (repeatable)', collect)
    .option('--target <stage>', 'build stage to stop at')
    .option('--platform <os/arch>', 'target platform, for FROM lines that depend on it (default: linux/amd64)')
    .option('--json', 'print JSON')
    .action(async (context: string, opts: DepsFlags) => {
      const { deps } = await import('./commands/deps.js');
      setExit(await deps(context, opts, io));
    });

  const graph = program.command('graph').description('the base-image dependency graph: what builds on what, and what a base change rebuilds');
  const graphCommands = () => import('./commands/graph.js');
  graph
    .command('show')
    .description('every base image with the tasks built on it')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => setExit(await (await graphCommands()).showGraph(serverOf(cmd), opts, io)));
  graph
    .command('dependents')
    .description('the impact preview: the tasks a change of IMAGE would rebuild, in order')
    .argument('<image>', 'base image as FROM names it, e.g. debian:12')
    .option('--transitive', 'also the tasks built on those tasks, and so on')
    .option('--json', 'print JSON')
    .action(async (image: string, opts: { transitive?: boolean; json?: boolean }, cmd: Command) => setExit(await (await graphCommands()).showDependents(serverOf(cmd), image, opts, io)));
  graph
    .command('notify')
    .description('report IMAGE as updated: its tag is read from its registry and what builds on it rebuilds')
    .argument('<image>', 'base image, e.g. 127.0.0.1:5000/base/busybox:latest')
    .option('--json', 'print JSON')
    .action(async (image: string, opts: { json?: boolean }, cmd: Command) => setExit(await (await graphCommands()).notifyChange(serverOf(cmd), image, opts, io)));
  graph
    .command('rebuilds')
    .description('rebuild waves, newest first; with WAVE, the state of each task in it')
    .argument('[wave]', 'wave id')
    .option('--top <n>', 'at most this many waves (default: 20)')
    .option('--json', 'print JSON')
    .action(async (wave: string | undefined, opts: { top?: string; json?: boolean }, cmd: Command) => {
      const [{ parseTop }, { showRebuilds }] = await Promise.all([flags(), graphCommands()]);
      setExit(await showRebuilds(serverOf(cmd), wave, { json: opts.json, ...(opts.top !== undefined ? { top: parseTop(opts.top) } : {}) }, io));
    });
  return { program, serverOf };
}

/** How a command that submits a run follows it: the options `build` and `run` share. */
function followOptions(command: Command): Command {
  return watchOptions(command).option('--timeout <seconds>', 'give up on the run after this long');
}

/** A mistyped `--git-tokn=ghp_…` would be echoed whole by commander; its value is left out. */
export function redactUnknownOption(text: string): string {
  return text.replace(/(unknown option '[^'=\s]*=).*'/, "$1…'");
}
