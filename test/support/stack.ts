// Starts a real API and a real worker as child processes against the real Redis, Docker and registry,
// isolated from every other test by their own key prefix and data directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRedis } from '../../src/redis.js';
import { entryArgs } from './entry.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const REGISTRY = '127.0.0.1:5000';
export const BASE_IMAGE = `${REGISTRY}/base/busybox:amd64`;

export interface TestStack {
  url: string;
  prefix: string;
  dataDir: string;
  env: NodeJS.ProcessEnv;
  startApi(): Promise<void>;
  stopApi(): Promise<void>;
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  /** The worker process's id, for tests that kill it. */
  workerPid(): number | undefined;
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export function uniqueName(kind: string): string {
  return `t-${kind}-${randomBytes(4).toString('hex')}`;
}

function startProcess(script: string, args: string[], env: NodeJS.ProcessEnv, logFile: string): ChildProcess {
  const child = spawn(process.execPath, [...entryArgs(script), ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = createWriteStream(logFile, { flags: 'a' });
  child.stdout!.pipe(out);
  child.stderr!.pipe(out);
  return child;
}

async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

async function waitForHealth(url: string, child: ChildProcess, logFile: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`API exited with ${child.exitCode}: ${await fs.readFile(logFile, 'utf8')}`);
    try {
      if ((await fetch(`${url}/v1/health`)).ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`API did not answer at ${url}`);
}

export async function startTestStack(opts: { worker?: boolean; platforms?: string; env?: Record<string, string> } = {}): Promise<TestStack> {
  const prefix = uniqueName('stack');
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-test-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SLIPWAY_PREFIX: prefix,
    SLIPWAY_DATA_DIR: dataDir,
    SLIPWAY_API_PORT: String(port),
    SLIPWAY_SERVER: url,
    SLIPWAY_REGISTRY: REGISTRY,
    SLIPWAY_LOG_LEVEL: 'info',
    ...opts.env,
  };
  let api: ChildProcess | undefined;
  let worker: ChildProcess | undefined;
  const logFile = path.join(dataDir, 'processes.log');

  const stack: TestStack = {
    url,
    prefix,
    dataDir,
    env,
    async startApi() {
      api = startProcess('src/api/main.ts', [], env, logFile);
      await waitForHealth(url, api, logFile);
    },
    stopApi: () => stopProcess(api),
    async startWorker() {
      const readyLines = async () => (await fs.readFile(logFile, 'utf8').catch(() => '')).split('\n').filter((l) => l.includes('worker ready')).length;
      const before = await readyLines();
      worker = startProcess('workers/main.ts', ['--platforms', opts.platforms ?? 'linux/amd64'], env, logFile);
      // Ready once it logs so; a worker that cannot start says why in the log.
      for (let i = 0; i < 200; i++) {
        const text = await fs.readFile(logFile, 'utf8').catch(() => '');
        if ((await readyLines()) > before) return;
        if (worker.exitCode !== null) throw new Error(`worker exited with ${worker.exitCode}: ${text}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error('worker did not become ready');
    },
    stopWorker: () => stopProcess(worker),
    workerPid: () => worker?.pid,
    async close() {
      await Promise.all([stopProcess(api), stopProcess(worker)]);
      await Promise.all([fs.rm(dataDir, { recursive: true, force: true }), deleteKeys(env.SLIPWAY_REDIS_URL ?? 'redis://127.0.0.1:6379', prefix)]);
    },
  };
  await stack.startApi();
  if (opts.worker !== false) await stack.startWorker();
  return stack;
}

/** Deletes a stack's Redis keys (run records, logs, queues), so test runs do not pile them up in a shared Redis. */
async function deleteKeys(url: string, prefix: string): Promise<void> {
  const redis = createRedis(url, 'test-stack-cleanup');
  try {
    for await (const keys of redis.scanStream({ match: `${prefix}:*`, count: 1000 }) as AsyncIterable<string[]>) {
      if (keys.length) await redis.unlink(...keys);
    }
  } finally {
    redis.disconnect();
  }
}
