// The API's gunzip for build contexts: the CLI's stored-only gzip is read without zlib, anything else by
// zlib. Either way a reader must get exactly the bytes zlib would, and refuse exactly what zlib would
// refuse (a damaged, cut or lying stream), with a message that says what is wrong with the upload.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, it } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { StoredGunzip } from '../../src/contexts/stored-gunzip.js';
import { STORED_GZIP_HEADER } from '../../src/contexts/stored-gzip-header.js';
import { storedGzip } from '../support/archives.js';

/** `gz` cut into chunks of `size` bytes, as a socket might deliver it. */
function chunked(gz: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < gz.length; at += size) out.push(gz.subarray(at, at + size));
  return out;
}

async function gunzip(chunks: Buffer[]): Promise<Buffer> {
  return buffer(Readable.from(chunks).pipe(new StoredGunzip()));
}

/** Rejects with the error the stream failed with (piping alone would not forward it). */
async function gunzipError(chunks: Buffer[]): Promise<Error> {
  const reader = new StoredGunzip();
  const out = buffer(reader);
  for (const chunk of chunks) reader.write(chunk);
  reader.end();
  return out.then(
    () => assert.fail('the stream was read without an error'),
    (err: Error) => err,
  );
}

describe('StoredGunzip', () => {
  const input = randomBytes(3 * 0xffff + 1234);

  for (const size of [1, 5, 22, 23, 4096, 65_536, 1 << 20]) {
    it(`reads the CLI's stored gzip delivered in ${size}-byte chunks`, async () => {
      const gz = storedGzip([input]);
      assert.deepEqual(await gunzip(chunked(gz, size)), input);
    });
  }

  it('reads an empty stored gzip (no content at all)', async () => {
    assert.equal((await gunzip([storedGzip([Buffer.alloc(0)])])).length, 0);
  });

  const zlibMade: [string, () => Buffer][] = [
    ['zlib at level 6', () => gzipSync(input)],
    ['zlib at level 0 (stored blocks, but not marked)', () => gzipSync(input, { level: 0 })],
    ['zlib at level 1 over incompressible data (its first block is stored)', () => gzipSync(Buffer.concat([randomBytes(100_000), Buffer.alloc(100_000, 'a')]), { level: 1 })],
    ['two zlib members one after the other', () => Buffer.concat([gzipSync(input.subarray(0, 1000)), gzipSync(input.subarray(1000))])],
  ];
  for (const [name, make] of zlibMade) {
    it(`reads ${name} as zlib does`, async () => {
      const gz = make();
      assert.deepEqual(await gunzip(chunked(gz, 4000)), gunzipSync(gz));
    });
  }

  it('reads what gzip(1) writes, with a file name in its header', async () => {
    const gz = execFileSync('gzip', ['-c', '-N', '/etc/hostname']);
    assert.deepEqual(await gunzip(chunked(gz, 3)), gunzipSync(gz));
  });

  it('reads a stored member followed by a zlib member, and by zero padding', async () => {
    const gz = Buffer.concat([storedGzip([input.subarray(0, 70_000)]), gzipSync(input.subarray(70_000)), Buffer.alloc(512)]);
    assert.deepEqual(await gunzip(chunked(gz, 1000)), input);
    assert.deepEqual(gunzipSync(gz), input); // as zlib reads it
  });

  describe('refuses', () => {
    const refusals: [string, (gz: Buffer) => Buffer, RegExp][] = [
      ['a flipped content byte', (gz) => flip(gz, STORED_GZIP_HEADER.length + 5 + 10), /CRC does not match/],
      ['a wrong length in the trailer', (gz) => flip(gz, gz.length - 2), /length field does not match/],
      ['a block length that does not match its complement', (gz) => flip(gz, STORED_GZIP_HEADER.length + 2), /does not match its complement/],
      ['a compressed block in a member marked stored-only', (gz) => withBlockType(gz, 1), /compressed block/],
      ['garbage after the member', (gz) => Buffer.concat([gz, Buffer.from('not gzip')]), /incorrect header check/],
    ];
    for (const [name, damage, message] of refusals) {
      it(name, async () => {
        const gz = damage(storedGzip([input]));
        assert.throws(() => gunzipSync(gz)); // zlib refuses it too
        const err = await gunzipError(chunked(gz, 7000));
        assert.match(err.message, message);
      });
    }

    it('every cut-short prefix of a stored gzip, as zlib does', async () => {
      const gz = storedGzip([randomBytes(70_000)]);
      for (const cut of [0, 1, 10, STORED_GZIP_HEADER.length, STORED_GZIP_HEADER.length + 3, 40_000, 0xffff + 30, gz.length - 8, gz.length - 1]) {
        const err = await gunzipError([gz.subarray(0, cut)]);
        assert.match(err.message, cut === 0 ? /it is empty/ : /cut short/, `prefix of ${cut} bytes`);
        assert.throws(() => gunzipSync(gz.subarray(0, cut)), /unexpected end of file/);
      }
    });

    it('a zlib stream that is not gzip at all, with zlib\'s own error', async () => {
      const err = await gunzipError([Buffer.from('PK\x03\x04 this is a zip file')]);
      assert.equal((err as NodeJS.ErrnoException).code, 'Z_DATA_ERROR');
    });
  });
});

function flip(gz: Buffer, at: number): Buffer {
  const out = Buffer.from(gz);
  out[at] = out[at]! ^ 0xff;
  return out;
}

/** The first block's BTYPE set to `type` (1 = fixed Huffman), its stored length left in place. */
function withBlockType(gz: Buffer, type: number): Buffer {
  const out = Buffer.from(gz);
  const at = STORED_GZIP_HEADER.length;
  out[at] = (out[at]! & 1) | (type << 1);
  return out;
}
