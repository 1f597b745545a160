// Runs over HTTP: the body of POST /v1/runs, the run every runs route answers with, and the list query.
// The run is stored as it is answered (runs/store.ts parses with the same schema). Written with zod's small
// build, as the CLI loads it at every start.
import * as z from '../zod-mini.js';
import { RUN_STATUSES } from '../runs/status.js';
import { CONTEXT_DIGEST } from './contexts.js';
import { ARG_NAME, MAX_ARG_NAME, MAX_ARG_VALUE, MAX_ARGS, MAX_IMAGE, MAX_IMAGES, MAX_PATH, MAX_PLATFORM, MAX_SECRET, MAX_SECRETS, MAX_VALUE_NAME, MAX_VALUES, SECRET_ID } from './limits.js';

export { RUN_STATUSES, TERMINAL_STATUSES, isTerminal, type RunStatus } from '../runs/status.js';

const text = (max: number) => z.string().check(z.minLength(1), z.maxLength(max));

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
  platform: z.string(),
  target: z.optional(z.string()),
  noPush: z.boolean(),
  timeoutSeconds: z.int().check(z.positive()),
  /** windows/amd64 is assembled without a daemon (the Dockerfile has no RUN). */
  windowsDaemonless: z.optional(z.boolean()),
  /** A multi-step task file run instead of the Dockerfile, with its values; of its secrets only the names. */
  taskFile: z.optional(z.string()),
  values: z.optional(z.record(z.string(), z.unknown())),
  secretValueKeys: z.optional(z.array(z.string())),
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

/** GET /v1/runs and GET /v1/tasks/:name/runs: newest first, optionally of one status. */
export const RunListQuery = z.strictObject({
  status: z.optional(z.enum(RUN_STATUSES)),
  top: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(1000)), 20),
});
export type RunListQuery = z.infer<typeof RunListQuery>;

export const BuildArgs = z
  .record(z.string().check(z.regex(ARG_NAME, 'a build-arg name is letters, digits and _, not starting with a digit'), z.maxLength(MAX_ARG_NAME)), z.string().check(z.maxLength(MAX_ARG_VALUE)))
  .check(z.refine((r) => Object.keys(r).length <= MAX_ARGS, `at most ${MAX_ARGS} build args`));

/**
 * The body of POST /v1/runs: shapes and sizes here, meaning (image names, platform, context existence) in
 * RunService. Either a Dockerfile build, or `taskFile` with its values and secrets.
 */
export const RunRequest = z.strictObject({
  context: z.string().check(z.regex(CONTEXT_DIGEST, 'context must be the sha256:<64 hex> digest of an uploaded context')),
  dockerfile: z._default(text(MAX_PATH), 'Dockerfile'),
  images: z._default(z.array(text(MAX_IMAGE)).check(z.maxLength(MAX_IMAGES)), []),
  buildArgs: z._default(BuildArgs, {}),
  secretBuildArgs: z._default(BuildArgs, {}),
  platform: z._default(text(MAX_PLATFORM), 'linux/amd64'),
  target: z.optional(z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'target must be a build stage name'))),
  noPush: z._default(z.boolean(), false),
  timeoutSeconds: z.optional(z.int().check(z.positive())),
  /** A multi-step task file (ACR task YAML) inside the context, run instead of one Dockerfile build. */
  taskFile: z.optional(text(MAX_PATH)),
  /** The task file's {{.Values.X}}: from --set and --values. */
  values: z.optional(z.record(z.string().check(z.maxLength(MAX_VALUE_NAME)), z.unknown()).check(z.refine((r) => Object.keys(r).length <= MAX_VALUES, `at most ${MAX_VALUES} values`))),
  /** The task file's secrets (--set-secret): masked in the log, never stored; only their names are kept. */
  secretValues: z.optional(
    z.record(z.string(), z.string().check(z.maxLength(MAX_SECRET))).check(
      z.superRefine((r, ctx) => {
        const keys = Object.keys(r);
        if (keys.length > MAX_SECRETS) ctx.addIssue({ code: 'custom', message: `at most ${MAX_SECRETS} secrets` });
        const bad = keys.find((k) => !SECRET_ID.test(k));
        if (bad !== undefined) ctx.addIssue({ code: 'custom', message: `secret id ${JSON.stringify(bad.slice(0, 60))} must be 1-128 letters, digits, _ . and -` });
      }),
    ),
  ),
});
/** What the API makes of a body: defaults filled in. */
export type RunRequest = z.output<typeof RunRequest>;
/** What a client may send: every field but `context` may be left out. */
export type RunSubmission = z.input<typeof RunRequest>;
