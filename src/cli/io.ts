// Where a command writes: stdout for results (run id, log, image references), stderr for progress and errors.
import type { ProgressStream } from './progress-bar.js';

export interface CliIo {
  stdout: { write(chunk: string | Uint8Array): unknown };
  stderr: ProgressStream;
}

export const processIo: CliIo = { stdout: process.stdout, stderr: process.stderr };

/** The same io with progress silenced: what -q leaves of a command's output is its result. */
export function resultOnly(io: CliIo): CliIo {
  return { stdout: io.stdout, stderr: { write: () => true } };
}
