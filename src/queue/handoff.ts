// Moving a job from a worker's own queue (cache affinity, affinity.ts) to the shared queue of its capability.
// Every step is safe to repeat and never makes a second job of a run that a worker has started: a job is
// taken out of the worker's queue only while no worker holds it (BullMQ refuses to remove a locked job), and
// added to the shared queue under the run's id (a second add of the same id is ignored) only while its run
// is still queued.
import type { Queue } from 'bullmq';
import { QueuedBuildJob, type HandoffJob } from './jobs.js';
import { JOB_OPTIONS } from './platform-queues.js';

export type HandoffOutcome = 'moved' | 'started' | 'ended';

export interface HandoffQueues {
  named(name: string): Queue;
}

/** Runs a hand-off job: the routed job, if no worker started it yet, goes to the shared queue. */
export async function handOff(queues: HandoffQueues, h: HandoffJob, stillQueued: (runId: string) => Promise<boolean>): Promise<HandoffOutcome> {
  const job = await queues.named(h.from).getJob(h.jobId);
  if (job) {
    const state = await job.getState();
    if (state === 'active' || state === 'completed' || state === 'failed') return 'started';
    try {
      await job.remove();
    } catch {
      return 'started'; // its worker took it a moment ago and holds its lock
    }
  }
  // Gone from the worker's queue: removed just now, by an earlier try of this hand-off, or by the worker that
  // took it and handed it on itself; the run's status tells whether it still needs a worker.
  if (!(await stillQueued(h.data.runId))) return 'ended';
  await moveTo(queues, h);
  return 'moved';
}

/** Adds a routed job to the shared queue as it was queued; a worker hands on a job of its own queue this way. */
export async function moveTo(queues: HandoffQueues, h: Pick<HandoffJob, 'to' | 'jobId' | 'name' | 'data' | 'priority'>): Promise<void> {
  await queues.named(h.to).add(h.name, h.data, { jobId: h.jobId, ...JOB_OPTIONS, ...(h.priority ? { priority: h.priority } : {}) });
}

/**
 * A stopping worker's own queue: every job still waiting goes to the shared queue, then the queue's keys go.
 * A job the API adds meanwhile is lost with them, and its hand-off job (handOff above) queues its run again.
 */
export async function retireQueue(queues: HandoffQueues, from: string, to: string, stillQueued: (runId: string) => Promise<boolean>): Promise<void> {
  const queue = queues.named(from);
  await queue.pause();
  for (const job of await queue.getJobs(['waiting', 'prioritized'])) {
    const data = QueuedBuildJob.safeParse(job.data);
    if (!job.id || !data.success) continue;
    await handOff(queues, { from, to, jobId: job.id, name: job.name, data: data.data, ...(job.opts.priority ? { priority: job.opts.priority } : {}) }, stillQueued);
  }
  await queue.obliterate({ force: true });
}
