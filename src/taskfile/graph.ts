// The step graph: which steps wait for which, as acr-builder's graph/dag.go builds it. Steps are added in
// the order they are written, and `when` adds an edge from each step it names, so a step can wait only for a
// step written before it: a later or unknown id "does not exist as a vertex" yet, and a cycle cannot be
// written at all. `when: ["-"]` starts a step at once, no `when` (or an empty one) waits for the step
// written before it. Messages keep acr-builder's words, so a file refused by ACR reads the same here, with
// what to do after them. Levels are for display: one more than the highest level a step waits for.
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
const ROOT = 'acb_root';

export function buildGraph(steps: readonly GraphInput[]): { nodes: StepNode[]; issues: GraphIssue[] } {
  const issues: GraphIssue[] = [];
  const ids = steps.map((s, i) => s.id ?? defaultStepId(i));
  /** The vertices added so far: id → its index and level. */
  const added = new Map<string, { index: number; level: number }>();
  const nodes: StepNode[] = steps.map((s, index) => {
    const id = ids[index]!;
    if (id === ROOT) issues.push({ index, field: 'id', message: `${ROOT} is a reserved ID, it can't be used` });
    else if (added.has(id)) issues.push({ index, field: 'id', message: `${id} already exists as a vertex (step ${added.get(id)!.index + 1} has the id ${id}; step ids are unique)` });
    const when = s.when ?? [];
    const after: string[] = [];
    if (when.length === 0) {
      if (index > 0) after.push(ids[index - 1]!);
    } else if (when.includes(PARALLEL) && when.length > 1) {
      const at = when.findIndex((dep) => dep !== PARALLEL);
      issues.push({ index, field: 'when', whenIndex: at === -1 ? 1 : at, message: 'step cannot contain other IDs in when if the immediate execution token is specified ("-" starts the step at once; list either "-" or step ids)' });
    } else if (when[0] !== PARALLEL) {
      when.forEach((dep, whenIndex) => {
        if (dep === id) issues.push({ index, field: 'when', whenIndex, message: `Step ID: ${id} is self-referenced` });
        else if (!added.has(dep)) issues.push({ index, field: 'when', whenIndex, message: `${dep} does not exist as a vertex [from: ${dep}, to: ${id}]${missingHint(dep, index, ids)}` });
        else if (!after.includes(dep)) after.push(dep);
      });
    }
    const level = after.length === 0 ? 0 : Math.max(...after.map((d) => added.get(d)!.level)) + 1;
    if (!added.has(id)) added.set(id, { index, level });
    return { id, index, after, level };
  });
  return { nodes, issues };
}

/** Why an id in when is no vertex yet: a step written later, or no step at all. */
function missingHint(dep: string, index: number, ids: string[]): string {
  const later = ids.indexOf(dep, index + 1);
  if (later !== -1) return `: a step waits only for steps written before it, and ${dep} is step ${later + 1}; move it before step ${index + 1}`;
  const close = ids.find((id) => id.toLowerCase() === dep.toLowerCase());
  const before = ids.slice(0, index);
  if (close) return `: no step has the id ${dep} (did you mean ${close}?)`;
  return `: no step has the id ${dep}${before.length ? `; steps before it: ${before.slice(0, 10).join(', ')}${before.length > 10 ? ', …' : ''}` : ''}`;
}
