// Reading the gzip the CLI sends a server on the same machine (src/cli/gzip-stored.ts) without zlib.
//
// That gzip holds stored deflate blocks only (RFC 1951 §3.2.4), so its content is already there, in the
// upload's own buffers, between 5-byte block headers. zlib would copy all of it into fresh output buffers
// through the thread pool (mostly the cost of faulting in new memory), and the archive check that reads it
// would lag the socket by as much. Here a member marked as stored-only (the
// extra field of STORED_GZIP_HEADER) is passed on as slices of the input, with its lengths, CRC and size
// checked as zlib would. Any other member, from the first byte of its header, is left to zlib, so any gzip
// reads as before; a marked member that holds a compressed block is refused, as its marker lied.
import { Transform, type TransformCallback } from 'node:stream';
import { crc32, createGunzip, type Gunzip } from 'node:zlib';
import { BadInputError } from '../errors.js';
import { STORED_GZIP_HEADER } from './stored-gzip-header.js';

/** Gunzip output chunks for members zlib reads: at Node's default 16 KiB, hundreds of thread-pool round trips per 4 MiB. */
const ZLIB_CHUNK = 128 * 1024;

type State =
  | { at: 'member' } // the start of a member, or trailing zero padding
  | { at: 'block' }
  | { at: 'stored'; left: number; final: boolean }
  | { at: 'trailer' };

export class StoredGunzip extends Transform {
  private state: State = { at: 'member' };
  /** Bytes of the input not yet consumed: a header, block header or trailer split across chunks. */
  private pending: Buffer = Buffer.alloc(0);
  /** Members read to their end: after one, zero padding or another member may follow. */
  private members = 0;
  private crc = 0;
  private size = 0;
  private zlib: Gunzip | undefined;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (this.zlib) {
      this.toZlib(chunk, done);
      return;
    }
    try {
      const rest = this.consume(this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk);
      if (this.zlib) {
        this.pending = Buffer.alloc(0);
        this.toZlib(rest, done);
        return;
      }
      this.pending = Buffer.from(rest); // at most a few header bytes: do not keep the whole chunk alive
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    if (this.zlib) {
      this.zlib.once('end', () => done());
      this.zlib.once('error', done);
      this.zlib.end();
      return;
    }
    if (this.state.at === 'member' && this.pending.length === 0) return done(this.members > 0 ? null : invalid('it is empty'));
    done(invalid('it ends in the middle of a gzip member; it was cut short, send it again'));
  }

  override _destroy(err: Error | null, done: (err: Error | null) => void): void {
    this.zlib?.destroy();
    done(err);
  }

  /** Decodes what it can of `input`; returns what is left (an incomplete header or trailer, or all of it once zlib reads on). */
  private consume(input: Buffer): Buffer {
    let at = 0;
    const need = (n: number) => input.length - at >= n;
    for (;;) {
      switch (this.state.at) {
        case 'member': {
          while (at < input.length && input[at] === 0 && this.members > 0) at++; // zero padding after a member, as zlib allows
          if (at === input.length) return input.subarray(at);
          const marked = STORED_GZIP_HEADER.subarray(0, Math.min(STORED_GZIP_HEADER.length, input.length - at));
          if (!marked.equals(input.subarray(at, at + marked.length))) {
            this.startZlib();
            return input.subarray(at);
          }
          if (!need(STORED_GZIP_HEADER.length)) return input.subarray(at);
          at += STORED_GZIP_HEADER.length;
          this.crc = 0;
          this.size = 0;
          this.state = { at: 'block' };
          break;
        }
        case 'block': {
          if (!need(1)) return input.subarray(at);
          const type = (input[at]! >> 1) & 3;
          if (type !== 0) throw invalid('its gzip header says it holds stored blocks only, yet it has a compressed block; send it again');
          if (!need(5)) return input.subarray(at);
          const length = input.readUInt16LE(at + 1);
          if ((~input.readUInt16LE(at + 3) & 0xffff) !== length) throw invalid('a stored block length does not match its complement; the upload is damaged, send it again');
          this.state = { at: 'stored', left: length, final: (input[at]! & 1) === 1 };
          at += 5;
          break;
        }
        case 'stored': {
          const n = Math.min(this.state.left, input.length - at);
          if (n > 0) {
            const data = input.subarray(at, at + n);
            this.crc = crc32(data, this.crc);
            this.size = (this.size + n) >>> 0;
            this.push(data);
            at += n;
            this.state.left -= n;
          }
          if (this.state.left > 0) return input.subarray(at);
          this.state = this.state.final ? { at: 'trailer' } : { at: 'block' };
          break;
        }
        case 'trailer': {
          if (!need(8)) return input.subarray(at);
          if (input.readUInt32LE(at) !== this.crc >>> 0) throw invalid('its CRC does not match its content; the upload is damaged, send it again');
          if (input.readUInt32LE(at + 4) !== this.size) throw invalid('its length field does not match its content; the upload is damaged, send it again');
          at += 8;
          this.members += 1;
          this.state = { at: 'member' };
          break;
        }
      }
    }
  }

  /** From here on zlib reads the stream (any further members included), and its output is ours. */
  private startZlib(): void {
    const zlib = createGunzip({ chunkSize: ZLIB_CHUNK });
    zlib.on('data', (data: Buffer) => {
      if (!this.push(data)) zlib.pause();
    });
    zlib.on('error', (err) => this.destroy(err));
    this.zlib = zlib;
  }

  override _read(size: number): void {
    this.zlib?.resume();
    super._read(size);
  }

  private toZlib(chunk: Buffer, done: TransformCallback): void {
    if (chunk.length === 0 || this.zlib!.write(chunk)) done();
    else this.zlib!.once('drain', () => done());
  }
}

function invalid(what: string): BadInputError {
  return new BadInputError(`build context is not a valid gzip stream: ${what}`, 'invalid_context');
}
