// One writer per mirror: jobs of one worker run in separate sandboxed processes, so an in-process queue
// (no polling between jobs of one process) is backed by a lock file created with O_EXCL. The holder
// refreshes its mtime; a lock whose holder process is gone, or that has not been refreshed for `staleMs`,
// is taken over (renamed away first, so two waiters cannot both take the same stale lock).
// It guards a directory on this worker's own disk, so it is a file lock, not the Redis lock with fencing
// tokens (src/store/lock.ts) that work shared between hosts takes.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';

export interface LockOptions {
  signal?: AbortSignal;
  /** A lock not refreshed for this long is stale (its holder refreshes it every staleMs / 4). */
  staleMs?: number;
  pollMs?: number;
}

interface Holder {
  pid: number;
  host: string;
  token: string;
}

const DEFAULT_STALE_MS = 30_000;

export class MirrorLocks {
  private readonly queues = new Map<string, Promise<void>>();

  /** Waits for the lock at `file`; resolves with its release function. */
  async acquire(file: string, opts: LockOptions = {}): Promise<() => Promise<void>> {
    const previous = this.queues.get(file) ?? Promise.resolve();
    let done!: () => void;
    const mine = new Promise<void>((resolve) => (done = resolve));
    const chained = previous.then(() => mine);
    this.queues.set(file, chained);
    const finish = () => {
      done();
      if (this.queues.get(file) === chained) this.queues.delete(file);
    };
    try {
      await abortable(previous, opts.signal);
      const release = await lockFile(file, opts);
      return async () => {
        try {
          await release();
        } finally {
          finish();
        }
      };
    } catch (err) {
      finish();
      throw err;
    }
  }
}

async function lockFile(file: string, opts: LockOptions): Promise<() => Promise<void>> {
  const staleMs = opts.staleMs ?? DEFAULT_STALE_MS;
  const me: Holder = { pid: process.pid, host: os.hostname(), token: randomBytes(8).toString('hex') };
  for (;;) {
    opts.signal?.throwIfAborted();
    try {
      await fs.writeFile(file, JSON.stringify(me), { flag: 'wx', mode: 0o600 });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (!(await takeOverIfStale(file, staleMs))) await sleep(opts.pollMs ?? 100, opts.signal);
  }
  const heartbeat = setInterval(() => {
    const now = new Date();
    fs.utimes(file, now, now).catch(() => {});
  }, staleMs / 4);
  heartbeat.unref();
  return async () => {
    clearInterval(heartbeat);
    const holder = await readHolder(file);
    if (holder?.token === me.token) await fs.rm(file, { force: true });
  };
}

/** Removes the lock when its holder is gone; true when it did (or the lock vanished meanwhile). */
async function takeOverIfStale(file: string, staleMs: number): Promise<boolean> {
  let stat;
  try {
    stat = await fs.stat(file);
  } catch {
    return true;
  }
  const holder = await readHolder(file);
  const dead = holder !== undefined && holder.host === os.hostname() && !processAlive(holder.pid);
  // A lock file still being written (holder undefined, fresh mtime) is not stale.
  if (!dead && Date.now() - stat.mtimeMs < staleMs) return false;
  const aside = `${file}.stale-${randomBytes(4).toString('hex')}`;
  try {
    await fs.rename(file, aside);
  } catch {
    return true;
  }
  const moved = await readHolder(aside);
  await fs.rm(aside, { force: true });
  if (holder && moved && moved.token !== holder.token) {
    // Someone took the lock between our look and the rename: put theirs back if nobody holds it now.
    await fs.writeFile(file, JSON.stringify(moved), { flag: 'wx', mode: 0o600 }).catch(() => {});
    return false;
  }
  return true;
}

async function readHolder(file: string): Promise<Holder | undefined> {
  try {
    const parsed = JSON.parse(await fs.readFile(file, 'utf8')) as Partial<Holder>;
    return typeof parsed.pid === 'number' && typeof parsed.token === 'string' ? { pid: parsed.pid, host: String(parsed.host), token: parsed.token } : undefined;
  } catch {
    return undefined;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return abortable(new Promise((resolve) => setTimeout(resolve, ms)), signal);
}

function abortable<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => (signal.removeEventListener('abort', onAbort), resolve(v)),
      (e) => (signal.removeEventListener('abort', onAbort), reject(e)),
    );
  });
}
