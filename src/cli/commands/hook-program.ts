// The `hook` command group's options and help, wired to ./hook.ts (loaded only when one of them runs).
import type { Command } from 'commander';
import { HOOK_EVENTS } from '../../contract/hooks.js';
import type { HookCreateFlags } from './hook.js';
import type { ProgramContext } from '../program-task.js';

export function addHookCommands(program: Command, { io, setExit, serverOf }: ProgramContext): void {
  const commands = () => import('./hook.js');
  const hook = program.command('hook').description('send run notifications to a URL (outbound webhooks): create, list, delete, deliveries, redeliver');
  hook
    .command('create')
    .description('send signed POSTs (X-Hub-Signature-256, as GitHub signs) to a URL when the events happen (admin)')
    .argument('<name>', 'hook name, e.g. ci or chat')
    .requiredOption('--url <url>', 'where to POST (http or https)')
    .option('--events <events>', `comma-separated, of: ${HOOK_EVENTS.join(', ')} (default: every run.* event)`)
    .option('--tasks <patterns>', 'only these tasks\' events, comma-separated, * for any characters (default: every run, of a task or not)')
    .option('--secret-stdin', 'read the signing secret from standard input (default: the server makes one and prints it once)')
    .option('--json', 'print JSON')
    .action(async (name: string, flags: HookCreateFlags, cmd: Command) => setExit(await (await commands()).createHook(serverOf(cmd), name, flags, process.stdin, io)));
  hook
    .command('list')
    .description('list hooks: names, URLs, events and tasks, never secrets')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => setExit(await (await commands()).listHooks(serverOf(cmd), opts, io)));
  hook
    .command('delete')
    .description('delete a hook; its retries still queued are dropped (admin)')
    .argument('<name>', 'hook name')
    .action(async (name: string, _opts: unknown, cmd: Command) => setExit(await (await commands()).deleteHook(serverOf(cmd), name, io)));
  hook
    .command('deliveries')
    .description("a hook's deliveries, newest first: state, attempts, the receiver's last answer, the next try")
    .argument('<name>', 'hook name')
    .option('--top <n>', 'how many (default 30, at most 500)')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { top?: string; json?: boolean }, cmd: Command) => setExit(await (await commands()).hookDeliveries(serverOf(cmd), name, opts, io)));
  hook
    .command('redeliver')
    .description('send a delivery again: the same body, signature and delivery id (admin)')
    .argument('<name>', 'hook name')
    .argument('<delivery>', 'delivery id, from slipway hook deliveries')
    .action(async (name: string, delivery: string, _opts: unknown, cmd: Command) => setExit(await (await commands()).redeliverHook(serverOf(cmd), name, delivery, io)));
}
