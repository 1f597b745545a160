// Producer side of the platform queues: one BullMQ Queue per platform, created on first use.
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { BuildJob, platformQueueName } from './jobs.js';

export class PlatformQueues {
  private readonly queues = new Map<string, Queue>();

  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
  ) {}

  queue(platform: string): Queue {
    let q = this.queues.get(platform);
    if (!q) {
      q = new Queue(platformQueueName(platform), { connection: this.connection, prefix: this.prefix });
      this.queues.set(platform, q);
    }
    return q;
  }

  async enqueue(job: BuildJob): Promise<void> {
    // The job id is the run id, so a retried submit cannot queue a build twice. Finished jobs are removed
    // at once: their payload holds secret build args, and the run record already tells the outcome.
    await this.queue(job.platform).add('build', BuildJob.parse(job), {
      jobId: job.runId,
      attempts: 1,
      removeOnComplete: true,
      removeOnFail: true,
    });
  }

  /** Removes a job that no worker has taken yet; false when it is already running or gone. */
  async removeWaiting(platform: string, runId: string): Promise<boolean> {
    const job = await this.queue(platform).getJob(runId);
    if (!job) return false;
    try {
      await job.remove();
      return true;
    } catch {
      return false; // locked by a worker: it will see the canceled status and stop
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}
