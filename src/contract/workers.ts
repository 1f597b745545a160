// The worker pool over HTTP (GET /v1/workers): each worker as its heartbeats describe it, with the runs it is
// building. Read-only, for the dashboard and anyone watching the pool.
import * as z from '../zod-mini.js';

/**
 * What a worker's janitor (workers/janitor/) last measured on its host and what that pass removed. The build
 * cache is the whole Engine's, shared with whatever else builds on it; the mirrors are this worker's.
 */
export const WorkerDisk = z.object({
  measuredAt: z.string(),
  buildCacheBytes: z.number(),
  buildCacheBudgetBytes: z.number(),
  mirrorBytes: z.number(),
  mirrorBudgetBytes: z.number(),
  removed: z.object({
    buildCacheBytes: z.number(),
    mirrors: z.number(),
    mirrorBytes: z.number(),
    images: z.number(),
    containers: z.number(),
    networks: z.number(),
    workspaces: z.number(),
    /** Names of images pulled for cmd steps that no step had used for SLIPWAY_JANITOR_STEP_IMAGE_MAX_AGE_SECONDS. */
    stepImages: z.optional(z.number()),
  }),
});
export type WorkerDisk = z.infer<typeof WorkerDisk>;

export const WorkerInfo = z.object({
  /** The worker's name, `host/pid`: what a run's `worker` field records. */
  name: z.string(),
  host: z.string(),
  /** The platforms (queues) it serves, from its latest heartbeat for each. */
  platforms: z.array(z.string()),
  lastHeartbeat: z.string(),
  /** Whether it beat recently enough to count as serving its platforms. */
  live: z.boolean(),
  /** What its host's janitor last measured and removed; absent until its first pass. */
  disk: z.optional(WorkerDisk),
  /** The runs it is building now. */
  runs: z.array(z.object({ id: z.string(), task: z.optional(z.string()), platform: z.string(), startedAt: z.optional(z.string()) })),
});
export type WorkerInfo = z.infer<typeof WorkerInfo>;

export const WorkerList = z.object({ workers: z.array(WorkerInfo) });
export type WorkerList = z.infer<typeof WorkerList>;
