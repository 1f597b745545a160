// The CLI's own errors: what went wrong between the user, this process and the API. exit.ts maps each to an
// exit code and a one-line message; nothing else decides either.

/** The command line is wrong (a flag, an argument); nothing was sent. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The API answered with an error status and (usually) `{ error: { code, message } }`. */
export { ApiError } from '../contract/errors.js';

/** No answer from the API: refused, reset, DNS, or silent for too long. */
export class ApiUnreachableError extends Error {
  override name = 'ApiUnreachableError';
  constructor(
    readonly server: string,
    readonly reason: string,
  ) {
    super(`cannot reach ${server}: ${reason}`);
  }
}

/** The API answered, but not with what this CLI understands (a version mismatch or something else on the port). */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

/** The user pressed Ctrl-C. `runId` is set when a run had been submitted; `cancelFailure` when canceling it failed. */
export class InterruptedError extends Error {
  override name = 'InterruptedError';
  constructor(
    readonly runId?: string,
    readonly cancelFailure?: string,
  ) {
    super('interrupted');
  }
}
