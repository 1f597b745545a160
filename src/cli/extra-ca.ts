// NODE_EXTRA_CA_CERTS, applied when the CLI first opens an https connection instead of at every start.
// Node 20 builds its whole root store (its ~140 bundled roots, then the file) before any of our code runs
// whenever that variable is set, on every `slipway` command, though most never speak TLS. The
// bundle's first lines (POSIX_LAUNCHER in scripts/bundle-cli.ts) hand the file over as
// SLIPWAY_DEFERRED_CA_CERTS and clear the variable Node reads; the file is put back here, on top of Node's
// bundled roots, as Node itself would have.
// Started as `node slipway.js`, the CLI leaves NODE_EXTRA_CA_CERTS to Node and adds nothing.
import fs from 'node:fs';
import tls from 'node:tls';
import { deferredCaFile } from '../config.js';

let options: { ca?: string[] } | undefined;

/** Options for https.request: Node's bundled roots and the deferred CA file, or nothing to add. Read once. */
export function httpsOptions(): { ca?: string[] } {
  return (options ??= deferredCa(deferredCaFile()));
}

function deferredCa(file: string | undefined): { ca?: string[] } {
  if (!file) return {};
  try {
    return { ca: [...tls.rootCertificates, fs.readFileSync(file, 'utf8')] };
  } catch (err) {
    // What Node does with a file it cannot load: the same warning, and the bundled roots alone.
    process.stderr.write(`Warning: Ignoring extra certs from \`${file}\`, load failed: ${(err as Error).message}\n`);
    return {};
  }
}
