// Packing a build context on the client: .dockerignore with Docker's rules, <Dockerfile>.dockerignore,
// the Dockerfile's place in the archive, and a digest that depends only on what is sent. Real temp dirs.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import syncFs, { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { after, afterEach, beforeEach, describe, it, mock } from 'node:test';
import { createGunzip, gunzipSync } from 'node:zlib';
import tar, { type Header } from 'tar-stream';
import { archiveLength, OUTSIDE_DOCKERFILE, packContext, packListing, type PackedContext } from '../../src/cli/context-pack.js';
import { ContextTar } from '../../src/cli/context-tar.js';
import { listContext, type ContextListing } from '../../src/cli/context-walk.js';
import { STORED_GZIP_HEADER } from '../../src/contexts/stored-gzip-header.js';
import { BadInputError } from '../../src/errors.js';
import { readTar } from '../support/archives.js';

type Spec = Record<string, string | { symlink: string } | { dir: true }>;

let tmp: string;
const packed: PackedContext[] = [];

// The packer's temporary archives are counted in TMPDIR: this file's own, since test files running beside
// this one pack contexts too.
const ownTmpdir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-pack-tmpdir-'));
process.env.TMPDIR = ownTmpdir;
after(() => fs.rm(ownTmpdir, { recursive: true, force: true }));

beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-pack-test-'));
});
afterEach(async () => {
  mock.restoreAll();
  await Promise.all(packed.splice(0).map((p) => p.cleanup()));
  await fs.rm(tmp, { recursive: true, force: true });
});

async function makeTree(root: string, spec: Spec): Promise<string> {
  for (const [rel, what] of Object.entries(spec)) {
    const abs = path.join(root, rel);
    await fs.mkdir(path.dirname(abs), { recursive: true });
    if (typeof what === 'string') await fs.writeFile(abs, what);
    else if ('symlink' in what) await fs.symlink(what.symlink, abs);
    else await fs.mkdir(abs, { recursive: true });
  }
  return root;
}

async function pack(dir: string, opts: Parameters<typeof packContext>[1] = {}): Promise<PackedContext> {
  const p = await packContext(dir, opts);
  packed.push(p);
  return p;
}

/** The archive's entry names (directories with a trailing /) and file contents. */
async function readArchive(file: string): Promise<{ names: string[]; contents: Map<string, string> }> {
  const { names, files } = await readTar(gunzipSync(await fs.readFile(file)));
  return { names, contents: new Map([...files].map(([name, content]) => [name, content.toString()])) };
}

async function namesOf(dir: string, opts: Parameters<typeof packContext>[1] = {}): Promise<string[]> {
  return (await readArchive((await pack(dir, opts)).path)).names;
}

describe('packContext and .dockerignore', () => {
  it('applies patterns with Docker semantics: anchored names, **, comments, leading /', async () => {
    const dir = await makeTree(tmp, {
      Dockerfile: 'FROM scratch\n',
      '.dockerignore': ['# a comment line', '#notes.txt', '*.log', '**/*.tmp', '/secret.txt', 'build/', '', '   '].join('\n'),
      '#notes.txt': 'kept: "#notes.txt" is a comment, not a pattern',
      'app.log': 'ignored',
      'sub/app.log': 'kept: *.log matches only at the root',
      'a.tmp': 'ignored',
      'deep/er/b.tmp': 'ignored',
      'deep/er/c.txt': 'kept',
      'secret.txt': 'ignored',
      'sub/secret.txt': 'kept: /secret.txt is anchored',
      'build/out.bin': 'ignored',
    });
    assert.deepEqual(await namesOf(dir), [
      'Dockerfile',
      '#notes.txt',
      '.dockerignore',
      'deep/',
      'deep/er/',
      'deep/er/c.txt',
      'sub/',
      'sub/app.log',
      'sub/secret.txt',
    ]);
  });

  it('re-includes files with ! exceptions inside an ignored directory', async () => {
    const dir = await makeTree(tmp, {
      Dockerfile: 'FROM scratch\n',
      '.dockerignore': 'node_modules\n!node_modules/keep\nlogs/*\n!logs/important.log\n',
      'node_modules/keep/index.js': 'kept',
      'node_modules/other/index.js': 'ignored',
      'logs/a.log': 'ignored',
      'logs/important.log': 'kept',
    });
    // Docker sends no entry for the ignored directory itself, only for what is re-included in it.
    assert.deepEqual(await namesOf(dir), [
      'Dockerfile',
      '.dockerignore',
      'logs/',
      'logs/important.log',
      'node_modules/keep/',
      'node_modules/keep/index.js',
    ]);
  });

  it('honours a ** exception beneath an ignored directory', async () => {
    const dir = await makeTree(tmp, {
      Dockerfile: 'FROM scratch\n',
      '.dockerignore': 'vendor\n!**/LICENSE\n',
      'vendor/a/LICENSE': 'kept',
      'vendor/a/code.go': 'ignored',
    });
    assert.deepEqual(await namesOf(dir), ['Dockerfile', '.dockerignore', 'vendor/a/LICENSE']);
  });

  it('always sends the Dockerfile and .dockerignore, even when they are ignored', async () => {
    const dir = await makeTree(tmp, { Dockerfile: 'FROM scratch\n', '.dockerignore': '*\n', 'a.txt': 'ignored' });
    assert.deepEqual(await namesOf(dir), ['Dockerfile', '.dockerignore']);
  });

  it('prefers <Dockerfile>.dockerignore next to the Dockerfile over the context .dockerignore', async () => {
    const dir = await makeTree(tmp, {
      Dockerfile: 'FROM scratch\n',
      'app.Dockerfile': 'FROM scratch\n',
      '.dockerignore': 'a.txt\n',
      'app.Dockerfile.dockerignore': 'b.txt\n',
      'a.txt': 'a',
      'b.txt': 'b',
    });
    const withApp = await namesOf(dir, { dockerfile: path.join(dir, 'app.Dockerfile') });
    assert.ok(withApp.includes('a.txt') && !withApp.includes('b.txt'), withApp.join(' '));
    const withDefault = await namesOf(dir);
    assert.ok(!withDefault.includes('a.txt') && withDefault.includes('b.txt'), withDefault.join(' '));
  });

  it('never sends the .git directory at the root, whatever .dockerignore says', async () => {
    const dir = await makeTree(tmp, {
      Dockerfile: 'FROM scratch\n',
      '.dockerignore': '!.git\n',
      '.git/HEAD': 'ref: refs/heads/main\n',
      'vendor/lib/.git/HEAD': 'kept: only the root .git is excluded',
    });
    assert.deepEqual(await namesOf(dir), ['Dockerfile', '.dockerignore', 'vendor/', 'vendor/lib/', 'vendor/lib/.git/', 'vendor/lib/.git/HEAD']);
  });
});

describe('packContext walking', () => {
  it('never reads an ignored directory that no exception reaches into', async () => {
    const dir = await makeTree(tmp, {
      Dockerfile: 'FROM scratch\n',
      '.dockerignore': 'node_modules\n!node_modules/keep\n',
      'src/index.ts': 'x',
      'node_modules/keep/a.js': 'kept',
      'node_modules/other/deep/b.js': 'ignored',
      'big/x': 'ignored',
    });
    await fs.appendFile(path.join(dir, '.dockerignore'), 'big\n');
    const readdir = mock.method(syncFs, 'readdirSync');
    await pack(dir);
    const read = readdir.mock.calls.map((c) => path.relative(dir, String(c.arguments[0])));
    // The spy sees the walk (so it is live), and the walk skips what it may skip.
    assert.ok(read.includes('') && read.includes('src') && read.includes(path.join('node_modules', 'keep')), read.join(' '));
    assert.ok(read.includes('node_modules'), 'an exception reaches into node_modules, so it must be read');
    for (const skipped of ['big', path.join('node_modules', 'other'), path.join('node_modules', 'other', 'deep')]) {
      assert.ok(!read.includes(skipped), `walked into ignored ${skipped}: ${read.join(' ')}`);
    }
  });

  it('lets the event loop run during a long walk (a Ctrl-C is heard), though it asks the file system synchronously', async () => {
    const files: Spec = { Dockerfile: 'FROM scratch\n' };
    for (let i = 0; i < 2500; i++) files[`d${i % 10}/f${i}`] = '';
    const dir = await makeTree(tmp, files);
    const order: string[] = [];
    setImmediate(() => order.push('the loop ran'));
    const listing = await listContext(dir);
    order.push('listed');
    assert.equal(listing.entries.length, 1 + 10 + 2500);
    assert.deepEqual(order, ['the loop ran', 'listed']);
  });

  it('keeps symlinks as symlinks and file modes', async () => {
    const dir = await makeTree(tmp, { Dockerfile: 'FROM scratch\n', 'bin/run': '#!/bin/sh\n', 'link': { symlink: 'bin/run' } });
    await fs.chmod(path.join(dir, 'bin/run'), 0o750);
    const headers = new Map<string, Header>();
    const extract = tar.extract();
    const reading = (async () => {
      for await (const e of extract) {
        headers.set(e.header.name, e.header);
        e.resume();
      }
    })();
    await Promise.all([pipeline(createReadStream((await pack(dir)).path), createGunzip(), extract), reading]);
    assert.equal(headers.get('link')?.type, 'symlink');
    assert.equal(headers.get('link')?.linkname, 'bin/run');
    assert.equal(headers.get('bin/run')?.mode, 0o750);
  });

  it('refuses a symlink pointing outside the context, naming it', async () => {
    const dir = await makeTree(tmp, { Dockerfile: 'FROM scratch\n', 'etc-link': { symlink: '/etc' } });
    await assert.rejects(pack(dir), (err: Error) => err instanceof BadInputError && /"etc-link"/.test(err.message) && /\.dockerignore/.test(err.message));
    await fs.writeFile(path.join(dir, '.dockerignore'), 'etc-link\n');
    assert.deepEqual(await namesOf(dir), ['Dockerfile', '.dockerignore']);
  });

  it('refuses a fifo, naming it', async () => {
    const dir = await makeTree(tmp, { Dockerfile: 'FROM scratch\n' });
    execFileSync('mkfifo', [path.join(dir, 'pipe')]);
    await assert.rejects(pack(dir), (err: Error) => err instanceof BadInputError && /"pipe" is a fifo/.test(err.message));
  });
});

describe('packContext and the Dockerfile', () => {
  it('reports a Dockerfile in a subdirectory by its path in the context, even when ignored', async () => {
    const dir = await makeTree(tmp, { 'docker/app.Dockerfile': 'FROM scratch\n', 'docker/other': 'ignored', '.dockerignore': 'docker\n' });
    const p = await pack(dir, { dockerfile: path.join(dir, 'docker/app.Dockerfile') });
    assert.equal(p.dockerfile, 'docker/app.Dockerfile');
    assert.deepEqual((await readArchive(p.path)).names, ['docker/app.Dockerfile', '.dockerignore']);
  });

  it('packs the Dockerfile first, after the directories it is in, so the server finds it without reading the rest', async () => {
    const dir = await makeTree(tmp, { 'a.txt': 'a', 'app/docker/Dockerfile': 'FROM scratch\n', 'app/docker/z.txt': 'z', 'app/b.txt': 'b', '.env': 'e' });
    const p = await pack(dir, { dockerfile: path.join(dir, 'app/docker/Dockerfile') });
    assert.deepEqual((await readArchive(p.path)).names, ['app/', 'app/docker/', 'app/docker/Dockerfile', '.env', 'a.txt', 'app/b.txt', 'app/docker/z.txt']);
  });

  it('sends a Dockerfile from outside the context under a generated name', async () => {
    const dir = await makeTree(path.join(tmp, 'ctx'), { 'a.txt': 'a', 'b.txt': 'b' });
    const outside = path.join(tmp, 'ops', 'web.Dockerfile');
    await makeTree(path.join(tmp, 'ops'), { 'web.Dockerfile': 'FROM alpine\n', 'web.Dockerfile.dockerignore': 'b.txt\n' });
    const p = await pack(dir, { dockerfile: outside });
    assert.equal(p.dockerfile, OUTSIDE_DOCKERFILE);
    const { names, contents } = await readArchive(p.path);
    assert.deepEqual(names, [OUTSIDE_DOCKERFILE, 'a.txt']);
    assert.equal(contents.get(OUTSIDE_DOCKERFILE), 'FROM alpine\n');
  });

  it('refuses an outside Dockerfile when the context already has .slipway', async () => {
    const dir = await makeTree(path.join(tmp, 'ctx'), { '.slipway/x': 'x' });
    await makeTree(path.join(tmp, 'ops'), { Dockerfile: 'FROM alpine\n' });
    await assert.rejects(pack(dir, { dockerfile: path.join(tmp, 'ops/Dockerfile') }), /\.slipway/);
  });

  it('says which Dockerfile is missing and what to do', async () => {
    const dir = await fs.realpath(await makeTree(tmp, { 'a.txt': 'a' }));
    await assert.rejects(pack(dir), (err: Error) => err instanceof BadInputError && err.message.startsWith(`Dockerfile not found: ${path.join(dir, 'Dockerfile')}`) && /-f/.test(err.message));
    await assert.rejects(pack(dir, { dockerfile: path.join(dir, 'nope.Dockerfile') }), /Dockerfile not found: .*nope\.Dockerfile/);
  });
});

describe('packContext output', () => {
  const spec: Spec = { Dockerfile: 'FROM scratch\nCOPY . /\n', 'src/a.txt': 'alpha', 'src/b.txt': 'beta', empty: { dir: true }, l: { symlink: 'src/a.txt' } };

  it('gives the same digest for the same content, and reports the digest and size of the file', async () => {
    const one = await makeTree(path.join(tmp, 'one'), spec);
    const two = await makeTree(path.join(tmp, 'two'), spec);
    const when = new Date('2024-01-02T03:04:05Z');
    for (const root of [one, two]) {
      for (const rel of ['Dockerfile', 'src/a.txt', 'src/b.txt', 'src', 'empty', '']) await fs.utimes(path.join(root, rel), when, when);
      await fs.lutimes(path.join(root, 'l'), when, when);
    }
    const [a, again, b] = [await pack(one), await pack(one), await pack(two)];
    assert.equal(a.digest, again.digest);
    assert.equal(a.digest, b.digest);
    assert.match(a.digest, /^sha256:[a-f0-9]{64}$/);
    const bytes = await fs.readFile(a.path);
    assert.equal(a.digest, `sha256:${createHash('sha256').update(bytes).digest('hex')}`);
    assert.equal(a.size, bytes.length);
    assert.equal(a.files, 6);
    await fs.writeFile(path.join(two, 'src/b.txt'), 'betA');
    await fs.utimes(path.join(two, 'src/b.txt'), when, when);
    assert.notEqual((await pack(two)).digest, a.digest);
  });

  it('reports progress and removes the archive on cleanup', async () => {
    const dir = await makeTree(tmp, { Dockerfile: 'FROM scratch\n', big: 'x'.repeat(200_000) });
    let last: [number, number] = [0, 0];
    const p = await pack(dir, { onProgress: (done, total) => (last = [done, total]) });
    assert.deepEqual(last, [200_000 + 'FROM scratch\n'.length, 200_000 + 'FROM scratch\n'.length]);
    await p.cleanup();
    await p.cleanup();
    await assert.rejects(fs.stat(p.path), { code: 'ENOENT' });
  });
});

describe('packListing bytes', () => {
  /** The tar tar-stream's pack makes of the same listing: what the CLI sent before it laid archives out itself. */
  async function tarStreamArchive(listing: ContextListing): Promise<Buffer> {
    const p = tar.pack();
    const out = buffer(p as unknown as Readable);
    for (const { header, source } of listing.entries) {
      const content = source === undefined ? '' : await fs.readFile(source);
      await new Promise<void>((resolve, reject) => p.entry({ ...header } as Header, content, (err) => (err ? reject(err) : resolve())));
    }
    p.finalize();
    return out;
  }

  it('writes, at both gzip levels, exactly the tar tar-stream writes: sizes on both sides of every block boundary, many small files', async () => {
    const sizes = [0, 1, 511, 512, 513, 65_535, 65_536, 262_139, 262_140, 300_000];
    const spec: Spec = { Dockerfile: 'FROM scratch\nCOPY . /\n', sub: { dir: true }, link: { symlink: 'f-1' } };
    for (const size of sizes) spec[`f-${size}`] = 'y'.repeat(size);
    for (let i = 0; i < 200; i++) spec[`many/${'n'.repeat(i % 80)}-${i}`] = String(i).repeat((i * 7919) % 3000); // headers and short files mid-buffer
    const listing = await listContext(await makeTree(tmp, spec));
    const expected = await tarStreamArchive(listing);
    for (const level of [0, 1]) {
      const archive = await packListing(listing, undefined, level);
      packed.push(archive);
      assert.deepEqual(gunzipSync(await fs.readFile(archive.path)), expected, `level ${level}`);
    }
  });

  it('frames level 0 as stored gzip of exactly the length announced up front', async () => {
    const listing = await listContext(await makeTree(tmp, { Dockerfile: 'FROM scratch\n', big: 'z'.repeat(700_000) }));
    const archive = await packListing(listing, undefined, 0);
    packed.push(archive);
    const bytes = await fs.readFile(archive.path);
    assert.equal(bytes.length, archiveLength(new ContextTar(listing.entries), 0));
    assert.deepEqual(bytes.subarray(0, STORED_GZIP_HEADER.length), STORED_GZIP_HEADER);
    execFileSync('gzip', ['-t'], { input: bytes });
    assert.equal(archiveLength(new ContextTar(listing.entries), 1), undefined, 'deflate: not known before');
  });

  it('refuses a file that changed size after it was listed, naming it and what to do, and keeps no archive', async () => {
    const dir = await makeTree(tmp, { Dockerfile: 'FROM scratch\n', 'app/data.txt': 'short' });
    const listing = await listContext(dir);
    await fs.writeFile(path.join(dir, 'app/data.txt'), 'now it is longer');
    const before = await tempArchives();
    for (const level of [0, 1]) {
      await assert.rejects(packListing(listing, undefined, level), (err: unknown) => {
        assert.ok(err instanceof BadInputError);
        assert.match(err.message, /app\/data\.txt changed while the context was being packed; try again/);
        return true;
      });
    }
    assert.deepEqual(await tempArchives(), before);
  });

  it('refuses a file removed after it was listed, naming it', async () => {
    const dir = await makeTree(tmp, { Dockerfile: 'FROM scratch\n', gone: 'soon' });
    const listing = await listContext(dir);
    await fs.rm(path.join(dir, 'gone'));
    await assert.rejects(packListing(listing, undefined, 0), /gone changed while the context was being packed; try again/);
  });
});

async function tempArchives(): Promise<string[]> {
  return (await fs.readdir(os.tmpdir())).filter((n) => n.startsWith('slipway-context-'));
}
