// Producer side of the platform queues: one BullMQ Queue per platform, created on first use.
import { FlowProducer, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { ASSEMBLE_QUEUE, capabilityOf, JobNames, platformQueueName, QueuedAssembleJob, QueuedBuildJob, QueuedDockerfileJob } from './jobs.js';

// Finished jobs are removed at once: their payload holds sealed secrets, and the run record tells the outcome.
const JOB_OPTIONS = { attempts: 1, removeOnComplete: true, removeOnFail: true } as const;

export class PlatformQueues {
  private readonly queues = new Map<string, Queue>();
  private flows: FlowProducer | undefined;

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

  /** `priority` 1 (highest) to 2^21; jobs without one go before every job with one (BullMQ's rule). */
  async enqueue(job: QueuedBuildJob, priority?: number): Promise<void> {
    // The job id is the run id, so a retried submit cannot queue a build twice.
    await this.queue(capabilityOf(job)).add(JobNames.build, QueuedBuildJob.parse(job), { jobId: job.runId, ...JOB_OPTIONS, ...(priority ? { priority } : {}) });
  }

  /** A multi-platform run: one child job per platform, and the index assembly once every child is done. */
  async enqueueFlow(assemble: QueuedAssembleJob, children: QueuedDockerfileJob[], priority?: number): Promise<void> {
    this.flows ??= new FlowProducer({ connection: this.connection, prefix: this.prefix });
    await this.flows.add({
      name: JobNames.assemble,
      queueName: ASSEMBLE_QUEUE,
      data: QueuedAssembleJob.parse(assemble),
      opts: { jobId: assemble.runId, ...JOB_OPTIONS },
      children: children.map((child) => ({
        name: JobNames.platform,
        queueName: platformQueueName(capabilityOf(child)),
        data: QueuedDockerfileJob.parse(child),
        // A child that dies must still let the parent run, which then finds the run ended.
        opts: { jobId: `${child.runId}-${child.platform.replaceAll('/', '-')}`, ...JOB_OPTIONS, ignoreDependencyOnFailure: true, ...(priority ? { priority } : {}) },
      })),
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
    await this.flows?.close();
  }
}
