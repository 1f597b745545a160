// Background sweeps (context sweep, run retention, queue watch, registry polling, rebuild recovery) as
// BullMQ job schedulers on the `sweeps` queue, as task timers are (tasks/timers.ts): one scheduler per
// sweep lives in Redis, shared by every API instance, and each pass is one job that one instance takes —
// so N instances do not each run every sweep. A failed pass is logged and the next one runs as usual.
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from './log.js';

export const SWEEPS_QUEUE = 'sweeps';

export class PeriodicSweeps {
  private readonly queue: Queue;
  private readonly passes = new Map<string, () => Promise<unknown>>();
  private worker: Worker | undefined;
  private workerConnection: Redis | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
    private readonly log: Logger,
  ) {
    this.queue = new Queue(SWEEPS_QUEUE, { connection, prefix });
  }

  /** Schedules `pass` every `everyMs` (the first pass comes at once); replaces the sweep's earlier schedule. */
  async every(name: string, everyMs: number, pass: () => Promise<unknown>): Promise<void> {
    this.passes.set(name, pass);
    await this.queue.upsertJobScheduler(name, { every: everyMs }, { name, opts: { removeOnComplete: true, removeOnFail: 100 } });
  }

  /** Takes passes of the sweeps registered here. */
  start(): void {
    // A worker blocks on its connection while it waits for a pass: one of its own.
    this.workerConnection = this.connection.duplicate({ maxRetriesPerRequest: null });
    this.worker = new Worker(
      SWEEPS_QUEUE,
      async (job) => {
        const pass = this.passes.get(job.name);
        // A sweep another version of the API scheduled: that one runs it.
        if (!pass) throw new Error(`no sweep ${job.name} in this instance`);
        await pass();
      },
      { connection: this.workerConnection, prefix: this.prefix, concurrency: 8 },
    );
    this.worker.on('failed', (job, err) => this.log.error({ sweep: job?.name, err: err.message }, 'sweep failed'));
  }

  /** Stops taking passes, waiting for those under way; the schedules stay for the other instances. Idempotent. */
  close(): Promise<void> {
    return (this.closing ??= (async () => {
      await this.worker?.close();
      this.workerConnection?.disconnect();
      await this.queue.close();
    })());
  }
}
