// The run: what was asked for, where it is in its lifecycle, and what it produced.
import * as z from 'zod';
import { RUN_STATUSES } from './status.js';

export { RUN_STATUSES, TERMINAL_STATUSES, isTerminal, type RunStatus } from './status.js';

/** The build a run performs, as stored: secret build-arg values are never part of it, only their names. */
/** A git source: the repository, the ref asked for, and the exact commit the run builds. */
export const GitSource = z.object({
  url: z.string(),
  ref: z.string().optional(),
  commit: z.string(),
  subdir: z.string().optional(),
});
export type GitSource = z.infer<typeof GitSource>;

export const BuildSpec = z.object({
  /** An uploaded context's digest, or absent for a git source. */
  context: z.string().optional(),
  git: GitSource.optional(),
  dockerfile: z.string(),
  images: z.array(z.string()),
  buildArgs: z.record(z.string(), z.string()),
  secretBuildArgKeys: z.array(z.string()),
  platform: z.string(),
  target: z.string().optional(),
  noPush: z.boolean(),
  timeoutSeconds: z.number().int().positive(),
  /** windows/amd64 is assembled without a daemon (the Dockerfile has no RUN). */
  windowsDaemonless: z.boolean().optional(),
  /** A multi-step task file run instead of the Dockerfile, with its values; of its secrets only the names. */
  taskFile: z.string().optional(),
  values: z.record(z.string(), z.unknown()).optional(),
  secretValueKeys: z.array(z.string()).optional(),
});
export type BuildSpec = z.infer<typeof BuildSpec>;

export const OutputImage = z.object({
  registry: z.string(),
  repository: z.string(),
  tag: z.string(),
  digest: z.string(),
});
export type OutputImage = z.infer<typeof OutputImage>;

export const TRIGGER_TYPES = ['manual', 'commit', 'pull_request', 'timer', 'base-image'] as const;

/** One link in the chain of causes of a base-image rebuild: an image that changed, and by whose run if it was built here. */
export const RebuildCause = z.object({
  image: z.string(),
  platform: z.string().optional(),
  oldDigest: z.string().optional(),
  newDigest: z.string(),
  /** The task and run that pushed the new image, when a Slipway rebuild did. */
  task: z.string().optional(),
  runId: z.string().optional(),
});
export type RebuildCause = z.infer<typeof RebuildCause>;

export const Trigger = z.object({
  type: z.enum(TRIGGER_TYPES),
  /** Webhook delivery, git ref and commit, pull request number, cron schedule: whichever apply. */
  deliveryId: z.string().optional(),
  ref: z.string().optional(),
  commit: z.string().optional(),
  pullRequest: z.number().int().optional(),
  schedule: z.string().optional(),
  /** Base-image rebuilds: the base that changed (the last link of `causes`), and every link from the first push. */
  image: z.string().optional(),
  oldDigest: z.string().optional(),
  newDigest: z.string().optional(),
  causes: z.array(RebuildCause).optional(),
  /** The rebuild wave this run belongs to. */
  rebuild: z.string().optional(),
});
export type Trigger = z.infer<typeof Trigger>;

/** One platform of a multi-platform run: its own status and the manifest it pushed by digest. */
export const PlatformResult = z.object({
  platform: z.string(),
  status: z.enum(RUN_STATUSES),
  digest: z.string().optional(),
  /** Windows images: the os.version an index entry must carry so hosts pick the right one. */
  osVersion: z.string().optional(),
  error: z.string().optional(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
});
export type PlatformResult = z.infer<typeof PlatformResult>;

/** A base image a build pulled, resolved just before the build: the manifest of the platform it used. */
export const BaseImageUse = z.object({
  /** Normalised `registry/repository:tag`. */
  image: z.string(),
  kind: z.enum(['runtime', 'buildtime']),
  /** The platform the run built. */
  platform: z.string(),
  /** The platform of the base it pulled (differs under FROM --platform=$BUILDPLATFORM). */
  basePlatform: z.string(),
  /** The platform manifest's digest; absent when it could not be resolved. */
  digest: z.string().optional(),
  /** The index the platform manifest was picked from, when the tag names an index. */
  indexDigest: z.string().optional(),
  error: z.string().optional(),
});
export type BaseImageUse = z.infer<typeof BaseImageUse>;

/** One step of a task-file run: when it ran and how it ended; never its env or arguments. */
export const StepResult = z.object({
  id: z.string(),
  kind: z.enum(['build', 'push', 'cmd']),
  status: z.enum(['succeeded', 'failed', 'timeout', 'canceled', 'skipped']),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  attempts: z.number().int(),
  exitCode: z.number().int().optional(),
  error: z.string().optional(),
  ignored: z.boolean().optional(),
  pushed: z.array(z.object({ reference: z.string(), digest: z.string() })).optional(),
});
export type StepResult = z.infer<typeof StepResult>;

export const Run = z.object({
  id: z.string(),
  status: z.enum(RUN_STATUSES),
  /** The requested platforms, comma-separated as given to --platform. */
  platform: z.string(),
  platforms: z.array(z.string()),
  createdAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  worker: z.string().optional(),
  trigger: Trigger,
  /** The task this run belongs to, if any. */
  task: z.string().optional(),
  request: BuildSpec,
  outputImages: z.array(OutputImage),
  /** Per platform, for runs that build more than one; their image index digest. */
  platformResults: z.array(PlatformResult).optional(),
  indexDigest: z.string().optional(),
  /** Task-file runs: each step's outcome. */
  steps: z.array(StepResult).optional(),
  /** The base images each platform was built on, for the dependency graph. */
  baseImages: z.array(BaseImageUse).optional(),
  error: z.string().optional(),
  cancelRequested: z.boolean().optional(),
  /** Why a queued run is not starting, e.g. `no worker serves windows/amd64`. */
  waiting: z.string().optional(),
});
export type Run = z.infer<typeof Run>;
