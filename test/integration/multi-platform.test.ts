// Multi-platform runs on the real stack: linux/amd64 natively and linux/arm64 under QEMU, one index.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { postJson, registryDigest, runLog, submit, waitForRun } from '../support/api.js';
import { contextArchive } from '../support/archives.js';
import { REGISTRY, startTestStack, uniqueName, type TestStack } from '../support/stack.js';

const run = promisify(execFile);
const BASE_INDEX = `${REGISTRY}/base/busybox:latest`;
const INDEX_ACCEPT = 'application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json';

describe('multi-platform runs', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack({ platforms: 'linux/amd64,linux/arm64' });
  });
  after(async () => {
    await stack?.close();
  });

  it('builds amd64 and arm64 and pushes one index naming both, with no other tag left behind', async () => {
    const repo = `slipway-test/${uniqueName('multi')}`;
    // A file of its own before the RUN, so BuildKit's cache cannot hide the RUN output.
    const archive = await contextArchive(`FROM ${BASE_INDEX}\nCOPY nonce /nonce\nRUN echo "built on $(uname -m)" > /arch.txt && cat /arch.txt\nCMD ["cat", "/arch.txt"]\n`, { nonce: repo });
    const res = await submit(stack.url, archive, { images: [`${repo}:v1`], platform: 'linux/amd64,linux/arm64' });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const done = await waitForRun(stack.url, res.body.id, undefined, 300_000);
    assert.equal(done.status, 'succeeded', done.error);

    const index = await (await fetch(`http://${REGISTRY}/v2/${repo}/manifests/v1`, { headers: { accept: INDEX_ACCEPT } })).json();
    assert.equal(index.mediaType, 'application/vnd.oci.image.index.v1+json');
    const platforms = index.manifests.map((m: { platform: { os: string; architecture: string } }) => `${m.platform.os}/${m.platform.architecture}`);
    assert.deepEqual(platforms, ['linux/amd64', 'linux/arm64']);

    const results = done.platformResults as { platform: string; status: string; digest: string }[];
    assert.deepEqual(results.map((r) => [r.platform, r.status]), [['linux/amd64', 'succeeded'], ['linux/arm64', 'succeeded']]);
    assert.deepEqual(index.manifests.map((m: { digest: string }) => m.digest), results.map((r) => r.digest));
    assert.equal(done.indexDigest, await registryDigest(REGISTRY, repo, 'v1'));
    assert.equal(done.outputImages[0]?.digest, done.indexDigest);

    const tags = await (await fetch(`http://${REGISTRY}/v2/${repo}/tags/list`)).json();
    assert.deepEqual(tags.tags, ['v1']);

    // What each platform was built on, for the base-image graph: the base index's manifest for that platform.
    const baseIndex = await (await fetch(`http://${REGISTRY}/v2/base/busybox/manifests/latest`, { headers: { accept: INDEX_ACCEPT } })).json();
    const baseDigest = (arch: string) => baseIndex.manifests.find((m: { platform: { architecture: string } }) => m.platform.architecture === arch).digest;
    const bases = (done.baseImages as { image: string; platform: string; digest: string; indexDigest: string; kind: string }[]).map((b) => [b.image, b.platform, b.kind, b.digest, b.indexDigest]);
    const indexDigest = await registryDigest(REGISTRY, 'base/busybox', 'latest');
    assert.deepEqual(bases, [
      [`${REGISTRY}/base/busybox:latest`, 'linux/amd64', 'runtime', baseDigest('amd64'), indexDigest],
      [`${REGISTRY}/base/busybox:latest`, 'linux/arm64', 'runtime', baseDigest('arm64'), indexDigest],
    ]);

    const log = await runLog(stack.url, done.id);
    assert.match(log, /\[linux\/arm64\] .*built on aarch64/);
    assert.match(log, /\[linux\/amd64\] .*built on x86_64/);

    // The arm64 image really is arm64: run under emulation, it says so.
    const arm = results.find((r) => r.platform === 'linux/arm64')!;
    const { stdout } = await run('docker', ['run', '--rm', '--platform', 'linux/arm64', `${REGISTRY}/${repo}@${arm.digest}`, 'uname', '-m']);
    assert.equal(stdout.trim(), 'aarch64');
  });

  it('fails the whole run when one platform fails, and pushes no index', async () => {
    const repo = `slipway-test/${uniqueName('multifail')}`;
    const archive = await contextArchive(`FROM ${BASE_INDEX}\nRUN if [ "$(uname -m)" = aarch64 ]; then echo arm-says-no; exit 7; fi\n`);
    const res = await submit(stack.url, archive, { images: [`${repo}:v1`], platform: 'linux/amd64,linux/arm64' });
    const done = await waitForRun(stack.url, res.body.id, undefined, 300_000);
    assert.equal(done.status, 'failed');
    assert.match(done.error ?? '', /^linux\/arm64: /);
    assert.match(done.error ?? '', /arm-says-no/);
    assert.equal(await registryDigest(REGISTRY, repo, 'v1'), null);
    const arm = (done.platformResults as { platform: string; status: string }[]).find((r) => r.platform === 'linux/arm64');
    assert.equal(arm?.status, 'failed');
  });

  it('refuses a malformed platform list with 400', async () => {
    const up = await submit(stack.url, await contextArchive('FROM scratch\n'), { noPush: true });
    for (const platform of ['linux/amd64,,linux/arm64', 'linux/amd64,plan9/mips', ',']) {
      const res = await postJson(`${stack.url}/v1/runs`, { context: up.body.request.context, noPush: true, platform });
      assert.equal(res.status, 400, platform);
      assert.match(res.body.error.message, /platform/);
    }
  });
});
