// Multi-platform runs on the real stack: linux/amd64 natively, linux/arm64 and linux/arm/v7 under QEMU
// (the stack's qemu-aarch64 and qemu-arm handlers), one index.
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
const PLATFORMS = ['linux/amd64', 'linux/arm64', 'linux/arm/v7'];
/** What `uname -m` prints on each platform. */
const MACHINE: Record<string, string> = { 'linux/amd64': 'x86_64', 'linux/arm64': 'aarch64', 'linux/arm/v7': 'armv7l' };

interface IndexPlatform {
  os: string;
  architecture: string;
  variant?: string;
}
const platformName = (p: IndexPlatform) => [p.os, p.architecture, p.variant].filter(Boolean).join('/');

describe('multi-platform runs', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack({ platforms: PLATFORMS.join(',') });
  });
  after(async () => {
    await stack?.close();
  });

  it('builds amd64, arm64 and arm/v7 and pushes one index naming the three, each image running as its architecture', async () => {
    const repo = `slipway-test/${uniqueName('multi')}`;
    // A file of its own before the RUN, so BuildKit's cache cannot hide the RUN output.
    const archive = await contextArchive(`FROM ${BASE_INDEX}\nCOPY nonce /nonce\nRUN echo "built on $(uname -m)" > /arch.txt && cat /arch.txt\nCMD ["cat", "/arch.txt"]\n`, { nonce: repo });
    const res = await submit(stack.url, archive, { images: [`${repo}:v1`], platform: PLATFORMS.join(',') });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const done = await waitForRun(stack.url, res.body.id, undefined, 600_000);
    assert.equal(done.status, 'succeeded', done.error);

    const index = await (await fetch(`http://${REGISTRY}/v2/${repo}/manifests/v1`, { headers: { accept: INDEX_ACCEPT } })).json();
    assert.equal(index.mediaType, 'application/vnd.oci.image.index.v1+json');
    // The arm/v7 entry names its variant: a pull for linux/arm/v6 must not take it.
    assert.deepEqual(
      index.manifests.map((m: { platform: IndexPlatform }) => m.platform),
      [{ architecture: 'amd64', os: 'linux' }, { architecture: 'arm64', os: 'linux' }, { architecture: 'arm', os: 'linux', variant: 'v7' }],
    );

    const results = done.platformResults as { platform: string; status: string; digest: string }[];
    assert.deepEqual(results.map((r) => [r.platform, r.status]), PLATFORMS.map((p) => [p, 'succeeded']));
    assert.deepEqual(index.manifests.map((m: { digest: string }) => m.digest), results.map((r) => r.digest));
    assert.equal(done.indexDigest, await registryDigest(REGISTRY, repo, 'v1'));
    assert.equal(done.outputImages[0]?.digest, done.indexDigest);

    const tags = await (await fetch(`http://${REGISTRY}/v2/${repo}/tags/list`)).json();
    assert.deepEqual(tags.tags, ['v1']);

    // What each platform was built on, for the base-image graph: the base index's manifest for that platform.
    const baseIndex = await (await fetch(`http://${REGISTRY}/v2/base/busybox/manifests/latest`, { headers: { accept: INDEX_ACCEPT } })).json();
    const baseDigest = (platform: string) => baseIndex.manifests.find((m: { platform: IndexPlatform }) => platformName(m.platform).replace('arm64/v8', 'arm64') === platform)?.digest;
    const bases = (done.baseImages as { image: string; platform: string; digest: string; indexDigest: string; kind: string }[]).map((b) => [b.image, b.platform, b.kind, b.digest, b.indexDigest]);
    const indexDigest = await registryDigest(REGISTRY, 'base/busybox', 'latest');
    assert.deepEqual(
      bases,
      PLATFORMS.map((p) => [`${REGISTRY}/base/busybox:latest`, p, 'runtime', baseDigest(p), indexDigest]),
    );

    const log = await runLog(stack.url, done.id);
    for (const p of PLATFORMS) assert.match(log, new RegExp(`\\[${p.replaceAll('/', '\\/')}\\] .*built on ${MACHINE[p]}`));

    // Each image really is of its architecture: run (the arm ones under emulation), it says so.
    for (const r of results) {
      const { stdout } = await run('docker', ['run', '--rm', '--platform', r.platform, `${REGISTRY}/${repo}@${r.digest}`, 'uname', '-m']);
      assert.equal(stdout.trim(), MACHINE[r.platform], r.platform);
    }
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
