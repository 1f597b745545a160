// Build context archives on the server: hostile archives are refused by both the upload check and the
// worker's unpacker, naming the entry, with nothing written outside the destination; good ones round-trip.
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import tar, { type Header } from 'tar-stream';
import { packContext } from '../../src/cli/context-pack.js';
import type { ArchiveLimits } from '../../src/contexts/archive-rules.js';
import { readContextArchive, STOP_READING, validateContextArchive } from '../../src/contexts/archive.js';
import { BadInputError, TooLargeError } from '../../src/errors.js';
import { unpackContext } from '../../workers/source/context.js';

const limits: ArchiveLimits = { unpackedBytes: 1024 * 1024, entries: 100 };

interface Raw {
  name: string;
  type?: Header['type'];
  linkname?: string;
  content?: string;
  /** A file of this many zero bytes, streamed. */
  zeros?: number;
  mode?: number;
  devmajor?: number;
}

/** An uncompressed tar of exactly these entries, in order; nothing stops a hostile one. */
async function rawTar(entries: Raw[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c) => chunks.push(c as Buffer));
  const ended = new Promise<void>((resolve) => pack.on('end', () => resolve()));
  for (const e of entries) {
    const type = e.type ?? 'file';
    const body = Buffer.from(e.content ?? '');
    const hasBody = type === 'file' || type === 'contiguous-file';
    const size = e.zeros ?? (hasBody ? body.length : 0);
    const header = { name: e.name, type, linkname: e.linkname, mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644), size, devmajor: e.devmajor };
    await new Promise<void>((resolve, reject) => {
      const sink = pack.entry(header, (err) => (err ? reject(err) : resolve()));
      if (!hasBody) return;
      if (e.zeros === undefined) return void sink.end(body);
      const zero = Buffer.alloc(1024 * 1024);
      for (let left = e.zeros; left > 0; left -= zero.length) sink.write(zero.subarray(0, Math.min(left, zero.length)));
      sink.end(undefined);
    });
  }
  pack.finalize();
  await ended;
  return Buffer.concat(chunks);
}

const tarGz = async (entries: Raw[]) => gzipSync(await rawTar(entries));

/** Rewrites the first header's type flag (e.g. 'S', GNU sparse, which tar-stream does not know). */
function retype(tarBuf: Buffer, flag: string): Buffer {
  const b = Buffer.from(tarBuf);
  b[156] = flag.charCodeAt(0);
  b.fill(0x20, 148, 156);
  const sum = b.subarray(0, 512).reduce((s, x) => s + x, 0);
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return b;
}

let tmp: string;
let dest: string;
beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-archive-test-'));
  dest = path.join(tmp, 'dest');
  await fs.mkdir(dest);
});
afterEach(() => fs.rm(tmp, { recursive: true, force: true }));

const body = (buf: Buffer) => Readable.from([buf]);

interface Hostile {
  title: string;
  archive: () => Promise<Buffer>;
  error: typeof BadInputError | typeof TooLargeError;
  message: RegExp;
}

const hostile: Hostile[] = [
  { title: 'tar-slip ../x', archive: () => tarGz([{ name: '../outside.txt', content: 'x' }]), error: BadInputError, message: /"\.\.\/outside\.txt" has a "\.\." component/ },
  { title: 'tar-slip a/../../x', archive: () => tarGz([{ name: 'a/../../outside.txt', content: 'x' }]), error: BadInputError, message: /"a\/\.\.\/\.\.\/outside\.txt" has a "\.\." component/ },
  { title: 'absolute path', archive: () => tarGz([{ name: path.join(tmp, 'abs.txt'), content: 'x' }]), error: BadInputError, message: /abs\.txt" is an absolute path/ },
  { title: 'relative symlink escape', archive: () => tarGz([{ name: 'up', type: 'symlink', linkname: '../..' }]), error: BadInputError, message: /symlink "up" points to "\.\.\/\.\.", outside/ },
  { title: 'nested symlink escape', archive: () => tarGz([{ name: 'a/b/up', type: 'symlink', linkname: '../../../x' }]), error: BadInputError, message: /symlink "a\/b\/up" points to/ },
  { title: 'absolute symlink', archive: () => tarGz([{ name: 'etc', type: 'symlink', linkname: '/etc' }]), error: BadInputError, message: /symlink "etc" points to "\/etc", outside/ },
  {
    title: 'symlink to /etc then a write through it',
    archive: () => tarGz([{ name: 'a', type: 'symlink', linkname: tmp }, { name: 'a/passwd', content: 'root::0:0::/:/bin/sh' }]),
    error: BadInputError,
    message: /symlink "a" points to/,
  },
  {
    title: 'symlink inside, then a write through it',
    archive: () => tarGz([{ name: 'sub', type: 'directory' }, { name: 'a', type: 'symlink', linkname: 'sub' }, { name: 'a/x', content: 'x' }]),
    error: BadInputError,
    message: /entry "a\/x" is beneath "a", which is a symlink/,
  },
  { title: 'hardlink escape', archive: () => tarGz([{ name: 'h', type: 'link', linkname: '../outside.txt' }]), error: BadInputError, message: /"\.\.\/outside\.txt" has a "\.\." component/ },
  { title: 'absolute hardlink', archive: () => tarGz([{ name: 'h', type: 'link', linkname: '/etc/passwd' }]), error: BadInputError, message: /target of hardlink "h" "\/etc\/passwd" is an absolute path/ },
  {
    title: 'hardlink through a symlink',
    archive: () => tarGz([{ name: 'sub/f', content: 'f' }, { name: 's', type: 'symlink', linkname: 'sub' }, { name: 'h', type: 'link', linkname: 's/f' }]),
    error: BadInputError,
    message: /hardlink "h" points to "s\/f" through the symlink "s"/,
  },
  { title: 'character device', archive: () => tarGz([{ name: 'dev/null', type: 'character-device', devmajor: 1 }]), error: BadInputError, message: /"dev\/null" is a character-device/ },
  { title: 'block device', archive: () => tarGz([{ name: 'sda', type: 'block-device', devmajor: 8 }]), error: BadInputError, message: /"sda" is a block-device/ },
  { title: 'fifo', archive: () => tarGz([{ name: 'pipe', type: 'fifo' }]), error: BadInputError, message: /"pipe" is a fifo/ },
  { title: 'contiguous file', archive: () => tarGz([{ name: 'c', type: 'contiguous-file' }]), error: BadInputError, message: /"c" is a contiguous-file/ },
  { title: 'unknown type (GNU sparse)', archive: async () => gzipSync(retype(await rawTar([{ name: 'sparse' }]), 'S')), error: BadInputError, message: /"sparse" has a tar type/ },
  { title: 'not gzip', archive: async () => Buffer.from('this is plainly not a gzip stream'), error: BadInputError, message: /not a gzip-compressed tar/ },
  {
    title: 'truncated gzip',
    archive: async () => {
      const good = await tarGz([{ name: 'a', content: 'a'.repeat(5000) }, { name: 'b', content: 'b' }]);
      return good.subarray(0, good.length - 12);
    },
    error: BadInputError,
    message: /truncated/,
  },
  { title: 'gzip of something that is not tar', archive: async () => gzipSync(Buffer.alloc(4096, 'junk')), error: BadInputError, message: /not a valid tar archive/ },
  {
    title: 'tar cut off inside a file',
    archive: async () => gzipSync((await rawTar([{ name: 'big', content: 'x'.repeat(10_000) }])).subarray(0, 2048)),
    error: BadInputError,
    message: /not a valid tar archive \(Unexpected end of data\)/,
  },
  {
    title: 'too many entries',
    archive: () => tarGz(Array.from({ length: 101 }, (_, i) => ({ name: `f${String(i).padStart(3, '0')}`, content: '' }))),
    error: TooLargeError,
    message: /more than 100 entries \(at "f100"\)/,
  },
  { title: 'a large zero file (gzip bomb)', archive: () => tarGz([{ name: 'zeros.bin', zeros: 64 * 1024 * 1024 }]), error: TooLargeError, message: /more than 1048576 bytes \(at "zeros\.bin", 67108864 bytes\)/ },
  {
    title: 'endless zero blocks after the archive',
    archive: async () => gzipSync(Buffer.concat([await rawTar([{ name: 'a', content: 'a' }]), Buffer.alloc(8 * 1024 * 1024)])),
    error: TooLargeError,
    message: /decompresses to more than/,
  },
];

describe('hostile archives', () => {
  for (const c of hostile) {
    it(`refuses ${c.title}`, async () => {
      const archive = await c.archive();
      const expected = (err: unknown) => {
        assert.ok(err instanceof c.error, `expected ${c.error.name}, got ${String(err)}`);
        assert.match(err.message, c.message);
        return true;
      };
      await assert.rejects(validateContextArchive(body(archive), limits), expected);
      await assert.rejects(unpackContext(body(archive), dest, limits), expected);
      assert.deepEqual(await fs.readdir(tmp), ['dest'], 'something was written outside dest');
    });
  }

  it('unpacks nothing of a file over the byte limit', async () => {
    const archive = await tarGz([{ name: 'small', content: 's' }, { name: 'zeros.bin', zeros: 2 * 1024 * 1024 }]);
    await assert.rejects(unpackContext(body(archive), dest, limits), TooLargeError);
    assert.deepEqual(await fs.readdir(dest), ['small']);
  });

  it('refuses an entry that would replace a directory when unpacking', async () => {
    const archive = await tarGz([{ name: 'd/f', content: 'f' }, { name: 'd', type: 'symlink', linkname: 'elsewhere' }]);
    await assert.rejects(unpackContext(body(archive), dest, limits), /entry "d" would replace a directory/);
  });

  it('refuses a hardlink to something not earlier in the archive', async () => {
    const archive = await tarGz([{ name: 'h', type: 'link', linkname: 'later' }, { name: 'later', content: 'x' }]);
    await assert.rejects(unpackContext(body(archive), dest, limits), /hardlink "h" points to "later", which is not earlier in the archive/);
  });
});

describe('good archives', () => {
  it('accepts an empty archive', async () => {
    const archive = await tarGz([]);
    assert.deepEqual(await validateContextArchive(body(archive), limits), { entries: 0, bytes: 0 });
    assert.deepEqual(await unpackContext(body(archive), dest, limits), { entries: 0, bytes: 0 });
    assert.deepEqual(await fs.readdir(dest), []);
  });

  it('accepts ./-prefixed names, hardlinks and replaced entries as tar writes them', async () => {
    const archive = await tarGz([
      { name: './', type: 'directory' },
      { name: './a.txt', content: 'first' },
      { name: './a.txt', content: 'second' },
      { name: './b.txt', type: 'link', linkname: './a.txt' },
      { name: './l', type: 'symlink', linkname: 'a.txt' },
      { name: './l', content: 'now a file' },
    ]);
    assert.deepEqual(await validateContextArchive(body(archive), limits), { entries: 6, bytes: 'first'.length + 'second'.length + 'now a file'.length });
    await unpackContext(body(archive), dest, limits);
    assert.equal(await fs.readFile(path.join(dest, 'b.txt'), 'utf8'), 'second');
    assert.equal((await fs.stat(path.join(dest, 'b.txt'))).ino, (await fs.stat(path.join(dest, 'a.txt'))).ino);
    assert.ok((await fs.lstat(path.join(dest, 'l'))).isFile());
  });

  it('round-trips packContext → unpackContext: files, modes, symlinks, mtimes', async () => {
    const src = path.join(tmp, 'src');
    const longName = `${'very-long-directory-name/'.repeat(6)}file-with-ünïcode.txt`;
    const files: Record<string, [content: string, mode: number]> = {
      Dockerfile: ['FROM scratch\nCOPY . /\n', 0o644],
      'bin/run': ['#!/bin/sh\necho hi\n', 0o755],
      'data/readonly.txt': ['read me', 0o444],
      'private/secret': ['s', 0o600],
      [longName]: ['long', 0o640],
    };
    for (const [rel, [content, mode]] of Object.entries(files)) {
      await fs.mkdir(path.dirname(path.join(src, rel)), { recursive: true });
      await fs.writeFile(path.join(src, rel), content);
      await fs.chmod(path.join(src, rel), mode);
    }
    await fs.mkdir(path.join(src, 'empty'));
    await fs.chmod(path.join(src, 'private'), 0o700);
    await fs.symlink('bin/run', path.join(src, 'latest'));
    await fs.symlink('data', path.join(src, 'd'));
    const when = new Date('2023-05-06T07:08:09Z');
    for (const rel of await listTree(src)) await fs.lutimes(path.join(src, rel), when, when);

    const packed = await packContext(src, {});
    try {
      const totals = await unpackContext(createReadStream(packed.path), dest, limits);
      assert.equal(totals.entries, packed.files);
    } finally {
      await packed.cleanup();
    }
    assert.deepEqual(await describeTree(dest), await describeTree(src));
  });
});

describe('reading part of an archive', () => {
  // What follows the Dockerfile is not a tar header: reading it would fail, so stopping must not read it.
  const dockerfileThenJunk = async () => {
    const tarred = await rawTar([{ name: 'Dockerfile', content: 'FROM scratch\n' }, { name: 'after.txt', content: 'x' }]);
    const junk = Buffer.alloc(tarred.length - 1024, 0x41);
    return gzipSync(Buffer.concat([tarred.subarray(0, 1024), junk]));
  };

  it('stops at the entry that asks it to, without reading the rest', async () => {
    let text = '';
    const totals = await readContextArchive(body(await dockerfileThenJunk()), limits, async (entry, content) => {
      for await (const chunk of content) text += String(chunk);
      return entry.path === 'Dockerfile' ? STOP_READING : undefined;
    });
    assert.equal(text, 'FROM scratch\n');
    assert.deepEqual(totals, { entries: 1, bytes: 'FROM scratch\n'.length });
  });

  it('reads to the end, and fails on what is broken there, when nothing stops it', async () => {
    await assert.rejects(validateContextArchive(body(await dockerfileThenJunk()), limits), BadInputError);
  });
});

async function listTree(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await fs.readdir(path.join(root, rel))).sort()) {
    const child = rel ? `${rel}/${name}` : name;
    out.push(child);
    if ((await fs.lstat(path.join(root, child))).isDirectory()) out.push(...(await listTree(root, child)));
  }
  return out;
}

/** What a build would see of a tree: kinds, contents, link targets, permission bits, mtimes in seconds. */
async function describeTree(root: string): Promise<string[]> {
  const lines: string[] = [];
  for (const rel of await listTree(root)) {
    const abs = path.join(root, rel);
    const st = await fs.lstat(abs);
    const what = st.isSymbolicLink() ? `-> ${await fs.readlink(abs)}` : st.isDirectory() ? 'dir' : `file ${await fs.readFile(abs, 'utf8')}`;
    const mode = st.isSymbolicLink() ? '' : (st.mode & 0o777).toString(8);
    lines.push(`${rel} ${what} ${mode} ${Math.floor(st.mtimeMs / 1000)}`);
  }
  return lines;
}
