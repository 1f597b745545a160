// Cache affinity on two hosts: a task's run goes to the worker that built the task last while that worker is
// free, where its Engine's own cache serves the build, and to any free worker at once while it is busy. Host A
// builds on the machine's Engine, host B on an Engine of its own; both serve linux/amd64 from one queue, so
// without affinity a run lands on whichever worker polls first.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { apiFetch, runLog, waitForRun, type RunBody } from '../support/api.js';
import { GitServer } from '../support/git-server.js';
import { startSecondEngine, type TestEngine } from '../support/second-engine.js';
import { REGISTRY, startTestStack, StackProcess, uniqueName, type TestStack } from '../support/stack.js';

const BUSYBOX = `${REGISTRY}/base/busybox:latest`;

describe('cache affinity between two hosts', () => {
  let stack: TestStack;
  let engineB: TestEngine;
  let git: GitServer;
  const dirs: string[] = [];
  const workers: Partial<Record<'a' | 'b', StackProcess>> = {};
  /** `host/pid`, as runs record their worker. */
  const id = (name: 'a' | 'b') => `${os.hostname()}/${workers[name]!.child.pid}`;
  // A quick task, and one whose build sleeps for as many seconds as its wait.txt says.
  const quick = { repo: uniqueName('affinity-quick'), task: uniqueName('affinity-quick') };
  const slow = { repo: uniqueName('affinity-slow'), task: uniqueName('affinity-slow') };

  async function startWorker(name: 'a' | 'b'): Promise<void> {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), `slipway-affinity-${name}-`));
    dirs.push(dir);
    const env = { ...stack.env, SLIPWAY_DATA_DIR: dir, ...(name === 'b' ? { SLIPWAY_DOCKER_SOCKET: engineB.socket } : {}) };
    workers[name] = new StackProcess('workers/main.ts', ['--platforms', 'linux/amd64'], env, path.join(dir, 'worker.log'));
    await workers[name].lineWith('worker ready', `worker ${name}`);
  }

  async function createTask(t: { repo: string; task: string }, files: Record<string, string>): Promise<void> {
    await git.createRepo(t.repo);
    await git.commit(t.repo, files);
    const res = await apiFetch(`${stack.url}/v1/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: t.task, context: `${git.httpUrl(t.repo)}#main`, images: [`${REGISTRY}/${t.repo}:{{.Run.ID}}`], commitTrigger: false }),
    });
    assert.equal(res.status, 201, await res.text());
  }

  async function startRun(task: string): Promise<string> {
    const res = await apiFetch(`${stack.url}/v1/tasks/${task}/runs`, { method: 'POST' });
    assert.equal(res.status, 202, await res.clone().text());
    return ((await res.json()) as RunBody).id;
  }

  async function build(task: string): Promise<RunBody> {
    const run = await waitForRun(stack.url, await startRun(task));
    assert.equal(run.status, 'succeeded', await runLog(stack.url, run.id));
    return run;
  }

  before(async () => {
    [stack, engineB, git] = await Promise.all([
      startTestStack({ worker: false, env: { SLIPWAY_GIT_ALLOW_INSECURE: '1', SLIPWAY_GIT_ALLOW_PRIVATE_HOSTS: '1' } }),
      startSecondEngine(),
      GitServer.start({ daemon: false }),
    ]);
    await createTask(quick, { Dockerfile: `FROM ${BUSYBOX}\nCOPY version.txt /version.txt\n`, 'version.txt': 'one\n' });
    await createTask(slow, { Dockerfile: `FROM ${BUSYBOX}\nCOPY wait.txt /wait.txt\nRUN sleep $(cat /wait.txt)\n`, 'wait.txt': '0\n' });
  });
  after(async () => {
    await Promise.all(Object.values(workers).map((w) => w.stop()));
    await Promise.all([stack?.close(), engineB?.close(), git?.stop()]);
    await Promise.all(dirs.map((dir) => fs.rm(dir, { recursive: true, force: true })));
  });

  it('builds a task on the worker that built it last while that worker is free', async () => {
    // Host B alone builds both tasks first.
    await startWorker('b');
    assert.equal((await build(quick.task)).worker, id('b'));
    assert.equal((await build(slow.task)).worker, id('b'));
    // With host A idle beside it, every next run of the task still goes to B (by chance: 1 in 2 each).
    await startWorker('a');
    for (let i = 0; i < 4; i++) assert.equal((await build(quick.task)).worker, id('b'), `run ${i + 1} after host A joined`);
  });

  it('starts the next run on another worker at once while the last one is busy', async () => {
    // The slow task's next run goes to host B, whose one slot it then holds for ten minutes.
    await git.commit(slow.repo, { 'wait.txt': '600\n' });
    const busy = await waitForRun(stack.url, await startRun(slow.task), (r) => r.status === 'running', 120_000);
    assert.equal(busy.worker, id('b'));
    try {
      // The quick task last built on B: its run starts on A and ends while B is still busy.
      const run = await build(quick.task);
      assert.equal(run.worker, id('a'));
      assert.equal((await waitForRun(stack.url, busy.id, () => true)).status, 'running', 'host B was busy the whole time');
    } finally {
      await apiFetch(`${stack.url}/v1/runs/${busy.id}/cancel`, { method: 'POST' });
    }
    assert.equal((await waitForRun(stack.url, busy.id)).status, 'canceled');
  });
});
