// The shapes of the base-image graph's answers (/v1/graph, /v1/rebuilds), checked at the edge. Loose
// objects: fields a newer server adds survive into --json output.
import * as z from '../zod-mini.js';

const Change = z.looseObject({ platform: z.string(), basePlatform: z.string(), oldDigest: z.optional(z.string()), newDigest: z.string() });

export const PlanEntry = z.looseObject({
  task: z.string(),
  level: z.number(),
  parents: z.array(z.string()),
  direct: z.optional(z.looseObject({ image: z.string(), changes: z.array(Change) })),
});

export const Plan = z.looseObject({
  image: z.string(),
  entries: z.array(PlanEntry),
  cycles: z.array(z.array(z.string())),
  skipped: z.array(z.looseObject({ task: z.string(), reason: z.string() })),
});
export type Plan = z.infer<typeof Plan>;

export const Graph = z.looseObject({
  images: z.array(z.looseObject({ image: z.string(), dependents: z.array(z.looseObject({ task: z.string(), kind: z.string() })) })),
  tasks: z.array(z.looseObject({ task: z.string(), outputs: z.array(z.string()) })),
});
export type Graph = z.infer<typeof Graph>;

export const Wave = z.looseObject({
  id: z.string(),
  image: z.string(),
  source: z.string(),
  createdAt: z.string(),
  total: z.number(),
  cycles: z.array(z.array(z.string())),
  skipped: z.array(z.looseObject({ task: z.string(), reason: z.string() })),
});
export type Wave = z.infer<typeof Wave>;

export const WaveList = z.looseObject({ rebuilds: z.array(Wave) });

export const WaveDetail = z.extend(Wave, {
  entries: z.array(z.looseObject({ task: z.string(), level: z.number(), state: z.string(), parents: z.array(z.string()), runId: z.optional(z.string()), reason: z.optional(z.string()) })),
});
export type WaveDetail = z.infer<typeof WaveDetail>;

export const NotifyAnswer = z.looseObject({
  image: z.string(),
  platforms: z.record(z.string(), z.string()),
  wave: z.optional(Wave),
  joined: z.array(z.string()),
  skipped: z.array(z.looseObject({ task: z.string(), reason: z.string() })),
  cycles: z.array(z.array(z.string())),
  ignored: z.optional(z.string()),
});
export type NotifyAnswer = z.infer<typeof NotifyAnswer>;
