// The worker's own check of a limited token's repository scope, right before anything is built or pushed.
// The API checked the same images at submit, but a task file's push targets are rendered only here, with the
// run's real variables (a `{{.Run.Branch}}` in a repository name), and a job in the queue is only data:
// the last word on where a run may push belongs to the process that pushes.
import { requesterOf } from '../../src/auth/scopes.js';
import type { BuildJob } from '../../src/queue/jobs.js';

/** Throws ForbiddenError (the run ends `failed`, naming the repository) when an image is outside the job's scope. */
export function checkPushScope(job: Pick<BuildJob, 'pushScope'>, images: readonly string[], defaultRegistry: string): void {
  if (!job.pushScope || images.length === 0) return;
  requesterOf({ name: job.pushScope.token, repositories: job.pushScope.repositories }, defaultRegistry).checkPush(images);
}
