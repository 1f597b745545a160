// The janitor and the images task-file cmd steps pull, on a real Engine of the test's own and a real worker:
// a step's pull is recorded in Redis under the Engine's ID; while the step runs, passes of the janitor leave
// its image on the Engine; once no step has used it for SLIPWAY_JANITOR_STEP_IMAGE_MAX_AGE_SECONDS, its
// names go, and a name the deployment's steps never pulled stays.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { WorkerList } from '../../src/contract/workers.js';
import { createRedis } from '../../src/redis.js';
import { SlipwayKeys } from '../../src/store/keys.js';
import { apiFetch, runLog, submit, waitForRun } from '../support/api.js';
import { tarGz } from '../support/archives.js';
import { startSecondEngine, type TestEngine } from '../support/second-engine.js';
import { BASE_IMAGE, REDIS_URL, REGISTRY, startTestStack, type TestStack } from '../support/stack.js';
import { eventually } from '../faults/processes.js';

/** Pulled by the step; the Engine also holds BASE_IMAGE, which no step of this deployment pulls. */
const STEP_IMAGE = `${REGISTRY}/base/busybox:latest`;

describe('the janitor and pulled step images', () => {
  let engine: TestEngine;
  let stack: TestStack;
  const redis = createRedis(REDIS_URL, 'test-janitor-step-images');
  before(async () => {
    engine = await startSecondEngine({ images: [BASE_IMAGE] });
    stack = await startTestStack({
      workerEnv: { SLIPWAY_DOCKER_SOCKET: engine.socket, SLIPWAY_JANITOR_INTERVAL_SECONDS: '1', SLIPWAY_JANITOR_STEP_IMAGE_MAX_AGE_SECONDS: '1' },
    });
  });
  after(async () => {
    await stack?.close();
    await engine?.close();
    redis.disconnect();
  });

  const names = async () => (await engine.docker(['images', '--format', '{{.Repository}}:{{.Tag}}'])).split('\n').filter(Boolean);
  const passes = async () => ((await (await apiFetch(`${stack.url}/v1/workers`)).json()) as WorkerList).workers.map((w) => w.disk?.measuredAt).filter((m): m is string => m !== undefined);

  it('keeps a running step’s image, then removes the names no step used for the set time, and only those', async () => {
    const taskFile = `version: v1.1.0\nsteps:\n  - id: slow\n    cmd: ${STEP_IMAGE} sh -c 'echo step-started; sleep 12; echo step-done'\n`;
    const res = await submit(stack.url, await tarGz([{ name: 'acb.yaml', content: taskFile }]), { taskFile: 'acb.yaml', noPush: true });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const id = res.body.id as string;
    await eventually('the step running', 90_000, async () => ((await runLog(stack.url, id)).includes('[slow] step-started') || undefined));
    const container = (await engine.docker(['ps', '-q', '--filter', 'label=slipway.step=slow'])).trim();
    assert.ok(container, 'the step container runs');
    const imageId = (await engine.docker(['inspect', '--format', '{{.Image}}', container])).trim();

    // The pull is recorded under the Engine's ID, by the name asked for and the digest run.
    const engineId = (await engine.docker(['info', '--format', '{{.ID}}'])).trim();
    const recorded = await redis.zrange(new SlipwayKeys(stack.prefix).stepImages(engineId), '0', '-1');
    assert.ok(recorded.includes(STEP_IMAGE), JSON.stringify(recorded));
    assert.ok(recorded.some((n) => n.startsWith(`${REGISTRY}/base/busybox@sha256:`)), JSON.stringify(recorded));

    // Two passes that ended after the names were older than the set time (so the second began after): the
    // image in use stays.
    const since = Date.now() + 1_500;
    const later = new Set<string>();
    await eventually('two janitor passes while the step runs', 30_000, async () => {
      for (const m of await passes()) if (Date.parse(m) > since) later.add(m);
      return later.size >= 2 ? true : undefined;
    }, 250);
    assert.ok((await engine.docker(['image', 'inspect', '--format', '{{.Id}}', imageId])).includes(imageId), 'the running step’s image is still on the Engine');

    const run = await waitForRun(stack.url, id, undefined, 90_000);
    assert.equal(run.status, 'succeeded', await runLog(stack.url, id));
    assert.match(await runLog(stack.url, id), /\[slow\] step-done/);

    await eventually('the step image’s names removed', 60_000, async () => ((await names()).includes(STEP_IMAGE) ? undefined : true), 500);
    assert.ok((await names()).includes(BASE_IMAGE), 'a name no step of this deployment pulled stays');
    const digests = await engine.docker(['images', '--digests', '--format', '{{.Repository}}@{{.Digest}}']);
    assert.ok(!recorded.filter((n) => n.includes('@')).some((n) => digests.includes(n)), digests);
    await eventually('the record emptied', 30_000, async () => ((await redis.zcard(new SlipwayKeys(stack.prefix).stepImages(engineId))) === 0 ? true : undefined), 500);
  });
});
