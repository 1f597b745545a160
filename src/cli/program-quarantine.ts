// `slipway quarantine`: its options and help, wired to commands/quarantine.ts (loaded only when one runs).
import type { Command } from 'commander';
import type { ProgramContext } from './program-task.js';

export function addQuarantineCommands(program: Command, { io, setExit, serverOf }: ProgramContext): void {
  const commands = () => import('./commands/quarantine.js');
  const quarantine = program.command('quarantine').description('images held back until a scanner approves them (scanner or admin for verdicts)');
  quarantine
    .command('list')
    .description('images waiting for a verdict, newest first')
    .option('--state <state>', 'quarantined (default), approved or rejected')
    .option('--all', 'every image, whatever its verdict')
    .option('--top <n>', 'at most this many (default: 100)')
    .option('--json', 'print JSON')
    .action(async (opts: { state?: string; all?: boolean; top?: string; json?: boolean }, cmd: Command) => {
      const [{ parseTop }, { listQuarantine }] = await Promise.all([import('./flags.js'), commands()]);
      setExit(await listQuarantine(serverOf(cmd), { ...opts, top: opts.top === undefined ? undefined : parseTop(opts.top) }, io));
    });
  quarantine
    .command('approve')
    .description("approve an image: each of its tags moves to DIGEST, and what builds on them rebuilds")
    .argument('<digest>', 'the image digest, sha256:…')
    .option('--reason <text>', 'a note kept with the verdict')
    .option('--json', 'print JSON')
    .action(async (digest: string, opts: { reason?: string; json?: boolean }, cmd: Command) => setExit(await (await commands()).approveQuarantined(serverOf(cmd), digest, opts, io)));
  quarantine
    .command('reject')
    .description('reject an image: no tag moves; the reason is written to its run')
    .argument('<digest>', 'the image digest, sha256:…')
    .option('--reason <text>', 'why, shown on the run')
    .option('--json', 'print JSON')
    .action(async (digest: string, opts: { reason?: string; json?: boolean }, cmd: Command) => setExit(await (await commands()).rejectQuarantined(serverOf(cmd), digest, opts, io)));
}
