// The run state machine: which status a run may move to from which, and which statuses end it. Pure, so the
// rules are testable without Redis; the run store refuses any transition they do not allow.
import { isTerminal, RUN_STATUSES, type RunStatus } from './status.js';

/**
 * queued → running when a worker starts it, or straight to an end when it is canceled, times out in the
 * queue, or a platform of a multi-platform run fails before the others start; running → any end. An
 * ended run never changes again.
 */
const NEXT: Record<RunStatus, readonly RunStatus[]> = {
  queued: ['running', 'failed', 'canceled', 'timeout', 'error'],
  running: ['succeeded', 'failed', 'canceled', 'timeout', 'error'],
  succeeded: [],
  failed: [],
  canceled: [],
  timeout: [],
  error: [],
};

/** Whether a run in `from` may move to `to`; staying in a status (a patch of other fields) is allowed until it ends. */
export function canTransition(from: RunStatus, to: RunStatus): boolean {
  return from === to ? !isTerminal(from) : NEXT[from].includes(to);
}

/** The statuses a run may be in to move to `to`. */
export function sourcesOf(to: RunStatus): RunStatus[] {
  return RUN_STATUSES.filter((from) => canTransition(from, to));
}

/** A transition from `from` to `to` (or, with no `to`, a patch that keeps the status); throws when the machine forbids one of them. */
export function checkTransition(from: readonly RunStatus[], to: RunStatus | undefined): void {
  const bad = from.filter((s) => !canTransition(s, to ?? s));
  if (bad.length) throw new Error(`a run cannot go from ${bad.join(', ')} to ${to ?? 'a patch of its fields'}`);
}
