// Where a bench run's results go, in bench/results: the bench's current summary, <bench>.md, rewritten by
// every run, and one line appended to history.jsonl with the run's key figures, so runs can be compared
// across commits and machines without a tracked file per run. Samples stay in the run's own output.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { MachineInfo } from './machine.js';
import { RESULTS_DIR } from './options.js';

export type BenchName = 'build' | 'latency' | 'platforms' | 'git-fetch' | 'rebuilds' | 'private-base' | 'cache' | 'load' | 'engine';

export interface HistoryLine {
  /** When the run started (ISO). */
  date: string;
  /** A BenchName; older lines also name one-off experiments. */
  bench: string;
  /** The run id; the benches of one `npm run bench` share it (BENCH_RUN_ID). */
  run: string;
  /** The commit measured; null when it was not recorded. */
  commit: string | null;
  /** src/ or workers/ had uncommitted changes. */
  dirty?: boolean;
  machine: { cpus: number; cpuModel: string; loadAverage: number[]; engineStore?: MachineInfo['engineStore'] };
  /** The figures worth comparing across runs, as the bench's summary names them. */
  figures: Record<string, unknown>;
}

export const HISTORY_FILE = path.join(RESULTS_DIR, 'history.jsonl');

export function historyLine(bench: BenchName, run: { id: string; startedAt: string }, m: MachineInfo, figures: Record<string, unknown>): HistoryLine {
  return {
    date: run.startedAt,
    bench,
    run: run.id,
    commit: m.commit === 'unknown' ? null : m.commit,
    ...(m.dirty ? { dirty: true } : {}),
    machine: { cpus: m.cpus, cpuModel: m.cpuModel, loadAverage: m.loadAverage, ...(m.engineStore ? { engineStore: m.engineStore } : {}) },
    figures,
  };
}

/** Replaces the bench's summary and appends its history line; returns the summary's path. */
export async function recordRun(line: HistoryLine, summary: string, dir = RESULTS_DIR): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, `${line.bench}.md`);
  await fs.writeFile(file, summary.endsWith('\n') ? summary : `${summary}\n`);
  await fs.appendFile(path.join(dir, path.basename(HISTORY_FILE)), `${JSON.stringify(line)}\n`);
  return file;
}
