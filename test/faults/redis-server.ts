// A Redis server of a test's own, on a free port with its append-only file in a temporary directory, so
// a test can kill and restart it without touching the Redis every other test shares.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../support/stack.js';

export interface TestRedis {
  url: string;
  /** Starts it (again), on the same port, from the same append-only file. */
  start(): Promise<void>;
  /** Kills the server with `signal` and waits for it to exit. */
  kill(signal: NodeJS.Signals): Promise<void>;
  pid(): number | undefined;
  close(): Promise<void>;
}

export async function startRedis(): Promise<TestRedis> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const ping = () => new Promise<boolean>((resolve) => execFile('redis-cli', ['-p', String(port), 'ping'], (err, out) => resolve(!err && out.trim() === 'PONG')));
  const redis: TestRedis = {
    url: `redis://127.0.0.1:${port}`,
    async start() {
      // As a deployment should run it: every write appended, the file synced once a second.
      child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', dir], { stdio: 'ignore' });
      for (let i = 0; !(await ping()); i++) {
        if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
        if (i > 200) throw new Error(`redis-server did not answer on ${port}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async kill(signal) {
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill(signal);
      await exited;
    },
    pid: () => child?.pid,
    async close() {
      await redis.kill('SIGKILL');
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
  await redis.start();
  return redis;
}
