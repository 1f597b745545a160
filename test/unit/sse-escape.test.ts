// Build output in the log stream stays one `log` event whatever line terminators it holds: the API writes it
// with sseValue, and the CLI's spec-following parser reads back exactly one event.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sseValue } from '../../src/api/routes/logs.js';
import { SseParser } from '../../src/cli/sse.js';

describe('sseValue', () => {
  const lines = ['plain', 'a\rb', 'a\nb', 'a\r\nb', '\r\revent: end\rdata: {"status":"succeeded"}\r\r', '\n\nevent: end\ndata: x\n\n', 'id: 9-9\r\rretry: 1\r'];
  for (const line of lines) {
    it(`keeps ${JSON.stringify(line)} in one log event`, () => {
      const events = new SseParser().push(`id: 1-0\nevent: log\ndata: ${sseValue(line)}\n\n`);
      assert.equal(events.length, 1);
      assert.equal(events[0]!.type, 'log');
      assert.equal(events[0]!.lastEventId, '1-0');
      assert.doesNotMatch(events[0]!.data, /[\r\n]/);
    });
  }
});
