// The janitor on a real Engine of its own (test/support/second-engine.ts: pruning its build cache touches
// no other test's), real Redis run records and real git mirrors, with budgets of a few KB. One pass removes
// what ended runs left (their run-scoped images, kept containers and workspaces) and keeps what running runs
// and other deployments have; evicts the least recently used mirrors while a mirror in use stays; prunes the
// build cache down to its budget; and records what it measured for GET /v1/workers, which a real worker on
// that Engine shows.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { WorkerList } from '../../src/contract/workers.js';
import { createLogger, SecretMasker } from '../../src/log.js';
import { WorkerRegistry } from '../../src/queue/worker-registry.js';
import { createRedis } from '../../src/redis.js';
import type { RunStatus } from '../../src/runs/model.js';
import { RegistryClient } from '../../src/registry/client.js';
import { RunStore } from '../../src/runs/store.js';
import { DockerContainers } from '../../workers/builder/docker/docker-containers.js';
import { DockerEngine } from '../../workers/builder/docker/docker-engine.js';
import { DockerStorage } from '../../workers/builder/docker/docker-storage.js';
import { Janitor } from '../../workers/janitor/janitor.js';
import { MirrorLocks } from '../../workers/source/git-lock.js';
import { GitMirrorCache, mirrorLockFile } from '../../workers/source/git-mirror.js';
import { directoryBytes } from '../../workers/source/git-size.js';
import { runImageName } from '../../workers/steps/run-images.js';
import { RUN_LABEL } from '../../workers/steps/run-resources.js';
import { apiFetch } from '../support/api.js';
import { GitServer } from '../support/git-server.js';
import { startSecondEngine, type TestEngine } from '../support/second-engine.js';
import { BASE_IMAGE, deleteKeys, REDIS_URL, startTestStack, uniqueName, type TestStack } from '../support/stack.js';
import { eventually } from '../faults/processes.js';

const silent = createLogger('test', 'silent');
const redis = createRedis(REDIS_URL, 'test-janitor');
const prefixes: string[] = [];
let engine: TestEngine;
let git: GitServer;
let scratch: string;

before(async () => {
  engine = await startSecondEngine({ images: [BASE_IMAGE] });
  git = await GitServer.start();
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-janitor-'));
});

after(async () => {
  await engine?.close();
  await git?.stop();
  if (scratch) await fs.rm(scratch, { recursive: true, force: true });
  await deleteKeys(REDIS_URL, ...prefixes);
  redis.disconnect();
});

/** A run record under `prefix`, as the API writes it; a running one is this process's. */
async function addRun(runs: RunStore, status: RunStatus): Promise<string> {
  const { id, seq } = await runs.nextId();
  await runs.create(
    {
      id,
      status,
      platform: 'linux/amd64',
      platforms: ['linux/amd64'],
      createdAt: new Date().toISOString(),
      ...(status === 'running' ? { worker: `${os.hostname()}/${process.pid}` } : {}),
      trigger: { type: 'manual' },
      request: { context: `sha256:${'a'.repeat(64)}`, dockerfile: 'Dockerfile', images: [], buildArgs: {}, secretBuildArgKeys: [], platform: 'linux/amd64', noPush: true, timeoutSeconds: 60 },
      outputImages: [],
    },
    seq,
  );
  return id;
}

/** The local names on the test's Engine. */
async function imageNames(): Promise<string[]> {
  return (await engine.docker(['images', '--format', '{{.Repository}}:{{.Tag}}'])).split('\n').filter(Boolean);
}

async function containersLabelled(value: string): Promise<string[]> {
  return (await engine.docker(['ps', '-aq', '--filter', `label=${RUN_LABEL}=${value}`])).split('\n').filter(Boolean);
}

/** Fills the build cache with a few builds of random bytes (no RUN step, so no container is needed). */
async function fillBuildCache(builds: number): Promise<void> {
  const builder = new DockerEngine(engine.socket, new RegistryClient());
  for (let i = 0; i < builds; i++) {
    const contextDir = await fs.mkdtemp(path.join(scratch, 'context-'));
    await fs.writeFile(path.join(contextDir, 'Dockerfile'), 'FROM scratch\nCOPY blob /blob\n');
    await fs.writeFile(path.join(contextDir, 'blob'), randomBytes(256 * 1024));
    const id = await builder.build({ contextDir, dockerfile: 'Dockerfile', tags: [], buildArgs: {}, platform: 'linux/amd64', signal: AbortSignal.timeout(120_000), log: () => undefined });
    await builder.removeImage(id);
  }
}

describe('the janitor', () => {
  it('removes what ended runs left and keeps what running runs and other deployments have, evicts mirrors least recently used first but not one in use, and prunes the build cache to its budget', async () => {
    const prefix = uniqueName('janitor');
    prefixes.push(prefix);
    const runs = new RunStore(redis, prefix);
    const ended = await addRun(runs, 'succeeded');
    const running = await addRun(runs, 'running');

    // Run-scoped images, as a killed worker leaves them: an ended run's, a running run's, another deployment's.
    const endedImage = runImageName(`${prefix}-${ended}`, 'build');
    const runningImage = runImageName(`${prefix}-${running}`, 'build');
    const othersImage = runImageName(`other-${prefix}-${ended}`, 'build');
    for (const name of [endedImage, runningImage, othersImage]) await engine.docker(['tag', BASE_IMAGE, name]);
    // Stopped `keep` containers of the ended run and of the running one.
    const endedScope = `${prefix}-${ended}`;
    const runningScope = `${prefix}-${running}`;
    for (const scope of [endedScope, runningScope]) await engine.docker(['create', '--label', `${RUN_LABEL}=${scope}`, BASE_IMAGE, 'true']);
    const workspacesDir = path.join(scratch, `${prefix}-workspaces`);
    for (const name of [`${ended}-abc`, `${running}-def`]) await fs.mkdir(path.join(workspacesDir, name), { recursive: true });

    // Four mirrors, used in this order: held (then held by a checkout), reused, older, newer, then reused again.
    const gitCacheDir = path.join(scratch, `${prefix}-git`);
    const cache = new GitMirrorCache({ dir: gitCacheDir, masker: new SecretMasker(), limits: { cloneTimeoutMs: 60_000, maxRepoBytes: 50 * 1024 * 1024 }, policy: { allowInsecure: true, allowPrivateHosts: true, allowFile: false } });
    const urls: Record<string, string> = {};
    for (const name of ['held', 'reused', 'older', 'newer']) {
      const repo = await git.createRepo(uniqueName(name));
      await git.commit(repo, { Dockerfile: 'FROM scratch\n', 'data.bin': randomBytes(64 * 1024) });
      urls[name] = git.httpUrl(repo);
    }
    const use = (name: string) => cache.checkout({ url: urls[name]!, dest: path.join(scratch, uniqueName('ws')) });
    for (const name of ['held', 'reused', 'older', 'newer', 'reused']) await use(name);
    const mirrorOf = (name: string) => cache.mirrorDir(urls[name]!);
    const size = Object.fromEntries(await Promise.all(Object.keys(urls).map(async (n) => [n, await directoryBytes(mirrorOf(n))] as const)));
    // Room for the held mirror and the most recent one, not for a third.
    const mirrorBudget = size.held! + size.reused! + Math.floor(Math.min(size.older!, size.newer!) / 2);

    await fillBuildCache(3);
    const storage = new DockerStorage(engine.socket);
    const cacheBefore = await storage.buildCacheBytes();
    const cacheBudget = 64 * 1024;
    assert.ok(cacheBefore > cacheBudget, `the builds filled the build cache (${cacheBefore} bytes)`);

    const worker = `janitor-test/${randomBytes(3).toString('hex')}`;
    const registry = new WorkerRegistry(redis, prefix);
    await registry.heartbeat(worker, ['linux/amd64']);
    const janitor = new Janitor({
      runs,
      containers: new DockerContainers(engine.socket),
      storage,
      disks: registry,
      worker,
      prefix,
      workspacesDir,
      gitCacheDir,
      hostname: os.hostname(),
      settings: { buildCacheBytes: cacheBudget, mirrorBytes: mirrorBudget, intervalMs: 60_000 },
      log: silent,
    });
    // A checkout in a job's process holds the least recently used mirror.
    const release = await new MirrorLocks().acquire(mirrorLockFile(mirrorOf('held')));
    let disk;
    try {
      disk = await janitor.sweep();
    } finally {
      await release();
    }

    const names = await imageNames();
    assert.ok(!names.includes(endedImage), 'the ended run’s image is removed');
    assert.ok(names.includes(runningImage), 'the running run’s image is kept');
    assert.ok(names.includes(othersImage), 'another deployment’s image is kept');
    assert.deepEqual(await containersLabelled(endedScope), [], 'the ended run’s kept container is removed');
    assert.equal((await containersLabelled(runningScope)).length, 1, 'the running run’s container is kept');
    assert.deepEqual(await fs.readdir(workspacesDir), [`${running}-def`]);

    const kept = await Promise.all(Object.keys(urls).map(async (n) => [n, await fs.stat(mirrorOf(n)).then(() => true, () => false)] as const));
    assert.deepEqual(Object.fromEntries(kept), { held: true, reused: true, older: false, newer: false });
    assert.equal(disk.mirrorBytes, size.held! + size.reused!);
    assert.deepEqual({ mirrors: disk.removed.mirrors, mirrorBytes: disk.removed.mirrorBytes }, { mirrors: 2, mirrorBytes: size.older! + size.newer! });

    assert.ok(disk.buildCacheBytes <= cacheBudget, `the build cache is within its budget: ${disk.buildCacheBytes} bytes`);
    assert.equal(disk.buildCacheBytes, await storage.buildCacheBytes());
    assert.ok(disk.removed.buildCacheBytes > 0);
    assert.deepEqual({ images: disk.removed.images, containers: disk.removed.containers, workspaces: disk.removed.workspaces }, { images: 1, containers: 1, workspaces: 1 });

    // What GET /v1/workers lists for the worker.
    const [listed] = await registry.pool(['linux/amd64']);
    assert.deepEqual(listed?.disk, disk);

    // A second pass finds everything within budget and removes nothing.
    const again = await janitor.sweep();
    assert.deepEqual(again.removed, { buildCacheBytes: 0, mirrors: 0, mirrorBytes: 0, images: 0, containers: 0, networks: 0, workspaces: 0 });
    await janitor.close();
    await engine.docker(['rmi', runningImage, othersImage]);
    await engine.docker(['rm', '-f', ...(await containersLabelled(runningScope))]);
  });
});

describe('a worker on that Engine', () => {
  let stack: TestStack;
  before(async () => {
    // The worker starts in the test, once there is something to clear: its first pass must find all of it.
    stack = await startTestStack({
      worker: false,
      workerEnv: { SLIPWAY_DOCKER_SOCKET: engine.socket, SLIPWAY_JANITOR_BUILD_CACHE_BYTES: '4096', SLIPWAY_JANITOR_MIRROR_BYTES: '4096', SLIPWAY_JANITOR_INTERVAL_SECONDS: '1' },
    });
  });
  after(() => stack?.close());

  it('runs its janitor: an ended run’s image goes, and GET /v1/workers shows the disk it measured and what it removed', async () => {
    // The cache over budget and the ended run's image are both there before the worker starts, so the pass that
    // finds the image finds the cache over budget too (with a worker already running, a pass could fall between).
    await fillBuildCache(1);
    const ended = await addRun(new RunStore(redis, stack.prefix), 'failed');
    const image = runImageName(`${stack.prefix}-${ended}`, 'build');
    await engine.docker(['tag', BASE_IMAGE, image]);
    await stack.startWorker();
    const workers = async () => ((await (await apiFetch(`${stack.url}/v1/workers`)).json()) as WorkerList).workers;
    const cleared = await eventually('a janitor pass that removed the ended run’s image', 60_000, async () => (await workers()).find((w) => w.disk?.removed.images)?.disk);
    assert.ok(!(await imageNames()).includes(image));
    assert.equal(cleared.buildCacheBudgetBytes, 4096);
    assert.equal(cleared.mirrorBudgetBytes, 4096);
    assert.ok(cleared.buildCacheBytes <= 4096, `${cleared.buildCacheBytes} bytes of build cache`);
    assert.ok(cleared.removed.buildCacheBytes > 0, 'the pass pruned the build cache');
    assert.ok(!Number.isNaN(Date.parse(cleared.measuredAt)));
  });
});
