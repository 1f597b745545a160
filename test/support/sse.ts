// A small reader of text/event-stream bodies for tests, apart from the CLI's own parser (src/cli/sse.ts),
// so a fault there shows up as a failing CLI test rather than as every wait in the suite going wrong.

export interface SseEvent {
  /** `comment` for a line starting with a colon (the API's keep-alives). */
  type: string;
  data: string;
  id?: string;
}

/** The events of one body, a batch per chunk received: what arrived together is looked at together. */
export async function* sseBatches(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseEvent[]> {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of body) {
    buffered += decoder.decode(chunk, { stream: true });
    const blocks = buffered.split(/\r?\n\r?\n/);
    buffered = blocks.pop()!;
    const events = blocks.flatMap(parseBlock);
    if (events.length) yield events;
  }
}

function parseBlock(block: string): SseEvent[] {
  const lines = block.split(/\r?\n/);
  if (lines.every((l) => l.startsWith(':'))) return [{ type: 'comment', data: lines.map((l) => l.slice(1).trim()).join('\n') }];
  const event: SseEvent = { type: 'message', data: '' };
  const data: string[] = [];
  for (const line of lines) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event.type = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id') event.id = value;
  }
  event.data = data.join('\n');
  return [event];
}
