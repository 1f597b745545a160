// A sandboxed BullMQ processor for tests of the worker's queue plumbing: it sleeps for the job's `ms` and
// returns 'done', so a test controls how long a job holds its slot without building anything.
import type { SandboxedJob } from 'bullmq';

export default async function sleep(job: SandboxedJob<{ ms: number }>): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, job.data.ms));
  return 'done';
}
