// The Server-Sent Events parser the CLI follows logs with: any chunking, CR/LF/CRLF, multi-line data,
// comments, ids (and which one a reconnect resumes from), and the reader over a byte stream.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtocolError } from '../../src/cli/errors.js';
import { SseParser, readSseEvents, type SseEvent } from '../../src/cli/sse.js';

const STREAM = [
  ': keep-alive',
  '',
  'id: 1-0',
  'event: log',
  'data: Step 1/2 : FROM scratch',
  '',
  'id: 2-0',
  'event: log',
  'data:',
  '',
  'id: 3-0',
  'event: end',
  'data: {"id":"r1",',
  'data: "status":"succeeded"}',
  '',
  '',
].join('\n');

const EXPECTED: SseEvent[] = [
  { type: 'log', data: 'Step 1/2 : FROM scratch', lastEventId: '1-0' },
  { type: 'log', data: '', lastEventId: '2-0' },
  { type: 'end', data: '{"id":"r1",\n"status":"succeeded"}', lastEventId: '3-0' },
];

/** Feeds text in the given pieces, collecting every event. */
function parse(pieces: string[], parser = new SseParser()): SseEvent[] {
  return pieces.flatMap((p) => parser.push(p));
}

/** Splits text into chunks of `size` characters. */
function chunks(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

describe('SseParser', () => {
  it('parses a whole stream in one piece', () => assert.deepEqual(parse([STREAM]), EXPECTED));

  for (const size of [1, 2, 3, 7, 13]) {
    it(`gives the same events in chunks of ${size} characters`, () => assert.deepEqual(parse(chunks(STREAM, size)), EXPECTED));
  }

  for (const [name, eol] of [['CRLF', '\r\n'], ['CR', '\r']] as const) {
    const text = STREAM.replaceAll('\n', eol);
    it(`reads ${name} line ends, whole and one character at a time`, () => {
      assert.deepEqual(parse([text]), EXPECTED);
      assert.deepEqual(parse(chunks(text, 1)), EXPECTED);
    });
  }

  it('does not see an empty line in a CRLF split between two chunks', () => {
    assert.deepEqual(parse(['data: a\r', '\ndata: b\r', '\n\r', '\n']), [{ type: 'message', data: 'a\nb', lastEventId: '' }]);
  });

  it('reads mixed line ends in one stream', () => {
    assert.deepEqual(parse(['data: a\rdata: b\ndata: c\r\n\n']), [{ type: 'message', data: 'a\nb\nc', lastEventId: '' }]);
  });

  it('joins multi-line data with LF and keeps empty data lines', () => {
    assert.deepEqual(parse(['data: one\ndata:\ndata: three\n\n']), [{ type: 'message', data: 'one\n\nthree', lastEventId: '' }]);
  });

  it('removes one space after the colon, not more', () => {
    assert.deepEqual(parse(['data:  two spaces\n\n', 'data:none\n\n']).map((e) => e.data), [' two spaces', 'none']);
  });

  it('keeps colons in the value', () => {
    assert.deepEqual(parse(['data: a: b: c\n\n']).map((e) => e.data), ['a: b: c']);
  });

  it('ignores comments, unknown fields and events without data', () => {
    const events = parse([': comment\n\nfoo: bar\nevent: log\n\n:\nid: 5\n\nbogus\ndata: x\n\n']);
    assert.deepEqual(events, [{ type: 'message', data: 'x', lastEventId: '5' }]);
  });

  it('treats a field with no colon as a field with an empty value', () => {
    assert.deepEqual(parse(['data\ndata\n\n']), [{ type: 'message', data: '\n', lastEventId: '' }]);
  });

  it('resets the event type after each event but keeps the id', () => {
    const events = parse(['id: 7\nevent: log\ndata: a\n\ndata: b\n\n']);
    assert.deepEqual(events, [
      { type: 'log', data: 'a', lastEventId: '7' },
      { type: 'message', data: 'b', lastEventId: '7' },
    ]);
  });

  it('clears the id with an empty id field and ignores an id holding NUL', () => {
    const parser = new SseParser();
    assert.deepEqual(parse(['id: 1\ndata: a\n\nid\ndata: b\n\nid: 2\0x\ndata: c\n\n'], parser).map((e) => e.lastEventId), ['1', '', '']);
    assert.equal(parser.lastEventId, '');
  });

  it('strips a byte order mark at the start only', () => {
    assert.deepEqual(parse(['\uFEFFdata: a\n\n', 'data: \uFEFFb\n\n']).map((e) => e.data), ['a', '\uFEFFb']);
  });

  it('reads the retry advice', () => {
    const parser = new SseParser();
    parse(['retry: 1500\n\nretry: soon\n\n'], parser);
    assert.equal(parser.retryMs, 1500);
  });

  it('does not move lastEventId for an event cut off by a dropped connection', () => {
    const parser = new SseParser();
    parse(['id: 3-0\nevent: log\ndata: three\n\nid: 4-0\nevent: log\ndata: ha'], parser);
    assert.equal(parser.lastEventId, '3-0');
    parser.end();
    // The resumed stream starts clean: the half line is not joined to its first line.
    assert.deepEqual(parse(['id: 4-0\nevent: log\ndata: four\n\n'], parser), [{ type: 'log', data: 'four', lastEventId: '4-0' }]);
  });

  it('keeps an id given without data (an id-only event) for the reconnect', () => {
    const parser = new SseParser();
    parse(['id: 9-0\n\n'], parser);
    assert.equal(parser.lastEventId, '9-0');
  });

  it('refuses a line longer than its limit instead of buffering without end', () => {
    const parser = new SseParser(1000);
    assert.throws(() => parser.push(`data: ${'x'.repeat(2000)}`), ProtocolError);
    assert.doesNotThrow(() => new SseParser(1000).push(`data: ${'x'.repeat(900)}\n\n`));
  });

  it('passes control characters and escapes in data through untouched', () => {
    assert.deepEqual(parse(['data: \x1b[31mred\x1b[0m\ttab\n\n']).map((e) => e.data), ['\x1b[31mred\x1b[0m\ttab']);
  });
});

describe('readSseEvents', () => {
  /** A body stream of the given byte chunks. */
  function body(parts: Uint8Array[]): ReadableStream<Uint8Array> {
    return new ReadableStream({
      start(controller) {
        for (const p of parts) controller.enqueue(p);
        controller.close();
      },
    });
  }

  async function collect(stream: ReadableStream<Uint8Array>): Promise<SseEvent[]> {
    const out: SseEvent[] = [];
    for await (const e of readSseEvents(stream)) out.push(e);
    return out;
  }

  it('decodes UTF-8 split inside a character', async () => {
    const bytes = new TextEncoder().encode('data: héllo ✓ 日本\n\n');
    const parts = Array.from(bytes, (b) => Uint8Array.of(b));
    assert.deepEqual(await collect(body(parts)), [{ type: 'message', data: 'héllo ✓ 日本', lastEventId: '' }]);
  });

  it('drops an unfinished event at the end of the stream', async () => {
    const enc = new TextEncoder();
    assert.deepEqual((await collect(body([enc.encode('data: done\n\ndata: half')]))).map((e) => e.data), ['done']);
  });

  it('stops reading the body when the consumer leaves early', async () => {
    let canceled = false;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode('data: more\n\n'));
      },
      cancel() {
        canceled = true;
      },
    });
    for await (const event of readSseEvents(stream)) {
      assert.equal(event.data, 'more');
      break;
    }
    assert.ok(canceled);
  });
});
