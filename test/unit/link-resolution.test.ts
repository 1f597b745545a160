// Symlinks judged through each other: a chain of links that each stay inside the root on their own but lead
// out together is refused in an archive, and the readers of an unpacked tree never follow one out.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkEntry, newArchiveState, type EntryHeader } from '../../src/contexts/archive-rules.js';
import { resolveLink } from '../../src/contexts/link-resolution.js';
import { resolveInside } from '../../src/contexts/resolve-inside.js';

const deep = Array.from({ length: 12 }, (_, i) => `d${i}`).join('/');
const up12 = Array(12).fill('..').join('/');

/** The issue's chain: d0/…/d11/s1 → ../×12 (the root), then s2 → s1/../×12 (twelve levels above it). */
const ISSUE_CHAIN: EntryHeader[] = [
  { name: `${deep}/`, type: 'directory' },
  { name: `${deep}/s1`, type: 'symlink', linkname: up12 },
  { name: `${deep}/s2`, type: 'symlink', linkname: `s1/${up12}` },
];

function judge(entries: EntryHeader[]): string {
  const state = newArchiveState({ unpackedBytes: 1 << 20, entries: 1000 });
  try {
    for (const e of entries) checkEntry(e, state);
    return 'accepted';
  } catch (err) {
    return (err as Error).message;
  }
}

describe('resolveLink', () => {
  const links = new Map([
    ['a/root', '../'],
    ['a/self', '.'],
    ['loop1', 'loop2'],
    ['loop2', 'loop1'],
    ['b/c', '../a'],
  ]);
  const read = (p: string) => links.get(p);
  const cases: [dir: string, target: string, expected: string][] = [
    ['', 'x/y', 'x/y'],
    ['a', '../x', 'x'],
    ['a', 'root', ''],
    ['a', 'root/..', 'escapes'],
    ['a', 'self/../..', 'escapes'],
    ['', 'b/c/root', ''],
    ['', 'b/c/../..', 'escapes'],
    ['', 'b/c/..', ''],
    ['x', '/etc', 'absolute'],
    ['', 'loop1', 'loop'],
    ['', 'a/x/../../..', 'escapes'],
  ];
  for (const [dir, target, expected] of cases) {
    it(`${dir || '.'} → ${target}: ${expected}`, () => {
      const r = resolveLink(dir, target, read);
      assert.equal(r.ok ? r.path : r.reason, expected);
    });
  }
});

describe('symlink chains in an archive', () => {
  it("refuses the issue's chain at its second link", () => {
    assert.match(judge(ISSUE_CHAIN), /^symlink "d0\/d1\/.*\/d11\/s2" points to "s1\/\.\.\/.*", outside the build context \(following the symlinks before it\)/);
  });
  it('accepts the first link alone: it is the root', () => assert.equal(judge(ISSUE_CHAIN.slice(0, 2)), 'accepted'));
  it('refuses a chain through a link at the root', () => {
    assert.match(judge([{ name: 'r', type: 'symlink', linkname: '.' }, { name: 'x', type: 'symlink', linkname: 'r/..' }]), /"x" points to "r\/\.\.", outside/);
  });
  it('refuses a link made later where an earlier link stepped out with ..', () => {
    const entries: EntryHeader[] = [
      { name: 'a/b/', type: 'directory' },
      { name: 's', type: 'symlink', linkname: 'a/b/../../x' },
      { name: 'a/b', type: 'symlink', linkname: '../../..' },
    ];
    assert.match(judge(entries), /symlink "a\/b" .*(outside|steps out of)/);
    const sneaky: EntryHeader[] = [
      { name: 'deep/er/', type: 'directory' },
      { name: 's', type: 'symlink', linkname: 'deep/er/x/../..' },
      { name: 'deep/er/x', type: 'symlink', linkname: '.' },
    ];
    assert.match(judge(sneaky), /symlink "deep\/er\/x" is a directory an earlier symlink's target steps out of/);
  });
  it('accepts ordinary links inside', () => {
    assert.equal(judge([{ name: 'lib/', type: 'directory' }, { name: 'lib/v1', type: 'symlink', linkname: '.' }, { name: 'current', type: 'symlink', linkname: 'lib/v1/../lib' }, { name: 'bin', type: 'symlink', linkname: 'current' }]), 'accepted');
  });
});

describe('resolveInside', () => {
  let root: string;
  before(async () => {
    const base = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-links-'));
    root = path.join(base, 'ctx');
    await fs.mkdir(path.join(root, deep), { recursive: true });
    await fs.writeFile(path.join(base, 'secret'), 'outside');
    await fs.writeFile(path.join(root, 'Dockerfile'), 'FROM scratch\n');
    // The issue's chain on disk, as a git checkout could hold it.
    await fs.symlink(up12, path.join(root, deep, 's1'));
    await fs.symlink(`s1/${up12}`, path.join(root, deep, 's2'));
    await fs.symlink('../../../../../../../../../../../..', path.join(root, deep, 'root'));
    await fs.symlink('Dockerfile', path.join(root, 'Dockerfile.link'));
    await fs.symlink('..', path.join(root, 'up'));
  });
  after(() => fs.rm(path.dirname(root), { recursive: true, force: true }));

  it('follows links that stay inside', () => {
    assert.equal(resolveInside(root, 'Dockerfile.link'), path.join(root, 'Dockerfile'));
    assert.equal(resolveInside(root, `${deep}/s1/Dockerfile`), path.join(root, 'Dockerfile'));
    assert.equal(resolveInside(root, 'missing/file'), path.join(root, 'missing/file'));
  });
  it('never leads out, through one link or a chain, where the kernel would', async () => {
    assert.equal(resolveInside(root, 'up/secret'), undefined);
    assert.equal(resolveInside(root, `${deep}/s2/secret`), undefined);
    assert.equal(resolveInside(root, `${deep}/s1/../secret`), undefined);
    // The kernel follows the same chain to the file outside.
    assert.equal(await fs.readFile(`${root}/${deep}/s1/../secret`, 'utf8'), 'outside');
  });
});
