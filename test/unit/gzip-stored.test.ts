// The gzip the CLI sends a server on the same machine: stored blocks framed by hand. Whatever reads it
// (the API's gunzip, the Docker Engine, `gzip -t`) must get back exactly the bytes that went in, with a
// CRC and length that check out; a wrong CRC or block length makes zlib refuse it, so these fail then.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { STORED_GZIP_HEADER } from '../../src/contexts/stored-gzip-header.js';
import { STORED_BUFFER_SIZE, StoredGzipFramer, storedGzipLength } from '../../src/cli/gzip-stored.js';
import { storedGzip } from '../support/archives.js';

describe('StoredGzipFramer', () => {
  const cases: [string, Buffer[]][] = [
    ['nothing at all', []],
    ['one empty chunk', [Buffer.alloc(0)]],
    ['one byte', [Buffer.from('x')]],
    ['exactly one full stored block (65,535 bytes)', [randomBytes(0xffff)]],
    ['one byte past a full block', [randomBytes(0x10000)]],
    ['a 1 MiB chunk (17 blocks)', [randomBytes(1024 * 1024)]],
    ['many chunks of odd sizes', Array.from({ length: 40 }, (_, i) => randomBytes((i * 7919) % 100_000))],
  ];
  for (const [name, chunks] of cases) {
    it(`${name}: zlib gets back the same bytes, in as many bytes as storedGzipLength says`, () => {
      const gz = storedGzip(chunks);
      assert.deepEqual(gunzipSync(gz), Buffer.concat(chunks));
      assert.equal(gz.length, storedGzipLength(Buffer.concat(chunks).length));
    });
  }

  it('is what `gzip -t` accepts and `gzip -d` restores', () => {
    const input = randomBytes(200_000);
    const gz = storedGzip([input.subarray(0, 1000), input.subarray(1000)]);
    execFileSync('gzip', ['-t'], { input: gz });
    assert.deepEqual(execFileSync('gzip', ['-dc'], { input: gz, maxBuffer: 1 << 20 }), input);
  });

  it('adds 5 bytes per 65,535-byte block and 30 around them: nothing is compressed', () => {
    const input = randomBytes(3 * 0xffff + 10);
    const gz = storedGzip([input]);
    // header 22 (with its stored-only mark) + 4 blocks × 5, the last one marked final + trailer 8
    assert.equal(gz.length, input.length + STORED_GZIP_HEADER.length + 4 * 5 + 8);
  });

  it('frames into the buffers it is given, and refuses to be driven out of order', () => {
    const framer = new StoredGzipFramer(10);
    assert.deepEqual(framer.header, STORED_GZIP_HEADER);
    assert.throws(() => framer.next(Buffer.alloc(STORED_BUFFER_SIZE - 1)), /a buffer of \d+ bytes, under/);
    const buffer = Buffer.alloc(STORED_BUFFER_SIZE, 0xee);
    const [region] = framer.next(buffer);
    assert.throws(() => framer.next(buffer), /seal the last buffer first/);
    assert.equal(region?.length, 10);
    region?.fill(0x61);
    const last = framer.seal();
    assert.equal(last.buffer, buffer.buffer, 'the caller\'s own memory, not a copy');
    assert.equal(last.length, 5 + 10 + 8);
    assert.equal(framer.done, true);
    assert.throws(() => framer.next(buffer), /only until done/);
    assert.deepEqual(gunzipSync(Buffer.concat([framer.header, last])), Buffer.alloc(10, 0x61));
  });

  it('a damaged stream is refused by the reader, not read as other bytes', () => {
    const gz = storedGzip([Buffer.from('FROM scratch\n')]);
    const flipped = Buffer.from(gz);
    const at = STORED_GZIP_HEADER.length + 5 + 3; // a content byte: the CRC no longer matches
    flipped[at] = (flipped[at] ?? 0) ^ 0xff;
    assert.throws(() => gunzipSync(flipped), /incorrect data check|invalid/i);
  });
});
