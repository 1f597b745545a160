// What a COPY/ADD takes from a real context directory on disk: directories' contents, single files, wildcards,
// the destination rules, links that stay in (or leave) the context, names Windows cannot hold, ADD's archives.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { collectCopyEntries } from '../../workers/builder/windows/context-sources.js';
import { WindowsAssemblyError } from '../../src/dockerfile/windows/errors.js';
import type { LayerPlan } from '../../workers/builder/windows/evaluate.js';

type CopyPlan = Extract<LayerPlan, { kind: 'copy' }>;

function plan(sources: string[], dest: string[], destIsDirectory: boolean, keyword: 'COPY' | 'ADD' = 'COPY'): CopyPlan {
  return { kind: 'copy', line: 7, keyword, sources, dest, destIsDirectory, unpack: keyword === 'ADD' };
}

/** A tar header block: enough for the ustar magic ADD looks for. */
function tarBlock(): Buffer {
  const block = Buffer.alloc(1024);
  block.write('file.txt', 0);
  block.write('ustar', 257);
  return block;
}

describe('collectCopyEntries', () => {
  let dir: string;
  let outside: string;

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-wincontext-'));
    outside = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-outside-'));
    await fs.mkdir(path.join(dir, 'app', 'bin'), { recursive: true });
    await fs.writeFile(path.join(dir, 'app', 'bin', 'app.exe'), 'MZ');
    await fs.writeFile(path.join(dir, 'app', 'config.json'), '{}');
    await fs.writeFile(path.join(dir, 'a.txt'), 'a');
    await fs.writeFile(path.join(dir, 'b.txt'), 'b');
    await fs.writeFile(path.join(dir, 'notes.md'), 'n');
    await fs.writeFile(path.join(dir, 'bundle.tar'), tarBlock());
    await fs.writeFile(path.join(dir, 'bundle.tar.gz'), gzipSync(tarBlock()));
    await fs.writeFile(path.join(dir, 'data.gz'), gzipSync(Buffer.from('just compressed text')));
    await fs.writeFile(path.join(outside, 'secret.txt'), 'secret');
    await fs.symlink('a.txt', path.join(dir, 'link-to-a'));
    await fs.symlink(path.join(outside, 'secret.txt'), path.join(dir, 'escape'));
  });

  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
    await fs.rm(outside, { recursive: true, force: true });
  });

  const shape = (entries: Awaited<ReturnType<typeof collectCopyEntries>>) => entries.map((e) => `${e.kind === 'directory' ? 'd' : 'f'} ${e.path.join('\\')}`);

  it('copies the contents of a directory into the destination', async () => {
    const entries = await collectCopyEntries(dir, plan(['app/'], ['app'], false));
    assert.deepEqual(shape(entries), ['d app', 'd app\\bin', 'f app\\bin\\app.exe', 'f app\\config.json']);
    assert.equal(entries[2]!.source, await fs.realpath(path.join(dir, 'app', 'bin', 'app.exe')));
    assert.equal(entries[2]!.size, 2);
  });

  it('names a single file after the destination, or puts it inside a directory destination', async () => {
    assert.deepEqual(shape(await collectCopyEntries(dir, plan(['a.txt'], ['app', 'renamed.txt'], false))), ['f app\\renamed.txt']);
    assert.deepEqual(shape(await collectCopyEntries(dir, plan(['a.txt'], ['app'], true))), ['f app\\a.txt']);
    assert.deepEqual(shape(await collectCopyEntries(dir, plan(['/../a.txt'], ['x'], true))), ['f x\\a.txt'], 'sources stay inside the context');
  });

  it('matches wildcards, and several sources need a directory destination', async () => {
    assert.deepEqual(shape(await collectCopyEntries(dir, plan(['*.txt'], ['docs'], true))), ['f docs\\a.txt', 'f docs\\b.txt']);
    assert.deepEqual(shape(await collectCopyEntries(dir, plan(['[ab].txt', 'no-match-*'], ['docs'], true))), ['f docs\\a.txt', 'f docs\\b.txt']);
    await assert.rejects(collectCopyEntries(dir, plan(['a.txt', 'b.txt'], ['docs'], false)), /must be a directory and end with/);
  });

  it('follows links that stay in the context, refuses ones that leave it', async () => {
    const entries = await collectCopyEntries(dir, plan(['link-to-a'], ['x'], true));
    assert.deepEqual(shape(entries), ['f x\\link-to-a']);
    assert.equal(entries[0]!.source, await fs.realpath(path.join(dir, 'a.txt')));
    await assert.rejects(collectCopyEntries(dir, plan(['escape'], ['x'], true)), /leads out of the build context/);
    await assert.rejects(collectCopyEntries(dir, plan(['.'], ['x'], true)), (err: unknown) => err instanceof WindowsAssemblyError && err.line === 7);
  });

  it('says which source is missing', async () => {
    await assert.rejects(collectCopyEntries(dir, plan(['missing.txt'], ['x'], true)), /line 7: COPY: missing.txt not found in the build context/);
  });

  it('refuses archives for ADD, but not a gzip that holds no tar, nor under COPY', async () => {
    await assert.rejects(collectCopyEntries(dir, plan(['bundle.tar'], ['x'], true, 'ADD')), /archive, which ADD would extract/);
    await assert.rejects(collectCopyEntries(dir, plan(['bundle.tar.gz'], ['x'], true, 'ADD')), /archive/);
    assert.deepEqual(shape(await collectCopyEntries(dir, plan(['data.gz', 'notes.md'], ['x'], true, 'ADD'))), ['f x\\data.gz', 'f x\\notes.md']);
    assert.deepEqual(shape(await collectCopyEntries(dir, plan(['bundle.tar'], ['x'], true))), ['f x\\bundle.tar']);
  });

  it('refuses names Windows cannot hold and names that differ only in case', async () => {
    const odd = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-wincontext-odd-'));
    try {
      await fs.mkdir(path.join(odd, 'colon'));
      await fs.writeFile(path.join(odd, 'colon', 'a:b.txt'), 'x');
      await fs.mkdir(path.join(odd, 'case'));
      await fs.writeFile(path.join(odd, 'case', 'Readme.md'), 'x');
      await fs.writeFile(path.join(odd, 'case', 'README.md'), 'y');
      await assert.rejects(collectCopyEntries(odd, plan(['colon'], ['x'], true)), /a:b.txt: the name contains a character Windows does not allow/);
      await assert.rejects(collectCopyEntries(odd, plan(['case'], ['x'], true)), /differ only in case/);
    } finally {
      await fs.rm(odd, { recursive: true, force: true });
    }
  });
});
