// Hears of every run that ends (the finished channel) and hands it to the rebuild service, and sweeps
// periodically for runs whose announcement no API instance heard.
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import { Periodic } from '../periodic.js';
import { finishedChannel } from '../queue/jobs.js';
import type { Run } from '../runs/model.js';
import type { BaseImageRebuilds } from './rebuilds.js';

export class RebuildListener {
  private subscriber: Redis | undefined;
  private periodic: Periodic | undefined;

  constructor(
    private readonly rebuilds: BaseImageRebuilds,
    private readonly getRun: (id: string) => Promise<Run | undefined>,
    private readonly log: Logger,
  ) {}

  async start(redis: Redis, prefix: string, sweepMs = 5_000): Promise<void> {
    this.subscriber = redis.duplicate();
    this.subscriber.on('message', (_channel: string, id: string) => void this.finished(id));
    await this.subscriber.subscribe(finishedChannel(prefix));
    this.periodic = new Periodic(sweepMs, () => this.rebuilds.sweep(this.getRun), (err) => this.log.error({ err }, 'rebuild sweep failed'));
    this.periodic.start();
  }

  private async finished(id: string): Promise<void> {
    try {
      const run = await this.getRun(id);
      if (run) await this.rebuilds.runFinished(run);
    } catch (err) {
      this.log.error({ runId: id, err }, 'base-image graph update after a run failed');
    }
  }

  async stop(): Promise<void> {
    this.subscriber?.disconnect();
    await this.periodic?.stop();
  }
}
