import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { CACHE_DIR, cacheFileOf, runCached } from '../../src/code-cache.js';

/** A CommonJS bundle in a folder of its own. */
async function bundle(source: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-code-cache-'));
  const file = path.join(dir, 'app.bundle.cjs');
  await fs.writeFile(file, source);
  return file;
}

/** Resolves once the start that compiled afresh has written the cache for `file`. */
async function cacheWritten(file: string): Promise<void> {
  const cacheFile = cacheFileOf(file);
  for (;;) {
    if (await fs.stat(cacheFile).then(() => true, () => false)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('code cache', () => {
  it('runs a CommonJS bundle as a module: its exports, require, __filename and __dirname', async () => {
    const file = await bundle("const path = require('node:path'); module.exports = { name: path.basename(__filename), dir: __dirname, answer: exports === module.exports };");
    const { exports } = runCached(file, 0);
    assert.deepEqual(exports, { name: 'app.bundle.cjs', dir: path.dirname(file), answer: true });
  });

  it('starts from the cache the first start wrote, and runs the same code', async () => {
    const file = await bundle('function twice(n) { return n * 2; } module.exports = twice(21);');
    assert.deepEqual(runCached(file, 0), { exports: 42, cache: 'absent' });
    await cacheWritten(file);
    assert.deepEqual(runCached(file, 0), { exports: 42, cache: 'used' });
  });

  it('never runs what it cached from a bundle since rebuilt, even one of the same length', async () => {
    const file = await bundle('module.exports = "old";');
    runCached(file, 0);
    await cacheWritten(file);
    // V8 would take the old cache for this source: it checks the length, not the text.
    await fs.writeFile(file, 'module.exports = "new";');
    await fs.utimes(file, new Date(), new Date(Date.now() + 5_000));
    assert.deepEqual(runCached(file, 0), { exports: 'new', cache: 'absent' });
  });

  it('compiles afresh from a cache V8 refuses, and replaces it', async () => {
    const file = await bundle('module.exports = "fresh";');
    await fs.mkdir(path.dirname(cacheFileOf(file)));
    await fs.writeFile(cacheFileOf(file), Buffer.alloc(4096, 7));
    assert.deepEqual(runCached(file, 0), { exports: 'fresh', cache: 'rejected' });
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(runCached(file, 0), { exports: 'fresh', cache: 'used' });
  });

  it('starts without a cache where none can be written, and says so each time', async () => {
    const file = await bundle('module.exports = 1;');
    // A file where the cache folder would go: nothing can be written under it.
    await fs.writeFile(path.join(path.dirname(file), CACHE_DIR), '');
    assert.deepEqual(runCached(file, 0), { exports: 1, cache: 'absent' });
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(runCached(file, 0), { exports: 1, cache: 'absent' });
  });

  it('lets the bundle import() as a module does', async () => {
    const file = await bundle("module.exports = import('node:path').then((m) => m.sep);");
    assert.equal(await (runCached(file, 0).exports as Promise<string>), path.sep);
  });
});
