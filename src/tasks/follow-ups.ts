// Starts a task's deferred follow-up run when the run holding the task's slot ends. Finishes are read from
// the finished-run stream as one consumer group across API instances, so each is handled once, and those
// that ended while no API instance ran are handled when one starts.
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import { FinishConsumer } from '../runs/finish-events.js';
import type { TaskService } from './service.js';

export const FOLLOW_UPS_GROUP = 'task-follow-ups';

export class TaskFollowUps {
  private consumer: FinishConsumer | undefined;

  constructor(
    private readonly tasks: TaskService,
    private readonly log: Logger,
  ) {}

  async start(redis: Redis, prefix: string): Promise<void> {
    this.consumer = new FinishConsumer(redis, prefix, (id) => this.finished(id), this.log, { group: FOLLOW_UPS_GROUP });
    await this.consumer.start();
  }

  private async finished(id: string): Promise<void> {
    const run = await this.tasks.runs.store.get(id);
    if (!run?.task) return;
    const next = await this.tasks.runFinished(run);
    if (next) this.log.info({ task: run.task, after: id, runId: next.id }, 'started the follow-up run');
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
  }
}
