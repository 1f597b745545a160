// RunProgress over the run store and the run log: the adapter workers use, and the one place a run's end
// (record, last lines, closed log, announcement) is written, for the API's RunService as well.
import type { Config } from '../config.js';
import { cancelChannel } from '../queue/jobs.js';
import { finishPublisher } from './finish-events.js';
import type { Redis } from '../redis.js';
import { RunLog } from './logs.js';
import type { BaseImageUse, PlatformResult, Run, RunStatus } from './model.js';
import type { RunProgress } from './progress.js';
import type { RunPatch, RunRecords } from './records.js';
import { RunStore } from './store.js';

export interface RunAnnouncements {
  /** Told the id of every run that ends (task follow-ups and base-image rebuilds wait for it). */
  finished?: (id: string) => Promise<void>;
  /** Asks the workers building a run to stop. */
  stop?: (id: string) => Promise<void>;
}

export class StoredRunProgress implements RunProgress {
  constructor(
    private readonly store: RunRecords,
    private readonly log: RunLog,
    private readonly announce: RunAnnouncements,
  ) {}

  get(id: string): Promise<Run | undefined> {
    return this.store.get(id);
  }

  async start(id: string, worker: string): Promise<boolean> {
    const res = await this.store.transition(id, ['queued'], { status: 'running', startedAt: new Date().toISOString(), worker, waiting: null });
    return res.ok;
  }

  setPlatformResult(id: string, result: PlatformResult): Promise<void> {
    return this.store.setPlatformResult(id, result);
  }

  setBaseImages(id: string, platform: string, bases: BaseImageUse[]): Promise<void> {
    return this.store.setBaseImages(id, platform, bases);
  }

  appendLog(id: string, lines: readonly string[]): Promise<void> {
    return this.log.append(id, lines);
  }

  async finish(id: string, from: readonly RunStatus[], status: RunStatus, patch: RunPatch = {}, lastLines: string[] = []): Promise<boolean> {
    const res = await this.store.transition(id, from, { ...patch, status, finishedAt: new Date().toISOString() });
    if (res.ok) {
      await this.log.append(id, lastLines);
      await this.log.end(id, status);
      await this.announce.finished?.(id);
    }
    return res.ok;
  }

  async stopBuilds(id: string): Promise<void> {
    await this.announce.stop?.(id);
  }
}

/** The run records as a worker process reaches them: finishes and stop requests announced over Redis. */
export function workerRunProgress(config: Config, redis: Redis): RunProgress {
  return new StoredRunProgress(new RunStore(redis, config.prefix), new RunLog(redis, config.prefix, config.limits.logLines, config.limits.logBytes), {
    finished: finishPublisher(redis, config.prefix),
    stop: async (id) => {
      await redis.publish(cancelChannel(config.prefix), id);
    },
  });
}
