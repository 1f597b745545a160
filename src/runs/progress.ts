// The port between the workers and the run records: everything a job does to its run, and nothing more.
// Workers never see the store, the log stream or the queues behind it; StoredRunProgress is the adapter.
import type { BaseImageUse, PlatformResult, Run, RunStatus } from './model.js';
import type { RunPatch } from './records.js';

export interface RunProgress {
  /** The run as recorded now (its request, trigger, cancel flag); undefined once it is gone. */
  get(id: string): Promise<Run | undefined>;
  /** Moves a queued run to running on behalf of a worker; false when it is not queued (canceled, or taken). */
  start(id: string, worker: string): Promise<boolean>;
  /** One platform's result in a multi-platform run; each platform writes its own. */
  setPlatformResult(id: string, result: PlatformResult): Promise<void>;
  /** The base images one platform's build pulls, for the base-image graph. */
  setBaseImages(id: string, platform: string, bases: BaseImageUse[]): Promise<void>;
  /** Lines for the run's log, already masked. */
  appendLog(id: string, lines: readonly string[]): Promise<void>;
  /**
   * Ends a run once, from one of `from`: its last log lines written, its log closed, its finish announced.
   * Later calls (a cancel racing a failure) change nothing and resolve false.
   */
  finish(id: string, from: readonly RunStatus[], status: RunStatus, patch?: RunPatch, lastLines?: string[]): Promise<boolean>;
  /** Tells every worker still building the run to stop (one platform ended it). */
  stopBuilds(id: string): Promise<void>;
}
