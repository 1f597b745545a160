// The base-image graph and its rebuilds over HTTP: /v1/graph (who builds on what), the impact preview of a
// change, a change reported by hand, and the rebuild waves with the state of each entry. The graph's and
// the waves' records are stored as they are answered (graph/store.ts, graph/wave-store.ts).
import * as z from '../zod-mini.js';
import { RebuildCause } from './runs.js';

const BASE_KINDS = ['runtime', 'buildtime'] as const;

export const BaseUseDigest = z.object({
  /** The platform the task builds. */
  platform: z.string(),
  /** The base's platform it pulled for it (differs under FROM --platform=$BUILDPLATFORM). */
  basePlatform: z.string(),
  /** Whether this use ends up under the image; absent in records written before uses had their own kind (then the base's kind). */
  kind: z.optional(z.enum(BASE_KINDS)),
  digest: z.optional(z.string()),
});
export type BaseUseDigest = z.infer<typeof BaseUseDigest>;

export const GraphBase = z.object({
  /** Normalised `registry/repository:tag`. */
  image: z.string(),
  /** runtime when any use is: the image is under the task's image on some platform. */
  kind: z.enum(BASE_KINDS),
  uses: z.array(BaseUseDigest),
});
export type GraphBase = z.infer<typeof GraphBase>;

/** A task in the graph: the bases its last successful build pulled, and the tags it pushes. */
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

/** GET /v1/graph: each base image with the tasks built on it, and each task's node. */
export const Graph = z.object({
  images: z.array(z.object({ image: z.string(), dependents: z.array(z.object({ task: z.string(), kind: z.enum(BASE_KINDS) })) })),
  tasks: z.array(GraphNode),
});
export type Graph = z.infer<typeof Graph>;

const Skipped = z.object({ task: z.string(), reason: z.string() });

/** A platform of a base whose digest moved. */
export const DigestChange = z.object({ platform: z.string(), basePlatform: z.string(), oldDigest: z.optional(z.string()), newDigest: z.string() });

export const PlanEntry = z.object({
  task: z.string(),
  /** 0 for tasks built on the changed image itself; a task comes after every parent. */
  level: z.int(),
  parents: z.array(z.string()),
  /** Set when the task builds on the changed image itself, not only through a parent. */
  direct: z.optional(z.object({ image: z.string(), changes: z.array(DigestChange) })),
});

/** The rebuilds a change of `image` causes, in order; and the tasks it does not rebuild, with the reason. */
export const Plan = z.object({
  image: z.string(),
  entries: z.array(PlanEntry),
  cycles: z.array(z.array(z.string())),
  skipped: z.array(Skipped),
});
export type Plan = z.infer<typeof Plan>;

export const ENTRY_STATES = ['held', 'ready', 'dispatching', 'dispatched', 'succeeded', 'failed', 'skipped'] as const;
export type EntryState = (typeof ENTRY_STATES)[number];

/** A task in a rebuild wave, with where it is and why it rebuilds. */
export const WaveEntry = z.object({
  task: z.string(),
  level: z.int().check(z.nonnegative()),
  state: z.enum(ENTRY_STATES),
  parents: z.array(z.string()),
  children: z.array(z.string()),
  /** Parents not yet settled. */
  waiting: z.int().check(z.nonnegative()),
  /** Builds on the changed image itself (not only through a parent). */
  direct: z.boolean(),
  /** Why it rebuilds: the changed images and the runs that pushed them. */
  causes: z.array(z.array(RebuildCause)),
  runId: z.optional(z.string()),
  reason: z.optional(z.string()),
});
export type WaveEntry = z.infer<typeof WaveEntry>;

/** How the change was detected: registry notification, polling, by hand, or a build that pushed the image. */
export const WAVE_SOURCES = ['registry', 'poll', 'manual', 'build', 'approval'] as const;
export const WAVE_ID = /^w[0-9a-z]{1,20}$/;

/** Every rebuild one base-image change causes. */
export const Wave = z.object({
  id: z.string().check(z.regex(WAVE_ID)),
  image: z.string(),
  platforms: z.record(z.string(), z.string()),
  source: z.enum(WAVE_SOURCES),
  createdAt: z.string(),
  total: z.int(),
  cycles: z.array(z.array(z.string())),
  skipped: z.array(Skipped),
});
export type Wave = z.infer<typeof Wave>;

/** POST /v1/graph/notify: the digests read from the registry, and the wave the change started, if any. */
export const NotifyAnswer = z.object({
  image: z.string(),
  platforms: z.record(z.string(), z.string()),
  wave: z.optional(Wave),
  /** Tasks already waiting in an earlier wave, which this change joined. */
  joined: z.array(z.string()),
  skipped: z.array(Skipped),
  cycles: z.array(z.array(z.string())),
  /** Why nothing was planned at all, when that is so. */
  ignored: z.optional(z.string()),
});
export type NotifyAnswer = z.infer<typeof NotifyAnswer>;

export const WaveList = z.object({ rebuilds: z.array(Wave) });
export type WaveList = z.infer<typeof WaveList>;

/** GET /v1/rebuilds/:id: the wave with every entry, by level then name. */
export const WaveDetail = z.extend(Wave, { entries: z.array(WaveEntry) });
export type WaveDetail = z.infer<typeof WaveDetail>;
