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
    const r1 = await locks.acquire(path.join(dir, 'x.lock'));
    const r2 = await locks.acquire(path.join(dir, 'y.lock'));
    await Promise.all([r1(), r2()]);
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
    await (await waiting)();
    assert.equal(got, true);
  });

  it('takes over the lock of a process that died', async () => {
    const file = path.join(dir, 'c.lock');
    const child = spawn(process.execPath, ['-e', '0']);
    await new Promise((resolve) => child.once('exit', resolve));
    await fs.writeFile(file, JSON.stringify({ pid: child.pid, host: os.hostname(), token: 'dead' }));
    const started = Date.now();
    const release = await new MirrorLocks().acquire(file, { pollMs: 20 });
    assert.ok(Date.now() - started < 5000, 'waited for a lock whose holder is dead');
    await release();
  });

  it('takes over a lock nobody refreshed for staleMs', async () => {
    const file = path.join(dir, 'd.lock');
    await fs.writeFile(file, JSON.stringify({ pid: process.pid, host: 'another-host', token: 'old' }));
    const old = new Date(Date.now() - 60_000);
    await fs.utimes(file, old, old);
    const release = await new MirrorLocks().acquire(file, { staleMs: 5_000, pollMs: 20 });
    await release();
  });

  it('a waiter stops waiting when its signal aborts, and the queue moves on', async () => {
    const locks = new MirrorLocks();
    const file = path.join(dir, 'e.lock');
    const release = await locks.acquire(file);
    const abort = new AbortController();
    const waiting = locks.acquire(file, { signal: abort.signal });
    const third = locks.acquire(file);
    abort.abort(new Error('canceled'));
    await assert.rejects(waiting, /canceled/);
    await release();
    await (await third)();
  });
});
