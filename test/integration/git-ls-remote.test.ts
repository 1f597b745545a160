// The API's ls-remote (src/tasks/git-tools.ts) against a real git server on loopback: it runs git as
// hardened as the worker's checkouts. A token reaches the server but never git's argv (where `ps` shows
// it), a host that resolves to a private address is refused with the worker's own error before git starts,
// and a redirect to another host is not followed. A `git` wrapper first on PATH records every argv.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SecretMasker } from '../../src/log.js';
import { gitTools } from '../../src/tasks/git-tools.js';
import { GitMirrorCache } from '../../workers/source/git-mirror.js';
import { GitServer } from '../support/git-server.js';

const TOKEN = 'ghs_lsRemoteToken0123456789';
const loopback = { allowInsecure: true, allowPrivateHosts: true, allowFile: false };
const publicOnly = { allowInsecure: true, allowPrivateHosts: false, allowFile: false };

let server: GitServer;
let other: GitServer;
let scratch: string;
let wrapperDir: string;
let argvLog: string;

/** Every argv the wrapper saw, one line per git started. */
async function argvs(): Promise<string[]> {
  return (await fs.readFile(argvLog, 'utf8').catch(() => '')).split('\n').filter(Boolean);
}

before(async () => {
  server = await GitServer.start({ daemon: false });
  other = await GitServer.start({ daemon: false });
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-ls-remote-'));
  wrapperDir = path.join(scratch, 'bin');
  argvLog = path.join(scratch, 'argv.log');
  await fs.mkdir(wrapperDir);
  const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
  // The environment git gets is scrubbed, so the wrapper names its log itself.
  await fs.writeFile(path.join(wrapperDir, 'git'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${argvLog}'\nexec '${realGit}' "$@"\n`, { mode: 0o755 });
});

after(async () => {
  await server?.stop();
  await other?.stop();
  await fs.rm(scratch, { recursive: true, force: true });
});

const searchPath = () => `${wrapperDir}:${process.env.PATH ?? '/usr/bin:/bin'}`;

describe("the API's ls-remote", () => {
  it('sends the token to the server as a header, never on a command line', async () => {
    const repo = await server.createRepo(`private-${Date.now()}`, { token: TOKEN });
    const sha = await server.commit(repo, { 'a.txt': 'a' });
    await fs.rm(argvLog, { force: true });
    const tools = gitTools(loopback, searchPath());

    assert.deepEqual(await tools.resolveCommit(server.httpUrl(repo), 'main', TOKEN), { commit: sha, ref: 'refs/heads/main' });
    const basic = Buffer.from(`x-access-token:${TOKEN}`).toString('base64');
    assert.ok(server.requests.some((r) => r.repo === repo && r.authorization === `Basic ${basic}`), 'the server saw the token');
    const seen = await argvs();
    assert.ok(seen.some((a) => a.includes('ls-remote')), 'the wrapper saw git start');
    for (const argv of seen) {
      assert.ok(!argv.includes(TOKEN) && !argv.includes(basic) && !/extraheader/i.test(argv), `argv carries no credential: ${argv}`);
    }

    const refused = await tools.resolveCommit(server.httpUrl(repo), 'main', 'ghs_wrongToken987654321').then(
      () => assert.fail('a wrong token was accepted'),
      (err: { status: number; code: string; message: string }) => err,
    );
    assert.equal(refused.code, 'git_unauthorized');
    assert.equal(refused.status, 422);
    assert.doesNotMatch(refused.message, /wrongToken/);
  });

  it('refuses a host that resolves to a private address before git starts, as the worker does', async () => {
    await fs.rm(argvLog, { force: true });
    const lookup = async () => ['10.20.30.40'];
    const url = 'http://git.internal.example/team/app.git';
    const api = await gitTools(publicOnly, searchPath(), { lookup })
      .resolveCommit(url, 'main', TOKEN)
      .then(
        () => assert.fail('a private address was accepted'),
        (err: { code: string; message: string }) => err,
      );
    const worker = await new GitMirrorCache({ dir: path.join(scratch, 'cache'), masker: new SecretMasker(), limits: { cloneTimeoutMs: 10_000, maxRepoBytes: 1024 ** 2 }, policy: publicOnly, lookup })
      .checkout({ url, ref: 'main', dest: path.join(scratch, 'dest') })
      .then(
        () => assert.fail('the worker accepted a private address'),
        (err: { code: string; message: string }) => err,
      );
    assert.equal(api.code, 'git_url_not_allowed');
    assert.match(api.message, /resolves to 10\.20\.30\.40, a private-network address/);
    assert.deepEqual([api.code, api.message], [worker.code, worker.message]);
    assert.deepEqual(await argvs(), [], 'git was never started');
  });

  it('does not follow a redirect to another host', async () => {
    const target = await other.createRepo('app');
    await other.commit(target, { 'a.txt': 'a' });
    const moved = await server.createRepo(`moved-${Date.now()}`);
    server.redirect(moved, other.httpUrl(target).replace('127.0.0.1', 'localhost'));

    const err = await gitTools(loopback, searchPath())
      .resolveCommit(server.httpUrl(moved), 'main', TOKEN)
      .then(
        () => assert.fail('the redirect was followed'),
        (e: { code: string; message: string }) => e,
      );
    assert.equal(err.code, 'git_redirect');
    assert.match(err.message, /redirect/);
    assert.ok(server.requests.some((r) => r.repo === moved && r.status === 301), 'the server answered with the redirect');
    assert.deepEqual(other.requests, [], 'nothing reached the other host');
  });
});
