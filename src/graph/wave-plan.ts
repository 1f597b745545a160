// The pure steps of a rebuild wave, apart from its storage: the entries a plan becomes, and what a child
// entry does when one of its parents settles. BaseImageRebuilds reads and writes the entries around these.
import type { RebuildCause } from '../runs/model.js';
import type { Plan, PlanEntry } from './plan.js';
import type { WaveEntry } from './wave-model.js';

/** Why a task rebuilds: the chain of causes up to the change, then the changed image's platforms it builds on. */
export function causeChain(upstream: RebuildCause[], image: string, e: PlanEntry): RebuildCause[] {
  const links = (e.direct?.changes ?? []).map((c): RebuildCause => ({ image, platform: c.platform, newDigest: c.newDigest, ...(c.oldDigest ? { oldDigest: c.oldDigest } : {}) }));
  return [...upstream, ...links];
}

/** Wave entries for a plan, without the tasks that joined earlier waves (and what was reachable only through them). */
export function toEntries(plan: Plan, joined: Set<string>, upstream: RebuildCause[], image: string): WaveEntry[] {
  const kept = new Map<string, WaveEntry>();
  for (const e of plan.entries) {
    if (joined.has(e.task)) continue;
    const parents = e.parents.filter((p) => kept.has(p));
    if (!e.direct && parents.length === 0) continue;
    kept.set(e.task, {
      task: e.task,
      level: e.level,
      state: parents.length ? 'held' : 'ready',
      parents,
      children: [],
      waiting: parents.length,
      direct: e.direct !== undefined,
      causes: e.direct ? [causeChain(upstream, image, e)] : [],
    });
    for (const p of parents) kept.get(p)!.children.push(e.task);
  }
  return [...kept.values()];
}

/**
 * A held child after one of its parents settled: one parent fewer to wait for, and, when the parent's
 * rebuild succeeded, a cause more (the parent's chain, then what it pushed). `next` says what becomes of
 * it: it waits on, it is ready, or it is skipped (no parent rebuilt and no change of its own).
 */
export function afterParentSettled(child: WaveEntry, parent: WaveEntry, rebuilt?: RebuildCause[]): { child: WaveEntry; next: 'wait' | 'ready' | 'skip' } {
  const causes = rebuilt ? [...child.causes, [...(parent.causes[0] ?? []), ...rebuilt]] : child.causes;
  const updated: WaveEntry = { ...child, waiting: Math.max(0, child.waiting - 1), causes };
  if (updated.waiting > 0) return { child: updated, next: 'wait' };
  if (updated.direct || updated.causes.length) return { child: { ...updated, state: 'ready' }, next: 'ready' };
  return { child: updated, next: 'skip' };
}
