// The context store's sweep on real files, and the sweeper on real Redis and real run records: contexts
// unused past the TTL go, those a queued or running run needs stay, a HEAD or a repeated upload counts as
// use, dead uploads' temporary files go, and two API instances do not sweep at once.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { sweepContexts } from '../../src/contexts/context-store.js';
import { LocalContextStore } from '../../src/contexts/store.js';
import { ContextSweeper } from '../../src/contexts/sweeper.js';
import { createLogger } from '../../src/log.js';
import { createRedis } from '../../src/redis.js';
import type { Run } from '../../src/runs/model.js';
import { RunStore } from '../../src/runs/store.js';
import { contextArchive } from '../support/archives.js';
import { deleteKeys, REDIS_URL } from '../support/stack.js';

const DAY = 24 * 3600_000;
const limits = { unpackedBytes: 1 << 30, entries: 100_000 };
const dirs: string[] = [];
const redis = createRedis('redis://127.0.0.1:6379', 'test-context-sweep');
const prefix = `t-sweep-${randomBytes(4).toString('hex')}`;
after(async () => {
  await Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true })));
  await deleteKeys(REDIS_URL, prefix);
  redis.disconnect();
});

async function store(): Promise<{ store: LocalContextStore; dir: string }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-sweep-'));
  dirs.push(dir);
  return { store: new LocalContextStore(dir, 1 << 30, limits), dir };
}

const upload = async (s: LocalContextStore, text: string) => (await s.put(Readable.from(await contextArchive(`FROM scratch\n# ${text}\n`)))).digest;
const age = async (s: LocalContextStore, digest: string, ms: number) => {
  const then = new Date(Date.now() - ms);
  await fs.utimes(s.pathOf(digest), then, then);
};

describe('context sweep', () => {
  it('removes contexts unused past the TTL, keeps recent ones and those in use', async () => {
    const { store: s } = await store();
    const [stale, fresh, needed] = [await upload(s, 'stale'), await upload(s, 'fresh'), await upload(s, 'needed')];
    await age(s, stale, 2 * DAY);
    await age(s, needed, 2 * DAY);
    const result = await sweepContexts(s, DAY, new Set([needed]));
    assert.deepEqual(result.removed, [stale]);
    assert.equal(result.kept, 2);
    assert.equal(await s.has(stale), false);
    assert.equal(await s.has(fresh), true);
    assert.equal(await s.has(needed), true);
  });

  it('counts a touch (a HEAD, a submit) and the same upload again as use', async () => {
    const { store: s } = await store();
    const touched = await upload(s, 'touched');
    const again = await upload(s, 'again');
    await age(s, touched, 2 * DAY);
    await age(s, again, 2 * DAY);
    await s.touch(touched);
    assert.equal((await upload(s, 'again')) === again, true);
    assert.deepEqual((await sweepContexts(s, DAY, new Set())).removed, []);
    await s.touch(`sha256:${'0'.repeat(64)}`); // a context that is not there: nothing to do, no error
  });

  it('removes temporary files an upload left behind when it died', async () => {
    const { store: s, dir } = await store();
    await upload(s, 'x');
    const leftover = path.join(dir, 'tmp', 'dead-upload');
    await fs.writeFile(leftover, 'partial');
    const then = new Date(Date.now() - 2 * DAY);
    await fs.utimes(leftover, then, then);
    await sweepContexts(s, DAY, new Set());
    await assert.rejects(fs.stat(leftover));
  });

  it('an upload cut off before the store began to read it is refused at once, leaving no temporary file', async () => {
    const { store: s, dir } = await store();
    const body = new PassThrough();
    body.write(await contextArchive('FROM scratch\n'));
    body.destroy(); // the client went away while the store was still making its directories
    await assert.rejects(s.put(body), /ended before the whole context arrived/);
    assert.deepEqual(await fs.readdir(path.join(dir, 'tmp')), []);
  });

  it('the sweeper keeps the contexts of queued and running runs, and sweeps once across instances', async () => {
    const { store: s } = await store();
    const runs = new RunStore(redis, prefix);
    const [queued, finished] = [await upload(s, 'queued'), await upload(s, 'finished')];
    for (const d of [queued, finished]) await age(s, d, 2 * DAY);
    const record = (id: string, status: Run['status'], context: string): Run => ({
      id,
      status,
      platform: 'linux/amd64',
      platforms: ['linux/amd64'],
      createdAt: new Date().toISOString(),
      trigger: { type: 'manual' },
      request: { context, dockerfile: 'Dockerfile', images: [], buildArgs: {}, secretBuildArgKeys: [], platform: 'linux/amd64', noPush: true, timeoutSeconds: 60 },
      outputImages: [],
    });
    await runs.create(record('r0000001', 'queued', queued), 1);
    await runs.create(record('r0000002', 'succeeded', finished), 2);
    const log = createLogger('test', 'silent');
    const first = new ContextSweeper(s, runs, redis, prefix, DAY, log);
    const second = new ContextSweeper(s, runs, redis, prefix, DAY, log);
    const result = await first.sweep();
    assert.deepEqual(result?.removed, [finished]);
    assert.equal(await s.has(queued), true);
    assert.equal(await second.sweep(), undefined, 'another instance swept moments ago');
  });
});
