// The CLI's own tar headers: ordinary entries must encode to exactly the bytes tar-stream (which the
// server reads with) writes, so a context keeps its digest; what ustar cannot hold must reach both
// tar-stream and GNU tar through pax records, with the name, link target and size intact.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, it } from 'node:test';
import tar, { type Header } from 'tar-stream';
import type { EntryHeader } from '../../src/cli/context-walk.js';
import { encodeTarHeader, padding, TAR_BLOCK, tarHeaderLength } from '../../src/cli/tar-header.js';

const mtime = new Date('2026-11-25T12:34:56Z');

/** What tar-stream's pack writes for one entry whose content is `size` bytes of 'x'. */
async function tarStreamEntry(header: EntryHeader): Promise<Buffer> {
  const pack = tar.pack();
  const content = header.type === 'file' ? Buffer.alloc(header.size ?? 0, 'x') : undefined;
  if (content === undefined) pack.entry({ ...header } as Header);
  else pack.entry({ ...header } as Header, content);
  pack.finalize();
  return buffer(pack as unknown as Readable);
}

/** A whole archive of `entries` with our headers, content of 'x' bytes, padding and the end blocks. */
function ourArchive(entries: EntryHeader[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    parts.push(encodeTarHeader(e));
    const size = e.type === 'file' ? (e.size ?? 0) : 0;
    parts.push(Buffer.alloc(size, 'x'), Buffer.alloc(padding(size)));
  }
  parts.push(Buffer.alloc(2 * TAR_BLOCK));
  return Buffer.concat(parts);
}

async function readWithTarStream(archive: Buffer): Promise<{ name: string; type: string | null | undefined; linkname: string | null | undefined; size: number | undefined; content: string }[]> {
  const extract = tar.extract();
  const seen: Awaited<ReturnType<typeof readWithTarStream>> = [];
  const reading = (async () => {
    for await (const entry of extract) {
      const content = await buffer(entry as unknown as Readable);
      seen.push({ name: entry.header.name, type: entry.header.type, linkname: entry.header.linkname, size: entry.header.size, content: content.toString() });
    }
  })();
  Readable.from([archive]).pipe(extract);
  await reading;
  return seen;
}

describe('encodeTarHeader: ustar, byte for byte as tar-stream writes it', () => {
  const long = `${'d'.repeat(60)}/${'e'.repeat(60)}/${'f'.repeat(90)}`; // 212 bytes: needs the prefix field
  const cases: [string, EntryHeader][] = [
    ['a small file', { name: 'app/main.go', type: 'file', size: 13, mode: 0o644, mtime }],
    ['an empty file', { name: 'empty', type: 'file', size: 0, mode: 0o600, mtime }],
    ['an executable of 513 bytes', { name: 'bin/run.sh', type: 'file', size: 513, mode: 0o755, mtime }],
    ['setuid and sticky bits', { name: 'odd', type: 'file', size: 1, mode: 0o7755, mtime }],
    ['a directory', { name: 'src', type: 'directory', mode: 0o755, mtime }],
    ['a symlink', { name: 'current', type: 'symlink', linkname: 'releases/v1', mode: 0o777, mtime }],
    ['a name of exactly 100 bytes', { name: 'n'.repeat(100), type: 'file', size: 2, mode: 0o644, mtime }],
    ['a long path split into prefix and name', { name: long, type: 'file', size: 3, mode: 0o644, mtime }],
    ['a link target of exactly 100 bytes', { name: 'l', type: 'symlink', linkname: 't'.repeat(100), mode: 0o777, mtime }],
    ['an mtime of 0', { name: 'epoch', type: 'file', size: 1, mode: 0o644, mtime: new Date(0) }],
  ];
  for (const [title, header] of cases) {
    it(title, async () => {
      const theirs = await tarStreamEntry(header);
      const ours = ourArchive([header]);
      assert.equal(ours.length, theirs.length);
      assert.deepEqual(ours.subarray(0, TAR_BLOCK), theirs.subarray(0, TAR_BLOCK));
      assert.deepEqual(ours, theirs);
      assert.equal(tarHeaderLength(header), TAR_BLOCK);
    });
  }
});

describe('encodeTarHeader: pax records for what ustar cannot hold', () => {
  const cases: [string, EntryHeader][] = [
    ['a non-ASCII name', { name: 'données/café-☕.txt', type: 'file', size: 5, mode: 0o644, mtime }],
    ['one 150-byte path component (no prefix split)', { name: `dir/${'x'.repeat(150)}`, type: 'file', size: 5, mode: 0o644, mtime }],
    ['a path of 300 bytes', { name: Array.from({ length: 12 }, (_, i) => `${i}`.padStart(24, 'p')).join('/'), type: 'file', size: 5, mode: 0o644, mtime }],
    ['a link target of 101 bytes', { name: 'link', type: 'symlink', linkname: 'a/'.repeat(50) + 'b', mode: 0o777, mtime }],
    ['a non-ASCII link target', { name: 'link2', type: 'symlink', linkname: 'répertoire/fichier', mode: 0o777, mtime }],
  ];
  for (const [title, header] of cases) {
    it(`${title}: tar-stream and GNU tar read the name and target back`, async () => {
      const archive = ourArchive([header, { name: 'after', type: 'file', size: 2, mode: 0o644, mtime }]);
      assert.equal(tarHeaderLength(header), encodeTarHeader(header).length);
      assert.ok(tarHeaderLength(header) > TAR_BLOCK);
      const seen = await readWithTarStream(archive);
      assert.deepEqual(
        seen.map((e) => [e.name, e.type, e.linkname || '']),
        [
          [header.name, header.type, header.linkname ?? ''],
          ['after', 'file', ''],
        ],
      );
      if (header.type === 'file') assert.equal(seen[0]?.content, 'x'.repeat(header.size ?? 0));
      const listed = execFileSync('tar', ['-tf', '-'], { input: archive }).toString().split('\n').filter(Boolean);
      assert.deepEqual(listed, [header.name, 'after']);
      if (header.type === 'symlink') {
        const verbose = execFileSync('tar', ['-tvf', '-'], { input: archive }).toString();
        assert.ok(verbose.includes(`${header.name} -> ${header.linkname}`), verbose);
      }
    });
  }

  it('counts the digits of each record in its own length, across the 2- to 3-digit boundary', async () => {
    // " path=" + name + "\n" is 7 bytes more than the name: 89-94 bytes of name put the record at 98-103.
    const names = [89, 90, 91, 92, 93, 94].map((n) => `é${'z'.repeat(n - 2)}`);
    const archive = ourArchive(names.map((name) => ({ name, type: 'file', size: 1, mode: 0o644, mtime })));
    assert.deepEqual(
      (await readWithTarStream(archive)).map((e) => e.name),
      names,
    );
    assert.deepEqual(execFileSync('tar', ['-tf', '-'], { input: archive }).toString().split('\n').filter(Boolean), names);
  });

  it('puts a size of 8 GiB or more in a pax record, where ustar has 11 octal digits', () => {
    const size = 8 * 1024 ** 3 + 5;
    const header = encodeTarHeader({ name: 'huge.bin', type: 'file', size, mode: 0o644, mtime });
    assert.equal(header.length, 3 * TAR_BLOCK); // pax header, its records, the entry's own header
    assert.equal(tarHeaderLength({ name: 'huge.bin', type: 'file', size, mode: 0o644, mtime }), 3 * TAR_BLOCK);
    const records = header.subarray(TAR_BLOCK, 2 * TAR_BLOCK).toString('latin1');
    assert.match(records, /^\d+ size=8589934597\n/);
    assert.equal(header.subarray(2 * TAR_BLOCK + 124, 2 * TAR_BLOCK + 135).toString('latin1'), '00000000000');
  });

  it('puts an mtime before 1970 in a pax record, and 0 in the ustar field', () => {
    const header = encodeTarHeader({ name: 'old', type: 'file', size: 0, mode: 0o644, mtime: new Date('1969-07-20T20:17:40Z') });
    assert.match(header.subarray(TAR_BLOCK, 2 * TAR_BLOCK).toString('latin1'), /^\d+ mtime=-14182940\n/);
    const verbose = execFileSync('tar', ['-tvf', '-', '--utc'], { input: Buffer.concat([header, Buffer.alloc(2 * TAR_BLOCK)]) }).toString();
    assert.match(verbose, /1969-07-20 20:17 old/);
  });
});
