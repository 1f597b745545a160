// The API and the worker as they run: each bundled by esbuild into one file under dist/server/. Started from
// tsc's output, a worker loads ~400 files (its own modules and the packages'), each resolved, read and compiled
// apart, and pays about twice the CPU a bundle does, at every start: a worker or API restarted after a crash,
// each sandboxed build child, and every test's stack. Each entry is bundled whole, without shared chunks: the
// files the worker and the API start from URLs beside their own (the build child, the task-file checker
// thread) are then found next to them, wherever the code that starts them sits.
// The bundles are CommonJS (NAME.bundle.cjs), each started by a small ES module under the name the rest of the
// project uses (NAME.js) through src/code-cache.ts, which hands V8 what it compiled at an earlier start.
//   node --import tsx scripts/bundle-server.ts [OUTDIR]   (default dist/server; `npm run build` runs it)
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'esbuild';
import { CACHE_DIR } from '../src/code-cache.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const SERVER_OUT = 'dist/server';

/** Each process's source entry and its bundle, for whatever starts them (scripts, compose, the tests). */
export const SERVER_BUNDLES: Readonly<Record<string, string>> = {
  'src/api/main.ts': `${SERVER_OUT}/api.js`,
  'workers/main.ts': `${SERVER_OUT}/worker.js`,
};

/** Started by URL from a bundle above, so they must sit beside it under these names. */
const COMPANIONS = {
  // workers/worker.ts: BullMQ's sandbox child imports it for each job.
  processor: 'workers/processor.ts',
  // src/taskfile/off-thread.ts: the task-file checker's worker thread.
  'check-thread': 'src/taskfile/check-thread.ts',
};

/**
 * Parts of dockerode that Slipway never uses, each replaced in the bundles by a module that throws when called:
 * its SSH transport (docker-modem's ssh.js loads ssh2, native addons and all) and its BuildKit session
 * (dockerode/lib/session.js loads @grpc/proto-loader; Slipway's builds speak a session of their own,
 * workers/builder/docker/buildkit-session.ts). Both would load with dockerode at every start of a worker and of
 * each build child (ssh2 from node_modules, outside the code cache).
 */
const UNUSED: { filter: RegExp; importer?: RegExp; what: string }[] = [
  { filter: /^ssh2$/, what: "dockerode's SSH transport" },
  { filter: /^\.\/session$/, importer: /[\\/]dockerode[\\/]lib[\\/]docker\.js$/, what: "dockerode's own BuildKit session" },
];

const leaveOutUnused: Plugin = {
  name: 'slipway-unused',
  setup(build) {
    for (const { filter, importer, what } of UNUSED) {
      build.onResolve({ filter }, (args) => (!importer || importer.test(args.importer) ? { path: what, namespace: 'slipway-unused' } : undefined));
    }
    build.onLoad({ filter: /.*/, namespace: 'slipway-unused' }, (args) => ({
      contents: `function unused() { throw new Error(${JSON.stringify(`${args.path} is not in Slipway's bundles (scripts/bundle-server.ts)`)}); }\nmodule.exports = unused;\nmodule.exports.Client = unused;\n`,
      loader: 'js',
    }));
  },
};

/** The ES module started as `NAME.js`: it runs NAME.bundle.cjs through the code cache, and passes on its default export. */
function launcher(name: string, exportsDefault: boolean): string {
  const run = `createRequire(import.meta.url)('./code-cache.cjs').runCached(fileURLToPath(new URL('./${name}.bundle.cjs', import.meta.url))).exports`;
  return [
    `// Written by scripts/bundle-server.ts: starts ${name}.bundle.cjs from V8's code cache (src/code-cache.ts says why).`,
    "import { createRequire } from 'node:module';",
    "import { fileURLToPath } from 'node:url';",
    exportsDefault ? `export default ${run}.default;` : `${run};`,
    '',
  ].join('\n');
}

export async function bundleServer(outdir = path.join(ROOT, SERVER_OUT)): Promise<void> {
  const { build } = await import('esbuild');
  const entries = Object.fromEntries(Object.entries(SERVER_BUNDLES).map(([source, out]) => [path.basename(out, '.js'), source]));
  const bundles = { ...entries, ...COMPANIONS };
  // What V8 compiled from the bundles this replaces is of no use to the new ones.
  await fs.rm(path.join(outdir, CACHE_DIR), { recursive: true, force: true });
  await build({
    absWorkingDir: ROOT,
    entryPoints: Object.fromEntries(Object.entries(bundles).map(([name, source]) => [`${name}.bundle`, source])),
    outdir,
    outExtension: { '.js': '.cjs' },
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    sourcemap: true,
    logLevel: 'warning',
    // Left as a package, loaded from node_modules: BullMQ finds the file its sandboxed children start beside its
    // own files.
    external: ['bullmq'],
    plugins: [leaveOutUnused],
    // The sources are ES modules that find files beside their own: in a bundle, beside the bundle.
    define: { 'import.meta.url': '__slipwayModuleUrl' },
    banner: { js: "var __slipwayModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  });
  await build({ absWorkingDir: ROOT, entryPoints: { 'code-cache': 'src/code-cache.ts' }, outdir, outExtension: { '.js': '.cjs' }, bundle: true, format: 'cjs', platform: 'node', target: 'node20', logLevel: 'warning' });
  for (const name of Object.keys(bundles)) await fs.writeFile(path.join(outdir, `${name}.js`), launcher(name, name === 'processor'));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await bundleServer(process.argv[2] ? path.resolve(process.argv[2]) : undefined);
}
