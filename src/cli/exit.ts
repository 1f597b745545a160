// Exit codes and the one-line messages that go with them, in one place. Scripts rely on these codes:
// 0 success, 1 the run did not succeed, 2 bad input (flags or an API 4xx), 3 the API is unreachable or broken, 130 Ctrl-C.
import type { Run } from '../contract/runs.js';
import { ApiError, ApiUnreachableError, InterruptedError, ProtocolError, UsageError } from './errors.js';

export const ExitCode = {
  ok: 0,
  runNotSucceeded: 1,
  usage: 2,
  apiUnavailable: 3,
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface Exit {
  code: ExitCode;
  /** Written to stderr as `slipway: <message>`; empty for a silent exit. */
  message: string;
}

export const messages = {
  unreachable: (server: string, reason: string) =>
    `cannot reach the Slipway API at ${server}: ${reason}; start it with npm run up or pass --server`,
  runEnded: (run: Pick<Run, 'id' | 'status' | 'error'>) => {
    const how = { succeeded: 'succeeded', failed: 'failed', canceled: 'was canceled', timeout: 'timed out', error: 'ended in an error' };
    const verb = run.status in how ? how[run.status as keyof typeof how] : `is ${run.status}`;
    return `run ${run.id} ${verb}${run.error ? `: ${oneLine(run.error)}` : ''}`;
  },
  canceled: (id: string) => `interrupted; run ${id} is being canceled`,
  cancelFailed: (id: string, reason: string) => `interrupted; could not cancel run ${id} (${reason}); try: slipway runs cancel ${id}`,
  interrupted: () => 'interrupted before a run was submitted',
};

/** Raised when a followed run ends in any status but `succeeded`. */
export class RunNotSucceededError extends Error {
  override name = 'RunNotSucceededError';
  constructor(readonly run: Pick<Run, 'id' | 'status' | 'error'>) {
    super(messages.runEnded(run));
  }
}

/** Decides the exit code and message for anything a command throws. */
export function exitFor(err: unknown): Exit {
  if (err instanceof RunNotSucceededError) return { code: ExitCode.runNotSucceeded, message: err.message };
  // ConfigError by name: importing config.ts (and zod with it) would add to every command's startup.
  if (err instanceof UsageError || (err instanceof Error && err.name === 'ConfigError')) return { code: ExitCode.usage, message: err.message };
  if (err instanceof ApiUnreachableError) return { code: ExitCode.apiUnavailable, message: messages.unreachable(err.server, err.reason) };
  if (err instanceof ApiError) {
    return { code: err.status >= 500 ? ExitCode.apiUnavailable : ExitCode.usage, message: oneLine(err.message) };
  }
  if (err instanceof ProtocolError) return { code: ExitCode.apiUnavailable, message: err.message };
  if (err instanceof InterruptedError) {
    const message = !err.runId
      ? messages.interrupted()
      : err.cancelFailure
        ? messages.cancelFailed(err.runId, oneLine(err.cancelFailure))
        : messages.canceled(err.runId);
    return { code: ExitCode.interrupted, message };
  }
  // Bad input found by shared code (packContext: no Dockerfile; platforms: bad syntax) carries the name BadInputError.
  // A task file's or values file's mistakes: each at its file:line:col.
  if (err instanceof Error && (err.name === 'BadInputError' || err.name === 'TaskFileError')) return { code: ExitCode.usage, message: err.message };
  const text = err instanceof Error ? err.message : String(err);
  return { code: ExitCode.runNotSucceeded, message: `unexpected error: ${oneLine(text)}` };
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}
