#!/usr/bin/env node
// Entry point of the `slipway` command: runs the CLI on this process's arguments and exits with its code.
// Bundled for POSIX systems, the command starts through a line for sh instead (scripts/bundle-cli.ts).
import { runCli } from './program.js';

// `slipway runs logs X | head` closes stdout early; that is the reader's choice, not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const code = await runCli(process.argv);
// Exit as soon as what was written is out: waiting for the event loop to drain (kept-alive sockets,
// timers of finished requests) would add the loop's idle time to every command.
let pending = 2;
for (const stream of [process.stdout, process.stderr]) stream.write('', () => --pending === 0 && process.exit(code));
