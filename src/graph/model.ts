// The base-image dependency graph's records: per task, the bases its last build pulled (the platform
// manifest digest of each, per platform built) and the images it pushes, which other tasks may build on. The
// records' shapes are the API contract's (contract/graph.ts): GET /v1/graph answers them as stored.
import type { GraphBase } from '../contract/graph.js';

export { BaseUseDigest, GraphBase, GraphNode } from '../contract/graph.js';

export const BASE_IMAGE_POLICIES = ['runtime', 'all', 'off'] as const;
export type BaseImagePolicy = (typeof BASE_IMAGE_POLICIES)[number];

/** A base image changed: the tag, and the platform manifest digest it names now for each platform. */
export interface ImageChange {
  image: string;
  platforms: Record<string, string>;
}

/** Whether a task's policy rebuilds it for a change of a base of this kind. */
export function policyCovers(policy: BaseImagePolicy, kind: GraphBase['kind']): boolean {
  return policy === 'all' || (policy === 'runtime' && kind === 'runtime');
}
