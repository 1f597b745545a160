// The shapes of the API's answers, checked at the edge so the commands can trust what they print.
// Objects are loose: fields a newer server adds survive into `runs show --json`.
import * as z from '../zod-mini.js';
import { RUN_STATUSES } from '../runs/status.js';
import type { BASE_IMAGE_TRIGGERS } from '../tasks/names.js';

export const OutputImage = z.looseObject({
  registry: z.string(),
  repository: z.string(),
  tag: z.string(),
  digest: z.string(),
});
export type OutputImage = z.infer<typeof OutputImage>;

export const Run = z.looseObject({
  id: z.string(),
  status: z.enum(RUN_STATUSES),
  platform: z.string(),
  createdAt: z.string(),
  startedAt: z.optional(z.string()),
  finishedAt: z.optional(z.string()),
  worker: z.optional(z.string()),
  /** What started the run; a task's runs also name the task. */
  trigger: z.optional(z.looseObject({ type: z.string(), commit: z.optional(z.string()), pullRequest: z.optional(z.number()), schedule: z.optional(z.string()) })),
  task: z.optional(z.string()),
  request: z.looseObject({
    /** An uploaded context's digest; a task's runs have a git source instead. */
    context: z.optional(z.string()),
    git: z.optional(z.looseObject({ url: z.string(), ref: z.optional(z.string()), commit: z.string(), subdir: z.optional(z.string()) })),
    dockerfile: z.string(),
    images: z.array(z.string()),
    buildArgs: z.record(z.string(), z.string()),
    secretBuildArgKeys: z.array(z.string()),
    platform: z.string(),
    target: z.optional(z.string()),
    noPush: z.boolean(),
    timeoutSeconds: z.number(),
  }),
  outputImages: z.array(OutputImage),
  /** Multi-platform runs: each platform's outcome, and the image index that ties them together. */
  platformResults: z.optional(
    z.array(z.looseObject({ platform: z.string(), status: z.enum(RUN_STATUSES), digest: z.optional(z.string()), error: z.optional(z.string()) })),
  ),
  indexDigest: z.optional(z.string()),
  error: z.optional(z.string()),
  /** Why a queued run is not running yet, e.g. no worker for its platform. */
  waiting: z.optional(z.string()),
});
export type Run = z.infer<typeof Run>;

export const RunList = z.object({ runs: z.array(Run) });

export const Task = z.looseObject({
  name: z.string(),
  context: z.string(),
  dockerfile: z.string(),
  images: z.array(z.string()),
  platform: z.string(),
  platforms: z.array(z.string()),
  buildArgs: z.record(z.string(), z.string()),
  commitTrigger: z.boolean(),
  prTrigger: z.boolean(),
  /** Shown, not acted on, so a mode a newer server adds does not break the CLI. */
  baseImageTrigger: z.string(),
  schedules: z.array(z.string()),
  timeoutSeconds: z.number(),
  noPush: z.boolean(),
  /** The normalised repository URL webhooks are matched against. */
  repository: z.string(),
  /** The token itself is write-only. */
  hasGitToken: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Task = z.infer<typeof Task>;

export const TaskList = z.object({ tasks: z.array(Task) });

export const StoredContext = z.object({ digest: z.string(), size: z.number() });
export type StoredContext = z.infer<typeof StoredContext>;

export const ErrorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/** The body of POST /v1/runs as this CLI sends it. */
export interface RunSubmission {
  context: string;
  dockerfile?: string;
  images?: string[];
  buildArgs?: Record<string, string>;
  secretBuildArgs?: Record<string, string>;
  platform?: string;
  target?: string;
  noPush?: boolean;
  timeoutSeconds?: number;
  /** A task file inside the context, run instead of the Dockerfile, with its values and secrets. */
  taskFile?: string;
  values?: Record<string, unknown>;
  secretValues?: Record<string, string>;
}

/** The settable fields of a task as this CLI sends them: all of PATCH /v1/tasks/:name, and with name and context POST /v1/tasks. */
export interface TaskFields {
  context?: string;
  dockerfile?: string;
  images?: string[];
  platform?: string;
  buildArgs?: Record<string, string>;
  commitTrigger?: boolean;
  prTrigger?: boolean;
  baseImageTrigger?: (typeof BASE_IMAGE_TRIGGERS)[number];
  schedules?: string[];
  timeoutSeconds?: number;
  noPush?: boolean;
  /** Write-only: the API stores it apart and answers only `hasGitToken`. */
  gitToken?: string;
}
