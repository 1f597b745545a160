// What the run services need of run storage. RunStore (Redis) is the adapter; a test or another datastore
// can stand in for it. Status changes are compare-and-set (`transition`), so concurrent actors (a cancel
// racing a worker) cannot both win.
import type { BaseImageUse, PlatformResult, Run, RunStatus } from './model.js';

/** What deciding a run's fate needs; a run listed in an index whose record is gone has only id and status. */
export interface RunSummary {
  id: string;
  status: RunStatus;
  task?: string;
  createdAt?: string;
  finishedAt?: string;
}

/** Fields a transition may change; `null` clears a field. */
export type RunPatch = { [K in keyof Omit<Run, 'id' | 'createdAt' | 'request' | 'trigger' | 'platform' | 'platforms' | 'platformResults' | 'baseImages'>]?: Run[K] | null };

export interface TransitionResult {
  ok: boolean;
  /** The status the run has now (after the change when ok, unchanged otherwise); undefined for an unknown run. */
  status?: RunStatus;
}

export interface RunRecords {
  nextId(): Promise<{ id: string; seq: number }>;
  create(run: Run, seq: number): Promise<void>;
  get(id: string): Promise<Run | undefined>;
  /** Newest first, optionally only runs in one status or of one task. */
  list(opts: { status?: RunStatus; task?: string; top: number }): Promise<Run[]>;
  /** Runs in one status, oldest first, from position `start`. */
  oldest(status: RunStatus, start: number, count: number): Promise<RunSummary[]>;
  /** Applies patch only if the run is in one of `from`, and only as the run state machine allows (runs/lifecycle.ts). */
  transition(id: string, from: readonly RunStatus[], patch: RunPatch): Promise<TransitionResult>;
  /** One platform's result of a multi-platform run; platforms finish concurrently on different workers. */
  setPlatformResult(id: string, result: PlatformResult): Promise<void>;
  /** The base images one platform's build pulled. */
  setBaseImages(id: string, platform: string, bases: BaseImageUse[]): Promise<void>;
  /**
   * Deletes a run with its log, out of every index; false, and nothing changes, while another part still has
   * to act on it (an unsettled rebuild) or when it is no longer in `run.status`.
   */
  remove(run: RunSummary): Promise<boolean>;
}
