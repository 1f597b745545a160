// The pure steps of a rebuild wave, without Redis: the entries a plan becomes (tasks that joined an earlier
// wave dropped, with what only they reached), and what a child does when a parent settles.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Plan } from '../../src/graph/plan.js';
import type { WaveEntry } from '../../src/graph/wave-model.js';
import { afterParentSettled, toEntries } from '../../src/graph/wave-plan.js';

const BASE = '127.0.0.1:5000/base:1';
const direct = { image: BASE, changes: [{ platform: 'linux/amd64', basePlatform: 'linux/amd64', oldDigest: 'sha256:old', newDigest: 'sha256:new' }] };
// a and b build on the base; c on a's image; d on a's and b's; e only on c's.
const plan: Plan = {
  image: BASE,
  entries: [
    { task: 'a', level: 0, parents: [], direct },
    { task: 'b', level: 0, parents: [], direct },
    { task: 'c', level: 1, parents: ['a'] },
    { task: 'd', level: 1, parents: ['a', 'b'] },
    { task: 'e', level: 2, parents: ['c'] },
  ],
  cycles: [],
  skipped: [],
};

function entry(task: string, over: Partial<WaveEntry> = {}): WaveEntry {
  return { task, level: 1, state: 'held', parents: ['a'], children: [], waiting: 1, direct: false, causes: [], ...over };
}

describe('toEntries', () => {
  it('makes direct tasks ready and the rest held behind their parents, with children linked', () => {
    const entries = new Map(toEntries(plan, new Set(), [], BASE).map((e) => [e.task, e]));
    assert.deepEqual([...entries.keys()], ['a', 'b', 'c', 'd', 'e']);
    assert.equal(entries.get('a')!.state, 'ready');
    assert.deepEqual(entries.get('a')!.children, ['c', 'd']);
    assert.deepEqual(entries.get('a')!.causes, [[{ image: BASE, platform: 'linux/amd64', oldDigest: 'sha256:old', newDigest: 'sha256:new' }]]);
    assert.deepEqual({ state: entries.get('d')!.state, waiting: entries.get('d')!.waiting, causes: entries.get('d')!.causes }, { state: 'held', waiting: 2, causes: [] });
  });

  it('drops tasks that joined an earlier wave, and what only they reached', () => {
    const entries = new Map(toEntries(plan, new Set(['a']), [], BASE).map((e) => [e.task, e]));
    // c and e were reached only through a; d still waits for b.
    assert.deepEqual([...entries.keys()], ['b', 'd']);
    assert.deepEqual(entries.get('d')!.parents, ['b']);
    assert.equal(entries.get('d')!.waiting, 1);
  });

  it('puts the upstream chain before the change in every direct cause', () => {
    const upstream = [{ image: '127.0.0.1:5000/root:1', newDigest: 'sha256:r', task: 'root', runId: 'r0000001' }];
    const [a] = toEntries(plan, new Set(), upstream, BASE);
    assert.deepEqual(a!.causes[0]![0], upstream[0]);
  });
});

describe('afterParentSettled', () => {
  const parent = entry('a', { state: 'succeeded', causes: [[{ image: BASE, newDigest: 'sha256:new' }]] });
  const pushed = [{ image: '127.0.0.1:5000/a:1', newDigest: 'sha256:a', task: 'a', runId: 'r0000002' }];

  it('a child with another parent to wait for waits on, one parent fewer', () => {
    const { child, next } = afterParentSettled(entry('d', { waiting: 2 }), parent, pushed);
    assert.equal(next, 'wait');
    assert.equal(child.waiting, 1);
    assert.equal(child.state, 'held');
  });

  it('a child whose last parent rebuilt is ready, caused by the parent\'s chain and what it pushed', () => {
    const { child, next } = afterParentSettled(entry('c'), parent, pushed);
    assert.equal(next, 'ready');
    assert.equal(child.state, 'ready');
    assert.deepEqual(child.causes, [[{ image: BASE, newDigest: 'sha256:new' }, ...pushed]]);
  });

  it('a child whose parents all failed, with no change of its own, is skipped', () => {
    const { next, child } = afterParentSettled(entry('c'), { ...parent, state: 'failed' });
    assert.equal(next, 'skip');
    assert.deepEqual(child.causes, []);
  });

  it('a child that builds on the changed image itself rebuilds though its parent failed', () => {
    assert.equal(afterParentSettled(entry('d', { direct: true }), { ...parent, state: 'failed' }).next, 'ready');
  });
});
