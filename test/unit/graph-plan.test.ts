import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BaseImagePolicy, GraphNode } from '../../src/graph/model.js';
import { planRebuilds, type GraphView } from '../../src/graph/plan.js';

const AMD = 'linux/amd64';
const ARM = 'linux/arm64';
const R = '127.0.0.1:5000';

interface Spec {
  bases: [image: string, digest: string, kind?: 'runtime' | 'buildtime'][];
  outputs?: string[];
  platforms?: string[];
  policy?: BaseImagePolicy;
}

/** A graph view over literal nodes: task → bases with the digest it was built on, and what it pushes. */
function view(specs: Record<string, Spec>, known: Record<string, string> = {}): GraphView {
  const nodes = new Map<string, GraphNode>();
  const dependents = new Map<string, string[]>();
  for (const [task, s] of Object.entries(specs)) {
    const platforms = s.platforms ?? [AMD];
    nodes.set(task, {
      task,
      platforms,
      bases: s.bases.map(([image, digest, kind]) => ({ image, kind: kind ?? 'runtime', uses: platforms.map((p) => ({ platform: p, basePlatform: p, digest: `${digest}-${p}` })) })),
      outputs: s.outputs ?? [`${R}/${task}:latest`],
      runId: 'r0000001',
      updatedAt: '2026-01-01T00:00:00Z',
    });
    for (const [image] of s.bases) dependents.set(image, [...(dependents.get(image) ?? []), task]);
  }
  return {
    dependents: (i) => dependents.get(i) ?? [],
    node: (t) => nodes.get(t),
    policy: (t) => (specs[t] ? (specs[t].policy ?? 'runtime') : undefined),
    known: (t, i, p) => known[`${t}|${i}|${p}`],
  };
}

const img = (name: string) => `${R}/${name}:latest`;
const change = (name: string, digest: string, platforms = [AMD]) => ({ image: img(name), platforms: Object.fromEntries(platforms.map((p) => [p, `${digest}-${p}`])) });
const order = (plan: ReturnType<typeof planRebuilds>) => plan.entries.map((e) => `${e.task}@${e.level}<${e.parents.sort().join(',')}`);

describe('planRebuilds', () => {
  it('chain base → mid → app: mid first, then app, each once', () => {
    const plan = planRebuilds(view({ mid: { bases: [[img('base'), 'old']] }, app: { bases: [[img('mid'), 'm1']] } }), change('base', 'new'));
    assert.deepEqual(order(plan), ['mid@0<', 'app@1<mid']);
    assert.deepEqual(plan.entries[0]!.direct?.changes, [{ platform: AMD, basePlatform: AMD, oldDigest: `old-${AMD}`, newDigest: `new-${AMD}` }]);
    assert.equal(plan.entries[1]!.direct, undefined);
  });

  it('diamond base → a, b → c: c once, after both', () => {
    const plan = planRebuilds(
      view({ a: { bases: [[img('base'), 'old']] }, b: { bases: [[img('base'), 'old']] }, c: { bases: [[img('a'), 'x'], [img('b'), 'y']] } }),
      change('base', 'new'),
    );
    assert.deepEqual(order(plan), ['a@0<', 'b@0<', 'c@1<a,b']);
  });

  it('a task on the base and on a rebuilt image waits for that image, and is direct', () => {
    const plan = planRebuilds(view({ a: { bases: [[img('base'), 'old']] }, c: { bases: [[img('base'), 'old'], [img('a'), 'x']] } }), change('base', 'new'));
    assert.deepEqual(order(plan), ['a@0<', 'c@1<a']);
    assert.ok(plan.entries[1]!.direct);
  });

  it('the same digest again plans nothing', () => {
    const plan = planRebuilds(view({ mid: { bases: [[img('base'), 'same']] }, app: { bases: [[img('mid'), 'm']] } }), change('base', 'same'));
    assert.deepEqual(plan.entries, []);
    assert.match(plan.skipped[0]!.reason, /already built on these digests/);
  });

  it('a known digest (claimed by an earlier report of the push) counts over the built one', () => {
    const v = view({ mid: { bases: [[img('base'), 'old']] } }, { [`mid|${img('base')}|${AMD}`]: `new-${AMD}` });
    assert.deepEqual(planRebuilds(v, change('base', 'new')).entries, []);
  });

  it('an index that only gained an architecture rebuilds nothing for the unchanged one', () => {
    const plan = planRebuilds(view({ mid: { bases: [[img('base'), 'old']] } }), { image: img('base'), platforms: { [AMD]: `old-${AMD}`, [ARM]: 'brand-new' } });
    assert.deepEqual(plan.entries, []);
  });

  it('a multi-platform task rebuilds when one of its platforms changed, naming that platform', () => {
    const plan = planRebuilds(view({ mid: { bases: [[img('base'), 'old']], platforms: [AMD, ARM] } }), { image: img('base'), platforms: { [AMD]: `old-${AMD}`, [ARM]: 'new-arm' } });
    assert.deepEqual(plan.entries[0]!.direct?.changes.map((c) => c.platform), [ARM]);
  });

  it('policies: off never rebuilds; runtime skips build-time bases; all takes them', () => {
    const plan = planRebuilds(
      view({
        off: { bases: [[img('base'), 'o']], policy: 'off' },
        rt: { bases: [[img('base'), 'o', 'buildtime']], policy: 'runtime' },
        all: { bases: [[img('base'), 'o', 'buildtime']], policy: 'all' },
      }),
      change('base', 'n'),
    );
    assert.deepEqual(order(plan), ['all@0<']);
    assert.deepEqual(plan.skipped.map((s) => s.task).sort(), ['off', 'rt']);
    assert.match(plan.skipped.find((s) => s.task === 'off')!.reason, /trigger is off/);
  });

  it('downstream tasks follow their own policy', () => {
    const plan = planRebuilds(view({ mid: { bases: [[img('base'), 'o']] }, app: { bases: [[img('mid'), 'm']], policy: 'off' } }), change('base', 'n'));
    assert.deepEqual(order(plan), ['mid@0<']);
  });

  it('a deleted task (no policy) is left out', () => {
    const v = view({ mid: { bases: [[img('base'), 'o']] } });
    assert.deepEqual(planRebuilds({ ...v, policy: () => undefined }, change('base', 'n')).entries, []);
  });

  it('a cycle is reported, cut, and every task in it planned once', () => {
    const plan = planRebuilds(
      view({ a: { bases: [[img('base'), 'o'], [img('b'), 'x']] }, b: { bases: [[img('a'), 'y']] }, c: { bases: [[img('b'), 'z']] } }),
      change('base', 'n'),
    );
    assert.deepEqual(plan.cycles.map((c) => c.sort()), [['a', 'b']]);
    assert.deepEqual(plan.entries.map((e) => e.task).sort(), ['a', 'b', 'c']);
    assert.equal(new Set(plan.entries.map((e) => e.task)).size, 3);
    const c = plan.entries.find((e) => e.task === 'c')!;
    assert.deepEqual(c.parents, ['b']);
  });

  it('a task that builds on its own image does not wait for itself', () => {
    const plan = planRebuilds(view({ self: { bases: [[img('base'), 'o'], [img('self'), 's']] } }), change('base', 'n'));
    assert.deepEqual(order(plan), ['self@0<']);
    assert.deepEqual(plan.cycles, [['self']]);
  });

  it('every entry comes after all its parents in a deep, wide generated graph', () => {
    const specs: Record<string, Spec> = {};
    for (let i = 0; i < 2000; i++) {
      const parents = i < 10 ? [[img('base'), 'o'] as [string, string]] : [[img(`t${i % 10}`), 'x'] as [string, string], [img(`t${Math.floor(i / 2)}`), 'y'] as [string, string]];
      specs[`t${i}`] = { bases: parents };
    }
    const plan = planRebuilds(view(specs), change('base', 'n'));
    assert.equal(plan.entries.length, 2000);
    const at = new Map(plan.entries.map((e, i) => [e.task, i]));
    for (const e of plan.entries) for (const p of e.parents) assert.ok(at.get(p)! < at.get(e.task)!, `${p} before ${e.task}`);
  });

  it('refuses a plan past the task limit instead of growing without bound', () => {
    const specs: Record<string, Spec> = { t0: { bases: [[img('base'), 'o']] } };
    for (let i = 1; i < 50; i++) specs[`t${i}`] = { bases: [[img(`t${i - 1}`), 'x']] };
    assert.throws(() => planRebuilds(view(specs), change('base', 'n'), { maxTasks: 10 }), /passes 10 tasks/);
  });
});
