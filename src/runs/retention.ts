// Deletes runs that ended longer ago than the retention (30 days by default, as long as ACR keeps run logs),
// each with its log and out of every index, so Redis does not grow with every build. A run that has not
// ended is never deleted, whatever its age. A pass deletes a bounded number of runs: a backlog goes over
// several passes instead of holding Redis up in one.
import type { Logger } from '../log.js';
import { isTerminal, TERMINAL_STATUSES } from './model.js';
import type { RunSummary } from './records.js';
import type { RunRecords } from './records.js';

export const DEFAULT_RUN_RETENTION_MS = 30 * 24 * 3600_000;
export const DEFAULT_RUNS_PER_PASS = 500;
/** Runs read per pass at most, as a multiple of the runs deleted: kept runs among old ones cost reads too. */
const READS_PER_DELETE = 4;
const BATCH = 100;

/** Whether retention deletes a run: it has ended, and ended before `cutoffMs`. */
export function isExpired(run: RunSummary, cutoffMs: number): boolean {
  if (!isTerminal(run.status)) return false;
  const ended = run.finishedAt ?? run.createdAt;
  // A listed run whose record is gone has no dates: only its index entries are left to clean up.
  return ended === undefined || Date.parse(ended) < cutoffMs;
}

export interface RunRetentionOptions {
  retentionMs?: number;
  perPass?: number;
}

/** Every 10 minutes: at DEFAULT_RUNS_PER_PASS a pass, up to 72,000 runs a day, and a pass with nothing to delete costs a few reads. */
export const RUN_RETENTION_EVERY_MS = 600_000;

export class RunRetention {
  private readonly retentionMs: number;
  private readonly perPass: number;

  constructor(
    private readonly runs: Pick<RunRecords, 'oldest' | 'remove'>,
    private readonly log: Logger,
    private readonly opts: RunRetentionOptions = {},
  ) {
    this.retentionMs = opts.retentionMs ?? DEFAULT_RUN_RETENTION_MS;
    this.perPass = opts.perPass ?? DEFAULT_RUNS_PER_PASS;
  }

  /** One pass: the ids of the runs it deleted, oldest first per status. */
  async sweep(now = Date.now()): Promise<string[]> {
    const cutoff = now - this.retentionMs;
    const deleted: string[] = [];
    let reads = 0;
    for (const status of TERMINAL_STATUSES) {
      // Indexes are in creation order: runs kept (ended recently, or still referenced) stay at the front.
      let kept = 0;
      let reachedNewer = false;
      while (!reachedNewer && deleted.length < this.perPass && reads < this.perPass * READS_PER_DELETE) {
        const batch = await this.runs.oldest(status, kept, BATCH);
        reads += batch.length;
        for (const run of batch) {
          if (deleted.length >= this.perPass) break;
          // Created after the cutoff, so ended after it; so was every run after it in the index.
          if (run.createdAt !== undefined && Date.parse(run.createdAt) >= cutoff) {
            reachedNewer = true;
            break;
          }
          if (isExpired(run, cutoff) && (await this.runs.remove(run))) deleted.push(run.id);
          else kept++;
        }
        if (batch.length < BATCH) break;
      }
    }
    if (deleted.length) this.log.info({ deleted: deleted.length, retentionDays: this.retentionMs / 86_400_000 }, 'finished runs past their retention deleted');
    return deleted;
  }
}
