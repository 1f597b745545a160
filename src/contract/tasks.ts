// Tasks over HTTP: the settable fields (POST /v1/tasks, PATCH /v1/tasks/:name) and the task every tasks
// route answers with. A task's git token is write-only: sent in `gitToken`, answered as `hasGitToken`.
import * as z from '../zod-mini.js';
import { BASE_IMAGE_TRIGGERS, TASK_NAME } from '../tasks/names.js';
import { MAX_CONTEXT, MAX_IMAGE, MAX_IMAGES, MAX_PATH, MAX_PLATFORM, MAX_SCHEDULE, MAX_SCHEDULES, MAX_TOKEN } from './limits.js';
import { BuildArgs } from './runs.js';

export { BASE_IMAGE_TRIGGERS, TASK_NAME } from '../tasks/names.js';

const text = (max: number) => z.string().check(z.minLength(1), z.maxLength(max));

/** The settable fields of a task. */
const fields = {
  /** A git URL, `#ref` and `:subdir` optional. */
  context: text(MAX_CONTEXT),
  dockerfile: text(MAX_PATH),
  images: z.array(text(MAX_IMAGE)).check(z.maxLength(MAX_IMAGES)),
  platform: text(MAX_PLATFORM),
  buildArgs: BuildArgs,
  commitTrigger: z.boolean(),
  prTrigger: z.boolean(),
  baseImageTrigger: z.enum(BASE_IMAGE_TRIGGERS),
  /** 5-field cron expressions, in UTC. */
  schedules: z.array(text(MAX_SCHEDULE)).check(z.maxLength(MAX_SCHEDULES)),
  timeoutSeconds: z.optional(z.int().check(z.positive())),
  noPush: z.boolean(),
  /** Write-only: stored apart, never returned, masked in logs. */
  gitToken: z.optional(text(MAX_TOKEN)),
};

/** A new task's fields: a context, and defaults for the rest. */
export const TaskSpec = z.strictObject({
  ...fields,
  dockerfile: z._default(fields.dockerfile, 'Dockerfile'),
  images: z._default(fields.images, []),
  platform: z._default(fields.platform, 'linux/amd64'),
  buildArgs: z._default(fields.buildArgs, {}),
  commitTrigger: z._default(fields.commitTrigger, true),
  prTrigger: z._default(fields.prTrigger, false),
  baseImageTrigger: z._default(fields.baseImageTrigger, 'runtime'),
  schedules: z._default(fields.schedules, []),
  noPush: z._default(fields.noPush, false),
});
export type TaskSpec = z.output<typeof TaskSpec>;

/** PATCH /v1/tasks/:name: only the fields given change. No defaults here, or a field left out would be reset. */
export const TaskPatch = z.partial(z.strictObject(fields));
/** The fields as a client sends them: all optional, as in a PATCH. */
export type TaskFields = z.input<typeof TaskPatch>;

/** POST /v1/tasks: a name, a context, and any other settable field. */
export const TaskCreate = z.strictObject({ name: z.string().check(z.regex(TASK_NAME)), ...TaskSpec.shape });
export type TaskCreate = z.input<typeof TaskCreate>;

export const Task = z.object({
  name: z.string(),
  context: z.string(),
  dockerfile: z.string(),
  images: z.array(z.string()),
  platform: z.string(),
  platforms: z.array(z.string()),
  buildArgs: z.record(z.string(), z.string()),
  commitTrigger: z.boolean(),
  prTrigger: z.boolean(),
  baseImageTrigger: z.enum(BASE_IMAGE_TRIGGERS),
  schedules: z.array(z.string()),
  timeoutSeconds: z.int().check(z.positive()),
  noPush: z.boolean(),
  /** The normalised repository URL webhooks are matched against. */
  repository: z.string(),
  hasGitToken: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Task = z.infer<typeof Task>;

export const TaskList = z.object({ tasks: z.array(Task) });
export type TaskList = z.infer<typeof TaskList>;
