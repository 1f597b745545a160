// The mirror lock: one holder at a time within a process and across processes (a lock file), stale locks of
// dead processes taken over, and a waiter that gives up when its job is cancelled.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { MirrorLocks } from '../../workers/source/git-lock.js';
import { within } from '../support/wait.js';

describe('MirrorLocks', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-git-lock-'));
  after(() => fs.rm(dir, { recursive: true, force: true }));

  it('serialises holders of one lock in one process, in order', async () => {
    const locks = new MirrorLocks();
    const file = path.join(dir, 'a.lock');
    const events: string[] = [];
    const hold = async (name: string) => {
      const release = await locks.acquire(file);
      events.push(`${name}+`);
      await sleep(30);
      events.push(`${name}-`);
      await release();
    };
    await Promise.all([hold('1'), hold('2'), hold('3')]);
    assert.deepEqual(events, ['1+', '1-', '2+', '2-', '3+', '3-']);
    await assert.rejects(fs.access(file));
  });

  it('different locks do not wait for each other', async () => {
    const locks = new MirrorLocks();
    const [x, y] = [path.join(dir, 'x.lock'), path.join(dir, 'y.lock')];
    const r1 = await locks.acquire(x);
    const r2 = await within('a second lock while the first is held', 5_000, locks.acquire(y));
    assert.equal((await holderOf(x)).pid, process.pid);
    assert.equal((await holderOf(y)).pid, process.pid);
    await Promise.all([r1(), r2()]);
    await assert.rejects(fs.access(x));
    await assert.rejects(fs.access(y));
  });

  it('waits for a lock file held by another live process', async () => {
    const file = path.join(dir, 'b.lock');
    const other = new MirrorLocks(); // stands for another process: no shared in-process queue
    const release = await other.acquire(file);
    const locks = new MirrorLocks();
    let got = false;
    const waiting = locks.acquire(file, { pollMs: 20 }).then((r) => ((got = true), r));
    await sleep(150);
    assert.equal(got, false);
    await release();
    await (await within('the lock once its holder released it', 5_000, waiting))();
    assert.equal(got, true);
  });

  it('takes over the lock of a process that died', async () => {
    const file = path.join(dir, 'c.lock');
    const child = spawn(process.execPath, ['-e', '0']);
    await new Promise((resolve) => child.once('exit', resolve));
    await fs.writeFile(file, JSON.stringify({ pid: child.pid, host: os.hostname(), token: 'dead' }));
    const release = await within('the lock of a dead process', 5_000, new MirrorLocks().acquire(file, { pollMs: 20 }));
    const holder = await holderOf(file);
    assert.deepEqual([holder.pid, holder.host], [process.pid, os.hostname()]);
    assert.notEqual(holder.token, 'dead');
    await release();
    await assert.rejects(fs.access(file));
  });

  it('takes over a lock nobody refreshed for staleMs', async () => {
    const file = path.join(dir, 'd.lock');
    await fs.writeFile(file, JSON.stringify({ pid: process.pid, host: 'another-host', token: 'old' }));
    const old = new Date(Date.now() - 60_000);
    await fs.utimes(file, old, old);
    const release = await within('a lock nobody refreshed', 5_000, new MirrorLocks().acquire(file, { staleMs: 5_000, pollMs: 20 }));
    const holder = await holderOf(file);
    assert.deepEqual([holder.pid, holder.host], [process.pid, os.hostname()]);
    assert.notEqual(holder.token, 'old');
    await release();
    await assert.rejects(fs.access(file));
  });

  it('a waiter stops waiting when its signal aborts, and the queue moves on', async () => {
    const locks = new MirrorLocks();
    const file = path.join(dir, 'e.lock');
    const release = await locks.acquire(file);
    const abort = new AbortController();
    const waiting = locks.acquire(file, { signal: abort.signal });
    const third = locks.acquire(file);
    abort.abort(new Error('canceled'));
    await assert.rejects(within('the aborted waiter to give up', 5_000, waiting), /canceled/);
    await release();
    const releaseThird = await within('the next waiter to get the lock', 5_000, third);
    assert.equal((await holderOf(file)).pid, process.pid);
    await releaseThird();
    await assert.rejects(fs.access(file));
  });
});

/** Who the lock file says holds it. */
async function holderOf(file: string): Promise<{ pid: number; host: string; token: string }> {
  return JSON.parse(await fs.readFile(file, 'utf8')) as { pid: number; host: string; token: string };
}
