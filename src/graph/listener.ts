// Hands every run that ends to the rebuild service: finishes are read from the finished-run stream as one
// consumer group across API instances, so each is handled once, including those that ended while no API
// instance ran.
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import { FinishConsumer } from '../runs/finish-events.js';
import type { Run } from '../runs/model.js';
import type { BaseImageRebuilds } from './rebuilds.js';

export const REBUILDS_GROUP = 'base-image-graph';

export class RebuildListener {
  private consumer: FinishConsumer | undefined;

  constructor(
    private readonly rebuilds: BaseImageRebuilds,
    private readonly getRun: (id: string) => Promise<Run | undefined>,
    private readonly log: Logger,
  ) {}

  async start(redis: Redis, prefix: string): Promise<void> {
    this.consumer = new FinishConsumer(redis, prefix, (id) => this.finished(id), this.log, { group: REBUILDS_GROUP });
    await this.consumer.start();
  }

  private async finished(id: string): Promise<void> {
    const run = await this.getRun(id);
    if (run) await this.rebuilds.runFinished(run);
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
  }
}
