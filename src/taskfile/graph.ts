// The step graph: which steps wait for which, as ACR decides it. `when: ["-"]` starts a step at once,
// `when: [ids]` waits for those steps, and no `when` waits for the step written before it. Unknown ids,
// a step waiting for itself, duplicate ids and cycles are errors. Levels are for display: a step's level is
// one more than the highest level it waits for, so steps of one level can run side by side.
import { PARALLEL } from './schema.js';

export interface GraphInput {
  id?: string;
  when?: string[];
}

export interface StepNode {
  id: string;
  index: number;
  /** Ids this step waits for; empty when it starts at once. */
  after: string[];
  level: number;
}

export interface GraphIssue {
  index: number;
  /** Which part is wrong: the id, or one entry of when. */
  field: 'id' | 'when';
  whenIndex?: number;
  message: string;
}

export const defaultStepId = (index: number) => `acb_step_${index}`;
const RESERVED = 'acb_root';

export function buildGraph(steps: readonly GraphInput[]): { nodes: StepNode[]; issues: GraphIssue[] } {
  const issues: GraphIssue[] = [];
  const ids = steps.map((s, i) => s.id ?? defaultStepId(i));
  const firstIndex = new Map<string, number>();
  ids.forEach((id, index) => {
    if (id === RESERVED) issues.push({ index, field: 'id', message: `${RESERVED} is a reserved id` });
    else if (firstIndex.has(id)) issues.push({ index, field: 'id', message: `duplicate step id ${id} (first used by step ${firstIndex.get(id)! + 1})` });
    else firstIndex.set(id, index);
  });
  const nodes: StepNode[] = steps.map((s, index) => {
    const id = ids[index]!;
    const when = s.when ?? [];
    let after: string[];
    if (when.length === 0) after = index === 0 ? [] : [ids[index - 1]!];
    else if (when.includes(PARALLEL)) {
      if (when.length > 1) issues.push({ index, field: 'when', whenIndex: when.indexOf(PARALLEL), message: 'when: "-" (start at once) cannot be combined with step ids' });
      after = [];
    } else {
      after = [];
      when.forEach((dep, whenIndex) => {
        if (dep === id) issues.push({ index, field: 'when', whenIndex, message: `step ${id} waits for itself` });
        else if (!firstIndex.has(dep)) issues.push({ index, field: 'when', whenIndex, message: `when names unknown step id ${dep}${suggest(dep, ids)}` });
        else if (!after.includes(dep)) after.push(dep);
      });
    }
    return { id, index, after, level: 0 };
  });
  if (issues.length === 0) {
    const cycle = findCycle(nodes);
    if (cycle) issues.push({ index: nodes.find((n) => n.id === cycle[0])!.index, field: 'when', message: `steps wait for each other in a cycle: ${cycle.join(' → ')}` });
    else assignLevels(nodes);
  }
  return { nodes, issues };
}

function suggest(dep: string, ids: string[]): string {
  const close = ids.find((id) => id.toLowerCase() === dep.toLowerCase());
  return close ? ` (did you mean ${close}?)` : `; known ids: ${ids.slice(0, 10).join(', ')}${ids.length > 10 ? ', …' : ''}`;
}

/** Iterative depth-first search (a 200-step chain must not recurse 200 deep per call). */
function findCycle(nodes: StepNode[]): string[] | undefined {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const state = new Map<string, 'open' | 'done'>();
  for (const root of nodes) {
    if (state.has(root.id)) continue;
    const stack: { id: string; next: number }[] = [{ id: root.id, next: 0 }];
    state.set(root.id, 'open');
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const dep = byId.get(top.id)!.after[top.next++];
      if (dep === undefined) {
        state.set(top.id, 'done');
        stack.pop();
      } else if (state.get(dep) === 'open') {
        const from = stack.findIndex((f) => f.id === dep);
        return [...stack.slice(from).map((f) => f.id), dep].reverse();
      } else if (!state.has(dep)) {
        state.set(dep, 'open');
        stack.push({ id: dep, next: 0 });
      }
    }
  }
  return undefined;
}

function assignLevels(nodes: StepNode[]): void {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const done = new Set<string>();
  // Relax until stable; the graph is acyclic, so at most nodes.length passes.
  for (let pass = 0; pass <= nodes.length && done.size < nodes.length; pass++) {
    for (const n of nodes) {
      if (done.has(n.id) || !n.after.every((d) => done.has(d))) continue;
      n.level = n.after.length === 0 ? 0 : Math.max(...n.after.map((d) => byId.get(d)!.level)) + 1;
      done.add(n.id);
    }
  }
}
