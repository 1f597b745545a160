// windows/amd64 in runs: assembled without a daemon when the Dockerfile has no RUN, alone or beside the
// linux platforms in one index; a Dockerfile with RUN waits for a Windows worker, says so, and fails after
// the queue time limit.
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import tar from 'tar-stream';
import { registryDigest, submit, waitForRun } from '../support/api.js';
import { contextArchive } from '../support/archives.js';
import { pushThreePlatformBase, WINDOWS_OS_VERSION } from '../support/bases.js';
import { REGISTRY, startTestStack, uniqueName, type TestStack } from '../support/stack.js';

const ACCEPT = 'application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json';

async function getJson(path: string): Promise<any> {
  return (await fetch(`http://${REGISTRY}/v2/${path}`, { headers: { accept: ACCEPT } })).json();
}

async function tarNames(blob: Buffer): Promise<string[]> {
  const extract = tar.extract();
  Readable.from([gunzipSync(blob)]).pipe(extract);
  const names: string[] = [];
  for await (const entry of extract) {
    names.push(entry.header.name);
    entry.resume();
  }
  return names;
}

describe('windows/amd64 runs', () => {
  let stack: TestStack;
  let base: string;
  before(async () => {
    stack = await startTestStack({ platforms: 'linux/amd64,linux/arm64', env: { SLIPWAY_QUEUE_TIMEOUT_SECONDS: '4' } });
    base = await pushThreePlatformBase(`slipway-test/${uniqueName('tribase')}`);
  });
  after(async () => {
    await stack?.close();
  });

  it('builds linux/amd64, linux/arm64 and windows/amd64 into one index, windows without a daemon', async () => {
    const repo = `slipway-test/${uniqueName('tri')}`;
    const archive = await contextArchive(`FROM ${base}\nCOPY hello.txt /hello.txt\nCMD ["cat", "/hello.txt"]\n`, { 'hello.txt': `hello ${repo}` });
    const res = await submit(stack.url, archive, { images: [`${repo}:v1`], platform: 'linux/amd64,linux/arm64,windows/amd64' });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.waiting, undefined, 'every platform is served: daemonless Windows by any worker');
    const run = await waitForRun(stack.url, res.body.id, undefined, 300_000);
    assert.equal(run.status, 'succeeded', run.error);

    const index = await getJson(`${repo}/manifests/v1`);
    assert.equal(await registryDigest(REGISTRY, repo, 'v1'), run.indexDigest);
    const byPlatform = new Map<string, { digest: string; platform: Record<string, string> }>(index.manifests.map((m: { digest: string; platform: Record<string, string> }) => [`${m.platform.os}/${m.platform.architecture}`, m]));
    assert.deepEqual([...byPlatform.keys()], ['linux/amd64', 'linux/arm64', 'windows/amd64']);
    const results = run.platformResults as { platform: string; digest: string }[];
    for (const r of results) assert.equal(byPlatform.get(r.platform)?.digest, r.digest, r.platform);
    assert.equal(byPlatform.get('windows/amd64')?.platform['os.version'], WINDOWS_OS_VERSION);

    // The Windows image: the base layer plus one layer in the Windows layout holding the copied file.
    const win = await getJson(`${repo}/manifests/${byPlatform.get('windows/amd64')!.digest}`);
    assert.equal(win.layers.length, 2);
    const layer = win.layers[1];
    assert.equal(layer.mediaType, 'application/vnd.docker.image.rootfs.diff.tar.gzip');
    const blob = Buffer.from(await (await fetch(`http://${REGISTRY}/v2/${repo}/blobs/${layer.digest}`)).arrayBuffer());
    const names = await tarNames(blob);
    assert.ok(names.includes('Files/hello.txt'), names.join(', '));
    assert.ok(names.includes('Hives'), names.join(', '));
    const config = await (await fetch(`http://${REGISTRY}/v2/${repo}/blobs/${win.config.digest}`)).json();
    assert.equal(config.os, 'windows');
    assert.deepEqual(config.config.Cmd, ['cat', '/hello.txt']);
  });

  it('tags a single windows/amd64 image assembled without a daemon', async () => {
    const repo = `slipway-test/${uniqueName('win')}`;
    const archive = await contextArchive(`FROM ${base}\nENV GREETING=hi\nCOPY app.txt C:/app/app.txt\nWORKDIR C:/app\n`, { 'app.txt': 'app' });
    const res = await submit(stack.url, archive, { images: [`${repo}:v1`], platform: 'windows/amd64' });
    const run = await waitForRun(stack.url, res.body.id, undefined, 120_000);
    assert.equal(run.status, 'succeeded', run.error);
    assert.equal(await registryDigest(REGISTRY, repo, 'v1'), run.outputImages[0]?.digest);
    const manifest = await getJson(`${repo}/manifests/v1`);
    const config = await (await fetch(`http://${REGISTRY}/v2/${repo}/blobs/${manifest.config.digest}`)).json();
    assert.equal(config.os, 'windows');
    assert.ok(config.config.Env.includes('GREETING=hi'));
    assert.equal(config.config.WorkingDir, 'C:\\app');
  });

  it('says a Windows Dockerfile with RUN waits for a Windows worker, then fails after the queue time limit', async () => {
    const archive = await contextArchive(`FROM ${base}\nRUN echo needs-a-windows-daemon\n`);
    const res = await submit(stack.url, archive, { images: [`slipway-test/${uniqueName('winrun')}:v1`], platform: 'windows/amd64' });
    assert.equal(res.status, 202);
    assert.equal(res.body.waiting, 'no worker serves windows/amd64');
    const run = await waitForRun(stack.url, res.body.id, undefined, 30_000);
    assert.equal(run.status, 'error');
    assert.match(run.error ?? '', /waited 4 s in the queue: no worker serves windows\/amd64/);
  });
});
