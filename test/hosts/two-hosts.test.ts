// Two hosts on one machine: the API and two workers, each with a data directory of its own, the second worker
// on a Docker Engine of its own (own data root, containerd, socket and bridge), and contexts kept in the
// registry (SLIPWAY_CONTEXT_STORE=registry), so no directory is shared between any two of them. On it, every
// kind of run succeeds wherever it lands, a multi-platform run's platforms build on different hosts into one
// index, and killing one worker mid-build leaves the other to finish the queue.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RegistryClient } from '../../src/registry/client.js';
import { parseImageReference } from '../../src/registry/reference.js';
import { runLog, submit, waitForRun, type RunBody } from '../support/api.js';
import { contextArchive } from '../support/archives.js';
import { GitServer } from '../support/git-server.js';
import { startSecondEngine, type TestEngine } from '../support/second-engine.js';
import { REGISTRY, startTestStack, StackProcess, uniqueName, type TestStack } from '../support/stack.js';
import { killTree } from '../faults/processes.js';

const BUSYBOX = `${REGISTRY}/base/busybox:latest`;

interface Host {
  dir: string;
  process?: StackProcess;
  /** `host/pid`, as runs record their worker. */
  id(): string;
}

describe('two hosts that share no disk', () => {
  let stack: TestStack;
  let engineB: TestEngine;
  let git: GitServer;
  const hosts: Record<'a' | 'b', Host> = {} as never;
  const registry = new RegistryClient();

  async function startWorker(name: 'a' | 'b', platforms: string): Promise<void> {
    const host = hosts[name];
    const env = { ...stack.env, SLIPWAY_DATA_DIR: host.dir, ...(name === 'b' ? { SLIPWAY_DOCKER_SOCKET: engineB.socket } : {}) };
    host.process = new StackProcess('workers/main.ts', ['--platforms', platforms], env, path.join(host.dir, 'worker.log'));
    await host.process.lineWith('worker ready', `worker ${name}`);
  }
  const builtOn = (log: string, platform: string) => new RegExp(`building ${platform} on (\\S+)`).exec(log)?.[1] ?? /run \S+ on (\S+),/.exec(log)?.[1];

  before(async () => {
    [stack, engineB, git] = await Promise.all([
      startTestStack({
        worker: false,
        env: {
          SLIPWAY_CONTEXT_STORE: 'registry',
          SLIPWAY_CONTEXT_REPOSITORY: `${uniqueName('hosts')}/contexts`,
          SLIPWAY_REGISTRY_ALLOW_PRIVATE_HOSTS: '1',
          SLIPWAY_GIT_ALLOW_INSECURE: '1',
          SLIPWAY_GIT_ALLOW_PRIVATE_HOSTS: '1',
        },
      }),
      startSecondEngine(),
      GitServer.start({ daemon: false }),
    ]);
    for (const name of ['a', 'b'] as const) {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), `slipway-host-${name}-`));
      hosts[name] = { dir, id: () => `${os.hostname()}/${hosts[name].process?.child.pid}` };
    }
    // Host A builds linux/amd64 on the machine's Engine; host B linux/arm64 (under QEMU) on its own Engine.
    await Promise.all([startWorker('a', 'linux/amd64'), startWorker('b', 'linux/arm64')]);
  });
  after(async () => {
    await Promise.all(Object.values(hosts).map((h) => h.process?.stop()));
    await Promise.all([stack?.close(), engineB?.close(), git?.stop()]);
    await Promise.all(Object.values(hosts).map((h) => fs.rm(h.dir, { recursive: true, force: true })));
  });

  it('builds a multi-platform run with one platform on each host, into one index', async () => {
    const image = `${REGISTRY}/${uniqueName('two-hosts')}:v1`;
    const res = await submit(stack.url, await contextArchive(`FROM ${BUSYBOX}\nRUN uname -m > /arch\n`, { nonce: randomUUID() }), { images: [image], platform: 'linux/amd64,linux/arm64' });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const run = await waitForRun(stack.url, res.body.id);
    const log = await runLog(stack.url, run.id);
    assert.equal(run.status, 'succeeded', log);
    assert.equal(builtOn(log, 'linux/amd64'), hosts.a.id());
    assert.equal(builtOn(log, 'linux/arm64'), hosts.b.id());
    const ref = parseImageReference(image);
    const index = await registry.getManifest(ref);
    assert.ok('manifests' in index.body, `an index, not ${index.mediaType}`);
    assert.deepEqual(index.body.manifests.map((m) => `${m.platform?.os}/${m.platform?.architecture}`).sort(), ['linux/amd64', 'linux/arm64']);
  });

  it('runs an uploaded build, a task from git and a task file on the host that serves each', async () => {
    const uploaded = await submit(stack.url, await contextArchive(`FROM ${BUSYBOX}\nRUN echo uploaded\n`, { nonce: randomUUID() }), { noPush: true, platform: 'linux/arm64' });
    const taskFile = `version: v1.1.0\nsteps:\n  - cmd: ${BUSYBOX} uname -m\n`;
    const steps = await submit(stack.url, await contextArchive(`FROM ${BUSYBOX}\n`, { 'acb.yaml': taskFile, nonce: randomUUID() }), { taskFile: 'acb.yaml', platform: 'linux/arm64' });

    const repo = uniqueName('hosts-app');
    await git.createRepo(repo);
    await git.commit(repo, { Dockerfile: `FROM ${BUSYBOX}\nCOPY version.txt /version.txt\n`, 'version.txt': 'one\n' });
    const task = uniqueName('hosts-task');
    const created = await fetch(`${stack.url}/v1/tasks`, {
      method: 'POST',
      headers: { ...stack.authHeaders(), 'content-type': 'application/json' },
      body: JSON.stringify({ name: task, context: `${git.httpUrl(repo)}#main`, images: [`${REGISTRY}/${repo}:{{.Run.ID}}`], commitTrigger: false }),
    });
    assert.equal(created.status, 201, await created.text());
    const fromGit = (await (await fetch(`${stack.url}/v1/tasks/${task}/runs`, { method: 'POST', headers: stack.authHeaders() })).json()) as RunBody;

    const runs = await Promise.all([uploaded.body.id as string, steps.body.id as string, fromGit.id].map((id) => waitForRun(stack.url, id)));
    const logs = await Promise.all(runs.map((r) => runLog(stack.url, r.id)));
    runs.forEach((r, i) => assert.equal(r.status, 'succeeded', logs[i]));
    assert.equal(builtOn(logs[0]!, 'linux/arm64'), hosts.b.id(), 'the arm64 upload built on host B');
    assert.match(logs[1]!, /aarch64/, "the task file's step ran on host B's Engine");
    assert.equal(builtOn(logs[2]!, 'linux/amd64'), hosts.a.id(), 'the task from git built on host A');
  });

  it('finishes the queue on the other host when one worker is killed mid-build', async () => {
    // Host B now builds linux/amd64 too: the queue is shared between the two hosts.
    await hosts.b.process!.stop();
    await startWorker('b', 'linux/amd64,linux/arm64');
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await submit(stack.url, await contextArchive(`FROM ${BUSYBOX}\nRUN sleep 4 && echo ${randomUUID()}\n`), { noPush: true });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      ids.push(res.body.id);
    }
    const victimPid = hosts.b.process!.child.pid!;
    const victimId = hosts.b.id();
    const onB = await Promise.any(ids.map((id) => waitForRun(stack.url, id, (r) => r.status === 'running' && r.worker === victimId, 120_000)));
    assert.ok(killTree(victimPid) >= 1);

    const ended = await Promise.all(ids.map((id) => waitForRun(stack.url, id, undefined, 180_000)));
    assert.ok(ended.some((r) => r.id === onB.id && r.worker === victimId));
    for (const r of ended) {
      if (r.worker === victimId) {
        // What the killed worker held ends error naming it; nothing else is lost.
        assert.equal(r.status, 'error', `a run on the killed worker ends error, not ${r.status}`);
        assert.ok(String(r.error).includes(victimId), String(r.error));
      } else {
        assert.equal(r.status, 'succeeded', await runLog(stack.url, r.id));
        assert.equal(r.worker, hosts.a.id(), 'the rest of the queue finished on host A');
      }
    }
  });
});
