// A worker killed with SIGKILL (it and its sandboxed build child) in the middle of a run: nothing is left
// to end the run, yet it must not stay `running`. The API's watchdog ends it as `error` naming the lost
// worker, its log kept and saying so; the next worker started on the host removes the step container,
// the run's network and its workspace (with the secret volume's files) that the dead one left, and the
// directory of the socket its build children reported metrics on; and the API retires the dead worker's own
// queues (cache affinity), which it could not retire itself, so their keys do not stay in Redis for good.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import os from 'node:os';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import { createRedis } from '../../src/redis.js';
import { SlipwayKeys } from '../../src/store/keys.js';
import { runLog, submit, waitForRun } from '../support/api.js';
import { contextArchive } from '../support/archives.js';
import { freePort, REDIS_URL, REGISTRY, startTestStack, type TestStack } from '../support/stack.js';
import { eventually, killTree } from './processes.js';

const BUSYBOX = `${REGISTRY}/base/busybox:latest`;
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const redis = createRedis(REDIS_URL, 'test-worker-kill');

describe('a worker killed mid-run', () => {
  let stack: TestStack;
  before(async () => {
    // With its metrics served: the worker then listens for its build children's metrics on a socket of its own.
    stack = await startTestStack({ env: { SLIPWAY_WORKER_METRICS_PORT: String(await freePort()) } });
  });
  after(async () => {
    await stack?.close();
    redis.disconnect();
  });

  it('ends the run as error naming the worker, and the next worker clears what it left', async () => {
    const taskFile = `version: v1.1.0
volumes:
  - name: creds
    secret:
      token: c2VjcmV0LXRva2Vu
steps:
  - id: wait
    cmd: ${BUSYBOX} sleep 300
    volumeMounts:
      - name: creds
        mountPath: /run/creds
`;
    const res = await submit(stack.url, await contextArchive(`FROM ${BUSYBOX}\n`, { 'acb.yaml': taskFile }), { taskFile: 'acb.yaml', timeoutSeconds: 600 });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const id: string = res.body.id;
    const label = `slipway.task-run=${`${stack.prefix}-${id}`.toLowerCase()}`;
    const metricsDirs = async (pid: number) => (await fs.readdir(os.tmpdir())).filter((n) => n.startsWith(`slipway-metrics-${pid}-`));
    const leftovers = async () => ({
      containers: await docker.listContainers({ all: true, filters: JSON.stringify({ label: [label] }) }),
      networks: await docker.listNetworks({ filters: JSON.stringify({ label: [label] }) }),
      workspaces: await fs.readdir(path.join(stack.dataDir, 'workspaces')).catch(() => [] as string[]),
    });
    // The step's container is up: the run is in the middle of its work.
    await eventually('the step container running', 60_000, async () => ((await leftovers()).containers.some((c) => c.State === 'running') ? true : undefined));

    const running = await waitForRun(stack.url, id, (r) => r.status === 'running', 5_000);
    const pid = stack.workerPid()!;
    assert.equal(running.worker, `${os.hostname()}/${pid}`);
    assert.equal((await metricsDirs(pid)).length, 1, "the worker's metrics socket directory");
    // The worker's own queues (named after it, as affinityQueueName makes them), and its record of them.
    const ownQueueKeys = async () => {
      const keys: string[] = [];
      for await (const batch of redis.scanStream({ match: `${stack.prefix}:*@${os.hostname().replace(/[^A-Za-z0-9_.-]/g, '_')}_${pid}:*`, count: 1000 })) keys.push(...(batch as string[]));
      const records = Object.values(await redis.hgetall(new SlipwayKeys(stack.prefix).ownQueues)).filter((r) => r.includes(`/${pid}"`));
      return { keys: keys.length, records: records.length };
    };
    const own = await ownQueueKeys();
    assert.ok(own.keys > 0 && own.records > 0, `the worker's own queues: ${JSON.stringify(own)}`);
    assert.ok(killTree(pid) >= 2, 'the worker had a build child to kill');
    const killedAt = Date.now();

    const ended = await waitForRun(stack.url, id, undefined, 60_000);
    const log = await runLog(stack.url, id);
    assert.ok(Date.now() - killedAt < 60_000);
    assert.equal(ended.status, 'error', log);
    assert.match(ended.error ?? '', new RegExp(`worker ${os.hostname()}/${pid} running this run stopped responding`));
    assert.match(log, /slipway: run .* on /, 'the log written before the kill is kept');
    assert.match(log, /slipway: run error: the worker .* stopped responding/);

    // What the dead worker left is still there, until a worker starts on the host.
    const before = await leftovers();
    assert.equal(before.containers.length, 1, 'the step container outlived its worker');
    assert.equal(before.networks.length, 1);
    assert.equal(before.workspaces.length, 1);
    assert.equal((await metricsDirs(pid)).length, 1, 'the socket directory outlived its worker');
    await stack.startWorker();
    assert.deepEqual(await metricsDirs(pid), [], "the dead worker's metrics socket directory");
    assert.equal((await metricsDirs(stack.workerPid()!)).length, 1, "the new worker's own");
    const afterStart = await leftovers();
    assert.deepEqual({ containers: afterStart.containers.length, networks: afterStart.networks.length, workspaces: afterStart.workspaces }, { containers: 0, networks: 0, workspaces: [] });
    await eventually("the dead worker's own queues retired", 90_000, async () => {
      const left = await ownQueueKeys();
      return left.keys === 0 && left.records === 0 ? true : undefined;
    });
  });
});
