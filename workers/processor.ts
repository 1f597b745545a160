// The sandboxed processor: BullMQ runs each job in a child process of the worker and calls this.
import os from 'node:os';
import type { SandboxedJob } from 'bullmq';
import { JobNames } from '../src/queue/jobs.js';
import { openAssembleJob, openDockerfileJob, openJob } from '../src/secrets/sealed-jobs.js';
import type { RunStatus } from '../src/runs/model.js';
import { childContext } from './child-context.js';
import { runAssemble } from './jobs/assemble.js';
import { runPlatformBuild } from './jobs/platform-build.js';
import { runSingleBuild } from './jobs/single-build.js';
import { runTaskFile } from './jobs/taskfile-run.js';

// A child whose worker died must not outlive it: its build would hold the daemon, and an orphaned child
// was seen spinning a core. Exiting closes the build request, which stops the build in the daemon.
process.once('disconnect', () => process.exit(1));

export default async function processJob(job: SandboxedJob): Promise<RunStatus> {
  const ctx = await childContext();
  const worker = `${os.hostname()}/${process.ppid}`;
  switch (job.name) {
    case JobNames.build: {
      const spec = openJob(job.data, ctx.keyring);
      return spec.kind === 'task-file' ? runTaskFile(ctx, spec, worker) : runSingleBuild(ctx, spec, worker);
    }
    case JobNames.platform:
      return runPlatformBuild(ctx, openDockerfileJob(job.data, ctx.keyring), worker);
    case JobNames.assemble:
      return runAssemble(ctx, openAssembleJob(job.data, ctx.keyring));
    default:
      throw new Error(`unknown job ${job.name}`);
  }
}
