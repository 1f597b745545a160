// The benchmarks' knobs, read from the environment in this one place (scripts/bench.sh sets BENCH_RUN_ID
// so that the history lines of one `npm run bench` share a run id).
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const RESULTS_DIR = path.join(ROOT, 'bench', 'results');

export interface BenchOptions {
  runId: string;
  /** Interleaved iterations of the end-to-end build bench (each: every side uncached, then cached). */
  iterations: number;
  /** Sequential runs of the submit-to-start bench, after the first (cold) one. */
  latencyRuns: number;
  /** Soft time limit of the build bench; iterations stop being started past it. */
  buildBudgetMs: number;
}

/** The load bench's size (bench/load.ts): the figures by default; smaller on a shared machine. */
export interface LoadOptions {
  clients: number;
  builds: number;
  followers: number;
  /** Submissions are spread over this long. */
  durationMs: number;
  /** Past this (from the first submission) runs not yet ended are reported as lost, and the bench stops. */
  budgetMs: number;
  workerConcurrency: number;
}

export function loadOptions(): LoadOptions {
  return {
    clients: int('BENCH_LOAD_CLIENTS', 50),
    builds: int('BENCH_LOAD_BUILDS', 500),
    followers: int('BENCH_LOAD_FOLLOWERS', 100),
    durationMs: int('BENCH_LOAD_DURATION_S', 300) * 1000,
    budgetMs: int('BENCH_LOAD_BUDGET_S', 3600) * 1000,
    workerConcurrency: int('BENCH_LOAD_WORKER_CONCURRENCY', 4),
  };
}

function int(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name}=${raw}: expected a positive integer`);
  return n;
}

export function benchOptions(): BenchOptions {
  return {
    runId: process.env.BENCH_RUN_ID || new Date().toISOString().replace(/[:.]/g, '-'),
    // Nine: one build's time varies enough from run to run that the median of five could land on either
    // side of the 1.10× target for the same code (the s12 and s13 build lines of bench/results/history.jsonl);
    // nine still fit within the budget below.
    iterations: int('BENCH_ITERATIONS', 9),
    latencyRuns: int('BENCH_LATENCY_RUNS', 200),
    buildBudgetMs: int('BENCH_BUILD_BUDGET_S', 200) * 1000,
  };
}
