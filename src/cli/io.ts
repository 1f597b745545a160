// Where a command writes: stdout for results (run id, log, image references), stderr for progress and errors.
import type { ProgressStream } from './progress-bar.js';

export interface CliIo {
  stdout: { write(chunk: string | Uint8Array): unknown };
  stderr: ProgressStream;
}

export const processIo: CliIo = { stdout: process.stdout, stderr: process.stderr };
