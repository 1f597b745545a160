// Producer side of the platform queues: one BullMQ Queue per platform, created on first use. A task's run
// goes to the worker that built the task last when that worker is free (cache affinity, affinity.ts).
import { FlowProducer, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { CacheAffinity } from './affinity.js';
import { affinityQueueName, ASSEMBLE_QUEUE, capabilityOf, DAEMONLESS_WINDOWS, HANDOFF_QUEUE, HandoffJob, JobNames, platformQueueName, QueuedAssembleJob, QueuedBuildJob, QueuedDockerfileJob } from './jobs.js';

// Finished jobs are removed at once: their payload holds sealed secrets, and the run record tells the outcome.
export const JOB_OPTIONS = { attempts: 1, removeOnComplete: true, removeOnFail: true } as const;
// A hand-off is tried again if it fails or its worker dies mid-way: each of its steps can be repeated.
const HANDOFF_OPTIONS = { attempts: 3, backoff: { type: 'fixed', delay: 1_000 }, removeOnComplete: true, removeOnFail: true } as const;

export interface PlatformQueuesOptions {
  /**
   * How long a task's run may sit in the queue of the worker that built the task last before it moves to the
   * shared queue (that worker died, or stalls); 0 sends every run to the shared queue.
   */
  affinityWaitMs?: number;
}

export class PlatformQueues {
  private readonly queues = new Map<string, Queue>();
  private flows: FlowProducer | undefined;
  private readonly affinity: CacheAffinity | undefined;

  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
    private readonly opts: PlatformQueuesOptions = {},
  ) {
    this.affinity = opts.affinityWaitMs ? new CacheAffinity(connection, prefix) : undefined;
  }

  queue(platform: string): Queue {
    return this.named(platformQueueName(platform));
  }

  named(name: string): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.connection, prefix: this.prefix });
      this.queues.set(name, q);
    }
    return q;
  }

  /** `priority` 1 (highest) to 2^21; jobs without one go before every job with one (BullMQ's rule). */
  async enqueue(job: QueuedBuildJob, priority?: number): Promise<void> {
    const data = QueuedBuildJob.parse(job);
    const capability = capabilityOf(job);
    // The job id is the run id, so a retried submit cannot queue a build twice.
    const opts = { jobId: job.runId, ...JOB_OPTIONS, ...(priority ? { priority } : {}) };
    const worker = await this.affinityTarget(job.task, capability);
    if (!worker) {
      await this.queue(capability).add(JobNames.build, data, opts);
      return;
    }
    const handoff = HandoffJob.parse({ from: affinityQueueName(capability, worker), to: platformQueueName(capability), jobId: job.runId, name: JobNames.build, data, priority });
    // The hand-off first: should this process stop between the two adds, the run still reaches the shared queue.
    await this.named(HANDOFF_QUEUE).add('handoff', handoff, { jobId: job.runId, delay: this.opts.affinityWaitMs, ...HANDOFF_OPTIONS });
    await this.named(handoff.from).add(JobNames.build, data, opts);
  }

  /** The worker a task's run should go to first, if any; a failure to tell sends it to the shared queue. */
  private async affinityTarget(task: string | undefined, capability: string): Promise<string | undefined> {
    // Daemonless assembly keeps no build cache.
    if (!this.affinity || !task || capability === DAEMONLESS_WINDOWS) return undefined;
    return this.affinity.target(task, capability).catch(() => undefined);
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
    if (await removeUnlocked(this.queue(platform), runId)) return true;
    // Routed to a worker's own queue: its hand-off says which.
    const handoff = await this.named(HANDOFF_QUEUE).getJob(runId);
    const parsed = HandoffJob.safeParse(handoff?.data);
    if (!handoff || !parsed.success || !(await removeUnlocked(this.named(parsed.data.from), runId))) return false;
    await handoff.remove().catch(() => undefined);
    return true;
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    await this.flows?.close();
  }
}

async function removeUnlocked(queue: Queue, jobId: string): Promise<boolean> {
  const job = await queue.getJob(jobId);
  if (!job) return false;
  try {
    await job.remove();
    return true;
  } catch {
    return false; // locked by a worker: it will see the canceled status and stop
  }
}
