// How tests start Slipway's programs: what `npm run build` made when `npm test` has just built it
// (SLIPWAY_TEST_COMPILED=1, much faster to start) — the CLI, the API and the worker as they ship, bundled —
// else the TypeScript sources through tsx.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI_BUNDLE, CLI_ENTRY } from '../../scripts/bundle-cli.js';
import { SERVER_BUNDLES } from '../../scripts/bundle-server.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const compiled = process.env.SLIPWAY_TEST_COMPILED === '1';

/** Arguments for `process.execPath` that run one entry point, e.g. `src/cli/main.ts`. */
export function entryArgs(source: string): string[] {
  if (!compiled) return ['--import', 'tsx', path.join(ROOT, source)];
  const bundle = source === CLI_ENTRY ? CLI_BUNDLE : SERVER_BUNDLES[source];
  return [path.join(ROOT, bundle ?? path.join('dist', source.replace(/\.ts$/, '.js')))];
}

/** The `slipway` command and its first arguments: compiled, the bundle run by its own #! line, as installed. */
export function cliCommand(): [string, ...string[]] {
  return compiled ? [path.join(ROOT, CLI_BUNDLE)] : [process.execPath, ...entryArgs(CLI_ENTRY)];
}
