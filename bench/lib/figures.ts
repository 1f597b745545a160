// The key figures of each bench, as its history line keeps them (bench/lib/history.ts): the medians and
// ratios its summary sets against a target, without samples. Tolerant of sections written by older
// versions of a bench, which lack some fields.
import type { PlatformsSection } from './platforms-summary.js';
import type { BuildSection, LatencySection } from './results.js';
import type { Summary } from './stats.js';

const pick = (s: Partial<Summary> | undefined, keys: (keyof Summary)[]) => (s ? Object.fromEntries(keys.filter((k) => s[k] !== undefined).map((k) => [k, s[k]])) : undefined);

export function buildFigures(b: BuildSection): Record<string, unknown> {
  return {
    iterations: b.iterations,
    mediansMs: b.medians,
    comparisons: Object.fromEntries(
      Object.entries(b.comparisons ?? {}).map(([variant, c]) => [
        variant,
        { uncachedRatio: c.uncachedRatio, uncachedPairRatio: c.uncachedPairRatio, cachedDeltaMs: c.cachedDeltaMs, cachedPairDeltaMs: c.cachedPairDeltaMs },
      ]),
    ),
    failures: b.failures?.length ?? 0,
  };
}

export function latencyFigures(l: LatencySection): Record<string, unknown> {
  return {
    runs: l.runs,
    submitToStartMs: pick(l.submitToStart, ['p50', 'p99', 'max']),
    createdToStartMs: pick(l.createdToStart, ['p50', 'p99']),
    firstSubmitToStartMs: l.first?.submitToStartMs,
    targetP99Ms: l.targetP99Ms,
    targetMet: l.targetMet,
    tokenCheckUs: l.tokenCheckUs && pick(l.tokenCheckUs, ['p50', 'p99', 'max']),
    tokenCheckColdUs: l.tokenCheckColdUs && pick(l.tokenCheckColdUs, ['p50', 'p99', 'max']),
  };
}

export function platformsFigures(s: PlatformsSection): Record<string, unknown> {
  const t = s.threePlatform;
  return {
    threePlatform: t && { iterations: t.iterations, mediansMs: t.medians, ratioVsRawPlusWindows: t.ratioVsRawPlusWindows, ratioVsRawLinuxOnly: t.ratioVsRawLinuxOnly },
    qemu: s.qemu && { iterations: s.qemu.iterations, mediansMs: s.qemu.medians, buildTimeFactor: s.qemu.buildTimeFactor, runStepFactor: s.qemu.runStepFactor },
    failures: s.failures?.length ?? 0,
  };
}

export interface GitFetchRepository {
  repository: { commits: number; files: number; serverPackBytes: number };
  iterations: number;
  medians: Record<string, number>;
  ratios: Record<string, number>;
  objects?: Record<string, number>;
}

export function gitFetchFigures(repositories: GitFetchRepository[], git: string): Record<string, unknown> {
  return {
    git,
    repositories: repositories.map((r) => ({ ...r.repository, iterations: r.iterations, mediansMs: r.medians, ratios: r.ratios, ...(r.objects ? { objects: r.objects } : {}) })),
  };
}

export interface RebuildsResult {
  plan: { tasks: number; medianMs: number; firstRunsMs?: number[]; targetMs: number; met: boolean };
  eventToStart: { pushes: number; summaryMs: Summary; targetMs: number; met: boolean };
}

export function rebuildsFigures(r: RebuildsResult): Record<string, unknown> {
  return {
    tasks: r.plan.tasks,
    planMedianMs: r.plan.medianMs,
    planTargetMs: r.plan.targetMs,
    planMet: r.plan.met,
    pushes: r.eventToStart.pushes,
    pushToStartMs: pick(r.eventToStart.summaryMs, ['p50', 'max']),
    pushToStartTargetMs: r.eventToStart.targetMs,
    pushToStartMet: r.eventToStart.met,
  };
}
