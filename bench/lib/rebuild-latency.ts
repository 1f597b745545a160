// Part two of the rebuild bench: from a base image's tag moving in a registry that notifies the API, to
// the first dependent rebuild `running` on a worker (its startedAt), on one machine clock. The base
// alternates between two prepared variants, so each push is a real change of digest; each rebuild is
// awaited before the next push.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { RegistryClient } from '../../src/registry/client.js';
import type { Run } from '../../src/runs/model.js';
import type { GitServer } from '../../test/support/git-server.js';
import { apiFetch } from '../../test/support/api.js';
import { startRegistry } from '../../test/support/registry.js';
import { BASE_IMAGE, startTestStack } from '../../test/support/stack.js';

const run = promisify(execFile);
const TOKEN = 'bench-notify-token';
const TERMINAL = new Set(['succeeded', 'failed', 'canceled', 'timeout', 'error']);

async function json<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await apiFetch(url, init);
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function dockerPush(image: string, nonce: string): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-bench-base-'));
  try {
    await fs.writeFile(path.join(dir, 'Dockerfile'), `FROM ${BASE_IMAGE}\nCOPY v /v\n`);
    await fs.writeFile(path.join(dir, 'v'), nonce);
    await run('docker', ['build', '-q', '-t', image, dir], { env: { ...process.env, DOCKER_BUILDKIT: '0' } });
    await run('docker', ['push', image]);
    await run('docker', ['rmi', image]).catch(() => undefined);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

export async function eventToStart(git: GitServer, iterations: number): Promise<{ samples: number[]; failures: string[] }> {
  const stack = await startTestStack({ env: { SLIPWAY_GIT_ALLOW_INSECURE: '1', SLIPWAY_GIT_ALLOW_PRIVATE_HOSTS: '1', SLIPWAY_REGISTRY_ALLOW_PRIVATE_HOSTS: '1', SLIPWAY_REGISTRY_NOTIFY_TOKEN: TOKEN } });
  const registry = await startRegistry({ notify: { url: stack.url, token: TOKEN } });
  const failures: string[] = [];
  const samples: number[] = [];
  try {
    const R = registry.host;
    const nonce = String(Date.now());
    for (const v of ['v1', 'v2']) await dockerPush(`${R}/base:${v}`, `${v} ${nonce}\n`);
    const client = new RegistryClient();
    const variants = await Promise.all(['v1', 'v2'].map((tag) => client.getManifest({ registry: R, repository: 'base', tag })));
    const moveTag = (i: number) => client.putManifest({ registry: R, repository: 'base', tag: 'latest' }, variants[i % 2]!.raw, variants[i % 2]!.mediaType);
    await moveTag(0);

    await git.commit('bench-rebuilds', { 'app/Dockerfile': `FROM ${R}/base:latest\nCOPY Dockerfile /app\n` }, 'app');
    const task = 'bench-app';
    await json(`${stack.url}/v1/tasks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: task, context: `${git.httpUrl('bench-rebuilds')}#main:app`, noPush: true, commitTrigger: false }) });
    const first = await json<Run>(`${stack.url}/v1/tasks/${task}/runs`, { method: 'POST' });
    if ((await finished(stack.url, first.id)).status !== 'succeeded') throw new Error('the first build of the bench task failed');

    const seen = new Set<string>();
    for (let i = 1; i <= iterations; i++) {
      const t0 = performance.timeOrigin + performance.now();
      await moveTag(i);
      const rebuild = await nextRebuild(stack.url, task, seen);
      if (!rebuild) {
        failures.push(`push ${i}: no rebuild started within 30 s`);
        continue;
      }
      seen.add(rebuild.id);
      samples.push(Date.parse(rebuild.startedAt!) - t0);
      const done = await finished(stack.url, rebuild.id);
      if (done.status !== 'succeeded') failures.push(`rebuild ${done.id} ${done.status}: ${done.error?.slice(0, 200)}`);
    }
  } finally {
    await stack.close();
    await registry.stop();
  }
  return { samples, failures };
}

async function nextRebuild(url: string, task: string, seen: Set<string>): Promise<Run | undefined> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const { runs } = await json<{ runs: Run[] }>(`${url}/v1/tasks/${task}/runs?top=5`);
    const fresh = runs.find((r) => r.trigger.type === 'base-image' && !seen.has(r.id) && r.startedAt);
    if (fresh) return fresh;
    await sleep(5);
  }
  return undefined;
}

async function finished(url: string, id: string): Promise<Run> {
  for (;;) {
    const r = await json<Run>(`${url}/v1/runs/${id}`);
    if (TERMINAL.has(r.status)) return r;
    await sleep(50);
  }
}
