// The sandboxed processor: BullMQ runs each job in a child process of the worker and calls this.
import os from 'node:os';
import type { SandboxedJob } from 'bullmq';
import { capabilityOf, JobNames } from '../src/queue/jobs.js';
import { openAssembleJob, openDockerfileJob, openJob } from '../src/secrets/sealed-jobs.js';
import type { RunStatus } from '../src/runs/model.js';
import { childContext, type ChildContext } from './child-context.js';
import { countingLogBytes } from './child-metrics/reporter.js';
import { runAssemble } from './jobs/assemble.js';
import { runPlatformBuild } from './jobs/platform-build.js';
import { runSingleBuild } from './jobs/single-build.js';
import { runTaskFile } from './jobs/taskfile-run.js';

// A child whose worker died must not outlive it: its build would hold the daemon, and an orphaned child
// was seen spinning a core. Exiting closes the build request, which stops the build in the daemon.
process.once('disconnect', () => process.exit(1));

export default async function processJob(job: SandboxedJob): Promise<RunStatus> {
  const ctx = await childContext();
  try {
    return await runJob(ctx, job);
  } finally {
    // Before the worker hears the job ended: its /metrics then already counts what the job did.
    await ctx.metrics.flush();
  }
}

async function runJob(shared: ChildContext, job: SandboxedJob): Promise<RunStatus> {
  const worker = `${os.hostname()}/${process.ppid}`;
  // Log bytes are counted per platform queue (daemonless Windows has its own), as the worker counts its jobs.
  const metered = (queue: string): ChildContext => ({ ...shared, runs: countingLogBytes(shared.runs, shared.metrics, queue) });
  switch (job.name) {
    case JobNames.build: {
      const spec = openJob(job.data, shared.keyring);
      const ctx = metered(capabilityOf(spec));
      return spec.kind === 'task-file' ? runTaskFile(ctx, spec, worker) : runSingleBuild(ctx, spec, worker);
    }
    case JobNames.platform: {
      const spec = openDockerfileJob(job.data, shared.keyring);
      return runPlatformBuild(metered(capabilityOf(spec)), spec, worker);
    }
    case JobNames.assemble:
      return runAssemble(metered('index'), openAssembleJob(job.data, shared.keyring));
    default:
      throw new Error(`unknown job ${job.name}`);
  }
}
