// The build cache follows a task from host to host: a task built on host A (the machine's Engine) and then on
// host B (an Engine of its own that never saw the project) reuses A's layers on B, through the inline cache A
// pushed and the cache B imports from the task's last image, with no cache option in the task's definition;
// and a third host C after B still does.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runLog, waitForRun, type RunBody } from '../support/api.js';
import { GitServer } from '../support/git-server.js';
import { startSecondEngine, type TestEngine } from '../support/second-engine.js';
import { REGISTRY, startTestStack, StackProcess, uniqueName, type TestStack } from '../support/stack.js';

const BUSYBOX = `${REGISTRY}/base/busybox:latest`;
const EXPENSIVE = 'RUN dd if=/dev/urandom of=/deps.bin bs=1024 count=8192';

/** Whether the build step whose header starts with `header` came from cache; undefined when the log has no such step. */
function stepCached(log: string, header: string): boolean | undefined {
  const lines = log.split('\n');
  const step = lines.find((line) => /^#\d+ /.test(line) && line.slice(line.indexOf(' ') + 1).startsWith(header))?.split(' ')[0];
  return step === undefined ? undefined : lines.includes(`${step} CACHED`);
}

describe('a task built on one host after another', () => {
  let stack: TestStack;
  let engineB: TestEngine;
  let engineC: TestEngine | undefined;
  let git: GitServer;
  const dirs: string[] = [];
  const workers: StackProcess[] = [];

  async function startWorker(name: string, env: Record<string, string>): Promise<StackProcess> {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), `slipway-cache-${name}-`));
    dirs.push(dir);
    const worker = new StackProcess('workers/main.ts', ['--platforms', 'linux/amd64'], { ...stack.env, SLIPWAY_DATA_DIR: dir, ...env }, path.join(dir, 'worker.log'));
    workers.push(worker);
    await worker.lineWith('worker ready', `worker ${name}`);
    return worker;
  }

  async function runTask(task: string): Promise<{ run: RunBody; log: string }> {
    const res = await fetch(`${stack.url}/v1/tasks/${task}/runs`, { method: 'POST', headers: stack.authHeaders() });
    assert.equal(res.status, 202, await res.clone().text());
    const run = await waitForRun(stack.url, ((await res.json()) as RunBody).id);
    return { run, log: await runLog(stack.url, run.id) };
  }

  before(async () => {
    [stack, engineB, git] = await Promise.all([
      startTestStack({
        worker: false,
        env: { SLIPWAY_CONTEXT_STORE: 'registry', SLIPWAY_CONTEXT_REPOSITORY: `${uniqueName('cache-hosts')}/contexts`, SLIPWAY_GIT_ALLOW_INSECURE: '1', SLIPWAY_GIT_ALLOW_PRIVATE_HOSTS: '1' },
      }),
      startSecondEngine(),
      GitServer.start({ daemon: false }),
    ]);
  });
  after(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await Promise.all([stack?.close(), engineB?.close(), engineC?.close(), git?.stop()]);
    await Promise.all(dirs.map((dir) => fs.rm(dir, { recursive: true, force: true })));
  });

  it("reuses host A's layers for the expensive step on host B after a source change", async () => {
    const repo = uniqueName('cache-app');
    await git.createRepo(repo);
    // The nonce makes the expensive step new to every Engine, the machine's included.
    const dockerfile = `FROM ${BUSYBOX}\n${EXPENSIVE} && echo ${randomUUID()}\nCOPY version.txt /version.txt\n`;
    await git.commit(repo, { Dockerfile: dockerfile, 'version.txt': 'one\n' });
    const task = uniqueName('cache-task');
    const created = await fetch(`${stack.url}/v1/tasks`, {
      method: 'POST',
      headers: { ...stack.authHeaders(), 'content-type': 'application/json' },
      body: JSON.stringify({ name: task, context: `${git.httpUrl(repo)}#main`, images: [`${REGISTRY}/${repo}:{{.Run.ID}}`, `${REGISTRY}/${repo}:latest`], commitTrigger: false }),
    });
    assert.equal(created.status, 201, await created.text());

    // Host A alone: the task's first run builds everything on the machine's Engine and pushes its cache. It
    // looks for cache in its :latest tag, which is not there yet: that does not fail the build.
    const workerA = await startWorker('a', {});
    const first = await runTask(task);
    assert.equal(first.run.status, 'succeeded', first.log);
    assert.deepEqual((first.run.request as { cacheFrom?: string[] }).cacheFrom, [`${REGISTRY}/${repo}:latest`]);
    assert.equal(stepCached(first.log, '[2/3] RUN dd '), false, `the first run builds the expensive step itself:\n${first.log}`);
    await workerA.stop();

    // Host B alone, on an Engine that never saw the project: the next run after a source change.
    await git.commit(repo, { Dockerfile: dockerfile, 'version.txt': 'two\n' });
    const workerB = await startWorker('b', { SLIPWAY_DOCKER_SOCKET: engineB.socket });
    const second = await runTask(task);
    assert.equal(second.run.status, 'succeeded', second.log);
    assert.equal(second.run.worker, `${os.hostname()}/${workerB.child.pid}`, 'the second run built on host B');
    // The run record says where its cache came from: the image the first run pushed, by digest.
    const pushedFirst = first.run.outputImages[0]!;
    assert.deepEqual((second.run.request as { cacheFrom?: string[] }).cacheFrom, [`${pushedFirst.registry}/${pushedFirst.repository}@${pushedFirst.digest}`, `${REGISTRY}/${repo}:latest`]);

    assert.equal(stepCached(second.log, '[2/3] RUN dd '), true, `the expensive step ran again on host B:\n${second.log}`);
    // …while the changed source was copied afresh.
    assert.equal(stepCached(second.log, '[3/3] COPY version.txt'), false, second.log);
    await workerB.stop();

    // Host C, new as well: the image B built on imported cache carries none of it on (Docker 20.10's BuildKit),
    // so the third run has to reach back to the first run's image.
    await git.commit(repo, { Dockerfile: dockerfile, 'version.txt': 'three\n' });
    engineC = await startSecondEngine();
    await startWorker('c', { SLIPWAY_DOCKER_SOCKET: engineC.socket });
    const third = await runTask(task);
    assert.equal(third.run.status, 'succeeded', third.log);
    assert.equal(stepCached(third.log, '[2/3] RUN dd '), true, `the expensive step ran again on host C:\n${third.log}`);
  });
});
