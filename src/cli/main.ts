#!/usr/bin/env node
// Entry point of the `slipway` command: runs the CLI on this process's arguments and exits with its code.
import { runCli } from './program.js';

// `slipway runs logs X | head` closes stdout early; that is the reader's choice, not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

process.exitCode = await runCli(process.argv);
