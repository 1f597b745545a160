// The `slipway` command as it ships: src/cli bundled by esbuild into dist/cli/slipway.js. Every start of a
// command pays for the modules it loads; as ~60 separate files and packages Node resolves, reads and
// compiles each one apart, at every start. One bundle, split where the CLI imports lazily
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
  if (process.platform !== 'win32') await addLauncher(path.join(outdir, path.basename(CLI_BUNDLE)));
  return result.metafile;
}

/**
 * The first two lines of the bundle on POSIX systems: sh moves NODE_EXTRA_CA_CERTS aside and starts Node,
 * which loads that CA file only for an https connection (src/cli/extra-ca.ts says why); Node reads the
 * second line as a string and a comment. `env -S` in a single line would spare the shell, but busybox's env
 * (Alpine's) has no -S. On Windows the bundle keeps main.ts's `#!/usr/bin/env node`: npm's shims there read
 * that line to choose the program, and Node loads the CA file itself.
 */
export const POSIX_LAUNCHER = `#!/bin/sh
":" //; exec env SLIPWAY_DEFERRED_CA_CERTS="$NODE_EXTRA_CA_CERTS" NODE_EXTRA_CA_CERTS= node "$0" "$@"`;

/** Puts POSIX_LAUNCHER in place of the bundle's first line; its source map moves down the one added line. */
async function addLauncher(main: string): Promise<void> {
  const text = await fs.readFile(main, 'utf8');
  if (!text.startsWith('#!')) throw new Error(`${main} does not start with a #! line to replace`);
  await fs.writeFile(main, POSIX_LAUNCHER + text.slice(text.indexOf('\n')));
  const map = JSON.parse(await fs.readFile(`${main}.map`, 'utf8')) as { mappings: string };
  map.mappings = `;${map.mappings}`;
  await fs.writeFile(`${main}.map`, JSON.stringify(map));
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
