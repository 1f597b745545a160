// The shapes of the API's answers, checked at the edge so the commands can trust what they print.
// Objects are loose: fields a newer server adds survive into `runs show --json`.
import { z } from 'zod';
import { RUN_STATUSES } from '../runs/model.js';

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
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  worker: z.string().optional(),
  request: z.looseObject({
    context: z.string(),
    dockerfile: z.string(),
    images: z.array(z.string()),
    buildArgs: z.record(z.string(), z.string()),
    secretBuildArgKeys: z.array(z.string()),
    platform: z.string(),
    target: z.string().optional(),
    noPush: z.boolean(),
    timeoutSeconds: z.number(),
  }),
  outputImages: z.array(OutputImage),
  /** Multi-platform runs: each platform's outcome, and the image index that ties them together. */
  platformResults: z
    .array(z.looseObject({ platform: z.string(), status: z.enum(RUN_STATUSES), digest: z.string().optional(), error: z.string().optional() }))
    .optional(),
  indexDigest: z.string().optional(),
  error: z.string().optional(),
  /** Why a queued run is not running yet, e.g. no worker for its platform. */
  waiting: z.string().optional(),
});
export type Run = z.infer<typeof Run>;

export const RunList = z.object({ runs: z.array(Run) });

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
}
