// A rebuild wave: every rebuild one base-image change causes, with the order they must run in. Entries
// wait for their parents; a wave's runs are dispatched under a cap shared by all waves, so a storm of
// rebuilds never takes every worker from commit and manual builds.
import type { EntryState, Wave } from '../contract/graph.js';

export { ENTRY_STATES, Wave, WaveEntry, type EntryState } from '../contract/graph.js';
export const isSettled = (s: EntryState): boolean => s === 'succeeded' || s === 'failed' || s === 'skipped';
export type WaveSource = Wave['source'];
