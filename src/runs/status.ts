// A run's lifecycle states, apart from the run's schemas (model.ts) so that the CLI can name them without
// loading the server's zod models at startup.
export const RUN_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'canceled', 'timeout', 'error'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const TERMINAL_STATUSES: readonly RunStatus[] = ['succeeded', 'failed', 'canceled', 'timeout', 'error'];
export const isTerminal = (s: RunStatus): boolean => TERMINAL_STATUSES.includes(s);
