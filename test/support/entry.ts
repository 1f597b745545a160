// How tests start Slipway's programs: the compiled JavaScript when `npm test` has just built it
// (SLIPWAY_TEST_COMPILED=1, much faster to start), else the TypeScript sources through tsx.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const compiled = process.env.SLIPWAY_TEST_COMPILED === '1';

/** Arguments for `process.execPath` that run one entry point, e.g. `src/cli/main.ts`. */
export function entryArgs(source: string): string[] {
  return compiled ? [path.join(ROOT, 'dist', source.replace(/\.ts$/, '.js'))] : ['--import', 'tsx', path.join(ROOT, source)];
}
