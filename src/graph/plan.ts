// The impact plan of a base-image change: which tasks rebuild, which of them wait for which, in what
// order. Pure: it reads a snapshot of the graph. Tasks that build on the changed image directly are
// checked against the digests they were built on; tasks further down rebuild when an image they build
// on is rebuilt. A task reached through several paths appears once, after all of its parents. Cycles
// (a task that builds, through others, on its own image) are reported and cut, so nothing loops.
import { type BaseImagePolicy, type BaseUseDigest, type GraphBase, type GraphNode, type ImageChange, policyCovers } from './model.js';

export interface GraphView {
  dependents(image: string): readonly string[];
  node(task: string): GraphNode | undefined;
  /** The task's base-image trigger; undefined when the task no longer exists. */
  policy(task: string): BaseImagePolicy | undefined;
  /** The digest the task is known to be built (or being rebuilt) on, for one base, platform and base platform. */
  known(task: string, image: string, platform: string, basePlatform: string): string | undefined;
}

export interface DigestChange {
  platform: string;
  basePlatform: string;
  oldDigest?: string;
  newDigest: string;
}

export interface PlanEntry {
  task: string;
  /** 0 for tasks that can rebuild at once; otherwise one more than their deepest parent. */
  level: number;
  /** Tasks in the plan whose rebuild this one waits for. */
  parents: string[];
  /** Set when the task builds on the changed image itself: the platforms whose digest changed. */
  direct?: { image: string; changes: DigestChange[] };
}

export interface Plan {
  image: string;
  /** In a topological order: every entry after all of its parents. */
  entries: PlanEntry[];
  /** Groups of tasks that build on each other's images; the edges inside a group are ignored. */
  cycles: string[][];
  skipped: { task: string; reason: string }[];
}

export interface PlanLimits {
  maxTasks: number;
}

export function planRebuilds(view: GraphView, change: ImageChange, limits: PlanLimits = { maxTasks: 100_000 }): Plan {
  const skipped: Plan['skipped'] = [];
  const direct = new Map<string, PlanEntry['direct']>();
  for (const task of view.dependents(change.image)) {
    const changes = directChanges(view, task, change, skipped);
    if (changes) direct.set(task, { image: change.image, changes });
  }

  // Everything downstream of a rebuilt task, through the images it pushes.
  const parents = new Map<string, Set<string>>();
  const queue = [...direct.keys()];
  for (const task of queue) parents.set(task, new Set());
  for (let i = 0; i < queue.length; i++) {
    const task = queue[i]!;
    for (const child of childrenOf(view, task)) {
      let set = parents.get(child);
      if (!set) {
        if (parents.size >= limits.maxTasks) throw new Error(`the rebuild plan for ${change.image} passes ${limits.maxTasks} tasks`);
        parents.set(child, (set = new Set()));
        queue.push(child);
      }
      set.add(task);
    }
  }

  const cycles = stronglyConnected(parents).filter((c) => c.length > 1 || parents.get(c[0]!)!.has(c[0]!));
  const cycleOf = new Map<string, number>();
  cycles.forEach((c, i) => c.forEach((t) => cycleOf.set(t, i)));
  const sameCycle = (a: string, b: string) => cycleOf.has(a) && cycleOf.get(a) === cycleOf.get(b);
  for (const [task, set] of parents) for (const p of [...set]) if (p === task || sameCycle(p, task)) set.delete(p);

  return { image: change.image, entries: topological(parents, direct), cycles, skipped };
}

function directChanges(view: GraphView, task: string, change: ImageChange, skipped: Plan['skipped']): DigestChange[] | undefined {
  const policy = view.policy(task);
  const base = view.node(task)?.bases.find((b) => b.image === change.image);
  if (!policy || !base) return undefined;
  // Under the runtime policy only the uses that end up under the image count: a buildtime pull of the
  // build platform's manifest does not, even when the target platform's use of the same image does.
  const uses = base.uses.filter((u) => policyCovers(policy, kindOf(base, u)));
  if (uses.length === 0) {
    skipped.push({ task, reason: policy === 'off' ? 'base-image trigger is off' : `builds on ${change.image} only at build time (trigger: runtime)` });
    return undefined;
  }
  const changes: DigestChange[] = [];
  for (const use of uses) {
    const newDigest = change.platforms[use.basePlatform];
    if (!newDigest) continue;
    const oldDigest = view.known(task, change.image, use.platform, use.basePlatform) ?? use.digest;
    if (oldDigest !== newDigest) changes.push({ platform: use.platform, basePlatform: use.basePlatform, ...(oldDigest ? { oldDigest } : {}), newDigest });
  }
  if (changes.length === 0) {
    const platforms = uses.map((u) => u.basePlatform).filter((p) => change.platforms[p]);
    const only = uses.length < base.uses.length ? ' at run time' : '';
    skipped.push({ task, reason: platforms.length ? `already built on these digests (${platforms.join(', ')})` : `no changed platform is one it builds on${only} (${uses.map((u) => u.basePlatform).join(', ')})` });
    return undefined;
  }
  return changes;
}

/** Tasks that build, under their policy, on an image the task pushes, for a platform the task builds. */
function childrenOf(view: GraphView, task: string): string[] {
  const node = view.node(task);
  if (!node) return [];
  const out = new Set<string>();
  for (const image of node.outputs) {
    for (const child of view.dependents(image)) {
      const policy = view.policy(child);
      const base = view.node(child)?.bases.find((b) => b.image === image);
      if (policy && base && base.uses.some((u) => policyCovers(policy, kindOf(base, u)) && node.platforms.includes(u.basePlatform))) out.add(child);
    }
  }
  return [...out];
}

/** A use's own kind; records written before uses had one carry only the base's. */
function kindOf(base: GraphBase, use: BaseUseDigest): GraphBase['kind'] {
  return use.kind ?? base.kind;
}

function topological(parents: Map<string, Set<string>>, direct: Map<string, PlanEntry['direct']>): PlanEntry[] {
  const children = new Map<string, string[]>();
  const waiting = new Map<string, number>();
  for (const [task, set] of parents) {
    waiting.set(task, set.size);
    for (const p of set) {
      const list = children.get(p);
      if (list) list.push(task);
      else children.set(p, [task]);
    }
  }
  const level = new Map<string, number>();
  const ready = [...parents.keys()].filter((t) => waiting.get(t) === 0);
  const entries: PlanEntry[] = [];
  for (let i = 0; i < ready.length; i++) {
    const task = ready[i]!;
    const ps = [...parents.get(task)!];
    const l = ps.length ? 1 + Math.max(...ps.map((p) => level.get(p)!)) : 0;
    level.set(task, l);
    const d = direct.get(task);
    entries.push({ task, level: l, parents: ps, ...(d ? { direct: d } : {}) });
    for (const c of children.get(task) ?? []) {
      const left = waiting.get(c)! - 1;
      waiting.set(c, left);
      if (left === 0) ready.push(c);
    }
  }
  return entries;
}

/** Tarjan's strongly connected components over the parent edges, iteratively (graphs may be deep). */
function stronglyConnected(parents: Map<string, Set<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  let next = 0;
  for (const start of parents.keys()) {
    if (index.has(start)) continue;
    const work: { task: string; edges: string[]; i: number }[] = [];
    const visit = (task: string) => {
      index.set(task, next);
      low.set(task, next++);
      stack.push(task);
      onStack.add(task);
      work.push({ task, edges: [...parents.get(task)!], i: 0 });
    };
    visit(start);
    while (work.length) {
      const frame = work[work.length - 1]!;
      if (frame.i < frame.edges.length) {
        const p = frame.edges[frame.i++]!;
        if (!index.has(p)) visit(p);
        else if (onStack.has(p)) low.set(frame.task, Math.min(low.get(frame.task)!, index.get(p)!));
        continue;
      }
      work.pop();
      if (work.length) {
        const up = work[work.length - 1]!.task;
        low.set(up, Math.min(low.get(up)!, low.get(frame.task)!));
      }
      if (low.get(frame.task) === index.get(frame.task)) {
        const component: string[] = [];
        let t: string;
        do {
          t = stack.pop()!;
          onStack.delete(t);
          component.push(t);
        } while (t !== frame.task);
        out.push(component);
      }
    }
  }
  return out;
}
