#!/usr/bin/env -S SLIPWAY_DEFERRED_CA_CERTS=${NODE_EXTRA_CA_CERTS} NODE_EXTRA_CA_CERTS=${SLIPWAY_UNSET} node
// Entry point of the `slipway` command: runs the CLI on this process's arguments and exits with its code.
// The first line moves NODE_EXTRA_CA_CERTS aside, so Node does not load that CA file at every start; the
// CLI loads it for its first https connection (extra-ca.ts). SLIPWAY_UNSET is never set: it stands for the
// empty value, which npm's Windows shims cannot parse written as `NAME=`. Each ${…} is expanded by env before
// any assignment takes effect, and by npm's .cmd shim in this order.
import { runCli } from './program.js';

// `slipway runs logs X | head` closes stdout early; that is the reader's choice, not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const code = await runCli(process.argv);
// Exit as soon as what was written is out: waiting for the event loop to drain (kept-alive sockets,
// timers of finished requests) costs every command ~15 ms more.
let pending = 2;
for (const stream of [process.stdout, process.stderr]) stream.write('', () => --pending === 0 && process.exit(code));
