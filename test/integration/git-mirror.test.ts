// GitMirrorCache against a real git server on loopback (test/support/git-server.ts): exact commits,
// incremental and cached fetches, refs, private repositories over smart HTTP with a token, limits, the URL
// policy, submodules and concurrent jobs. Every test has its own repositories, cache and workspaces.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import dns from 'node:dns/promises';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isSlipwayError } from '../../src/errors.js';
import { classifyHost } from '../../src/git/hosts.js';
import type { GitUrlPolicy } from '../../src/git/url.js';
import { SecretMasker } from '../../src/log.js';
import { GitMirrorCache, type GitCheckoutOptions } from '../../workers/source/git-mirror.js';
import { git, GitServer } from '../support/git-server.js';
import { within } from '../support/wait.js';

const LOOPBACK: GitUrlPolicy = { allowInsecure: true, allowPrivateHosts: true, allowFile: false };
const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

let server: GitServer;
let scratch: string;

function newCache(opts: { policy?: GitUrlPolicy; cloneTimeoutMs?: number; maxRepoBytes?: number; dir?: string; masker?: SecretMasker } = {}) {
  const dir = opts.dir ?? path.join(scratch, unique('cache'));
  const masker = opts.masker ?? new SecretMasker();
  const cache = new GitMirrorCache({
    dir,
    masker,
    limits: { cloneTimeoutMs: opts.cloneTimeoutMs ?? 60_000, maxRepoBytes: opts.maxRepoBytes ?? 50 * 1024 * 1024 },
    policy: opts.policy ?? LOOPBACK,
  });
  return { cache, dir, masker };
}

async function checkout(cache: GitMirrorCache, opts: Omit<GitCheckoutOptions, 'dest'> & { dest?: string }) {
  const dest = opts.dest ?? path.join(scratch, unique('ws'));
  const lines: string[] = [];
  const result = await cache.checkout({ ...opts, dest, onLine: (l) => lines.push(l) });
  return { ...result, dest, lines };
}

async function read(dir: string, file: string): Promise<string> {
  return fs.readFile(path.join(dir, file), 'utf8');
}

/** Every file under `dir`, relative, sorted. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => !e.isDirectory())
    .map((e) => path.relative(dir, path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name)))
    .sort();
}

/** Files under `dir` whose bytes contain any of `needles`. */
async function filesContaining(dir: string, needles: string[]): Promise<string[]> {
  const hits: string[] = [];
  for (const file of await listFiles(dir)) {
    const full = path.join(dir, file);
    if ((await fs.lstat(full)).isSymbolicLink()) continue;
    const bytes = await fs.readFile(full);
    if (needles.some((n) => bytes.includes(n))) hits.push(file);
  }
  return hits;
}

async function rejectsWith(promise: Promise<unknown>, code: string, message?: RegExp): Promise<Error> {
  let caught: unknown;
  await promise.then(
    () => assert.fail(`expected ${code}`),
    (err: unknown) => (caught = err),
  );
  assert.ok(isSlipwayError(caught), `not a SlipwayError: ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  if (message) assert.match(caught.message, message);
  return caught;
}

/** Command lines of running processes that mention `text`. */
async function processesMentioning(text: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    const cmdline = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(text)) found.push(cmdline.replaceAll('\0', ' '));
  }
  return found;
}

before(async () => {
  server = await GitServer.start();
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-git-mirror-'));
});

after(async () => {
  await server.stop();
  await fs.rm(scratch, { recursive: true, force: true });
});

describe('GitMirrorCache checkout', () => {
  it('writes the exact commit asked for, not the newer head, with modes and symlinks and no .git', async () => {
    const repo = await server.createRepo(unique('exact'));
    const c1 = await server.commit(repo, { Dockerfile: 'FROM scratch\nCOPY a.txt /\n', 'a.txt': 'one', 'bin/run.sh': { exec: '#!/bin/sh\necho hi\n' }, link: { symlink: 'a.txt' } });
    await server.commit(repo, { 'a.txt': 'two', 'b.txt': 'new' });
    const { cache } = newCache();
    const r = await checkout(cache, { url: server.httpUrl(repo), commit: c1 });
    assert.equal(r.commit, c1);
    assert.equal(r.fetched, 'clone');
    assert.equal(r.contextDir, r.dest);
    assert.deepEqual(await listFiles(r.dest), ['Dockerfile', 'a.txt', 'bin/run.sh', 'link']);
    assert.equal(await read(r.dest, 'a.txt'), 'one');
    assert.equal((await fs.stat(path.join(r.dest, 'bin/run.sh'))).mode & 0o111, 0o111);
    assert.equal(await fs.readlink(path.join(r.dest, 'link')), 'a.txt');
  });

  it('fetches only what is new, and nothing when the commit is already there', async () => {
    const repo = await server.createRepo(unique('incr'));
    const files = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`dir${i % 6}/file${i}.txt`, `content ${i}\n`.repeat(20)]));
    const c1 = await server.commit(repo, { ...files, Dockerfile: 'FROM scratch\n' });
    const { cache } = newCache();
    const first = await checkout(cache, { url: server.httpUrl(repo), ref: 'main' });
    assert.equal(first.fetched, 'clone');
    assert.equal(first.commit, c1);
    assert.equal(first.branch, 'main');
    assert.ok(first.objects >= 60, `clone brought ${first.objects} objects`);

    const c2 = await server.commit(repo, { 'dir3/file3.txt': 'changed\n' });
    const second = await checkout(cache, { url: server.httpUrl(repo), ref: 'main' });
    assert.equal(second.fetched, 'incremental');
    assert.equal(second.commit, c2);
    // Sent: the commit, the root tree, dir3's tree and one blob; index-pack completes the thin pack with the
    // (at most two) local trees its deltas are based on.
    assert.ok(second.objects > 0 && second.objects <= 6, `incremental fetch brought ${second.objects} objects`);
    assert.equal(await read(second.dest, 'dir3/file3.txt'), 'changed\n');
    assert.ok(second.lines.some((l) => /Receiving objects: 100% \(\d\/\d\)/.test(l)), second.lines.join('\n'));

    const requests = server.requests.length;
    const third = await checkout(cache, { url: server.httpUrl(repo), commit: c1 });
    assert.equal(third.fetched, 'cached');
    assert.equal(third.objects, 0);
    assert.equal(server.requests.length, requests, 'a cached commit needs no request at all');
    assert.equal(await read(third.dest, 'dir3/file3.txt'), files['dir3/file3.txt']);

    const fourth = await checkout(cache, { url: server.httpUrl(repo), ref: 'main' });
    assert.equal(fourth.fetched, 'cached');
    assert.equal(fourth.commit, c2);

    const mirror = cache.mirrorDir(server.httpUrl(repo));
    assert.equal((await git(['--git-dir', mirror, 'rev-parse', '--is-shallow-repository'])).trim(), 'true');
    assert.equal(cache.mirrorDir(server.httpUrl(repo).replace('.git', '').toUpperCase().replace('HTTP://', 'http://')), mirror);
  });

  it('resolves branches, annotated and light tags, pull refs and the default branch', async () => {
    const repo = await server.createRepo(unique('refs'));
    const c1 = await server.commit(repo, { 'f.txt': 'main-1' });
    const c2 = await server.commit(repo, { 'f.txt': 'feature' }, 'feature work', { branch: 'feature' });
    const c3 = await server.commit(repo, { 'f.txt': 'pr' }, 'pr work', { branch: 'pr-source' });
    await server.tag(repo, 'v1.0', c1, 'release 1.0');
    await server.tag(repo, 'light', c2);
    await server.setRef(repo, 'refs/pull/7/head', c3);
    const { cache } = newCache();
    const url = server.httpUrl(repo);
    const cases: [string | undefined, string, string | undefined, string][] = [
      [undefined, c1, 'main', 'main-1'],
      ['feature', c2, 'feature', 'feature'],
      ['refs/heads/feature', c2, 'feature', 'feature'],
      ['v1.0', c1, undefined, 'main-1'],
      ['refs/tags/v1.0', c1, undefined, 'main-1'],
      ['light', c2, undefined, 'feature'],
      ['refs/pull/7/head', c3, undefined, 'pr'],
      [c3, c3, undefined, 'pr'],
    ];
    for (const [ref, commit, branch, content] of cases) {
      const r = await checkout(cache, { url, ref });
      assert.equal(r.commit, commit, `ref ${ref}`);
      assert.equal(r.branch, branch, `ref ${ref}`);
      assert.equal(await read(r.dest, 'f.txt'), content, `ref ${ref}`);
    }
    const withBoth = await checkout(cache, { url, ref: 'refs/heads/feature', commit: c2 });
    assert.equal(withBoth.branch, 'feature');
    await rejectsWith(checkout(cache, { url, ref: 'nope' }), 'git_ref_not_found', /has no branch or tag nope/);
    await rejectsWith(checkout(cache, { url, ref: c1.slice(0, 7) }), 'git_ref_not_found', /full 40-character SHA/);
    await rejectsWith(checkout(cache, { url, ref: 'refs/pull/8/head' }), 'git_ref_not_found', /no ref refs\/pull\/8\/head/);
    await rejectsWith(checkout(cache, { url, commit: 'f'.repeat(40) }), 'git_commit_not_found');
    await rejectsWith(checkout(cache, { url, commit: 'abc' }), 'invalid_git_ref', /full 40-character SHA/);
    await rejectsWith(checkout(cache, { url: server.httpUrl(unique('missing')) }), 'git_repository_not_found');
  });

  it('gives the context directory only when it is a real directory at that commit', async () => {
    const repo = await server.createRepo(unique('subdir'));
    await server.commit(repo, { 'docker/Dockerfile': 'FROM scratch\n', 'docker/deep/x': 'x', escape: { symlink: '/etc' }, 'file.txt': 'f' });
    const { cache } = newCache();
    const url = server.httpUrl(repo);
    const r = await checkout(cache, { url, subdir: 'docker/deep' });
    assert.equal(r.contextDir, path.join(r.dest, 'docker/deep'));
    await rejectsWith(checkout(cache, { url, subdir: 'escape' }), 'invalid_git_subdir', /symbolic link/);
    await rejectsWith(checkout(cache, { url, subdir: 'file.txt' }), 'invalid_git_subdir', /not a directory/);
    await rejectsWith(checkout(cache, { url, subdir: 'nope' }), 'git_subdir_not_found');
    const dest = path.join(scratch, unique('ws'));
    await fs.mkdir(dest);
    await fs.writeFile(path.join(dest, 'left-over'), '');
    await assert.rejects(checkout(cache, { url, dest }), /not empty/);
  });
});

describe('GitMirrorCache with private repositories', () => {
  it('sends the token as a header, and it never reaches the output, the errors or the cache directory', async () => {
    const token = `slipway-test-token-${randomBytes(12).toString('hex')}`;
    const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
    const repo = await server.createRepo(unique('private'), { token });
    const c1 = await server.commit(repo, { 'secret.txt': 'private content' });
    const { cache, dir, masker } = newCache();
    const r = await checkout(cache, { url: server.httpUrl(repo), ref: 'main', token });
    assert.equal(r.commit, c1);
    assert.equal(await read(r.dest, 'secret.txt'), 'private content');
    assert.ok(masker.size >= 2, 'the token is registered with the masker');
    const mine = server.requests.filter((q) => q.repo === repo);
    assert.ok(mine.some((q) => q.authorization === `Basic ${basic}` && q.status === 200));
    assert.ok(mine.every((q) => !q.path.includes(token)));
    for (const line of r.lines) assert.ok(!line.includes(token) && !line.includes(basic), line);
    assert.deepEqual(await filesContaining(dir, [token, basic]), []);

    const c2 = await server.commit(repo, { 'secret.txt': 'v2' });
    const again = await checkout(cache, { url: server.httpUrl(repo), commit: c2, token });
    assert.equal(again.fetched, 'incremental');
    assert.deepEqual(await filesContaining(dir, [token, basic]), []);
  });

  it('never checks out what one token fetched for a request without it, or with another token', async () => {
    const token = `owner-${randomBytes(8).toString('hex')}`;
    const repo = await server.createRepo(unique('private'), { token });
    const sha = await server.commit(repo, { 'secret.txt': 'private content' });
    const { cache } = newCache();
    assert.equal((await checkout(cache, { url: server.httpUrl(repo), commit: sha, token })).fetched, 'clone');
    assert.equal((await checkout(cache, { url: server.httpUrl(repo), commit: sha, token })).fetched, 'cached');
    // The commit is in the worker's cache now; a task without the token must still be asked for one.
    await rejectsWith(checkout(cache, { url: server.httpUrl(repo), commit: sha }), 'git_unauthorized', /pass a token with --git-token/);
    await rejectsWith(checkout(cache, { url: server.httpUrl(repo), commit: sha, token: `other-${randomBytes(8).toString('hex')}` }), 'git_unauthorized', /token was refused/);
  });

  it('a wrong token and a missing token fail with errors that say which', async () => {
    const token = `right-${randomBytes(8).toString('hex')}`;
    const wrong = `wrong-${randomBytes(8).toString('hex')}`;
    const repo = await server.createRepo(unique('private'), { token });
    await server.commit(repo, { 'a.txt': 'a' });
    const { cache, dir } = newCache();
    const lines: string[] = [];
    const err = await rejectsWith(
      cache.checkout({ url: server.httpUrl(repo), token: wrong, dest: path.join(scratch, unique('ws')), onLine: (l) => lines.push(l) }),
      'git_unauthorized',
      /token was refused \(401\)/,
    );
    assert.equal((err as { status?: number }).status, 401);
    assert.ok(!err.message.includes(wrong) && !(err.stack ?? '').includes(wrong));
    assert.ok(lines.every((l) => !l.includes(wrong)));
    await rejectsWith(checkout(cache, { url: server.httpUrl(repo) }), 'git_unauthorized', /pass a token with --git-token/);
    assert.deepEqual(await filesContaining(dir, [wrong, Buffer.from(`x-access-token:${wrong}`).toString('base64')]), []);
  });
});

describe('GitMirrorCache limits', () => {
  it('kills git when the clone time is up, and leaves no process or mirror behind', async () => {
    const repo = await server.createRepo(unique('stall'));
    const sha = await server.commit(repo, { 'a.txt': 'a' });
    server.stall(repo);
    const { cache } = newCache({ cloneTimeoutMs: 1500 });
    const started = Date.now();
    await rejectsWith(checkout(cache, { url: server.httpUrl(repo), commit: sha }), 'git_timeout', /did not finish within 2 s/);
    assert.ok(Date.now() - started < 15_000, `git was not stopped at its time limit: took ${Date.now() - started} ms`);
    assert.deepEqual(await processesMentioning(`/${repo}.git`), []);
    await assert.rejects(fs.access(cache.mirrorDir(server.httpUrl(repo))));
  });

  it('stops when the job is cancelled', async () => {
    const repo = await server.createRepo(unique('cancel'));
    const sha = await server.commit(repo, { 'a.txt': 'a' });
    const stalled = server.stall(repo);
    const { cache } = newCache();
    const abort = new AbortController();
    // Cancelled while git waits on the server, running for real.
    let reached = false;
    let canceledAt = 0;
    void within('git asking the server', 15_000, stalled)
      .then(() => (reached = true), () => undefined)
      .then(() => ((canceledAt = Date.now()), abort.abort('canceled')));
    await rejectsWith(checkout(cache, { url: server.httpUrl(repo), commit: sha, signal: abort.signal }), 'git_aborted');
    assert.ok(reached, 'git never asked the server before the cancel');
    assert.ok(Date.now() - canceledAt < 15_000, 'git was not stopped by the cancel');
    assert.deepEqual(await processesMentioning(`/${repo}.git`), []);
  });

  it('deletes a mirror that grows past the size limit', async () => {
    const repo = await server.createRepo(unique('large'));
    await server.commit(repo, { 'blob.bin': randomBytes(300 * 1024) });
    const { cache } = newCache({ maxRepoBytes: 100 * 1024 });
    const err = await rejectsWith(checkout(cache, { url: server.httpUrl(repo) }), 'git_repository_too_large', /larger than/);
    assert.equal((err as { status?: number }).status, 413);
    await assert.rejects(fs.access(cache.mirrorDir(server.httpUrl(repo))));
  });

  it('rebuilds a mirror whose last fetch was interrupted', async () => {
    const repo = await server.createRepo(unique('interrupted'));
    await server.commit(repo, { 'a.txt': 'a' });
    const { cache } = newCache();
    await checkout(cache, { url: server.httpUrl(repo) });
    await fs.writeFile(path.join(cache.mirrorDir(server.httpUrl(repo)), 'slipway-fetch-in-progress'), '');
    const c2 = await server.commit(repo, { 'a.txt': 'b' });
    const r = await checkout(cache, { url: server.httpUrl(repo) });
    assert.equal(r.fetched, 'clone');
    assert.equal(r.commit, c2);
  });
});

describe('GitMirrorCache URL policy', () => {
  it('refuses loopback, plain http and file repositories unless allowed, before any request', async () => {
    const repo = await server.createRepo(unique('policy'));
    await server.commit(repo, { 'a.txt': 'a' });
    const requests = server.requests.length;
    const strict = newCache({ policy: { allowInsecure: false, allowPrivateHosts: false, allowFile: false } }).cache;
    await rejectsWith(checkout(strict, { url: server.httpUrl(repo) }), 'git_url_not_allowed', /not encrypted/);
    const insecureOnly = newCache({ policy: { allowInsecure: true, allowPrivateHosts: false, allowFile: false } }).cache;
    await rejectsWith(checkout(insecureOnly, { url: server.httpUrl(repo) }), 'git_url_not_allowed', /127\.0\.0\.1 is a loopback address/);
    await rejectsWith(checkout(insecureOnly, { url: server.httpUrl(repo).replace('127.0.0.1', '0x7f.1') }), 'git_url_not_allowed', /loopback/);
    await rejectsWith(checkout(insecureOnly, { url: `file://${server.repoDir(repo)}` }), 'git_url_not_allowed', /file:\/\//);
    await rejectsWith(checkout(insecureOnly, { url: `https://u:p@github.com/o/r.git` }), 'invalid_git_url', /--git-token/);
    assert.equal(server.requests.length, requests);

    const files = newCache({ policy: { allowInsecure: false, allowPrivateHosts: false, allowFile: true } }).cache;
    const r = await checkout(files, { url: `file://${server.repoDir(repo)}` });
    assert.equal(await read(r.dest, 'a.txt'), 'a');
  });

  it('refuses a host name that resolves to a loopback address', async (t) => {
    const name = os.hostname();
    const addresses = await dns.lookup(name, { all: true }).catch(() => []);
    if (addresses.length === 0 || addresses.every((a) => classifyHost(a.address) === 'public')) return t.skip(`${name} does not resolve to a private address here`);
    const { cache } = newCache({ policy: { allowInsecure: false, allowPrivateHosts: false, allowFile: false } });
    await rejectsWith(checkout(cache, { url: `https://${name}/o/r.git` }), 'git_url_not_allowed', /resolves to/);
  });
});

describe('GitMirrorCache submodules', () => {
  it('checks out nested submodules at their pinned commits, through the cache, without .git', async () => {
    const token = `tok-${randomBytes(8).toString('hex')}`;
    const deep = await server.createRepo(unique('deep'));
    const d1 = await server.commit(deep, { 'd.txt': 'deep 1' });
    await server.commit(deep, { 'd.txt': 'deep 2 (not pinned)' });
    const lib = await server.createRepo(unique('lib'), { token });
    await server.commit(lib, { 'lib.txt': 'lib' });
    const l1 = await server.submodule(lib, 'deep', `../${deep}.git`, d1);
    const app = await server.createRepo(unique('app'), { token });
    await server.commit(app, { Dockerfile: 'FROM scratch\n' });
    const a1 = await server.submodule(app, 'vendor/lib', `../${lib}.git`, l1);

    const { cache } = newCache();
    const without = await checkout(cache, { url: server.httpUrl(app), token });
    assert.deepEqual(await listFiles(without.dest), ['.gitmodules', 'Dockerfile']);
    assert.deepEqual(await fs.readdir(path.join(without.dest, 'vendor/lib')), []);

    const r = await checkout(cache, { url: server.httpUrl(app), token, submodules: true });
    assert.equal(r.commit, a1);
    assert.deepEqual(await listFiles(r.dest), ['.gitmodules', 'Dockerfile', 'vendor/lib/.gitmodules', 'vendor/lib/deep/d.txt', 'vendor/lib/lib.txt']);
    assert.equal(await read(r.dest, 'vendor/lib/deep/d.txt'), 'deep 1');
    assert.deepEqual(
      r.submodules.map((s) => [s.path, s.commit]),
      [
        ['vendor/lib', l1],
        ['vendor/lib/deep', d1],
      ],
    );
    assert.ok(r.lines.some((l) => l.startsWith("Submodule 'vendor/lib'")));

    const again = await checkout(cache, { url: server.httpUrl(app), token, submodules: true, commit: a1 });
    assert.deepEqual(
      again.submodules.map((s) => s.fetched),
      ['cached', 'cached'],
    );
  });

  it('holds submodule URLs to the same policy', async () => {
    const app = await server.createRepo(unique('badsub'));
    await server.commit(app, { 'a.txt': 'a' });
    await server.submodule(app, 'evil', `file://${server.repoDir(app)}`, 'a'.repeat(40));
    const { cache } = newCache();
    await rejectsWith(checkout(cache, { url: server.httpUrl(app), submodules: true }), 'git_url_not_allowed', /^submodule evil: .*file:\/\//);
  });
});

describe('GitMirrorCache concurrency', () => {
  it('jobs of one repository in one process and in two (two caches on one directory) do not corrupt the mirror', async () => {
    const repo = await server.createRepo(unique('concurrent'));
    const commits: string[] = [];
    for (let i = 0; i < 4; i++) commits.push(await server.commit(repo, { 'n.txt': String(i), [`f${i}.txt`]: `file ${i}` }));
    const dir = path.join(scratch, unique('cache'));
    const a = newCache({ dir }).cache;
    const b = newCache({ dir }).cache;
    const jobs = commits.flatMap((c, i) => [checkout(a, { url: server.httpUrl(repo), commit: c }).then((r) => ({ r, i })), checkout(b, { url: server.httpUrl(repo), commit: c }).then((r) => ({ r, i }))]);
    const results = await Promise.all(jobs);
    for (const { r, i } of results) {
      assert.equal(r.commit, commits[i]);
      assert.equal(await read(r.dest, 'n.txt'), String(i));
    }
    assert.equal(results.filter(({ r }) => r.fetched === 'clone').length, 1);
    const fsck = await git(['--git-dir', a.mirrorDir(server.httpUrl(repo)), 'fsck', '--connectivity-only']);
    assert.equal(typeof fsck, 'string');
    const leftovers = (await fs.readdir(path.join(dir, 'mirrors'))).filter((n) => n.endsWith('.lock'));
    assert.deepEqual(leftovers, []);
  });
});
