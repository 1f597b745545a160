// BuildKit secrets end to end: `slipway build --secret` (a file and a variable) reaches RUN --mount=type=secret,
// which writes the value's sha256 into the image; the pushed image, read through the registry's HTTP API
// (config blob, history, every layer), holds neither value, and neither does the run record, the log, or
// anything the stack keeps in Redis (the queued job's secrets are sealed).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import tar from 'tar-stream';
import { getRun, runLog, submit, waitForRun } from '../support/api.js';
import { contextArchive } from '../support/archives.js';
import { folderWith, runSlipway } from '../support/cli.js';
import { redisDump } from '../support/redis-dump.js';
import { BASE_IMAGE, REGISTRY, ROOT, startTestStack, uniqueName, type TestStack } from '../support/stack.js';

const exec = promisify(execFile);
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const MANIFEST_TYPES = 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json';

/** The forms a value could be stored in: itself, each line of it, its base64. */
function forms(value: string): string[] {
  return [value, ...value.split('\n').filter((l) => l.length >= 8), Buffer.from(value).toString('base64')];
}

function assertAbsent(where: string, text: string, values: string[]): void {
  for (const value of values) for (const form of forms(value)) assert.ok(!text.includes(form), `${where} contains a secret value (${JSON.stringify(form.slice(0, 12))}…)`);
}

/** Each file of a gzipped layer tar, by path. */
async function layerFiles(blob: Buffer): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const extract = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c) => chunks.push(c as Buffer));
      stream.on('end', () => {
        files.set(header.name.replace(/^\.?\//, ''), Buffer.concat(chunks));
        next();
      });
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  extract.end(gunzipSync(blob));
  await done;
  return files;
}

async function registryJson(url: string, accept = 'application/json'): Promise<{ text: string; json: any }> {
  const res = await fetch(url, { headers: { accept } });
  assert.equal(res.status, 200, `${url}: ${res.status}`);
  const text = await res.text();
  return { text, json: JSON.parse(text) };
}

describe('build secrets (--secret) on the real stack', () => {
  let stack: TestStack;
  let dir: string;
  let workerStarted = false;
  /** The first test queues its job before a worker runs; the others need one however that test ended. */
  const worker = async () => {
    if (!workerStarted) await stack.startWorker();
    workerStarted = true;
  };
  before(async () => {
    // No worker at first: the queued job is read from Redis before anyone opens it.
    stack = await startTestStack({ worker: false });
  });
  after(async () => {
    await stack?.close();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('RUN reads both secrets; the image, the record, the log and Redis never hold them', async () => {
    const fileSecret = `//registry.example/:_authToken=npm-${uniqueName('f')}\nalways-auth=true\n`;
    const envSecret = `tok-${uniqueName('e')}-${uniqueName('e')}`;
    const argSecret = `arg-${uniqueName('a')}`;
    const secrets = [fileSecret, envSecret, argSecret];
    const repo = `slipway-test/${uniqueName('secrets')}`;
    // The repository in the RUN line: BuildKit's cache key leaves secrets out, so a RUN cached by an earlier
    // test run would not read them again.
    dir = await folderWith({
      Dockerfile: `FROM ${BASE_IMAGE}
RUN --mount=type=secret,id=npmrc --mount=type=secret,id=tok sha256sum /run/secrets/npmrc | cut -c1-64 > /npmrc.sha && sha256sum /run/secrets/tok | cut -c1-64 > /tok.sha && echo "token: $(cat /run/secrets/tok)" && echo ${repo}
`,
    });
    await fs.writeFile(path.join(dir, '.npmrc'), fileSecret);
    await fs.writeFile(path.join(dir, '.dockerignore'), '.npmrc\n');

    const cli = await runSlipway(
      ['build', '--no-wait', '-t', `${repo}:v1`, '--secret', `id=npmrc,src=${path.join(dir, '.npmrc')}`, '--secret', 'id=tok,env=SLIPWAY_TEST_TOKEN', '--secret-build-arg', `SBA=${argSecret}`, dir],
      { cwd: ROOT, env: { ...stack.env, SLIPWAY_SERVER: stack.url, SLIPWAY_TEST_TOKEN: envSecret, SLIPWAY_CACHE_DIR: path.join(stack.dataDir, 'cli-cache') } },
    );
    assert.equal(cli.code, 0, cli.stderr);
    const runId = cli.stdout.match(/^Run ID: (r[0-9a-z]+)$/m)?.[1];
    assert.ok(runId, cli.stdout);

    // Queued: the job is in Redis with its secrets sealed.
    const redisUrl = stack.env.SLIPWAY_REDIS_URL ?? 'redis://127.0.0.1:6379';
    const queued = await redisDump(redisUrl, stack.prefix);
    assert.ok(queued.includes(`${stack.prefix}:build-linux-amd64:${runId}`), `the job is queued:\n${queued.slice(0, 2000)}`);
    assert.match(queued, /sealed/);
    assertAbsent('Redis, with the job queued', queued, secrets);

    await worker();
    const run = await waitForRun(stack.url, runId);
    const log = await runLog(stack.url, runId);
    assert.equal(run.status, 'succeeded', `${run.error}\n${log}`);
    assert.match(log, /token: \*\*\*/, 'the RUN saw the secret, and the log masks it');
    assert.match(log, /secret build args \(SBA\) are build args: a RUN that uses one records its value in the image history/);
    assertAbsent('the log', log, secrets);
    const record = await getRun(stack.url, runId);
    assertAbsent('the run record', JSON.stringify(record), secrets);
    assert.deepEqual((record.request as { buildSecretIds?: string[] }).buildSecretIds, ['npmrc', 'tok']);

    // The pushed image, as the registry serves it.
    const digest = run.outputImages[0]?.digest;
    assert.ok(digest, JSON.stringify(run.outputImages));
    const manifest = await registryJson(`http://${REGISTRY}/v2/${repo}/manifests/${digest}`, MANIFEST_TYPES);
    assertAbsent('the manifest', manifest.text, secrets);
    const config = await registryJson(`http://${REGISTRY}/v2/${repo}/blobs/${manifest.json.config.digest}`);
    assertAbsent('the config blob', config.text, secrets);
    const history: { created_by?: string }[] = config.json.history ?? [];
    assert.ok(history.some((h) => h.created_by?.includes('sha256sum /run/secrets/npmrc')), 'the RUN is in the history');
    for (const h of history) assertAbsent(`history entry ${h.created_by}`, JSON.stringify(h), secrets);
    const hashes = new Map<string, string>();
    for (const layer of manifest.json.layers as { digest: string }[]) {
      const blob = Buffer.from(await (await fetch(`http://${REGISTRY}/v2/${repo}/blobs/${layer.digest}`)).arrayBuffer());
      const files = await layerFiles(blob);
      for (const [name, content] of files) {
        assertAbsent(`layer ${layer.digest} file ${name}`, content.toString('latin1'), secrets);
        if (name === 'npmrc.sha' || name === 'tok.sha') hashes.set(name, content.toString('utf8').trim());
      }
    }
    assert.deepEqual(Object.fromEntries(hashes), { 'npmrc.sha': sha256(fileSecret), 'tok.sha': sha256(envSecret) }, 'the RUN read exactly the values given');

    assertAbsent('Redis, after the run', await redisDump(redisUrl, stack.prefix), secrets);
  });

  it("serves a task file's secret to a build step that asks with --secret id=…, not as a build arg", async () => {
    await worker();
    const secret = `tf-${uniqueName('s')}`;
    const repo = `slipway-test/${uniqueName('tf-secret')}`;
    const taskFile = `version: v1.1.0
secrets:
  - id: token
steps:
  - build: -t $Registry/${repo}:$ID --secret id=token .
  - push: [$Registry/${repo}:$ID]
`;
    const dockerfile = `FROM ${BASE_IMAGE}\nRUN --mount=type=secret,id=token echo "${repo} saw $(cat /run/secrets/token)" && sha256sum /run/secrets/token | cut -c1-64 > /token.sha\n`;
    const res = await submit(stack.url, await contextArchive(dockerfile, { 'acb.yaml': taskFile }), { taskFile: 'acb.yaml', secretValues: { token: secret } });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const run = await waitForRun(stack.url, res.body.id);
    const log = await runLog(stack.url, run.id);
    assert.equal(run.status, 'succeeded', `${run.error}\n${log}`);
    assert.ok(log.includes(`${repo} saw ***`), log);
    assertAbsent('the log', log, [secret]);
    // A run leaves no tag on the Engine: what it pushed is read back from the registry.
    await exec('docker', ['pull', '-q', `${REGISTRY}/${repo}:${run.id}`]);
    const history = await exec('docker', ['history', '--no-trunc', `${REGISTRY}/${repo}:${run.id}`]);
    assertAbsent('the image history', history.stdout, [secret]);
    const { stdout } = await exec('docker', ['run', '--rm', `${REGISTRY}/${repo}:${run.id}`, 'cat', '/token.sha']);
    assert.equal(stdout.trim(), sha256(secret));
  });

  it('fails a build whose RUN asks for a secret it was not given, naming the id', async () => {
    await worker();
    const ctx = await folderWith({ Dockerfile: `FROM ${BASE_IMAGE}\nRUN --mount=type=secret,id=absent,required=true cat /run/secrets/absent\n` });
    try {
      const res = await runSlipway(['build', '--no-push', '--secret', 'id=other,env=SLIPWAY_TEST_TOKEN', ctx], {
        cwd: ROOT,
        env: { ...stack.env, SLIPWAY_SERVER: stack.url, SLIPWAY_TEST_TOKEN: 'other-value-123', SLIPWAY_CACHE_DIR: path.join(stack.dataDir, 'cli-cache') },
      });
      assert.equal(res.code, 1, res.stderr);
      assert.match(`${res.stdout}${res.stderr}`, /secret absent/);
    } finally {
      await fs.rm(ctx, { recursive: true, force: true });
    }
  });
});
