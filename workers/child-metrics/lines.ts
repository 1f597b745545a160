// Newline-delimited text from a stream, with a bound on a line's length (a peer that never sends a newline
// must not grow our memory without end).
import type { Readable } from 'node:stream';

export function lines(stream: Readable, maxBytes: number, onLine: (line: string) => void, onTooLong: () => void): void {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    pending += chunk;
    let end: number;
    while ((end = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, end);
      pending = pending.slice(end + 1);
      if (line) onLine(line);
    }
    if (pending.length > maxBytes) {
      pending = '';
      onTooLong();
    }
  });
}
