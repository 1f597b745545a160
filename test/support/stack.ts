// Starts a real API and a real worker as child processes against the real Redis, Docker and registry,
// isolated from every other test by their own key prefix and data directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createRedis } from '../../src/redis.js';
import { useToken } from './api.js';
import { entryArgs } from './entry.js';
import { within } from './wait.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const REGISTRY = '127.0.0.1:5000';
export const BASE_IMAGE = `${REGISTRY}/base/busybox:amd64`;

export interface TestStack {
  url: string;
  prefix: string;
  dataDir: string;
  env: NodeJS.ProcessEnv;
  /** The admin token the API made at its first start; also SLIPWAY_TOKEN in `env`, for the CLI. */
  token: string;
  /** The Authorization header with that token. */
  authHeaders(): Record<string, string>;
  startApi(): Promise<void>;
  stopApi(): Promise<void>;
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  /** The worker process's id, for tests that kill it. */
  workerPid(): number | undefined;
  /**
   * Resolves with the API's log entries (pino JSON, since this start of the API) that `match` accepts, as soon
   * as there are `count` of them: entries logged before the call count too. Fails after `ms`, saying `what`.
   */
  apiLogged(what: string, match: (entry: Record<string, unknown>) => boolean, count?: number, ms?: number): Promise<Record<string, unknown>[]>;
  /** The API process's id, for tests that kill it. */
  apiPid(): number | undefined;
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

/** Waits as long as a start can take on a busy machine; a process that cannot start exits and says why sooner. */
const START_MS = 60_000;

/** One of the stack's processes: its output appended to the stack's log file, and watched line by line. */
export class StackProcess {
  readonly child: ChildProcess;
  /** Every line of output so far, for waits on something that may already have been logged. */
  readonly lines: string[] = [];
  private readonly lineWaiters = new Set<(line: string) => void>();

  constructor(script: string, args: string[], env: NodeJS.ProcessEnv, private readonly logFile: string) {
    this.child = spawn(process.execPath, [...entryArgs(script), ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = createWriteStream(logFile, { flags: 'a' });
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      stream.pipe(out);
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
        this.lines.push(line);
        for (const hear of this.lineWaiters) hear(line);
      });
    }
  }

  /** Resolves at the first line of output from now on that contains `text`; fails if the process exits first. */
  async lineWith(text: string, what: string): Promise<void> {
    let hear!: (line: string) => void;
    let onExit!: (code: number | null) => void;
    const heard = new Promise<void>((resolve, reject) => {
      hear = (line) => line.includes(text) && resolve();
      onExit = (code) => reject(new Error(`${what} exited with ${code}`));
      this.lineWaiters.add(hear);
      if (this.child.exitCode !== null) onExit(this.child.exitCode);
      else this.child.once('exit', onExit);
    });
    try {
      await within(`${what}: no output line with ${JSON.stringify(text)}`, START_MS, heard);
    } catch (err) {
      throw new Error(`${(err as Error).message}; its log:\n${await fs.readFile(this.logFile, 'utf8').catch(() => '')}`);
    } finally {
      this.lineWaiters.delete(hear);
      this.child.off('exit', onExit);
    }
  }

  /** Resolves with the lines, those so far included, that satisfy `match`, once there are `count`. */
  async linesMatching(what: string, match: (line: string) => boolean, count: number, ms: number): Promise<string[]> {
    const seen = this.lines.filter(match);
    if (seen.length >= count) return seen;
    let hear!: (line: string) => void;
    const reached = new Promise<string[]>((resolve) => {
      hear = (line) => {
        if (match(line) && seen.push(line) >= count) resolve(seen);
      };
      this.lineWaiters.add(hear);
    });
    try {
      return await within(`${what} (${seen.length} of ${count} seen)`, ms, reached);
    } finally {
      this.lineWaiters.delete(hear);
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
}

export async function startTestStack(
  opts: { worker?: boolean; platforms?: string; env?: Record<string, string>; /** Settings of the worker alone (e.g. a data directory of its own). */ workerEnv?: Record<string, string> } = {},
): Promise<TestStack> {
  const prefix = uniqueName('stack');
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-test-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SLIPWAY_PREFIX: prefix,
    SLIPWAY_DATA_DIR: dataDir,
    // One key file for the stack's API (which creates it) and workers (which open the jobs it sealed).
    SLIPWAY_SECRET_KEY_FILE: path.join(dataDir, 'secret.key'),
    SLIPWAY_API_PORT: String(port),
    SLIPWAY_SERVER: url,
    SLIPWAY_REGISTRY: REGISTRY,
    SLIPWAY_LOG_LEVEL: 'info',
    // The build cache is the shared Engine's: no test's worker prunes it (janitor tests use an Engine of their own).
    SLIPWAY_JANITOR_BUILD_CACHE_BYTES: String(Number.MAX_SAFE_INTEGER),
    ...opts.env,
  };
  let api: StackProcess | undefined;
  let worker: StackProcess | undefined;
  const logFile = path.join(dataDir, 'processes.log');

  const stack: TestStack = {
    url,
    prefix,
    dataDir,
    env,
    token: '',
    authHeaders: () => ({ authorization: `Bearer ${stack.token}` }),
    async startApi() {
      // Started: it logs so once it listens; then it must answer as any client sees it.
      api = new StackProcess('src/api/main.ts', [], env, logFile);
      await api.lineWith('api listening', 'the API');
      let health = await fetch(`${url}/v1/health`);
      // 503: Redis did not answer the API's guard in time, as on a loaded machine; it is asked again.
      for (let i = 0; health.status === 503 && i < 20; i++) {
        await new Promise((r) => setTimeout(r, 250));
        health = await fetch(`${url}/v1/health`);
      }
      if (!health.ok) throw new Error(`the API at ${url} answers its health check with ${health.status}: ${await health.text()}`);
      // Written before the API listens, the first time it starts with an empty token store.
      stack.token ||= (await fs.readFile(path.join(dataDir, 'admin-token'), 'utf8')).trim();
      env.SLIPWAY_TOKEN = stack.token;
      useToken(url, stack.token);
    },
    stopApi: async () => api?.stop(),
    async startWorker() {
      worker = new StackProcess('workers/main.ts', ['--platforms', opts.platforms ?? 'linux/amd64'], { ...env, ...opts.workerEnv }, logFile);
      await worker.lineWith('worker ready', 'the worker');
    },
    stopWorker: async () => worker?.stop(),
    workerPid: () => worker?.child.pid,
    async apiLogged(what, match, count = 1, ms = 60_000) {
      if (!api) throw new Error('the API is not started');
      return (await api.linesMatching(what, (line) => match(jsonLine(line)), count, ms)).map(jsonLine);
    },
    apiPid: () => api?.child.pid,
    async close() {
      await Promise.all([api?.stop(), worker?.stop()]);
      await Promise.all([fs.rm(dataDir, { recursive: true, force: true }), deleteKeys(env.SLIPWAY_REDIS_URL ?? REDIS_URL, prefix)]);
    },
  };
  try {
    await stack.startApi();
    if (opts.worker !== false) await stack.startWorker();
  } catch (err) {
    // The test never gets the stack to close: what did start must not outlive it.
    await stack.close();
    throw err;
  }
  return stack;
}

/** A pino line as its fields; anything else as none. */
function jsonLine(line: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(line);
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Redis as the test stacks use it (SLIPWAY_REDIS_URL, else the local one). */
export const REDIS_URL = process.env.SLIPWAY_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Deletes every key under each prefix (run records, logs, queues, locks), so test runs do not pile them up in a
 * shared Redis. Scans rather than KEYS, which would block everyone else's Redis on a large keyspace.
 */
export async function deleteKeys(url: string, ...prefixes: string[]): Promise<void> {
  const redis = createRedis(url, 'test-stack-cleanup');
  try {
    for (const prefix of prefixes) {
      for await (const keys of redis.scanStream({ match: `${prefix}:*`, count: 1000 }) as AsyncIterable<string[]>) {
        if (keys.length) await redis.unlink(...keys);
      }
    }
  } finally {
    redis.disconnect();
  }
}
