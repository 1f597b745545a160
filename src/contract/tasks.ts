// Tasks over HTTP: the task every tasks route answers with, as it is stored. Its settable fields (POST and
// PATCH bodies) are in requests.ts. A task's git token is write-only: sent as `gitToken`, answered as `hasGitToken`.
import * as z from '../zod-mini.js';
import { BASE_IMAGE_TRIGGERS } from '../tasks/names.js';
import { BuildOptions } from './build-options.js';

export { BASE_IMAGE_TRIGGERS, TASK_NAME } from '../tasks/names.js';

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
  /** Absent in tasks stored before the quarantine gate: not quarantined. */
  quarantine: z.optional(z.boolean()),
  // Defaults for tasks stored before pull-request runs stopped pushing: they do not push either.
  pullRequestPush: z._default(z.boolean(), false),
  pullRequestImages: z._default(z.array(z.string()), []),
  ...BuildOptions.shape,
  /** The normalised repository URL webhooks are matched against. */
  repository: z.string(),
  hasGitToken: z.boolean(),
  hasWebhookToken: z._default(z.boolean(), false),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Task = z.infer<typeof Task>;

export const TaskList = z.object({ tasks: z.array(Task) });
export type TaskList = z.infer<typeof TaskList>;
