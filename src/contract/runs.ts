// Runs over HTTP: the run every runs route answers with, as it is stored (runs/store.ts parses with the same
// schema). What clients send is in requests.ts. Written with zod's small build: the CLI loads it at every start.
import * as z from '../zod-mini.js';
import { RUN_STATUSES } from '../runs/status.js';
import { BuildOptions } from './build-options.js';
import { QuarantineMark } from './quarantine.js';

export { RUN_STATUSES, TERMINAL_STATUSES, isTerminal, type RunStatus } from '../runs/status.js';

/** A git source: the repository, the ref asked for, and the exact commit the run builds. */
export const GitSource = z.object({
  url: z.string(),
  ref: z.optional(z.string()),
  commit: z.string(),
  subdir: z.optional(z.string()),
});
export type GitSource = z.infer<typeof GitSource>;

/** The build a run performs, as stored: secret build-arg values are never part of it, only their names. */
export const BuildSpec = z.object({
  /** An uploaded context's digest, or absent for a git source. */
  context: z.optional(z.string()),
  git: z.optional(GitSource),
  dockerfile: z.string(),
  images: z.array(z.string()),
  buildArgs: z.record(z.string(), z.string()),
  secretBuildArgKeys: z.array(z.string()),
  /** The ids of the BuildKit secrets the build was given (`--secret`); never their values. */
  buildSecretIds: z.optional(z.array(z.string())),
  platform: z.string(),
  target: z.optional(z.string()),
  noPush: z.boolean(),
  timeoutSeconds: z.int().check(z.positive()),
  ...BuildOptions.shape,
  /** windows/amd64 is assembled without a daemon (the Dockerfile has no RUN). */
  windowsDaemonless: z.optional(z.boolean()),
  /** A multi-step task file run instead of the Dockerfile, with its values; of its secrets only the names. */
  taskFile: z.optional(z.string()),
  values: z.optional(z.record(z.string(), z.unknown())),
  secretValueKeys: z.optional(z.array(z.string())),
  /** Its images wait in quarantine (pushed by digest only) until a scanner approves them. */
  quarantine: z.optional(z.boolean()),
});
export type BuildSpec = z.infer<typeof BuildSpec>;

export const OutputImage = z.object({
  registry: z.string(),
  repository: z.string(),
  tag: z.string(),
  digest: z.string(),
  /** A quarantined run's image: pushed by digest only; the tag moves to it only when a scanner approves. */
  quarantine: z.optional(QuarantineMark),
});
export type OutputImage = z.infer<typeof OutputImage>;

export const TRIGGER_TYPES = ['manual', 'commit', 'pull_request', 'timer', 'base-image'] as const;

/** One link in the chain of causes of a base-image rebuild: an image that changed, and by whose run if it was built here. */
export const RebuildCause = z.object({
  image: z.string(),
  platform: z.optional(z.string()),
  oldDigest: z.optional(z.string()),
  newDigest: z.string(),
  /** The task and run that pushed the new image, when a Slipway rebuild did. */
  task: z.optional(z.string()),
  runId: z.optional(z.string()),
});
export type RebuildCause = z.infer<typeof RebuildCause>;

export const Trigger = z.object({
  type: z.enum(TRIGGER_TYPES),
  /** Webhook delivery, git ref and commit, pull request number, cron schedule: whichever apply. */
  deliveryId: z.optional(z.string()),
  ref: z.optional(z.string()),
  commit: z.optional(z.string()),
  pullRequest: z.optional(z.int()),
  schedule: z.optional(z.string()),
  /** Base-image rebuilds: the base that changed (the last link of `causes`), and every link from the first push. */
  image: z.optional(z.string()),
  oldDigest: z.optional(z.string()),
  newDigest: z.optional(z.string()),
  causes: z.optional(z.array(RebuildCause)),
  /** The rebuild wave this run belongs to. */
  rebuild: z.optional(z.string()),
});
export type Trigger = z.infer<typeof Trigger>;

/** One platform of a multi-platform run: its own status and the manifest it pushed by digest. */
export const PlatformResult = z.object({
  platform: z.string(),
  status: z.enum(RUN_STATUSES),
  digest: z.optional(z.string()),
  /** Windows images: the os.version an index entry must carry so hosts pick the right one. */
  osVersion: z.optional(z.string()),
  error: z.optional(z.string()),
  startedAt: z.optional(z.string()),
  finishedAt: z.optional(z.string()),
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
  digest: z.optional(z.string()),
  /** The index the platform manifest was picked from, when the tag names an index. */
  indexDigest: z.optional(z.string()),
  error: z.optional(z.string()),
});
export type BaseImageUse = z.infer<typeof BaseImageUse>;

/** One step of a task-file run: when it ran and how it ended; never its env or arguments. */
export const StepResult = z.object({
  id: z.string(),
  kind: z.enum(['build', 'push', 'cmd']),
  status: z.enum(['succeeded', 'failed', 'timeout', 'canceled', 'skipped']),
  startedAt: z.optional(z.string()),
  finishedAt: z.optional(z.string()),
  attempts: z.int(),
  exitCode: z.optional(z.int()),
  error: z.optional(z.string()),
  ignored: z.optional(z.boolean()),
  pushed: z.optional(z.array(z.object({ reference: z.string(), digest: z.string() }))),
});
export type StepResult = z.infer<typeof StepResult>;

export const Run = z.object({
  id: z.string(),
  status: z.enum(RUN_STATUSES),
  /** The requested platforms, comma-separated as given to --platform. */
  platform: z.string(),
  platforms: z.array(z.string()),
  createdAt: z.string(),
  startedAt: z.optional(z.string()),
  finishedAt: z.optional(z.string()),
  worker: z.optional(z.string()),
  trigger: Trigger,
  /** Who asked for it: the API token's name, or `trigger:<type>` for a webhook, timer or base-image change. */
  requestedBy: z.optional(z.string()),
  /** The task this run belongs to, if any. */
  task: z.optional(z.string()),
  request: BuildSpec,
  outputImages: z.array(OutputImage),
  /** Per platform, for runs that build more than one; their image index digest. */
  platformResults: z.optional(z.array(PlatformResult)),
  indexDigest: z.optional(z.string()),
  /** Task-file runs: each step's outcome. */
  steps: z.optional(z.array(StepResult)),
  /** The base images each platform was built on, for the dependency graph. */
  baseImages: z.optional(z.array(BaseImageUse)),
  error: z.optional(z.string()),
  cancelRequested: z.optional(z.boolean()),
  /** Why a queued run is not starting, e.g. `no worker serves windows/amd64`. */
  waiting: z.optional(z.string()),
});
export type Run = z.infer<typeof Run>;

export const RunList = z.object({ runs: z.array(Run) });
export type RunList = z.infer<typeof RunList>;
