// Server-Sent Events, read the way the WHATWG spec says: a pure, incremental parser (feed it text in any
// chunking) and a reader that runs it over a response body.
import { ProtocolError } from './errors.js';

export interface SseEvent {
  /** `event:` field, `message` when absent. */
  type: string;
  data: string;
  /** The last event id seen so far (ids persist across events), what Last-Event-ID resumes from. */
  lastEventId: string;
}

/** A line longer than this is a broken or hostile stream, not a log line. */
export const MAX_LINE_CHARS = 4 * 1024 * 1024;

export class SseParser {
  /** Set when an event is dispatched, so an id whose event was cut off by a dropped connection is not resumed from. */
  lastEventId = '';
  private idBuffer = '';
  /** The server's `retry:` advice in milliseconds, if it gave one. */
  retryMs: number | undefined;
  private buffer = '';
  private skipLf = false;
  private started = false;
  private type = '';
  private data: string[] = [];
  private hasData = false;

  constructor(private readonly maxLineChars = MAX_LINE_CHARS) {}

  /** Feeds decoded text; returns the events it completed. */
  push(text: string): SseEvent[] {
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    // What is left from the last chunk holds no line break, so scanning resumes where it ended.
    const scanFrom = this.buffer.length;
    this.buffer += text;
    const events: SseEvent[] = [];
    let start = 0;
    for (let i = scanFrom; i < this.buffer.length; i++) {
      const ch = this.buffer.charCodeAt(i);
      if (ch !== 10 && ch !== 13) continue;
      // The LF of a CRLF pair split across two chunks ends nothing.
      if (ch === 10 && this.skipLf && i === start) {
        this.skipLf = false;
        start = i + 1;
        continue;
      }
      const event = this.line(this.buffer.slice(start, i));
      if (event) events.push(event);
      this.skipLf = ch === 13;
      if (ch === 13 && this.buffer.charCodeAt(i + 1) === 10) {
        this.skipLf = false;
        i++;
      }
      start = i + 1;
    }
    this.buffer = this.buffer.slice(start);
    if (this.buffer.length > 0) this.skipLf = false;
    if (this.buffer.length > this.maxLineChars) throw new ProtocolError(`event stream line longer than ${this.maxLineChars} characters`);
    return events;
  }

  /** Ends a stream: an unfinished line or event is dropped, as the spec says. The last event id is kept for a reconnect. */
  end(): void {
    this.buffer = '';
    this.skipLf = false;
    this.started = false;
    this.idBuffer = this.lastEventId;
    this.resetEvent();
  }

  private line(line: string): SseEvent | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.type = value;
    else if (field === 'data') {
      this.data.push(value);
      this.hasData = true;
    } else if (field === 'id') {
      if (!value.includes('\0')) this.idBuffer = value;
    } else if (field === 'retry') {
      if (/^[0-9]+$/.test(value)) this.retryMs = Number(value);
    }
    return undefined;
  }

  private dispatch(): SseEvent | undefined {
    this.lastEventId = this.idBuffer;
    const event = this.hasData ? { type: this.type || 'message', data: this.data.join('\n'), lastEventId: this.lastEventId } : undefined;
    this.resetEvent();
    return event;
  }

  private resetEvent(): void {
    this.type = '';
    this.data = [];
    this.hasData = false;
  }
}

/**
 * Yields the events of a text/event-stream body (an HTTP response, a web ReadableStream: anything async
 * iterable). `onBytes` hears every chunk, comments and keep-alives included.
 */
export async function* readSseEvents(
  body: AsyncIterable<Uint8Array>,
  opts: { parser?: SseParser; onBytes?: () => void } = {},
): AsyncGenerator<SseEvent> {
  const parser = opts.parser ?? new SseParser();
  // A parser reused after a dropped connection must not join the old stream's half line to the new one.
  parser.end();
  const decoder = new TextDecoder('utf-8');
  // Leaving this loop early (an `end` event, an abort) stops the download: for-await closes the body.
  for await (const chunk of body) {
    opts.onBytes?.();
    yield* parser.push(decoder.decode(chunk, { stream: true }));
  }
  yield* parser.push(decoder.decode());
  parser.end();
}
