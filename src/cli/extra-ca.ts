// NODE_EXTRA_CA_CERTS, applied when the CLI first opens an https connection instead of at every start.
// Node 20 builds its whole root store (its ~140 bundled roots, then the file) before any of our code runs
// whenever that variable is set: ~40 ms on each `slipway` command here, though most never speak TLS. The
// bin's first line (src/cli/main.ts) hands the file over as DEFERRED_CA_VARIABLE and clears the variable
// Node reads; the file is put back here, on top of Node's bundled roots, as Node itself would have.
// Started as `node slipway.js`, the CLI leaves NODE_EXTRA_CA_CERTS to Node and adds nothing.
import fs from 'node:fs';
import tls from 'node:tls';

export const DEFERRED_CA_VARIABLE = 'SLIPWAY_DEFERRED_CA_CERTS';

/** What https.request needs to trust the deferred CA file: Node's bundled roots and that file, or nothing. */
export function deferredCaOptions(env: NodeJS.ProcessEnv): { ca?: string[] } {
  const file = env.NODE_EXTRA_CA_CERTS ? undefined : env[DEFERRED_CA_VARIABLE];
  if (!file) return {};
  try {
    return { ca: [...tls.rootCertificates, fs.readFileSync(file, 'utf8')] };
  } catch (err) {
    // What Node does with a file it cannot load: the same warning, and the bundled roots alone.
    process.stderr.write(`Warning: Ignoring extra certs from \`${file}\`, load failed: ${(err as Error).message}\n`);
    return {};
  }
}

let options: { ca?: string[] } | undefined;

/** deferredCaOptions for this process, read once. */
export function httpsOptions(): { ca?: string[] } {
  return (options ??= deferredCaOptions(process.env));
}
