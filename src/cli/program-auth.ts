// `slipway login`, `logout` and the `token` group: their options and help, wired to commands/auth.ts (loaded
// only when one of them runs).
import type { Command } from 'commander';
import type { TokenCreateFlags, TokenUpdateFlags, LoginFlags } from './commands/auth.js';
import type { ProgramContext } from './program-task.js';

export function addAuthCommands(program: Command, { io, setExit, serverOf }: ProgramContext): void {
  const commands = () => import('./commands/auth.js');

  program
    .command('login')
    .description('save the server and a token for later commands (SLIPWAY_TOKEN overrides it)')
    .option('--token-stdin', 'read the token from standard input')
    .action(async (flags: LoginFlags, cmd: Command) => {
      const { login } = await commands();
      setExit(await login(cmd.optsWithGlobals<{ server?: string }>().server, flags, process.stdin, io));
    });
  program
    .command('logout')
    .description('forget the saved token')
    .action(async () => setExit((await commands()).logout(io)));

  const token = program.command('token').description('manage API tokens (admin): create, list, update, revoke');
  token
    .command('create')
    .description('create a token and print it once')
    .argument('<name>', 'token name, e.g. ci or alice')
    .requiredOption('--role <role>', 'reader (read runs, tasks, logs), builder (+ build and run), admin (everything), or scanner (read, and approve or reject quarantined images)')
    .option('--repositories <patterns>', 'repositories it may push to, comma-separated, * for any characters (e.g. team-a/*)')
    .option('--tasks <patterns>', 'tasks it may act on, comma-separated')
    .option('--expires <days>', 'lifetime, e.g. 90d (default: never)')
    .option('--json', 'print JSON')
    .action(async (name: string, flags: TokenCreateFlags, cmd: Command) => setExit(await (await commands()).createToken(serverOf(cmd), name, flags, io)));
  token
    .command('list')
    .description('list tokens: names, roles and scopes, never the tokens')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => setExit(await (await commands()).listTokens(serverOf(cmd), opts, io)));
  token
    .command('update')
    .description("change a token's role, scopes or expiry; it keeps working with its new rights from its next request")
    .argument('<name>', 'token name')
    .option('--role <role>', 'reader, builder, admin or scanner')
    .option('--repositories <patterns>', "repositories it may push to, comma-separated ('' for any)")
    .option('--tasks <patterns>', "tasks it may act on, comma-separated ('' for any)")
    .option('--expires <days>', 'lifetime from now, e.g. 30d, or never')
    .option('--json', 'print JSON')
    .action(async (name: string, flags: TokenUpdateFlags, cmd: Command) => setExit(await (await commands()).updateToken(serverOf(cmd), name, flags, io)));
  token
    .command('revoke')
    .description('revoke a token: refused from its next request on')
    .argument('<name>', 'token name')
    .action(async (name: string, _opts: unknown, cmd: Command) => setExit(await (await commands()).revokeToken(serverOf(cmd), name, io)));
}
