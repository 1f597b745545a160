// Poisoning the shared Docker Engine: one run builds an image under a name other runs use (a base, a step's
// image) and leaves it on the Engine. Every run shares that Engine, so a later run's cmd step or FROM must
// still get the registry's image, and a push step must not push a leftover it did not build.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import type { Run } from '../../src/runs/model.js';
import { apiFetch, registryDigest, runLog, submit, waitForLogLine, waitForRun } from '../support/api.js';
import { contextArchive } from '../support/archives.js';
import { pushThreePlatformBase } from '../support/bases.js';
import { BASE_IMAGE, startTestStack, uniqueName, type TestStack } from '../support/stack.js';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
// COPY, not RUN: the poisoned image needs no container of its own.
const POISON = `FROM ${BASE_IMAGE}\nCOPY poison /poison\n`;
const POISON_FILES = { poison: 'poisoned\n' };
// What a step or build prints: which image it started from.
const PROBE = `if [ -e /poison ]; then echo saw-POISON; else echo saw-registry; fi`;

async function localTag(reference: string): Promise<boolean> {
  return docker.getImage(reference).inspect().then(() => true, () => false);
}

describe('engine poisoning', () => {
  let stack: TestStack;
  // A base of this test's own in the registry: the shared test bases stay untouched even if a defence fails.
  let victim: string;
  let victimDigest: string | null;

  before(async () => {
    // Two runs at once: one still running with its own build of a name while another builds on that name.
    stack = await startTestStack({ workerEnv: { SLIPWAY_WORKER_CONCURRENCY: '2' } });
    victim = await pushThreePlatformBase(`slipway-test/${uniqueName('victim')}`);
    victimDigest = await registryDigest('127.0.0.1:5000', victim.slice(victim.indexOf('/') + 1, victim.lastIndexOf(':')), 'latest');
  });
  after(async () => {
    await docker.getImage(victim).remove({ force: true }).catch(() => undefined);
    await stack?.close();
  });

  async function run(archive: Buffer, request: Record<string, unknown>): Promise<{ run: Run; log: string }> {
    const res = await submit(stack.url, archive, request);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const run = (await waitForRun(stack.url, res.body.id)) as unknown as Run;
    return { run, log: await runLog(stack.url, run.id) };
  }

  async function leftoverRunImages(): Promise<string[]> {
    const images = await docker.listImages({ filters: JSON.stringify({ reference: [`slipway-run/${stack.prefix.toLowerCase()}*`] }) });
    return images.flatMap((i) => i.RepoTags ?? []);
  }

  it('a --no-push build tagged with a name others use leaves no tag behind', async () => {
    const { run: attack, log } = await run(await contextArchive(POISON, POISON_FILES), { images: [victim], noPush: true });
    assert.equal(attack.status, 'succeeded', `${attack.error}\n${log}`);
    assert.equal(await localTag(victim), false, `${victim} is not tagged on the Engine after the run`);
    assert.deepEqual(await leftoverRunImages(), [], 'the run removed its own local names');
  });

  it('a task-file build step tagged with a name others use leaves no tag behind either', async () => {
    const taskFile = `version: v1.1.0\nsteps:\n  - build: -t ${victim} .\n`;
    const { run: attack, log } = await run(await contextArchive(POISON, { ...POISON_FILES, 'acb.yaml': taskFile }), { taskFile: 'acb.yaml', noPush: true });
    assert.equal(attack.status, 'succeeded', `${attack.error}\n${log}`);
    assert.equal(await localTag(victim), false);
    assert.deepEqual(await leftoverRunImages(), []);
  });

  it("a poisoned local tag is not what a later run's cmd step, FROM or push step gets", async () => {
    // The poisoned tag as an older worker (or anyone with the Engine's socket) would have left it.
    await tagPoisoned(victim);
    assert.equal(await localTag(victim), true);

    const out = `slipway-test/${uniqueName('out')}`;
    const taskFile = `version: v1.1.0
steps:
  - id: step
    cmd: ${victim} sh -c '${PROBE}'
  - id: build
    build: -t 127.0.0.1:5000/${out}:v1 .
  - id: mine
    cmd: 127.0.0.1:5000/${out}:v1 sh -c '${PROBE}'
`;
    const dockerfile = `FROM ${victim}\nCOPY acb.yaml /built-from-victim\n`;
    const victimRun = await run(await contextArchive(dockerfile, { 'acb.yaml': taskFile }), { taskFile: 'acb.yaml', noPush: true });
    assert.equal(victimRun.run.status, 'succeeded', `${victimRun.run.error}\n${victimRun.log}`);
    assert.match(victimRun.log, /\[step\] saw-registry/);
    // The later step ran the image the build step of this run built, and that build started from the registry's base.
    assert.match(victimRun.log, /\[mine\] saw-registry/);
    assert.doesNotMatch(victimRun.log, /saw-POISON/);

    const pushLeftover = await run(await contextArchive(POISON, { ...POISON_FILES, 'acb.yaml': `version: v1.1.0\nsteps:\n  - push: [${victim}]\n` }), { taskFile: 'acb.yaml' });
    assert.equal(pushLeftover.run.status, 'failed');
    assert.match(pushLeftover.run.error ?? '', /no build step of this run tagged it/);
    assert.equal(await registryDigest('127.0.0.1:5000', victim.slice(victim.indexOf('/') + 1, victim.lastIndexOf(':')), 'latest'), victimDigest, 'the registry still holds the real base');
  });

  it("a build on its run's own image gets another run's unpushed build or a poisoned tag of its other bases from neither", async () => {
    // Another run builds the victim's name (never pushed) and is still running when this one builds.
    const holder = await submit(stack.url, await contextArchive(POISON, { ...POISON_FILES, 'acb.yaml': `version: v1.1.0\nsteps:\n  - id: build\n    build: -t ${victim} .\n  - id: hold\n    cmd: ${BASE_IMAGE} sleep 600\n    when: [build]\n` }), { taskFile: 'acb.yaml', noPush: true });
    assert.equal(holder.status, 202, JSON.stringify(holder.body));
    try {
      await waitForLogLine(stack.url, holder.body.id, /slipway: step hold started/, 180_000);
      await tagPoisoned(victim);

      const out = `127.0.0.1:5000/slipway-test/${uniqueName('own')}`;
      const probe = (dir: string) => `if [ -e ${dir}/poison ]; then echo saw-POISON; else echo saw-registry; fi`;
      const taskFile = `version: v1.1.0
steps:
  - id: base
    build: -t ${out}/base:v1 -f base.Dockerfile .
  - id: app
    build: -t ${out}/app:v1 -f app.Dockerfile --build-arg BASE=${out}/base:v1 .
    when: [base]
  - id: plain
    build: -t ${out}/plain:v1 -f plain.Dockerfile .
  - id: probe-app
    cmd: ${out}/app:v1 sh -c '${probe('/v')}; cat /from-base'
    when: [app]
  - id: probe-plain
    cmd: ${out}/plain:v1 sh -c '${probe('')}'
    when: [plain]
`;
      const files = {
        'acb.yaml': taskFile,
        mark: 'made-by-the-base-step\n',
        'base.Dockerfile': `FROM ${BASE_IMAGE}\nCOPY mark /from-base\n`,
        // This build cannot force its pulls (its base is local): the victim's stage must still come from the registry.
        'app.Dockerfile': `ARG BASE\nFROM ${victim} AS v\nFROM \${BASE}\nCOPY --from=v / /v/\n`,
        'plain.Dockerfile': `FROM ${victim}\nCOPY acb.yaml /built\n`,
      };
      const { run: own, log } = await run(await contextArchive(files['base.Dockerfile'], files), { taskFile: 'acb.yaml', noPush: true });
      assert.equal(own.status, 'succeeded', `${own.error}\n${log}`);
      assert.match(log, /\[app\] slipway: FROM \S+\/base:v1 is this run's image from step base/);
      assert.match(log, /\[probe-app\] saw-registry/);
      assert.match(log, /\[probe-app\] made-by-the-base-step/, 'the app was built on the base step\'s image');
      assert.match(log, /\[probe-plain\] saw-registry/);
      assert.doesNotMatch(log, /\] saw-POISON/);
      // The graph records the registry's bases, not the run's own image (nor its local name).
      assert.deepEqual([...new Set(own.baseImages?.map((b) => b.image))].sort(), [BASE_IMAGE, victim].sort());
    } finally {
      await apiFetch(`${stack.url}/v1/runs/${holder.body.id}/cancel`, { method: 'POST' });
      await waitForRun(stack.url, holder.body.id);
    }
  });
});

/** Tags an image holding /poison as `tag` straight on the Engine, as a leftover from outside this deployment. */
async function tagPoisoned(tag: string): Promise<void> {
  await new Promise<void>((resolve, reject) =>
    docker.pull(BASE_IMAGE, (err: unknown, stream: NodeJS.ReadableStream) => (err ? reject(err) : docker.modem.followProgress(stream, (e) => (e ? reject(e) : resolve())))),
  );
  const container = await docker.createContainer({ Image: BASE_IMAGE, Cmd: ['sh', '-c', 'echo poisoned > /poison'], HostConfig: { NetworkMode: 'none' } });
  try {
    await container.start();
    await container.wait();
    const colon = tag.lastIndexOf(':');
    await container.commit({ repo: tag.slice(0, colon), tag: tag.slice(colon + 1) });
  } finally {
    await container.remove({ force: true });
  }
}
