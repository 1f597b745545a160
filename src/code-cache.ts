// Starts a CommonJS bundle from V8's code cache. A process of Slipway's (an API, a worker, each sandboxed build
// child) spends much of its start compiling its bundle: several megabytes parsed, and every function run at
// start compiled, at every start. V8 can hand back what it compiled (Script#createCachedData) and take it again
// for the same source, which skips both. Node 20 offers that for scripts only (not for ES modules, and without
// module.enableCompileCache, which came in Node 22), so the server bundles are CommonJS and start through here.
// Hand-written rather than v8-compile-cache: that package hooks every require() in the process, and code it
// compiles cannot import(); here one known file is compiled, with import() left working.
//
// The cache sits beside the bundle (.code-cache/), one file per bundle, named by the bundle's size and
// modification time and by Node's version and architecture: V8 itself checks only the source's length and its
// own version and flags, so a rebuilt bundle of the same length must not find the old file. Where that folder
// cannot be written (a read-only image), every start compiles, as it would without a cache.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';

/** Long enough for a process to have run its start (and compiled what that needs) before the cache is taken. */
const WRITE_AFTER_MS = 2_000;
/** The wrapper Node puts around a CommonJS module's source. */
const WRAP_HEAD = '(function (exports, require, module, __filename, __dirname) { ';
const WRAP_TAIL = '\n});';

export const CACHE_DIR = '.code-cache';

/** Where `file`'s code cache is kept, named so that any change to the file or to Node misses it. */
export function cacheFileOf(file: string): string {
  const { size, mtimeMs } = fs.statSync(file);
  const name = `${path.basename(file)}-${size}-${Math.trunc(mtimeMs)}-${process.version}-${process.arch}.v8`;
  return path.join(path.dirname(file), CACHE_DIR, name);
}

function readCache(cacheFile: string): Buffer | undefined {
  try {
    return fs.readFileSync(cacheFile);
  } catch {
    return undefined;
  }
}

/** Written under a name of its own, then renamed: processes starting at once never read a half-written file. */
function writeCache(cacheFile: string, script: vm.Script): void {
  try {
    fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
    const partial = `${cacheFile}.${process.pid}`;
    fs.writeFileSync(partial, script.createCachedData());
    fs.renameSync(partial, cacheFile);
  } catch {
    // No cache: the next start compiles again, and nothing else changes.
  }
}

export interface CachedRun {
  exports: unknown;
  /** How the start went: compiled from V8's cache, or compiled afresh (no cache yet, or one V8 refused). */
  cache: 'used' | 'absent' | 'rejected';
}

/**
 * Runs the CommonJS bundle `file` as a module. A start that compiled afresh writes the cache `writeAfterMs`
 * later, once the process has run (and compiled) its start, unless it has exited by then.
 */
export function runCached(file: string, writeAfterMs = WRITE_AFTER_MS): CachedRun {
  const cacheFile = cacheFileOf(file);
  const cachedData = readCache(cacheFile);
  const script = new vm.Script(WRAP_HEAD + fs.readFileSync(file, 'utf8') + WRAP_TAIL, {
    filename: file,
    cachedData,
    // An import() left in the bundle (esbuild turns the bundle's own into require) loads as in any module.
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const module = { exports: {} as unknown, filename: file, id: file, loaded: false };
  const run = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string) => void;
  run.call(module.exports, module.exports, createRequire(file), module, file, path.dirname(file));
  module.loaded = true;
  const cache = !cachedData ? 'absent' : script.cachedDataRejected ? 'rejected' : 'used';
  if (cache !== 'used') setTimeout(() => writeCache(cacheFile, script), writeAfterMs).unref();
  return { exports: module.exports, cache };
}
