// The base-image dependency graph's records: per task, the bases its last build pulled (the platform
// manifest digest of each, per platform built) and the images it pushes, which other tasks may build on.
import * as z from 'zod';

export const BASE_IMAGE_POLICIES = ['runtime', 'all', 'off'] as const;
export type BaseImagePolicy = (typeof BASE_IMAGE_POLICIES)[number];

export const BaseUseDigest = z.object({
  /** The platform the task builds. */
  platform: z.string(),
  /** The base's platform it pulled for it (differs under FROM --platform=$BUILDPLATFORM). */
  basePlatform: z.string(),
  digest: z.string().optional(),
});
export type BaseUseDigest = z.infer<typeof BaseUseDigest>;

export const GraphBase = z.object({
  /** Normalised `registry/repository:tag`. */
  image: z.string(),
  kind: z.enum(['runtime', 'buildtime']),
  uses: z.array(BaseUseDigest),
});
export type GraphBase = z.infer<typeof GraphBase>;

export const GraphNode = z.object({
  task: z.string(),
  platforms: z.array(z.string()),
  bases: z.array(GraphBase),
  /** Tags the task pushes (`registry/repository:tag`), as its last successful run pushed them. */
  outputs: z.array(z.string()),
  /** The run these were read from. */
  runId: z.string(),
  updatedAt: z.string(),
});
export type GraphNode = z.infer<typeof GraphNode>;

/** A base image changed: the tag, and the platform manifest digest it names now for each platform. */
export interface ImageChange {
  image: string;
  platforms: Record<string, string>;
}

/** Whether a task's policy rebuilds it for a change of a base of this kind. */
export function policyCovers(policy: BaseImagePolicy, kind: GraphBase['kind']): boolean {
  return policy === 'all' || (policy === 'runtime' && kind === 'runtime');
}
