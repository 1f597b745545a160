// The `slipway` command as it ships: src/cli bundled by esbuild into dist/cli/slipway.js. Every start of a
// command pays for the modules it loads; as ~60 separate files and packages Node resolves, reads and
// compiles each one apart (~100 ms on this machine's cores). One bundle, split where the CLI imports lazily
// (each command, the task group), keeps the lazy loading and drops unused code: zod's full build, for one.
//   node --import tsx scripts/bundle-cli.ts [OUTDIR]   (default dist/cli; `npm run build` runs it)
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Metafile } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const CLI_ENTRY = 'src/cli/main.ts';
export const CLI_BUNDLE = 'dist/cli/slipway.js';

/** Bundles the CLI into `outdir` (slipway.js and its chunks) and returns esbuild's account of what went where. */
export async function bundleCli(outdir = path.join(ROOT, path.dirname(CLI_BUNDLE))): Promise<Metafile> {
  // Loaded here, not at the top: tests import this module for CLI_BUNDLE alone.
  const { build } = await import('esbuild');
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { slipway: CLI_ENTRY },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    chunkNames: 'chunks/[name]-[hash]',
    sourcemap: true,
    metafile: true,
    logLevel: 'warning',
    // CommonJS packages inside an ES module bundle still call require() for Node's own modules.
    banner: { js: "import { createRequire as __slipwayRequire } from 'node:module'; const require = __slipwayRequire(import.meta.url);" },
  });
  const main = path.join(outdir, path.basename(CLI_BUNDLE));
  const text = await fs.readFile(main, 'utf8');
  const fitted = withHashbangFor(process.platform, text);
  if (fitted !== text) await fs.writeFile(main, fitted);
  return result.metafile;
}

/**
 * The bundle's text with the first line its platform can run. main.ts's line sets variables through
 * `env -S`; npm's shims on Windows copy them into a Git Bash script as `exec NAME=value node`, which fails,
 * so a bundle built on Windows starts with the plain line (and Node loads NODE_EXTRA_CA_CERTS itself).
 */
export function withHashbangFor(platform: NodeJS.Platform, bundle: string): string {
  if (platform !== 'win32' || !bundle.startsWith('#!')) return bundle;
  const eol = bundle.indexOf('\n');
  return `#!/usr/bin/env node${eol === -1 ? '' : bundle.slice(eol)}`;
}

/**
 * The CLI bundled into `root` as it would sit in a checkout (root/dist/cli/slipway.js, package.json copied
 * beside so the bundle is an ES module and knows its version), for benchmarks and tests that leave dist/ alone.
 */
export async function bundleCliInto(root: string): Promise<{ main: string; metafile: Metafile }> {
  await fs.copyFile(path.join(ROOT, 'package.json'), path.join(root, 'package.json'));
  const metafile = await bundleCli(path.join(root, path.dirname(CLI_BUNDLE)));
  return { main: path.join(root, CLI_BUNDLE), metafile };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await bundleCli(process.argv[2] ? path.resolve(process.argv[2]) : undefined);
}
