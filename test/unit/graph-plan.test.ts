import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BaseImagePolicy, GraphNode } from '../../src/graph/model.js';
import { tagPushes } from '../../src/graph/notifications.js';
import { planRebuilds, type GraphView } from '../../src/graph/plan.js';
import { nodeFromRun } from '../../src/graph/run-records.js';
import { canonicalImageName } from '../../src/registry/reference.js';
import type { BaseImageUse, Run } from '../../src/runs/model.js';

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

describe('runs into the graph: one image for two platforms, registry host case', () => {
  const GOLANG = 'docker.io/library/golang:1.22';
  /** A succeeded run of `task` for `platforms` with these base uses, pushing `images`. */
  const runOf = (task: string, platforms: string[], baseImages: BaseImageUse[], images = [img(task)]): Run => ({
    id: `r-${task}`,
    status: 'succeeded',
    platform: platforms.join(','),
    platforms,
    createdAt: '2026-01-01T00:00:00Z',
    finishedAt: '2026-01-01T00:01:00Z',
    trigger: { type: 'manual' },
    task,
    request: { context: `sha256:${'a'.repeat(64)}`, dockerfile: 'Dockerfile', images, buildArgs: {}, secretBuildArgKeys: [], platform: platforms.join(','), noPush: false, timeoutSeconds: 60 },
    outputImages: [],
    baseImages,
  });
  const use = (image: string, kind: BaseImageUse['kind'], platform: string, basePlatform: string, digest: string): BaseImageUse => ({ image, kind, platform, basePlatform, digest });
  /** The view the graph store gives over these runs' nodes, every task under `policy`. */
  const graphOf = (runs: Run[], policy: BaseImagePolicy = 'runtime'): GraphView => {
    const nodes = new Map(runs.map((r) => [r.task!, nodeFromRun(r)]));
    return {
      dependents: (i) => [...nodes.values()].filter((n) => n.bases.some((b) => b.image === i)).map((n) => n.task),
      node: (t) => nodes.get(t),
      policy: (t) => (nodes.has(t) ? policy : undefined),
      known: () => undefined,
    };
  };
  // Built for arm64: the final stage FROM golang (runtime, arm64), a build stage FROM --platform=$BUILDPLATFORM golang (amd64).
  const cross = runOf('cross', [ARM], [use(GOLANG, 'runtime', ARM, ARM, 'g-arm'), use(GOLANG, 'buildtime', ARM, AMD, 'g-amd')]);

  it('keeps the two uses apart, each with its kind', () => {
    assert.deepEqual(nodeFromRun(cross).bases, [
      { image: GOLANG, kind: 'runtime', uses: [{ platform: ARM, basePlatform: ARM, kind: 'runtime', digest: 'g-arm' }, { platform: ARM, basePlatform: AMD, kind: 'buildtime', digest: 'g-amd' }] },
    ]);
  });

  it('runtime policy: a new build-platform manifest alone rebuilds nothing', () => {
    const plan = planRebuilds(graphOf([cross]), { image: GOLANG, platforms: { [AMD]: 'g-amd2', [ARM]: 'g-arm' } });
    assert.deepEqual(plan.entries, []);
    assert.deepEqual(plan.skipped, [{ task: 'cross', reason: `already built on these digests (${ARM})` }]);
  });

  it('runtime policy: a new target-platform manifest rebuilds, naming that use', () => {
    const plan = planRebuilds(graphOf([cross]), { image: GOLANG, platforms: { [AMD]: 'g-amd', [ARM]: 'g-arm2' } });
    assert.deepEqual(plan.entries[0]?.direct?.changes, [{ platform: ARM, basePlatform: ARM, oldDigest: 'g-arm', newDigest: 'g-arm2' }]);
  });

  it('all policy: the build-platform manifest counts too', () => {
    const plan = planRebuilds(graphOf([cross], 'all'), { image: GOLANG, platforms: { [AMD]: 'g-amd2', [ARM]: 'g-arm' } });
    assert.deepEqual(plan.entries[0]?.direct?.changes, [{ platform: ARM, basePlatform: AMD, oldDigest: 'g-amd', newDigest: 'g-amd2' }]);
  });

  it('a task built only for amd64 rebuilds no child that runs on its image only for arm64', () => {
    const tools = runOf('tools', [AMD], [use(img('base'), 'runtime', AMD, AMD, 'b-amd')]);
    const app = runOf('app', [ARM], [use(img('tools'), 'buildtime', ARM, AMD, 't-amd'), use(img('tools'), 'runtime', ARM, ARM, 't-arm')]);
    const change = { image: img('base'), platforms: { [AMD]: 'b-amd2' } };
    assert.deepEqual(order(planRebuilds(graphOf([tools, app]), change)), ['tools@0<']);
    assert.deepEqual(order(planRebuilds(graphOf([tools, app], 'all'), change)), ['tools@0<', 'app@1<tools']);
  });

  it('a notification names the registry host in lowercase; the FROM wrote it otherwise: the same image', () => {
    const run = runOf('app', [AMD], [use('Registry.Example.COM:5000/team/base:1', 'runtime', AMD, AMD, 'old')], ['Registry.Example.COM:5000/team/app:1']);
    const { pushes } = tagPushes({
      events: [{ action: 'push', target: { mediaType: 'application/vnd.oci.image.index.v1+json', digest: `sha256:${'c'.repeat(64)}`, repository: 'team/base', tag: '1' }, request: { host: 'registry.example.com:5000' } }],
    });
    assert.equal(pushes[0]?.image, 'registry.example.com:5000/team/base:1');
    const plan = planRebuilds(graphOf([run]), { image: pushes[0]!.image, platforms: { [AMD]: 'new' } });
    assert.deepEqual(order(plan), ['app@0<']);
    assert.deepEqual(nodeFromRun(run).outputs, ['registry.example.com:5000/team/app:1']);
  });

  it('repository paths and tags keep their case: another image', () => {
    assert.equal(canonicalImageName('Registry.Example.COM/team/base:V1'), 'registry.example.com/team/base:V1');
    assert.notEqual(canonicalImageName('registry.example.com/team/base:V1'), canonicalImageName('registry.example.com/team/base:v1'));
  });
});
