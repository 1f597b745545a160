// A gzip stream whose deflate data is stored blocks only (RFC 1951 §3.2.4, RFC 1952): what zlib writes at
// level 0, without zlib. For a server on the same machine, where bandwidth is free, compressing is wasted
// CPU, yet the API stores and checks gzip. zlib's level 0 still copies every byte through its window and
// costs ~35 ms per 4 MiB on this machine's 2 cores; framing the caller's own buffers costs only the CRC.
import { Transform, type TransformCallback } from 'node:stream';
import { crc32 } from 'node:zlib';

/** The most a stored block holds: its length is 16 bits. */
const MAX_BLOCK = 0xffff;
/** ID1 ID2, CM = deflate, no flags, no mtime, XFL 0, OS = unknown. */
const HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);

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
    this.push(HEADER);
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
