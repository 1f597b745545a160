// Jobs in and out of the queue: the secret fields of a job (SECRET_FIELDS) are sealed together into one
// value bound to the run id before the job is queued, and opened by the worker that runs it.
import { AssembleJob, BuildJob, QueuedAssembleJob, QueuedBuildJob, SECRET_FIELDS, type DockerfileJob, type QueuedDockerfileJob } from '../queue/jobs.js';
import type { Keyring } from './sealed.js';

const context = (runId: string) => `slipway-job:${runId}`;

/** The job as the queue holds it. */
export function sealJob(job: DockerfileJob, keyring: Keyring): QueuedDockerfileJob;
export function sealJob(job: BuildJob, keyring: Keyring): QueuedBuildJob;
export function sealJob(job: BuildJob, keyring: Keyring): QueuedBuildJob {
  const rest: Record<string, unknown> = { ...job };
  const secrets: Record<string, unknown> = {};
  for (const field of SECRET_FIELDS[job.kind]) {
    secrets[field] = rest[field];
    delete rest[field];
  }
  return QueuedBuildJob.parse({ ...rest, sealed: keyring.seal(JSON.stringify(secrets), context(job.runId)) });
}

/** A queued job's data with its secrets opened; throws when it is malformed or its seal does not open. */
export function openJob(data: unknown, keyring: Keyring): BuildJob {
  const { sealed, ...rest } = QueuedBuildJob.parse(data);
  return BuildJob.parse({ ...rest, ...JSON.parse(keyring.open(sealed, context(rest.runId))) });
}

/** A queued platform job of a multi-platform run, opened. */
export function openDockerfileJob(data: unknown, keyring: Keyring): DockerfileJob {
  const job = openJob(data, keyring);
  if (job.kind !== 'dockerfile') throw new Error(`job of run ${job.runId} is a ${job.kind} job, not a platform build`);
  return job;
}

/** An index assembly as queued: the run's registry logins sealed, as its platform jobs' are. */
export function sealAssembleJob(job: AssembleJob, keyring: Keyring): QueuedAssembleJob {
  const { registryLogins, ...rest } = job;
  return QueuedAssembleJob.parse({ ...rest, sealed: keyring.seal(JSON.stringify({ registryLogins }), context(job.runId)) });
}

/** A queued assembly with its logins opened (none for one queued before it carried them). */
export function openAssembleJob(data: unknown, keyring: Keyring): AssembleJob {
  const { sealed, ...rest } = QueuedAssembleJob.parse(data);
  return AssembleJob.parse({ ...rest, ...(sealed ? JSON.parse(keyring.open(sealed, context(rest.runId))) : {}) });
}
