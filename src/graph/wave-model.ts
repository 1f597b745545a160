// A rebuild wave: every rebuild one base-image change causes, with the order they must run in. Entries
// wait for their parents; a wave's runs are dispatched under a cap shared by all waves, so a storm of
// rebuilds never takes every worker from commit and manual builds.
import * as z from 'zod';
import { RebuildCause } from '../runs/model.js';

export const ENTRY_STATES = ['held', 'ready', 'dispatching', 'dispatched', 'succeeded', 'failed', 'skipped'] as const;
export type EntryState = (typeof ENTRY_STATES)[number];
export const isSettled = (s: EntryState): boolean => s === 'succeeded' || s === 'failed' || s === 'skipped';

export const WaveEntry = z.object({
  task: z.string(),
  level: z.number().int().nonnegative(),
  state: z.enum(ENTRY_STATES),
  parents: z.array(z.string()),
  children: z.array(z.string()),
  /** Parents not yet settled. */
  waiting: z.number().int().nonnegative(),
  /** Builds on the changed image itself (not only through a parent). */
  direct: z.boolean(),
  /** Why it rebuilds: the changed images and the runs that pushed them. */
  causes: z.array(z.array(RebuildCause)),
  runId: z.string().optional(),
  reason: z.string().optional(),
});
export type WaveEntry = z.infer<typeof WaveEntry>;

export const Wave = z.object({
  id: z.string(),
  image: z.string(),
  platforms: z.record(z.string(), z.string()),
  /** detection: registry notification, polling, by hand, or a build that pushed the image. */
  source: z.enum(['registry', 'poll', 'manual', 'build']),
  createdAt: z.string(),
  total: z.number().int(),
  cycles: z.array(z.array(z.string())),
  skipped: z.array(z.object({ task: z.string(), reason: z.string() })),
});
export type Wave = z.infer<typeof Wave>;
export type WaveSource = Wave['source'];
