// `slipway registry` (login, list, logout) and `slipway task credential` (add, list, remove): their options and
// help, wired to commands/registry.ts (loaded only when one of them runs).
import type { Command } from 'commander';
import type { RegistryLoginFlags } from './commands/registry.js';
import type { ProgramContext } from './program-task.js';

const loginOptions = (command: Command): Command =>
  command
    .option('-u, --username <user>', 'user name')
    .option('--password-stdin', 'read the password (or token) from standard input')
    .option('-p, --password <password>', 'password (insecure: it stays in your shell history; use --password-stdin)');

export function addRegistryCommands(program: Command, { io, setExit, serverOf }: ProgramContext): void {
  const commands = () => import('./commands/registry.js');

  const registry = program.command('registry').description('registry logins the server uses for every run (admin): login, list, logout');
  loginOptions(registry.command('login').description('save a login for a registry on the server, sealed; runs pull private bases and push with it').argument('<host>', 'the registry, e.g. ghcr.io or registry.example.com:5000')).action(
    async (host: string, flags: RegistryLoginFlags, cmd: Command) => setExit(await (await commands()).registryLogin(serverOf(cmd), host, flags, process.stdin, io)),
  );
  registry
    .command('list')
    .description('list registry logins: registry, user and task, never a password')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => setExit(await (await commands()).registryList(serverOf(cmd), opts, io)));
  registry
    .command('logout')
    .description("delete the server's login for a registry")
    .argument('<host>', 'the registry')
    .action(async (host: string, _opts: unknown, cmd: Command) => setExit(await (await commands()).registryLogout(serverOf(cmd), host, io)));

  // Under `task`, as az acr task credential: a task's own logins, used by its runs only.
  const task = program.commands.find((c) => c.name() === 'task');
  if (!task) return;
  const credential = task.command('credential').description("a task's own registry logins, used by its runs only (admin): add, list, remove");
  loginOptions(
    credential
      .command('add')
      .description("save a login for a registry that this task's runs use (in place of the server's for that registry)")
      .argument('<task>', 'task name')
      .requiredOption('--login-server <host>', 'the registry, e.g. myregistry.azurecr.io'),
  ).action(async (name: string, flags: RegistryLoginFlags & { loginServer: string }, cmd: Command) =>
    setExit(await (await commands()).taskCredentialAdd(serverOf(cmd), name, flags, process.stdin, io)),
  );
  credential
    .command('list')
    .description("list a task's registry logins, never a password")
    .argument('<task>', 'task name')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean }, cmd: Command) => setExit(await (await commands()).taskCredentialList(serverOf(cmd), name, opts, io)));
  credential
    .command('remove')
    .description("delete a task's login for a registry")
    .argument('<task>', 'task name')
    .requiredOption('--login-server <host>', 'the registry')
    .action(async (name: string, flags: { loginServer: string }, cmd: Command) => setExit(await (await commands()).taskCredentialRemove(serverOf(cmd), name, flags, io)));
}
