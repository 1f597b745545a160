// Docker Engine answers build and push requests with a stream of newline-delimited JSON messages.
import type { Readable } from 'node:stream';

export interface EngineMessage {
  id?: string;
  stream?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: unknown;
}

/** Yields each message of the stream; a line that is not JSON is yielded as a `stream` message. */
export async function* engineMessages(body: Readable): AsyncGenerator<EngineMessage> {
  let pending = '';
  for await (const chunk of body) {
    pending += chunk.toString('utf8');
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      if (line) yield parse(line);
    }
  }
  if (pending.trim()) yield parse(pending.trim());
}

function parse(line: string): EngineMessage {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null ? (value as EngineMessage) : { stream: line };
  } catch {
    return { stream: line };
  }
}

export const messageError = (m: EngineMessage): string | undefined => m.errorDetail?.message ?? m.error;
