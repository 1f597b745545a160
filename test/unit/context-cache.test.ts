// The context cache on real files: an unchanged folder maps to the digest it packed to; every change that
// alters the archive (content, even with size and mtime put back; modes; names; links; ignore rules; an
// outside Dockerfile) misses; files changed too recently are never vouched for; and whatever sits in the
// cache folder — garbage, links, fifos, other users' files — is ignored without a crash.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import type { BigIntStats } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadConfig } from '../../src/config.js';
import { ContextCache, isRacy } from '../../src/cli/context-cache.js';
import { packContext } from '../../src/cli/context-pack.js';
import { listContext, type ContextListing } from '../../src/cli/context-walk.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const execFileAsync = promisify(execFile);

let tmp: string;
let ctx: string;
let cacheDir: string;
let cache: ContextCache;

beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-cache-test-'));
  ctx = path.join(tmp, 'ctx');
  cacheDir = path.join(tmp, 'cache');
  cache = new ContextCache(cacheDir);
  await write({ Dockerfile: 'FROM scratch\nCOPY . /\n', 'app/main.txt': 'hello world\n', 'app/data.bin': 'abcdef', '.dockerignore': 'build\n', 'build/out.o': 'x' });
});
afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

async function write(files: Record<string, string>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(ctx, rel)), { recursive: true });
    await fs.writeFile(path.join(ctx, rel), content);
  }
}

/** Lists the context as a build would a while after its files were written, so they are not "racy". */
async function settledListing(dir = ctx, dockerfile?: string): Promise<ContextListing> {
  const listing = await listContext(dir, { dockerfile });
  return { ...listing, listedAt: listing.listedAt + 10_000 };
}

/** Remembers the context's real digest, as a build does after the upload. */
async function rememberNow(dockerfile?: string): Promise<string> {
  const packed = await packContext(ctx, { dockerfile });
  await packed.cleanup();
  assert.equal(cache.remember(await settledListing(ctx, dockerfile), packed.digest), true);
  return packed.digest;
}

async function cacheFile(): Promise<string> {
  const names = await fs.readdir(path.join(cacheDir, 'contexts'));
  assert.equal(names.length, 1, names.join(', '));
  return path.join(cacheDir, 'contexts', names[0]!);
}

describe('ContextCache: what an unchanged folder is', () => {
  it('finds the digest of an unchanged folder, and that digest is what packing gives', async () => {
    const digest = await rememberNow();
    assert.equal(cache.lookup(await listContext(ctx)), digest);
    const again = await packContext(ctx);
    await again.cleanup();
    assert.equal(again.digest, digest);
  });

  it('misses for a folder it has never seen, and for another Dockerfile of the same folder', async () => {
    assert.equal(cache.lookup(await listContext(ctx)), undefined);
    await rememberNow();
    await write({ 'Other.Dockerfile': 'FROM scratch\n' });
    assert.equal(cache.lookup(await listContext(ctx, { dockerfile: path.join(ctx, 'Other.Dockerfile') })), undefined);
  });

  it('still hits when only an ignored directory changed, and the archive is indeed the same', async () => {
    const digest = await rememberNow();
    await write({ 'build/new.o': 'y' });
    assert.equal(cache.lookup(await listContext(ctx)), digest);
    const packed = await packContext(ctx);
    await packed.cleanup();
    assert.equal(packed.digest, digest);
  });

  const changes: [string, () => Promise<void>][] = [
    ['a file gets longer', () => fs.appendFile(path.join(ctx, 'app/main.txt'), '!')],
    ['a byte changes, same size', () => fs.writeFile(path.join(ctx, 'app/data.bin'), 'abcdeX')],
    [
      'a byte changes, same size, mtime put back to the nanosecond (ctime tells)',
      async () => {
        const file = path.join(ctx, 'app/data.bin');
        const before = await fs.stat(file, { bigint: true });
        await fs.writeFile(file, 'Xbcdef');
        // `touch -d @s.ns` restores the exact nanoseconds, which fs.utimes (a float of seconds) cannot.
        execFileSync('touch', ['-m', '-d', `@${before.mtimeNs / 1_000_000_000n}.${String(before.mtimeNs % 1_000_000_000n).padStart(9, '0')}`, file]);
        const after = await fs.stat(file, { bigint: true });
        assert.equal(after.mtimeNs, before.mtimeNs);
        assert.equal(after.size, before.size);
        assert.equal(after.ino, before.ino);
      },
    ],
    ['a file is replaced by another of the same content (new inode)', async () => {
      await fs.writeFile(path.join(ctx, 'app/tmp'), 'hello world\n');
      await fs.rename(path.join(ctx, 'app/tmp'), path.join(ctx, 'app/main.txt'));
    }],
    ['a mode changes', () => fs.chmod(path.join(ctx, 'app/main.txt'), 0o755)],
    ['a file is added', () => write({ 'app/new.txt': '' })],
    ['a file is removed', () => fs.rm(path.join(ctx, 'app/data.bin'))],
    ['a file is renamed', () => fs.rename(path.join(ctx, 'app/data.bin'), path.join(ctx, 'app/data.bim'))],
    ['the ignore rules change', () => fs.writeFile(path.join(ctx, '.dockerignore'), 'buil\n')],
    ['the Dockerfile changes', () => fs.appendFile(path.join(ctx, 'Dockerfile'), 'RUN true\n')],
  ];
  for (const [what, change] of changes) {
    it(`misses when ${what}`, async () => {
      await rememberNow();
      await change();
      assert.equal(cache.lookup(await listContext(ctx)), undefined);
    });
  }

  it('misses when a symlink is pointed elsewhere (same length)', async () => {
    await fs.symlink('app/main.txt', path.join(ctx, 'link'));
    await rememberNow();
    await fs.rm(path.join(ctx, 'link'));
    await fs.symlink('app/data.bin', path.join(ctx, 'link'));
    assert.equal(cache.lookup(await listContext(ctx)), undefined);
  });

  it('misses when a Dockerfile outside the context changes', async () => {
    const outside = path.join(tmp, 'Outside.Dockerfile');
    await fs.writeFile(outside, 'FROM scratch\n');
    await rememberNow(outside);
    assert.ok(cache.lookup(await listContext(ctx, { dockerfile: outside })));
    await fs.writeFile(outside, 'FROM scratcH\n');
    assert.equal(cache.lookup(await listContext(ctx, { dockerfile: outside })), undefined);
  });
});

describe('ContextCache: racily clean files', () => {
  it('keeps nothing for a folder whose file was written just before it was listed', async () => {
    await write({ 'app/main.txt': 'just now\n' });
    const listing = await listContext(ctx);
    assert.equal(cache.remember(listing, `sha256:${'a'.repeat(64)}`), false);
    assert.equal(cache.lookup(listing), undefined);
    await assert.rejects(fs.readdir(path.join(cacheDir, 'contexts')), { code: 'ENOENT' });
  });

  const at = (ns: bigint) => ({ mtimeNs: ns, ctimeNs: ns }) as BigIntStats;
  const listingWith = (stats: BigIntStats[], listedAtMs: number): ContextListing =>
    ({ listedAt: listedAtMs, entries: stats.map((stat, i) => ({ header: { name: `f${i}` }, source: `/f${i}`, stat })) }) as unknown as ContextListing;
  const ms = (n: number) => BigInt(n) * 1_000_000n;
  const cases: [string, bigint, number, boolean][] = [
    ['nanosecond times, 50 ms before the listing', ms(10_000) - ms(50) + 123n, 10_000, true],
    ['nanosecond times, 500 ms before', ms(10_000) - ms(500) + 123n, 10_000, false],
    ['whole-second times (a coarse filesystem), 1 s before', ms(9_000), 10_000, true],
    ['whole-second times, 3 s before', ms(7_000), 10_000, false],
    ['a time in the future (clock skew)', ms(20_000) + 5n, 10_000, true],
  ];
  for (const [what, ns, listedAt, racy] of cases) {
    it(`${what}: ${racy ? 'racy' : 'trusted'}`, () => assert.equal(isRacy(listingWith([at(ns)], listedAt)), racy));
  }

  it('a recent ctime alone (content rewritten, mtime put back) is racy too', () => {
    const stat = { mtimeNs: ms(1_000) + 7n, ctimeNs: ms(10_000) - ms(10) + 7n } as BigIntStats;
    assert.equal(isRacy(listingWith([stat], 10_000)), true);
  });
});

describe('ContextCache: what is in the cache folder', () => {
  it('holds no file contents, only a small record of paths, hashes and the digest', async () => {
    await write({ 'secret.txt': 'TOPSECRET-VALUE-42' });
    const digest = await rememberNow();
    const text = await fs.readFile(await cacheFile(), 'utf8');
    assert.ok(!text.includes('TOPSECRET'), text);
    assert.deepEqual(Object.keys(JSON.parse(text)).sort(), ['digest', 'dockerfile', 'fingerprint', 'format', 'root']);
    assert.ok(text.includes(digest));
    assert.equal((await fs.stat(await cacheFile())).mode & 0o777, 0o600);
  });

  const hostile: [string, (file: string) => Promise<void>][] = [
    ['garbage', (f) => fs.writeFile(f, '\u0000{not json')],
    ['JSON of the wrong shape', (f) => fs.writeFile(f, '[1,2,3]')],
    ['null', (f) => fs.writeFile(f, 'null')],
    ['a record for another folder', async (f) => fs.writeFile(f, (await fs.readFile(f, 'utf8')).replace(/"root":"[^"]*"/, '"root":"/elsewhere"'))],
    ['a record with a digest that is not one', async (f) => fs.writeFile(f, (await fs.readFile(f, 'utf8')).replace(/"digest":"[^"]*"/, '"digest":"../../etc"'))],
    ['a record with another fingerprint', async (f) => fs.writeFile(f, (await fs.readFile(f, 'utf8')).replace(/"fingerprint":"sha256:./, '"fingerprint":"sha256:!'))],
    ['a huge file', (f) => fs.writeFile(f, ' '.repeat(1024 * 1024))],
    ['a file others may write', (f) => fs.chmod(f, 0o666)],
    [
      'a symlink to a valid record',
      async (f) => {
        await fs.rename(f, `${f}.real`);
        await fs.symlink(`${f}.real`, f);
      },
    ],
    [
      'a fifo (opening it must not block)',
      async (f) => {
        await fs.rm(f);
        execFileSync('mkfifo', [f]);
      },
    ],
    [
      'a directory',
      async (f) => {
        await fs.rm(f);
        await fs.mkdir(f);
      },
    ],
  ];
  for (const [what, spoil] of hostile) {
    it(`ignores ${what} in place of a record`, async () => {
      await rememberNow();
      const file = await cacheFile();
      await spoil(file);
      assert.equal(cache.lookup(await listContext(ctx)), undefined);
    });
  }

  it('replaces a corrupt record on the next remember', async () => {
    await rememberNow();
    await fs.writeFile(await cacheFile(), 'garbage');
    const digest = await rememberNow();
    assert.equal(cache.lookup(await listContext(ctx)), digest);
  });

  it('never throws when the cache folder cannot be written', async () => {
    await fs.writeFile(cacheDir, 'a file where the folder should be');
    const listing = await settledListing();
    assert.equal(cache.remember(listing, `sha256:${'b'.repeat(64)}`), false);
    assert.equal(cache.lookup(listing), undefined);
  });

  it('survives many builds of the same folder remembering at once: one whole record, no temporary files left', async () => {
    const listing = await settledListing();
    const digests = Array.from({ length: 6 }, (_, i) => `sha256:${i.toString(16).padStart(64, '0')}`);
    // Each build is a process of its own, as when several terminals build the same folder.
    const remember = (digest: string) =>
      execFileAsync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', rememberScript, ctx, cacheDir, digest], { cwd: ROOT });
    const results = await Promise.all(digests.map(remember));
    assert.ok(results.every((r) => r.stdout.trim() === 'true'), results.map((r) => r.stdout + r.stderr).join('\n'));
    const names = await fs.readdir(path.join(cacheDir, 'contexts'));
    assert.equal(names.length, 1, names.join(', '));
    assert.ok(digests.includes(cache.lookup(listing)!));
  });
});

describe('config: the CLI cache folder', () => {
  const cases: [string, Record<string, string>, string][] = [
    ['SLIPWAY_CACHE_DIR wins', { SLIPWAY_CACHE_DIR: '/srv/cache', XDG_CACHE_HOME: '/xdg' }, '/srv/cache'],
    ['else $XDG_CACHE_HOME/slipway', { XDG_CACHE_HOME: '/xdg' }, '/xdg/slipway'],
    ['a relative XDG_CACHE_HOME is ignored, as the spec says', { XDG_CACHE_HOME: 'rel' }, path.join(os.homedir(), '.cache/slipway')],
    ['else ~/.cache/slipway', {}, path.join(os.homedir(), '.cache/slipway')],
  ];
  for (const [what, env, expected] of cases) {
    it(what, () => assert.equal(loadConfig({}, env).cli.cacheDir, expected));
  }
});

/** A build's last step, alone: list the folder (as settled) and remember a digest for it. */
const rememberScript = `
  import { ContextCache } from '${path.join(ROOT, 'src/cli/context-cache.ts')}';
  import { listContext } from '${path.join(ROOT, 'src/cli/context-walk.ts')}';
  const [ctx, dir, digest] = process.argv.slice(1);
  const listing = await listContext(ctx);
  console.log(new ContextCache(dir).remember({ ...listing, listedAt: listing.listedAt + 10_000 }, digest));
`;
