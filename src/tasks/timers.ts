// Timer triggers: each task schedule is a BullMQ job scheduler (5-field cron, UTC) on the `timers` queue.
// The scheduler lives in Redis and makes one job per tick with an id of its own, so ticks are neither lost
// while no API runs (the job waits) nor doubled by two API instances (one of them takes it).
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import * as z from 'zod';
import type { Logger } from '../log.js';
import type { Task } from './model.js';
import type { TaskService } from './service.js';

export const TIMERS_QUEUE = 'timers';
const TimerJob = z.object({ task: z.string(), schedule: z.string() });

const schedulerId = (task: string, schedule: string) => `${task}|${schedule}`;

export class TaskTimers {
  private readonly queue: Queue;
  private worker: Worker | undefined;
  private workerConnection: Redis | undefined;

  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
    private readonly log: Logger,
  ) {
    this.queue = new Queue(TIMERS_QUEUE, { connection, prefix });
  }

  /** Makes the task's schedulers exactly its schedules: new ones added, removed ones dropped. */
  async sync(task: Pick<Task, 'name' | 'schedules'>): Promise<void> {
    const wanted = new Set(task.schedules.map((s) => schedulerId(task.name, s)));
    for (const existing of await this.queue.getJobSchedulers(0, -1)) {
      if (existing.key.startsWith(`${task.name}|`) && !wanted.has(existing.key)) await this.queue.removeJobScheduler(existing.key);
    }
    for (const schedule of task.schedules) {
      await this.queue.upsertJobScheduler(schedulerId(task.name, schedule), { pattern: schedule, tz: 'UTC' }, {
        name: 'tick',
        data: { task: task.name, schedule },
        opts: { removeOnComplete: true, removeOnFail: 100 },
      });
    }
  }

  async remove(name: string): Promise<void> {
    await this.sync({ name, schedules: [] });
  }

  /** Runs the tasks whose schedules tick; one API instance takes each tick. */
  start(tasks: TaskService): void {
    this.workerConnection = this.connection.duplicate({ maxRetriesPerRequest: null });
    this.worker = new Worker(
      TIMERS_QUEUE,
      async (job) => {
        const { task, schedule } = TimerJob.parse(job.data);
        if (!(await tasks.store.get(task))) return 'task gone';
        const started = await tasks.trigger(task, { trigger: { type: 'timer', schedule } });
        if ('run' in started) this.log.info({ task, schedule, runId: started.run.id }, 'timer started a run');
        else this.log.info({ task, schedule, behind: started.deferredBehind }, 'timer run deferred behind the running one');
        return 'run' in started ? started.run.id : `after ${started.deferredBehind}`;
      },
      { connection: this.workerConnection, prefix: this.prefix, concurrency: 4 },
    );
    this.worker.on('failed', (job, err) => this.log.error({ job: job?.data, err: err.message }, 'timer run failed to start'));
  }

  async close(): Promise<void> {
    await this.worker?.close();
    // BullMQ leaves a connection it was given open.
    this.workerConnection?.disconnect();
    await this.queue.close();
  }
}
