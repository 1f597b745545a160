// Queue names and job payloads. One BullMQ queue per target platform; a worker consumes the queues of the
// platforms it can build. Job payloads are validated on both sides of the queue.
import * as z from 'zod';
import { SlipwayKeys } from '../store/keys.js';

export function platformQueueName(platform: string): string {
  return `build-${platform.replaceAll('/', '-')}`;
}

/** What a worker needs for one build. Secret build-arg values travel only here, never in the run record. */
export const BuildJob = z.object({
  runId: z.string(),
  context: z.string().regex(/^sha256:[a-f0-9]{64}$/).optional(),
  git: z.object({ url: z.string(), commit: z.string(), subdir: z.string().optional() }).optional(),
  /** The task a git run belongs to: its git token is read from the task store, never carried in the job. */
  task: z.string().optional(),
  dockerfile: z.string().min(1),
  images: z.array(z.string()),
  buildArgs: z.record(z.string(), z.string()),
  secretBuildArgs: z.record(z.string(), z.string()),
  platform: z.string(),
  target: z.string().optional(),
  noPush: z.boolean(),
  timeoutSeconds: z.number().int().positive(),
  /** windows/amd64 from a Dockerfile without RUN: assembled by any worker, no Windows daemon needed. */
  daemonless: z.boolean().default(false),
  /** A task file inside the context to run instead of the Dockerfile, its values, and its secrets (only here, never in the run). */
  taskFile: z.string().optional(),
  values: z.record(z.string(), z.unknown()).optional(),
  secretValues: z.record(z.string(), z.string()).optional(),
});
export type BuildJob = z.input<typeof BuildJob>;

/** What a worker must serve to take a job: its platform, or daemonless Windows assembly. */
export const DAEMONLESS_WINDOWS = 'windows/amd64-daemonless';
export function jobCapability(platform: string, daemonless: boolean | undefined): string {
  return daemonless ? DAEMONLESS_WINDOWS : platform;
}

/** Job names: a whole single-platform build, one platform of a multi-platform run, and the index assembly after them. */
export const JobNames = { build: 'build', platform: 'platform', assemble: 'assemble' } as const;

/** Queue of index assemblies, served by every worker. */
export const ASSEMBLE_QUEUE = 'assemble';

export const AssembleJob = z.object({
  runId: z.string(),
  platforms: z.array(z.string()).min(2),
  images: z.array(z.string()),
  noPush: z.boolean(),
});
export type AssembleJob = z.infer<typeof AssembleJob>;

/** Redis pub/sub channel on which cancel requests for running runs are announced. */
export const cancelChannel = (prefix: string): string => new SlipwayKeys(prefix).cancelChannel;
