// Starts a task's deferred follow-up run when the run holding the task's slot ends: at once on the
// finished announcement, and by a periodic sweep for announcements no API instance heard.
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import { Periodic } from '../periodic.js';
import { finishedChannel } from '../queue/jobs.js';
import { RUN_ID_PATTERN } from '../runs/ids.js';
import { isTerminal } from '../runs/model.js';
import type { TaskSlots } from './concurrency.js';
import type { TaskService } from './service.js';

export class TaskFollowUps {
  private subscriber: Redis | undefined;
  private periodic: Periodic | undefined;

  constructor(
    private readonly tasks: TaskService,
    private readonly slots: TaskSlots,
    private readonly log: Logger,
  ) {}

  async start(redis: Redis, prefix: string, sweepMs = 5_000): Promise<void> {
    this.subscriber = redis.duplicate();
    this.subscriber.on('message', (_channel: string, id: string) => void this.finished(id));
    await this.subscriber.subscribe(finishedChannel(prefix));
    this.periodic = new Periodic(sweepMs, () => this.sweep(), (err) => this.log.error({ err }, 'follow-up sweep failed'));
    this.periodic.start();
  }

  private async finished(id: string): Promise<void> {
    try {
      const run = await this.tasks.runs.store.get(id);
      if (run?.task) {
        const next = await this.tasks.runFinished(run);
        if (next) this.log.info({ task: run.task, after: id, runId: next.id }, 'started the follow-up run');
      }
    } catch (err) {
      this.log.error({ runId: id, err }, 'follow-up run failed to start');
    }
  }

  async sweep(): Promise<void> {
    for (const task of await this.tasks.store.list().catch(() => [])) {
      const holder = await this.slots.holder(task.name);
      if (!holder || !RUN_ID_PATTERN.test(holder)) continue;
      const run = await this.tasks.runs.store.get(holder);
      if (run && isTerminal(run.status)) await this.finished(holder);
    }
  }

  async stop(): Promise<void> {
    this.subscriber?.disconnect();
    await this.periodic?.stop();
  }
}
