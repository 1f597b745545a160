// Which errors of a request to the Engine mean the Engine itself went away, rather than that it refused what
// it was asked: its socket refused or missing (stopped, restarting), or the connection cut mid-answer (killed).
import { EngineUnavailableError } from '../image-builder.js';

/** Errors of connecting to the socket: the Engine is not there. */
const NOT_LISTENING = new Set(['ECONNREFUSED', 'ENOENT']);
/** Errors of a connection it had accepted: it went away mid-request. */
const CUT = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/** The EngineUnavailableError `err` stands for, or undefined when the Engine answered it. */
export function engineLost(err: unknown, socket: string): EngineUnavailableError | undefined {
  if (!(err instanceof Error)) return undefined;
  const { code, syscall } = err as NodeJS.ErrnoException;
  // ENOENT is also a file missing from a context folder being packed: only a connect's counts.
  const lost = (NOT_LISTENING.has(code ?? '') && syscall === 'connect') || CUT.has(code ?? '') || err.message === 'socket hang up';
  return lost ? new EngineUnavailableError(`the Docker Engine at ${socket} went away: ${err.message}`) : undefined;
}
