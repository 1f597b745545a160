// The janitor's pure and file-system parts: which run a run-scoped image name belongs to (this deployment's
// only), git mirrors evicted least recently used first down to their budget with a mirror in use kept, and
// the budget settings' defaults.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { renderWorkers } from '../../src/cli/commands/workers.js';
import { loadConfig } from '../../src/config.js';
import { evictMirrors } from '../../workers/janitor/mirrors.js';
import { runOfImage } from '../../workers/janitor/run-images.js';
import { MirrorLocks } from '../../workers/source/git-lock.js';
import { mirrorLockFile } from '../../workers/source/git-mirror.js';
import { runImageName } from '../../workers/steps/run-images.js';

describe('runOfImage', () => {
  const cases: [string, string, string | undefined][] = [
    [runImageName('slipway-r00001a0', 'build'), 'slipway', 'r00001a0'],
    [runImageName('slipway-r00001a0-linux/arm64', 'build'), 'slipway', 'r00001a0'],
    [runImageName('t-stack-ab12-r0000zz9', '127.0.0.1:5000/app:v1'), 't-stack-ab12', 'r0000zz9'],
    // Another deployment's, even one whose prefix begins with this one's.
    [runImageName('slipway-blue-r00001a0', 'build'), 'slipway', undefined],
    [runImageName('other-r00001a0', 'build'), 'slipway', undefined],
    // Not a run id (the alphabet has no i, l, o, u), or no run at all.
    ['slipway-run/slipway-r0000oi1:abc', 'slipway', undefined],
    ['slipway-run/slipway-:abc', 'slipway', undefined],
    ['slipway-run/slipway-r00001a0x:abc', 'slipway', undefined],
    ['127.0.0.1:5000/slipway-run/slipway-r00001a0:abc', 'slipway', undefined],
    ['busybox:latest', 'slipway', undefined],
  ];
  for (const [tag, prefix, runId] of cases) {
    it(`${tag} (prefix ${prefix}) → ${runId ?? 'none'}`, () => assert.equal(runOfImage(tag, prefix), runId));
  }
});

describe('evictMirrors', async () => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-janitor-'));
  after(() => fs.rm(root, { recursive: true, force: true }));

  /** A mirror directory of `kib` KiB last used `ageS` seconds ago. */
  async function mirror(dir: string, name: string, kib: number, ageS: number): Promise<string> {
    const m = path.join(dir, `${name}.git`);
    await fs.mkdir(path.join(m, 'objects'), { recursive: true });
    await fs.writeFile(path.join(m, 'objects', 'pack'), Buffer.alloc(kib * 1024));
    const at = new Date(Date.now() - ageS * 1000);
    await fs.utimes(m, at, at);
    return m;
  }
  const left = async (dir: string) => (await fs.readdir(dir)).filter((n) => n.endsWith('.git')).sort();

  it('evicts the least recently used first, and only down to the budget', async () => {
    const dir = await fs.mkdtemp(path.join(root, 'lru-'));
    await mirror(dir, 'oldest', 100, 400);
    await mirror(dir, 'older', 100, 300);
    await mirror(dir, 'newer', 100, 200);
    await mirror(dir, 'newest', 100, 100);
    const r = await evictMirrors(dir, 250 * 1024);
    assert.deepEqual(await left(dir), ['newer.git', 'newest.git']);
    assert.equal(r.evicted, 2);
    assert.equal(r.evictedBytes, 200 * 1024);
    assert.equal(r.bytes, 200 * 1024);
  });

  it('keeps a mirror a checkout holds, and evicts the next one instead', async () => {
    const dir = await fs.mkdtemp(path.join(root, 'held-'));
    const held = await mirror(dir, 'held', 100, 400);
    await mirror(dir, 'next', 100, 300);
    await mirror(dir, 'newest', 100, 100);
    // Another process's lock instance, as a checkout in a sandboxed job holds it.
    const release = await new MirrorLocks().acquire(mirrorLockFile(held));
    try {
      const r = await evictMirrors(dir, 250 * 1024);
      assert.deepEqual(await left(dir), ['held.git', 'newest.git']);
      assert.equal(r.evicted, 1);
    } finally {
      await release();
    }
  });

  it('leaves everything within budget, and a missing cache alone', async () => {
    const dir = await fs.mkdtemp(path.join(root, 'within-'));
    await mirror(dir, 'a', 10, 100);
    assert.deepEqual(await evictMirrors(dir, 1024 * 1024), { bytes: 10 * 1024, evicted: 0, evictedBytes: 0 });
    assert.deepEqual(await evictMirrors(path.join(dir, 'none'), 0), { bytes: 0, evicted: 0, evictedBytes: 0 });
  });
});

describe('janitor settings', () => {
  it('default to 20 GiB of build cache, 10 GiB of mirrors and step images unused for 3 days, and take a few KB in tests', () => {
    const env = { SLIPWAY_SECRET_KEY_FILE: '/nonexistent' };
    assert.deepEqual(loadConfig({}, env).janitor, { buildCacheBytes: 20 * 1024 ** 3, mirrorBytes: 10 * 1024 ** 3, intervalMs: 600_000, stepImageMaxAgeMs: 3 * 86_400_000 });
    const small = loadConfig({ SLIPWAY_JANITOR_BUILD_CACHE_BYTES: '4096', SLIPWAY_JANITOR_MIRROR_BYTES: '0', SLIPWAY_JANITOR_INTERVAL_SECONDS: '5', SLIPWAY_JANITOR_STEP_IMAGE_MAX_AGE_SECONDS: '1' }, env).janitor;
    assert.deepEqual(small, { buildCacheBytes: 4096, mirrorBytes: 0, intervalMs: 5000, stepImageMaxAgeMs: 1000 });
    assert.throws(() => loadConfig({ SLIPWAY_JANITOR_MIRROR_BYTES: '-1' }, env), /SLIPWAY_JANITOR_MIRROR_BYTES/);
  });
});

describe('slipway workers', () => {
  it("shows each worker's disk against its budgets, and a dash before the janitor's first pass", () => {
    const now = Date.parse('2026-01-01T00:10:00Z');
    const removed = { buildCacheBytes: 0, mirrors: 0, mirrorBytes: 0, images: 0, containers: 0, networks: 0, workspaces: 0 };
    const base = { host: 'build-1', platforms: ['linux/amd64'], lastHeartbeat: '2026-01-01T00:09:58Z', live: true, runs: [] };
    const disk = { measuredAt: '2026-01-01T00:09:00Z', buildCacheBytes: 3 * 1024 ** 3, buildCacheBudgetBytes: 20 * 1024 ** 3, mirrorBytes: 512 * 1024 ** 2, mirrorBudgetBytes: 10 * 1024 ** 3, removed };
    const text = renderWorkers([{ ...base, name: 'build-1/7', disk }, { ...base, name: 'build-1/8' }], now);
    const [header, measured, fresh] = text.split('\n');
    assert.match(header!, /LAST BEAT\s+DISK$/);
    assert.match(measured!, /build-1\/7 .*build cache 3\.0 GiB of 20\.0 GiB, mirrors 512\.0 MiB of 10\.0 GiB$/);
    assert.match(fresh!, /build-1\/8 .* -$/);
  });
});
