// What a hostile cmd step can take from the shared build host, tried on the real Docker Engine: more memory,
// more processes, capabilities or setuid privileges, a port open to the network, and more containers than
// the run may hold. Each is refused or contained.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { StepLimits } from '../../src/config.js';
import { RegistryClient } from '../../src/registry/client.js';
import { loadTaskFile } from '../../src/taskfile/load.js';
import type { ResolvedTask } from '../../src/taskfile/model.js';
import { DockerContainers } from '../../workers/builder/docker/docker-containers.js';
import { DockerEngine } from '../../workers/builder/docker/docker-engine.js';
import { runTaskSteps } from '../../workers/steps/executor.js';
import type { TaskRunResult } from '../../workers/steps/model.js';
import { REGISTRY } from '../support/stack.js';

const BUSYBOX = `${REGISTRY}/base/busybox:latest`;
const LIMITS: StepLimits = { memoryBytes: 32 * 1024 * 1024, cpus: 1, pids: 32, containersPerRun: 2, maximum: { memoryBytes: 256 * 1024 * 1024, cpus: 2, pids: 256 } };

let root: string;
before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-limits-'));
});
after(() => fs.rm(root, { recursive: true, force: true }));

async function execute(text: string, tamper?: (task: ResolvedTask) => void): Promise<TaskRunResult & { log: string; byId: Record<string, TaskRunResult['steps'][number]> }> {
  const runId = `l${randomBytes(4).toString('hex')}`;
  const workspace = path.join(root, runId, 'src');
  await fs.mkdir(workspace, { recursive: true });
  const run = { ID: runId, Registry: REGISTRY, RegistryName: '127', Date: '20261205-200000z', OS: 'linux', Architecture: 'amd64', Commit: '', Branch: '', TaskName: '', SharedVolume: workspace };
  const { task, masker } = loadTaskFile(text, { file: 'acb.yaml', run });
  tamper?.(task);
  const log: string[] = [];
  const result = await runTaskSteps({
    task,
    scope: `slipway-${runId}`,
    workspace,
    scratchDir: path.join(root, runId, 'scratch'),
    engine: new DockerEngine('/var/run/docker.sock', new RegistryClient()),
    containers: new DockerContainers('/var/run/docker.sock'),
    log: (l) => log.push(l),
    masker,
    signal: new AbortController().signal,
    platform: 'linux/amd64',
    allowPrivileged: false,
    limits: LIMITS,
  });
  return { ...result, log: log.join('\n'), byId: Object.fromEntries(result.steps.map((s) => [s.id, s])) };
}

describe('cmd step limits', () => {
  it('a step gets no more memory, processes or privileges than the settings give', async () => {
    const r = await execute(`steps:
  - id: memory
    cmd: ${BUSYBOX} dd if=/dev/zero of=/dev/null bs=64M count=1
    ignoreErrors: true
  - id: forks
    cmd: ${BUSYBOX} sh -c 'n=0; while [ $n -lt 64 ]; do sleep 5 & n=$((n+1)); done; echo started-all-64'
    ignoreErrors: true
  - id: privileges
    cmd: ${BUSYBOX} sh -c 'grep -E "^(NoNewPrivs|CapEff)" /proc/self/status; touch f; chown 1234 f || echo chown-refused; ping -c 1 127.0.0.1 || echo ping-refused'
`);
    assert.equal(r.status, 'succeeded', `${r.error}\n${r.log}`);
    // 64 MiB in one buffer, in a container of 32 MiB: killed by the kernel, not the host's problem.
    assert.equal(r.byId.memory!.status, 'failed', r.log);
    assert.equal(r.byId.memory!.exitCode, 137, r.log);
    // 64 processes under a limit of 32: forks fail, the step cannot start them all.
    assert.doesNotMatch(r.log, /started-all-64/);
    assert.match(r.log, /\[privileges\] NoNewPrivs:\s+1/);
    assert.match(r.log, /\[privileges\] CapEff:\s+0000000000000000/);
    assert.match(r.log, /\[privileges\] chown-refused/);
    assert.match(r.log, /\[privileges\] ping-refused/);
  });

  it('a port published on an address other than the loopback is refused', async () => {
    const r = await execute(`steps:\n  - id: open\n    cmd: ${BUSYBOX} true\n    ports: ['0.0.0.0:18080:80']\n`);
    assert.equal(r.status, 'failed');
    assert.match(r.error ?? '', /steps publish ports on 127\.0\.0\.1 only/);
    const local = await execute(`steps:\n  - id: loopback\n    cmd: ${BUSYBOX} true\n    ports: ['127.0.0.1::80']\n`);
    assert.equal(local.status, 'succeeded', local.error);
  });

  it('the worker holds a step to the maximum, whatever the loader that checked the file was told', async () => {
    // Loaded without the server's maximum, as a file checked under other settings would be: the worker still refuses.
    const r = await execute(`steps:\n  - id: greedy\n    cmd: --memory 1g ${BUSYBOX} echo started\n`);
    assert.equal(r.status, 'failed');
    assert.match(r.error ?? '', /step greedy failed: --memory 1024 MiB is over this server's maximum of 256 MiB for a step \(SLIPWAY_STEP_MAX_MEMORY_MIB\)/);
    assert.doesNotMatch(r.log, /\[greedy\] started/);
  });

  it('a capability outside Docker\'s defaults never reaches a container, whatever reached the worker', async () => {
    // The step as a tampered job or an older loader could hand it over.
    const r = await execute(`steps:\n  - id: admin\n    cmd: --cap-add CHOWN ${BUSYBOX} echo started\n`, (task) => (task.steps[0]!.capAdd = ['SYS_ADMIN']));
    assert.equal(r.status, 'failed');
    assert.match(r.error ?? '', /step admin failed: --cap-add SYS_ADMIN is not allowed/);
    assert.doesNotMatch(r.log, /\[admin\] started/);
  });

  it('a run holds at most the containers the settings allow', async () => {
    const r = await execute(`steps:
  - id: one
    cmd: ${BUSYBOX} sleep 30
    detach: true
  - id: two
    cmd: ${BUSYBOX} sleep 30
    detach: true
  - id: three
    cmd: ${BUSYBOX} true
`);
    assert.equal(r.status, 'failed');
    assert.match(r.error ?? '', /step three failed: this run already holds 2 containers/);
  });
});
