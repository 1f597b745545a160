// The stage graph: which stages a build of the target actually runs (BuildKit builds only those), which of
// them form the runtime chain (the target and the stages it is built FROM), and circular --from references.
import { DockerfileError } from './errors.js';
import type { ResolvedSource, ResolvedStage } from './resolve.js';

/** Stages a stage is built FROM. */
export function baseStages(stage: ResolvedStage): number[] {
  return stage.base.kind === 'stages' ? stage.base.indices : [];
}

/** A stage's COPY/RUN sources plus the ONBUILD triggers of the stages it is built FROM, which run in it. */
export function sourcesOf(stage: ResolvedStage, stages: readonly ResolvedStage[]): ResolvedSource[] {
  const inherited = baseStages(stage).flatMap((i) => stages[i]!.onbuild);
  return inherited.length === 0 ? stage.sources : [...stage.sources, ...inherited];
}

export function dependencies(stage: ResolvedStage, stages: readonly ResolvedStage[]): number[] {
  const deps = [...baseStages(stage)];
  for (const src of sourcesOf(stage, stages)) if (src.target.kind === 'stage') deps.push(src.target.index);
  return deps;
}

/** Every stage reachable from `start` through FROM and --from; iterative, so 50 000 chained stages are fine. */
export function reachableStages(start: number, stages: readonly ResolvedStage[]): Set<number> {
  return walk(start, (i) => dependencies(stages[i]!, stages));
}

/** The target and the stages it is built FROM, transitively. */
export function runtimeChain(start: number, stages: readonly ResolvedStage[]): Set<number> {
  return walk(start, (i) => baseStages(stages[i]!));
}

function walk(start: number, next: (i: number) => number[]): Set<number> {
  const seen = new Set<number>([start]);
  const todo = [start];
  while (todo.length > 0) {
    for (const n of next(todo.pop()!)) {
      if (!seen.has(n)) {
        seen.add(n);
        todo.push(n);
      }
    }
  }
  return seen;
}

/** Throws for a stage that (through --from) depends on itself, as BuildKit does. */
export function checkCycles(stages: readonly ResolvedStage[]): void {
  const state = new Uint8Array(stages.length); // 0 new, 1 on the current path, 2 done
  for (let root = 0; root < stages.length; root++) {
    if (state[root] !== 0) continue;
    const stack: { node: number; deps: number[]; next: number }[] = [{ node: root, deps: dependencies(stages[root]!, stages), next: 0 }];
    state[root] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top.next === top.deps.length) {
        state[top.node] = 2;
        stack.pop();
        continue;
      }
      const dep = top.deps[top.next++]!;
      if (state[dep] === 1) {
        const from = stages[top.node]!;
        const source = sourcesOf(from, stages).find((s) => s.target.kind === 'stage' && s.target.index === dep);
        throw new DockerfileError(`circular dependency detected on stage ${stages[dep]!.name ?? String(dep)}`, source?.line ?? from.line);
      }
      if (state[dep] === 0) {
        state[dep] = 1;
        stack.push({ node: dep, deps: dependencies(stages[dep]!, stages), next: 0 });
      }
    }
  }
}

/**
 * Throws for a stage the build runs that copies or mounts from a later stage: BuildKit builds stages in
 * order and refuses the reference (since dockerfile 1.10; Docker 20.10's built-in frontend still allowed it).
 */
export function checkSourceOrder(reachable: Iterable<number>, stages: readonly ResolvedStage[]): void {
  for (const i of [...reachable].sort((a, b) => a - b)) {
    const stage = stages[i]!;
    for (const src of sourcesOf(stage, stages)) {
      if (src.target.kind !== 'stage' || src.target.index <= i) continue;
      const name = (s: ResolvedStage) => JSON.stringify(s.name ?? `stage-${s.index}`);
      const later = stages[src.target.index]!;
      throw new DockerfileError(
        src.via === 'copy-from'
          ? `cannot copy from stage ${name(later)}, it needs to be defined before current stage ${name(stage)}`
          : `cannot mount from stage ${name(later)}, stage needs to be defined before current command`,
        src.line,
      );
    }
  }
}
