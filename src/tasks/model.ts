// Tasks: named, stored build definitions (the `az acr task create` analogue) — a git source, a
// Dockerfile, images, platforms and triggers. Git tokens are kept apart and never returned.
import * as z from 'zod';
import { BASE_IMAGE_TRIGGERS } from './names.js';

export { BASE_IMAGE_TRIGGERS, TASK_NAME } from './names.js';

/** The body of POST /v1/tasks and PATCH /v1/tasks/:name (all optional there). */
export const TaskSpec = z
  .object({
    context: z.string().min(1).max(2048),
    dockerfile: z.string().min(1).max(4096).default('Dockerfile'),
    images: z.array(z.string().min(1).max(1024)).max(50).default([]),
    platform: z.string().min(1).max(100).default('linux/amd64'),
    buildArgs: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string().max(65_536)).default({}),
    commitTrigger: z.boolean().default(true),
    prTrigger: z.boolean().default(false),
    baseImageTrigger: z.enum(BASE_IMAGE_TRIGGERS).default('runtime'),
    schedules: z.array(z.string().min(1).max(200)).max(20).default([]),
    timeoutSeconds: z.number().int().positive().optional(),
    noPush: z.boolean().default(false),
    /** Write-only: stored apart, never returned, masked in logs. */
    gitToken: z.string().min(1).max(4096).optional(),
  })
  .strict();
export type TaskSpec = z.infer<typeof TaskSpec>;

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
  timeoutSeconds: z.number().int().positive(),
  noPush: z.boolean(),
  /** The normalised repository URL, for matching webhooks. */
  repository: z.string(),
  hasGitToken: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Task = z.infer<typeof Task>;
