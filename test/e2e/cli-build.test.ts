// The CLI as a user runs it, against a real API, worker, Docker Engine and registry.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { getRun, registryDigest, registryImageConfig, waitForRun } from '../support/api.js';
import { BASE_IMAGE, REGISTRY, ROOT, startTestStack, uniqueName, type TestStack } from '../support/stack.js';
import { folderWith, runSlipway, type CliResult } from '../support/cli.js';

const exec = promisify(execFile);

describe('slipway CLI against a real stack', () => {
  let stack: TestStack;
  let dirs: string[] = [];
  /** The CLI's context cache, apart from the user's own. */
  let cacheDir: string;
  before(async () => {
    stack = await startTestStack();
    cacheDir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-cli-cache-'));
    dirs.push(cacheDir);
  });
  after(async () => {
    await stack?.close();
    await Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true })));
  });

  const cli = (...args: string[]): Promise<CliResult> => runSlipway(args, { cwd: ROOT, env: { ...stack.env, SLIPWAY_SERVER: stack.url, SLIPWAY_CACHE_DIR: cacheDir } });

  async function contextDir(files: Record<string, string>): Promise<string> {
    const dir = await folderWith(files, 'slipway-ctx-');
    dirs.push(dir);
    return dir;
  }

  it('builds a folder, streams the log on stderr, and prints only the digest the registry serves on stdout', async () => {
    const repo = `slipway-test/${uniqueName('cli')}`;
    const dir = await contextDir({ Dockerfile: `FROM ${BASE_IMAGE}\nCOPY msg.txt /msg.txt\nRUN cat /msg.txt\n`, 'msg.txt': `hello ${repo}\n` });
    const res = await cli('build', '-t', `${repo}:v1`, dir);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, /^Run ID: r[0-9a-z]{7}$/m);
    assert.ok(res.stderr.includes(`hello ${repo}`), 'the RUN output is streamed');
    const printed = res.stdout.match(new RegExp(`^${REGISTRY}/${repo}:v1@(sha256:[a-f0-9]{64})\n$`));
    assert.ok(printed, res.stdout);
    assert.equal(await registryDigest(REGISTRY, repo, 'v1'), printed[1]);

    // What a script does: digest=$(slipway build -q -t app:1 .)
    const quiet = await cli('build', '-q', '-t', `${repo}:v2`, dir);
    assert.deepEqual([quiet.code, quiet.stderr], [0, '']);
    assert.equal(quiet.stdout, `${REGISTRY}/${repo}:v2@${await registryDigest(REGISTRY, repo, 'v2')}\n`);
  });

  it('--no-cache --pull --progress plain --metadata-file --iidfile: every step runs again, and the files say what was pushed as buildx writes them', async () => {
    const repo = `slipway-test/${uniqueName('nocache')}`;
    const marker = uniqueName('ran');
    const dir = await contextDir({ Dockerfile: `FROM ${BASE_IMAGE}\nRUN echo ${marker}\n` });
    const first = await cli('build', '-t', `${repo}:v1`, dir);
    assert.equal(first.code, 0, first.stderr);
    const cached = await cli('build', '-t', `${repo}:v1`, dir);
    assert.doesNotMatch(cached.stderr, new RegExp(`^#\\d+ [\\d.]+ ${marker}$`, 'm'), 'a cached RUN prints nothing');
    const meta = path.join(await contextDir({}), 'm.json');
    const iid = path.join(path.dirname(meta), 'iid');
    const res = await cli('build', '--no-cache', '--pull', '--progress', 'plain', '--metadata-file', meta, '--iidfile', iid, '-t', `${repo}:v2`, dir);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, new RegExp(`^#\\d+ [\\d.]+ ${marker}$`, 'm'), 'the RUN step ran again');
    const digest = await registryDigest(REGISTRY, repo, 'v2');
    const metadata = JSON.parse(await fs.readFile(meta, 'utf8'));
    assert.equal(metadata['containerimage.digest'], digest);
    assert.equal(metadata['image.name'], `${REGISTRY}/${repo}:v2`);
    assert.equal(await fs.readFile(iid, 'utf8'), digest);
    const id = metadata['slipway.run.id'] as string;
    const { noCache, pull } = (await getRun(stack.url, id)).request as { noCache?: boolean; pull?: boolean };
    assert.deepEqual([noCache, pull], [true, true], 'the run record keeps the options');
  });

  it('puts --label on the image config the registry serves, and keeps it in the run record', async () => {
    const repo = `slipway-test/${uniqueName('label')}`;
    const dir = await contextDir({ Dockerfile: `FROM ${BASE_IMAGE}\nLABEL from.dockerfile=yes\n` });
    const res = await cli('build', '-t', `${repo}:v1`, '--label', 'org.example.team=a', '--label', 'org.example.empty', dir);
    assert.equal(res.code, 0, res.stderr);
    const labels = (await registryImageConfig(REGISTRY, repo, 'v1')).config?.Labels ?? {};
    assert.equal(labels['org.example.team'], 'a');
    assert.equal(labels['org.example.empty'], '');
    assert.equal(labels['from.dockerfile'], 'yes', "the Dockerfile's own labels stay");
    const id = (res.stdout + res.stderr).match(/Run ID: (r[0-9a-z]{7})/)![1]!;
    assert.deepEqual(((await getRun(stack.url, id)).request as { labels?: unknown }).labels, { 'org.example.team': 'a', 'org.example.empty': '' });
  });

  it('builds an unchanged folder again without packing or uploading it, and a folder edited in place anew', async () => {
    const repo = `slipway-test/${uniqueName('cache')}`;
    const dir = await contextDir({ Dockerfile: `FROM ${BASE_IMAGE}\nCOPY msg.txt /msg.txt\nRUN cat /msg.txt\n`, 'msg.txt': `first ${repo}\n` });
    // Files written this instant are "racily clean": no cache entry would vouch for them (context-cache.ts).
    await new Promise((r) => setTimeout(r, 300));
    const first = await cli('build', '-t', `${repo}:v1`, dir);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /^Uploaded /m);
    const firstDigest = first.stdout.match(/@(sha256:[a-f0-9]{64})$/m)?.[1];

    const second = await cli('build', '-t', `${repo}:v2`, dir);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /unchanged since the last build/);
    assert.doesNotMatch(second.stderr, /^Upload/m, 'nothing is uploaded');
    const contextOf = async (res: CliResult) => ((await getRun(stack.url, res.stderr.match(/Run ID: (r[0-9a-z]{7})/)![1]!)).request as { context: string }).context;
    assert.equal(await contextOf(second), await contextOf(first));
    assert.equal(second.stdout.match(/@(sha256:[a-f0-9]{64})$/m)?.[1], firstDigest, 'the same image');

    // One byte changed in place, same size, mtime put back to the nanosecond: only ctime shows it.
    const file = path.join(dir, 'msg.txt');
    const before = await fs.stat(file, { bigint: true });
    await fs.writeFile(file, `FIRST ${repo}\n`);
    const s = before.mtimeNs / 1_000_000_000n;
    const ns = String(before.mtimeNs % 1_000_000_000n).padStart(9, '0');
    await exec('touch', ['-m', '-d', `@${s}.${ns}`, file]);
    const after = await fs.stat(file, { bigint: true });
    assert.deepEqual([after.size, after.mtimeNs], [before.size, before.mtimeNs]);
    const third = await cli('build', '-t', `${repo}:v3`, dir);
    assert.equal(third.code, 0, third.stderr);
    assert.match(third.stderr, /^Uploaded /m);
    assert.ok(third.stderr.includes(`FIRST ${repo}`), 'the edited content is built');
    assert.notEqual(await contextOf(third), await contextOf(first));
  });

  it('builds the bundled example', async () => {
    const repo = `slipway-test/${uniqueName('hello')}`;
    const res = await cli('build', '-t', `${repo}:v1`, '--build-arg', 'GREETING=Ahoy', path.join(ROOT, 'examples/hello'));
    assert.equal(res.code, 0, res.stderr + res.stdout);
    assert.ok(await registryDigest(REGISTRY, repo, 'v1'));
  });

  it('exits non-zero with a one-line reason when a RUN step fails, showing the failing output', async () => {
    const dir = await contextDir({ Dockerfile: `FROM ${BASE_IMAGE}\nRUN echo this-step-breaks && exit 42\n` });
    const res = await cli('build', '-t', `slipway-test/${uniqueName('clifail')}:v1`, dir);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /this-step-breaks/);
    assert.match(res.stderr, /^slipway: run r[0-9a-z]{7} failed: .*exit code: 42/m);
  });

  it('honours .dockerignore and never sends .git', async () => {
    const dir = await contextDir({
      Dockerfile: `FROM ${BASE_IMAGE}\nCOPY . /ctx\nRUN find /ctx | sort\n`,
      '.dockerignore': 'secret.env\nbuild\n!build/keep.me\n',
      'kept.txt': 'k',
      'secret.env': 'PASSWORD=x',
      'build/junk.o': 'j',
      'build/keep.me': 'yes',
      '.git/HEAD': 'ref: refs/heads/main\n',
      nonce: uniqueName('nonce'),
    });
    const res = await cli('build', '--no-push', dir);
    assert.equal(res.code, 0, res.stderr);
    // The listing printed by `find`, one `#N 0.123 /ctx/…` line per path in the image.
    const listed = [...res.stderr.matchAll(/^#\d+ [\d.]+ (\/ctx\S*)$/gm)].map((m) => m[1]!);
    assert.ok(listed.includes('/ctx/kept.txt'), res.stderr);
    assert.ok(listed.includes('/ctx/build/keep.me'), 'an exception inside an ignored directory is sent');
    assert.ok(!listed.includes('/ctx/secret.env'));
    assert.ok(!listed.includes('/ctx/build/junk.o'));
    assert.ok(!listed.some((p) => p.startsWith('/ctx/.git')), '.git is never sent');
  });

  it('submits without waiting, then shows, follows and lists the run', async () => {
    const dir = await contextDir({ Dockerfile: `FROM ${BASE_IMAGE}\nRUN echo detached-${uniqueName('d')}\n` });
    const res = await cli('build', '--no-push', '--no-wait', dir);
    assert.equal(res.code, 0, res.stderr);
    const id = res.stdout.match(/Run ID: (r[0-9a-z]{7})/)?.[1];
    assert.ok(id);
    const logs = await cli('runs', 'logs', id, '--follow');
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /detached-t-d-/);
    assert.equal((await getRun(stack.url, id)).status, 'succeeded');
    const show = await cli('runs', 'show', id, '--json');
    assert.equal(JSON.parse(show.stdout).status, 'succeeded');
    const list = await cli('runs', 'list', '--top', '50');
    assert.match(list.stdout, new RegExp(id));
  });

  it('cancels a run from the CLI', async () => {
    const dir = await contextDir({ Dockerfile: `FROM ${BASE_IMAGE}\nRUN sleep ${300 + Math.floor(Math.random() * 600)}\n` });
    const res = await cli('build', '--no-push', '--no-wait', dir);
    const id = res.stdout.match(/Run ID: (r[0-9a-z]{7})/)?.[1];
    assert.ok(id);
    const cancel = await cli('runs', 'cancel', id);
    assert.equal(cancel.code, 0, cancel.stderr);
    assert.equal((await waitForRun(stack.url, id, undefined, 20_000)).status, 'canceled');
  });

  it('builds with --secret id=tok,env=TOK: the RUN reads it, the output masks it, the image never holds it', async () => {
    const repo = `slipway-test/${uniqueName('secret')}`;
    const secret = `tok-${uniqueName('v')}`;
    const dir = await contextDir({ Dockerfile: `FROM ${BASE_IMAGE}\nRUN --mount=type=secret,id=tok echo "${repo} saw $(cat /run/secrets/tok)" && sha256sum /run/secrets/tok | cut -c1-64 > /tok.sha\n` });
    const res = await runSlipway(['build', '-t', `${repo}:v1`, '--secret', 'id=tok,env=TOK', dir], { cwd: ROOT, env: { ...stack.env, SLIPWAY_SERVER: stack.url, SLIPWAY_CACHE_DIR: cacheDir, TOK: secret } });
    assert.equal(res.code, 0, res.stderr);
    assert.ok(res.stderr.includes(`${repo} saw ***`), res.stderr);
    assert.ok(!`${res.stdout}${res.stderr}`.includes(secret), 'the CLI printed the secret');
    const { stdout } = await exec('docker', ['run', '--rm', `${REGISTRY}/${repo}:v1`, 'cat', '/tok.sha']);
    assert.equal(stdout.trim(), createHash('sha256').update(secret).digest('hex'));
    const history = await exec('docker', ['history', '--no-trunc', `${REGISTRY}/${repo}:v1`]);
    assert.ok(!history.stdout.includes(secret), 'the image history holds the secret');
  });

  it('gives a clear error for an invalid image reference and a missing Dockerfile', async () => {
    const dir = await contextDir({ 'README.md': 'no Dockerfile here' });
    const missing = await cli('build', '-t', 'app:v1', dir);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /Dockerfile/);
    const bad = await cli('build', '-t', 'Not A Name', dir);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--tag|Not A Name/);
  });
});
