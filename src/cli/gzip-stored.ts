// A gzip stream whose deflate data is stored blocks only (RFC 1951 §3.2.4, RFC 1952): what zlib writes at
// level 0, without zlib. For a server on the same machine, where bandwidth is free, compressing is wasted
// CPU, yet the API stores and checks gzip. zlib's level 0 still copies every byte through its window on
// every upload; framing blocks in place costs only the CRC.
// The header marks the member as stored-only, so the API reads it without zlib (src/contexts/stored-gunzip.ts).
//
// The payload's length is known before it is written (context-tar.ts lays the archive out first), so the
// framer knows each block's length, the whole stream's length, and which block is the last one.
import { crc32 } from 'node:zlib';
import { STORED_GZIP_HEADER } from '../contexts/stored-gzip-header.js';

/** The most a stored block holds: its length is 16 bits. */
const MAX_BLOCK = 0xffff;
const BLOCK_HEADER = 5;
/** CRC-32 and ISIZE. */
const TRAILER = 8;

/** Full blocks per output buffer: ~256 KiB, large enough that each is one write, small enough to stream. */
const BLOCKS_PER_BUFFER = 4;

/** What an output buffer must hold: its blocks with their headers, and room for the trailer after the last. */
export const STORED_BUFFER_SIZE = BLOCKS_PER_BUFFER * (BLOCK_HEADER + MAX_BLOCK) + TRAILER;

/** The whole gzip stream's length for `payload` bytes: header, one 5-byte header per block, payload, trailer. */
export function storedGzipLength(payload: number): number {
  return STORED_GZIP_HEADER.length + blockCount(payload) * BLOCK_HEADER + payload + TRAILER;
}

/** An empty payload still takes one (empty, final) block. */
function blockCount(payload: number): number {
  return Math.max(1, Math.ceil(payload / MAX_BLOCK));
}

/**
 * Frames a payload of known length into the caller's buffers: write `header` first; then, until done,
 * lay the next blocks out in a buffer (their headers written in place, the payload regions returned),
 * fill the regions, seal it and write what seal returns. The last buffer ends with the trailer.
 */
export class StoredGzipFramer {
  /** The gzip member header, marked as stored-only: what goes first. */
  readonly header = STORED_GZIP_HEADER;
  private laidOut = 0;
  private crc = 0;
  private finished = false;
  private current: { buffer: Buffer; regions: Buffer[]; end: number; last: boolean } | undefined;

  constructor(private readonly payload: number) {}

  /** True once the last buffer has been sealed. */
  get done(): boolean {
    return this.finished;
  }

  /** Lays the next blocks out in `buffer` (at least STORED_BUFFER_SIZE bytes) and returns their payload regions. */
  next(buffer: Buffer): Buffer[] {
    if (this.current || this.finished) throw new Error('StoredGzipFramer.next: seal the last buffer first, and only until done');
    if (buffer.length < STORED_BUFFER_SIZE) throw new Error(`StoredGzipFramer.next: a buffer of ${buffer.length} bytes, under ${STORED_BUFFER_SIZE}`);
    const payloadHere = Math.min(this.payload - this.laidOut, BLOCKS_PER_BUFFER * MAX_BLOCK);
    const last = this.laidOut + payloadHere === this.payload;
    const regions: Buffer[] = [];
    let at = 0;
    let left = payloadHere;
    do {
      const length = Math.min(left, MAX_BLOCK);
      left -= length;
      buffer[at] = last && left === 0 ? 1 : 0; // BFINAL; BTYPE 00 (stored); the rest of the byte is padding
      buffer.writeUInt16LE(length, at + 1);
      buffer.writeUInt16LE(~length & 0xffff, at + 3);
      regions.push(buffer.subarray(at + BLOCK_HEADER, at + BLOCK_HEADER + length));
      at += BLOCK_HEADER + length;
    } while (left > 0);
    this.laidOut += payloadHere;
    this.current = { buffer, regions, end: at, last };
    return regions;
  }

  /** The part of the buffer to write, once its regions are filled. */
  seal(): Buffer {
    const current = this.current;
    if (!current) throw new Error('StoredGzipFramer.seal: no buffer to seal');
    this.current = undefined;
    for (const region of current.regions) this.crc = crc32(region, this.crc);
    if (!current.last) return current.buffer.subarray(0, current.end);
    current.buffer.writeUInt32LE(this.crc >>> 0, current.end);
    current.buffer.writeUInt32LE(this.payload % 2 ** 32, current.end + 4); // ISIZE: the length modulo 2^32
    this.finished = true;
    return current.buffer.subarray(0, current.end + TRAILER);
  }
}
