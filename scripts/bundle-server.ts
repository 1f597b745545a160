// The API and the worker as they run: each bundled by esbuild into one file under dist/server/. Started from
// tsc's output, a worker loads ~400 files (its own modules and the packages'), each resolved, read and compiled
// apart, and pays about twice the CPU a bundle does, at every start: a worker or API restarted after a crash,
// each sandboxed build child, and every test's stack. Each entry is bundled whole, without shared chunks: the
// files the worker and the API start from URLs beside their own (the build child, the task-file checker
// thread) are then found next to them, wherever the code that starts them sits.
//   node --import tsx scripts/bundle-server.ts [OUTDIR]   (default dist/server; `npm run build` runs it)
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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

export async function bundleServer(outdir = path.join(ROOT, SERVER_OUT)): Promise<void> {
  const { build } = await import('esbuild');
  const entries = Object.fromEntries(Object.entries(SERVER_BUNDLES).map(([source, out]) => [path.basename(out, '.js'), source]));
  await build({
    absWorkingDir: ROOT,
    entryPoints: { ...entries, ...COMPANIONS },
    outdir,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: true,
    logLevel: 'warning',
    // Left as packages, loaded from node_modules: BullMQ finds the file its sandboxed children start beside its
    // own files; dockerode's SSH transport, which Slipway never uses, brings native addons no bundle can hold.
    external: ['bullmq', 'ssh2', 'cpu-features'],
    // CommonJS packages inside an ES module bundle still call require() for Node's own modules.
    banner: { js: "import { createRequire as __slipwayRequire } from 'node:module'; const require = __slipwayRequire(import.meta.url);" },
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await bundleServer(process.argv[2] ? path.resolve(process.argv[2]) : undefined);
}
