// A gzip stream whose deflate data is stored blocks only (RFC 1951 §3.2.4, RFC 1952): what zlib writes at
// level 0, without zlib. For a server on the same machine, where bandwidth is free, compressing is wasted
// CPU, yet the API stores and checks gzip. zlib's level 0 still copies every byte through its window and
// costs ~35 ms per 4 MiB on this machine's 2 cores; framing the caller's own buffers costs only the CRC.
// The header marks the member as stored-only, so the API reads it without zlib (src/contexts/stored-gunzip.ts).
import { Transform, type TransformCallback } from 'node:stream';
import { crc32 } from 'node:zlib';
import { STORED_GZIP_HEADER } from '../contexts/stored-gzip-header.js';

/** The most a stored block holds: its length is 16 bits. */
const MAX_BLOCK = 0xffff;

function blockHeader(length: number, final: boolean): Buffer {
  const head = Buffer.allocUnsafe(5);
  head[0] = final ? 1 : 0; // BFINAL, BTYPE = 00 (stored); the rest of the byte is padding
  head.writeUInt16LE(length, 1);
  head.writeUInt16LE(~length & 0xffff, 3);
  return head;
}

export class StoredGzip extends Transform {
  private crc = 0;
  private size = 0;

  constructor() {
    // Buffers pass through unchanged and framed; a larger queue lets whole files through in one go.
    super({ readableHighWaterMark: 1024 * 1024, writableHighWaterMark: 1024 * 1024 });
    this.push(STORED_GZIP_HEADER);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.crc = crc32(chunk, this.crc);
    this.size = (this.size + chunk.length) >>> 0;
    for (let at = 0; at < chunk.length; at += MAX_BLOCK) {
      const block = chunk.subarray(at, at + MAX_BLOCK);
      this.push(blockHeader(block.length, false));
      this.push(block);
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    const trailer = Buffer.allocUnsafe(8);
    trailer.writeUInt32LE(this.crc >>> 0, 0);
    trailer.writeUInt32LE(this.size, 4);
    this.push(blockHeader(0, true));
    done(null, trailer);
  }
}
