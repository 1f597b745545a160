// A registry away at push time: the push is tried again with growing waits, so a registry back within the
// run's time limit costs the run nothing; one that stays away ends the run `error` (the system's fault, not
// `failed`, which blames the user) naming the registry, before the run's time limit turns it into `timeout`.
// The same holds for a multi-platform run's image index, pushed after its platforms.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { registryDigest, runLog, submit, waitForRun } from '../support/api.js';
import { contextArchive } from '../support/archives.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { BASE_IMAGE, REGISTRY, freePort, startTestStack, uniqueName, type TestStack } from '../support/stack.js';
import { eventually } from './processes.js';
import { registryOutage } from './registry-outage.js';

describe('a registry down at push time', () => {
  let stack: TestStack;
  let registry: TestRegistry | undefined;
  before(async () => {
    // The test's registries listen on loopback ports of their own, not on the trusted SLIPWAY_REGISTRY.
    stack = await startTestStack({ platforms: 'linux/amd64,linux/arm64', env: { SLIPWAY_WORKER_CONCURRENCY: '4', SLIPWAY_REGISTRY_ALLOW_PRIVATE_HOSTS: '1' } });
  });
  after(async () => {
    await registry?.stop();
    await stack?.close();
  });

  const build = async (host: string, timeoutSeconds: number, platform?: string) => {
    const repository = `faults/${uniqueName('push')}`;
    const archive = await contextArchive(`FROM ${platform ? `${REGISTRY}/base/busybox:latest` : BASE_IMAGE}\nLABEL n="${repository}"\n`);
    const res = await submit(stack.url, archive, { images: [`${host}/${repository}:v1`], timeoutSeconds, ...(platform ? { platform } : {}) });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return { id: res.body.id as string, repository };
  };

  /** A task file whose push step pushes what its build step built. */
  const taskFileBuild = async (host: string) => {
    const repository = `faults/${uniqueName('steps')}`;
    const taskFile = `version: v1.1.0\nsteps:\n  - build: -t ${host}/${repository}:v1 .\n  - push:\n      - ${host}/${repository}:v1\n`;
    const res = await submit(stack.url, await contextArchive(`FROM ${BASE_IMAGE}\nLABEL n="${repository}"\n`, { 'acb.yaml': taskFile }), { taskFile: 'acb.yaml', timeoutSeconds: 120 });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return { id: res.body.id as string, repository };
  };

  it('pushes once the registry is back, and ends error naming it when it stays away', async () => {
    const [backPort, awayPort] = [await freePort(), await freePort()];
    const back = await build(`127.0.0.1:${backPort}`, 120);
    const steps = await taskFileBuild(`127.0.0.1:${backPort}`);
    // Each platform's manifest is pushed by digest through the registry client, not the Engine.
    const multi = await build(`127.0.0.1:${backPort}`, 120, 'linux/amd64,linux/arm64');
    const away = await build(`127.0.0.1:${awayPort}`, 25);

    // The registry comes up only after the first push to it failed, from the build and from the push step.
    for (const run of [back, steps, multi]) {
      await eventually('a retried push', 60_000, async () => ((await runLog(stack.url, run.id)).includes(`registry 127.0.0.1:${backPort} unreachable; pushing again`) ? true : undefined));
    }
    registry = await startRegistry({ port: backPort });
    const pushed = await waitForRun(stack.url, back.id, undefined, 60_000);
    assert.equal(pushed.status, 'succeeded', `${pushed.error}\n${await runLog(stack.url, back.id)}`);
    assert.equal(await registryDigest(registry.host, back.repository, 'v1'), pushed.outputImages[0]?.digest);
    const stepped = await waitForRun(stack.url, steps.id, undefined, 60_000);
    const stepsLog = await runLog(stack.url, steps.id);
    assert.equal(stepped.status, 'succeeded', `${stepped.error}\n${stepsLog}`);
    const digest = /slipway: pushed .*@(sha256:[0-9a-f]{64})/.exec(stepsLog)?.[1];
    assert.ok(digest, stepsLog);
    assert.equal(await registryDigest(registry.host, steps.repository, 'v1'), digest);
    const indexed = await waitForRun(stack.url, multi.id, undefined, 60_000);
    assert.equal(indexed.status, 'succeeded', `${indexed.error}\n${await runLog(stack.url, multi.id)}`);
    assert.equal(await registryDigest(registry.host, multi.repository, 'v1'), indexed.outputImages[0]?.digest);

    const lost = await waitForRun(stack.url, away.id, undefined, 60_000);
    const log = await runLog(stack.url, away.id);
    assert.equal(lost.status, 'error', log);
    assert.match(lost.error ?? '', new RegExp(`^registry 127\\.0\\.0\\.1:${awayPort} unreachable while pushing .* \\(gave up after \\d+ attempts`));
    assert.ok((log.match(/pushing again in/g) ?? []).length >= 2, log);
  });

  it("pushes a multi-platform run's index once the registry is back, when it went down after the platforms' pushes", async () => {
    const behind = await startRegistry();
    const repository = `faults/${uniqueName('index')}`;
    // The platforms push their manifests by digest; the index alone is pushed under the tag.
    const outage = await registryOutage(behind.host, `PUT /v2/${repository}/manifests/v1 `);
    try {
      const archive = await contextArchive(`FROM ${REGISTRY}/base/busybox:latest\nLABEL n="${repository}"\n`);
      const res = await submit(stack.url, archive, { images: [`${outage.host}/${repository}:v1`], timeoutSeconds: 120, platform: 'linux/amd64,linux/arm64' });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      const id = res.body.id as string;
      await outage.down;
      await eventually('a retried index push', 60_000, async () => (/^slipway: registry \S+ unreachable; pushing again in/m.test(await runLog(stack.url, id)) ? true : undefined));
      await outage.restore();
      const run = await waitForRun(stack.url, id, undefined, 60_000);
      const log = await runLog(stack.url, id);
      assert.equal(run.status, 'succeeded', `${run.error}\n${log}`);
      assert.ok(run.indexDigest, log);
      assert.equal(await registryDigest(behind.host, repository, 'v1'), run.indexDigest);
      assert.deepEqual(run.outputImages.map((o) => o.digest), [run.indexDigest]);
    } finally {
      await outage.close();
      await behind.stop();
    }
  });
});
