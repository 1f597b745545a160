// The error for Dockerfiles Slipway cannot read: a BadInputError (so queued jobs are not retried) that names
// the 1-based line, the way `docker build` reports parse errors.
import { BadInputError } from '../errors.js';

export class DockerfileError extends BadInputError {
  override name = 'DockerfileError';
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(line === undefined ? `Dockerfile: ${message}` : `Dockerfile line ${line}: ${message}`, 'invalid_dockerfile');
  }
}

/** A short, printable rendering of untrusted Dockerfile text for messages. */
export function quote(text: string): string {
  const short = text.length > 80 ? `${text.slice(0, 80)}…` : text;
  return JSON.stringify(short).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
