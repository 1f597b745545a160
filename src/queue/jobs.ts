// Queue names and job payloads. One BullMQ queue per target platform; a worker consumes the queues of the
// platforms it can build. Job payloads are validated on both sides of the queue. Secret values travel
// sealed (src/secrets/sealed-jobs.ts): the Queued* shapes are what Redis holds, the others what code uses.
import * as z from 'zod';
import { BuildOptions } from '../contract/build-options.js';
import { Sealed } from '../secrets/sealed.js';
import { SlipwayKeys } from '../store/keys.js';
import { RegistryLogin } from '../credentials/login.js';

export function platformQueueName(platform: string): string {
  return `build-${platform.replaceAll('/', '-')}`;
}

/** Where a job's build context comes from: an uploaded archive, or a commit of a git repository. */
export const JobSource = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('context'), digest: z.string().regex(/^sha256:[a-f0-9]{64}$/) }),
  z.object({ kind: z.literal('git'), url: z.string(), commit: z.string(), subdir: z.string().optional() }),
]);
export type JobSource = z.infer<typeof JobSource>;

// What every job of a run needs, whatever it runs.
const jobBase = {
  runId: z.string(),
  source: JobSource,
  /** The task a run belongs to: a git source's token is read from the task store, never carried in the job. */
  task: z.string().optional(),
  platform: z.string(),
  timeoutSeconds: z.number().int().positive(),
  /**
   * The repositories the token that asked may push to, when it is limited: the worker checks every image it
   * is about to push against them, including names a task file renders only on the worker.
   */
  pushScope: z.object({ token: z.string(), repositories: z.array(z.string()).min(1) }).optional(),
  /** The registry logins the run uses (the server's and its task's), opened; sealed while queued. */
  registryLogins: z.array(RegistryLogin).default([]),
};

/** A Dockerfile built for one platform. Secret values travel only here, never in the run record. */
export const DockerfileJob = z.object({
  ...jobBase,
  kind: z.literal('dockerfile'),
  dockerfile: z.string().min(1),
  images: z.array(z.string()),
  buildArgs: z.record(z.string(), z.string()),
  secretBuildArgs: z.record(z.string(), z.string()),
  /** BuildKit secrets (`RUN --mount=type=secret,id=…`), id → value, served by the build's session. */
  buildSecrets: z.record(z.string(), z.string()),
  target: z.string().optional(),
  noPush: z.boolean(),
  /** Labels, --no-cache, --pull: handed to the builder as they are (absent in jobs queued before they existed). */
  options: z.optional(BuildOptions),
  /** windows/amd64 from a Dockerfile without RUN: assembled by any worker, no Windows daemon needed. */
  daemonless: z.boolean(),
  /** Push by digest only, no tag: the image waits in quarantine (src/quarantine). */
  quarantine: z.boolean().optional(),
});
export type DockerfileJob = z.infer<typeof DockerfileJob>;

/** A task file inside the context, its values, and its secrets (only here, never in the run record). */
export const TaskFileJob = z.object({
  ...jobBase,
  kind: z.literal('task-file'),
  taskFile: z.string().min(1),
  values: z.record(z.string(), z.unknown()),
  secretValues: z.record(z.string(), z.string()),
  /** Push steps are skipped (a pull-request run, or a run asked not to push); absent in jobs queued before it existed. */
  noPush: z.boolean().optional(),
  /** Push steps push by digest only, no tag: the images wait in quarantine (src/quarantine). */
  quarantine: z.boolean().optional(),
});
export type TaskFileJob = z.infer<typeof TaskFileJob>;

/** What a worker needs for one run (or one platform of it); a job without a source cannot be made. */
export const BuildJob = z.discriminatedUnion('kind', [DockerfileJob, TaskFileJob]);
export type BuildJob = z.infer<typeof BuildJob>;

/** The fields of each job kind that hold secret values: in the queue they exist only inside `sealed`. */
export const SECRET_FIELDS = { dockerfile: ['secretBuildArgs', 'buildSecrets', 'registryLogins'], 'task-file': ['secretValues', 'registryLogins'] } as const;

/** A job as queued: its secret fields sealed together under the server key, bound to the run id. */
export const QueuedDockerfileJob = DockerfileJob.omit({ secretBuildArgs: true, buildSecrets: true, registryLogins: true }).extend({ sealed: Sealed });
export type QueuedDockerfileJob = z.infer<typeof QueuedDockerfileJob>;
export const QueuedTaskFileJob = TaskFileJob.omit({ secretValues: true, registryLogins: true }).extend({ sealed: Sealed });
export const QueuedBuildJob = z.discriminatedUnion('kind', [QueuedDockerfileJob, QueuedTaskFileJob]);
export type QueuedBuildJob = z.infer<typeof QueuedBuildJob>;

/** What a worker must serve to take a job: its platform, or daemonless Windows assembly. */
export const DAEMONLESS_WINDOWS = 'windows/amd64-daemonless';
export function jobCapability(platform: string, daemonless: boolean | undefined): string {
  return daemonless ? DAEMONLESS_WINDOWS : platform;
}

/** The capability whose queue a job goes to. */
export function capabilityOf(job: BuildJob | QueuedBuildJob): string {
  return jobCapability(job.platform, job.kind === 'dockerfile' && job.daemonless);
}

/**
 * Job names: a whole single-platform run (a DockerfileJob or a TaskFileJob), one platform of a multi-platform
 * run (a DockerfileJob), and the index assembly after them.
 */
export const JobNames = { build: 'build', platform: 'platform', assemble: 'assemble' } as const;

/** Queue of index assemblies, served by every worker. */
export const ASSEMBLE_QUEUE = 'assemble';

export const AssembleJob = z.object({
  runId: z.string(),
  platforms: z.array(z.string()).min(2),
  images: z.array(z.string()),
  noPush: z.boolean(),
  /** For the index push; sealed while queued, as the platform jobs' are. */
  registryLogins: z.array(RegistryLogin).default([]),
  /** Push the index by digest only, no tag: it waits in quarantine. */
  quarantine: z.boolean().optional(),
});
export type AssembleJob = z.infer<typeof AssembleJob>;
/** An assembly as queued: its logins sealed (absent in assemblies queued before logins existed). */
export const QueuedAssembleJob = AssembleJob.omit({ registryLogins: true }).extend({ sealed: Sealed.optional() });
export type QueuedAssembleJob = z.infer<typeof QueuedAssembleJob>;

/**
 * Cache affinity (affinity.ts): a worker's own queue for a capability, where a task's run goes when the worker
 * that built the task last is live and has a free slot. Only that worker serves it. Queue names become Redis
 * key parts, so the worker's name (`host/pid`) is reduced to safe characters.
 */
export function affinityQueueName(capability: string, worker: string): string {
  return `${platformQueueName(capability)}@${worker.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
}

/** Queue of hand-offs, served by every worker: a job not started in its worker's own queue moves to the shared one. */
export const HANDOFF_QUEUE = 'affinity-handoff';

/** A job routed to a worker's own queue, and where it goes if that worker does not start it in time. */
export const HandoffJob = z.object({
  /** The worker's own queue, and the shared queue of the job's capability. */
  from: z.string(),
  to: z.string(),
  jobId: z.string(),
  name: z.string(),
  /** The job as queued (its secrets sealed), added to `to` as it is. */
  data: QueuedBuildJob,
  priority: z.number().int().positive().optional(),
});
export type HandoffJob = z.infer<typeof HandoffJob>;

/** Redis pub/sub channel on which cancel requests for running runs are announced. */
export const cancelChannel = (prefix: string): string => new SlipwayKeys(prefix).cancelChannel;
