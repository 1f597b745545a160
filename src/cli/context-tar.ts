// The tar of a build context, laid out before a byte of content is read: headers (tar-header.ts), each
// file's content read straight from disk into the caller's buffers, padding, and the end-of-archive blocks.
// Knowing the whole length up front lets the upload carry a Content-Length and frame stored gzip blocks in
// place (context-pack.ts). Reading with one readv per run of content, into regions the caller gives, spares
// the per-chunk stream hops and copies of a general tar packer (tar-stream).
//
// Files are read synchronously, a buffer (~256 KiB) at a time: each trip through libuv's thread pool adds a
// hand-off, and an open, fstat, readv and close per file through it outweighed the reads themselves on
// small files. The event loop runs whenever the packer waits for a buffer the socket
// still holds, so sending goes on while the next buffer is read.
import fs from 'node:fs';
import { BadInputError } from '../errors.js';
import type { ContextEntry, EntryHeader } from './context-walk.js';
import { encodeTarHeader, padding, TAR_BLOCK, tarHeaderLength } from './tar-header.js';

/** Two zero blocks end a tar; padding is a prefix of them. */
const ZEROS = Buffer.alloc(2 * TAR_BLOCK);

/** A header is encoded only when reached: a context may have a million entries. */
type Part = { header: EntryHeader; size: number } | { bytes: Buffer; size: number } | { source: string; size: number };

export class ContextTar {
  /** The archive's length in bytes. */
  readonly size: number;
  /** Bytes of file content, what progress counts. */
  readonly contentBytes: number;
  private readonly parts: Part[] = [];
  private part = 0;
  /** How far into the current part the reading is. */
  private offset = 0;
  /** The file being read: the current part's, opened when first reached. */
  private fd: number | undefined;
  /** The current header part, encoded. */
  private encoded: Buffer | undefined;

  constructor(entries: readonly ContextEntry[]) {
    let size = 0;
    let content = 0;
    const add = (part: Part) => {
      this.parts.push(part);
      size += part.size;
    };
    for (const { header, source } of entries) {
      add({ header, size: tarHeaderLength(header) });
      const length = header.type === 'file' ? (header.size ?? 0) : 0;
      if (length === 0) continue;
      if (source === undefined) throw new Error(`file entry ${header.name} has no source to read`);
      add({ source, size: length });
      content += length;
      if (padding(length) > 0) add({ bytes: ZEROS.subarray(0, padding(length)), size: padding(length) });
    }
    add({ bytes: ZEROS, size: ZEROS.length });
    this.size = size;
    this.contentBytes = content;
  }

  /**
   * Fills `regions`, in order, with the archive's next bytes; throws when fewer are left. A file that is not
   * the size the listing found, or is gone, fails the packing: the archive would not match its headers.
   */
  fill(regions: readonly Buffer[], onContent?: (bytes: number) => void): void {
    let r = 0;
    let at = 0;
    while (r < regions.length) {
      const region = regions[r]!;
      if (at === region.length) {
        r++;
        at = 0;
        continue;
      }
      const part = this.parts[this.part];
      if (part === undefined) throw new Error('the archive is shorter than the regions to fill');
      if (!('source' in part)) {
        const bytes = 'bytes' in part ? part.bytes : (this.encoded ??= encodeTarHeader(part.header));
        const n = bytes.copy(region, at, this.offset);
        at += n;
        this.advance(n, part.size);
        continue;
      }
      // One readv for this file's bytes across as many regions as they reach.
      const iov: Buffer[] = [region.subarray(at, at + part.size - this.offset)];
      let wanted = iov[0]!.length;
      for (let next = r + 1; next < regions.length && this.offset + wanted < part.size; next++) {
        iov.push(regions[next]!.subarray(0, part.size - this.offset - wanted));
        wanted += iov.at(-1)!.length;
      }
      const fd = this.openFile(part);
      const read = fs.readvSync(fd, iov, this.offset);
      if (read !== wanted) throw changed(part.source);
      onContent?.(read);
      this.advance(read, part.size);
      // Where the reading stopped: the last region it reached.
      let left = read;
      while (left > 0) {
        const room = regions[r]!.length - at;
        if (left < room) {
          at += left;
          break;
        }
        left -= room;
        r++;
        at = 0;
      }
    }
  }

  /** Closes the file being read, if any; call once done or failed. */
  close(): void {
    const fd = this.fd;
    this.fd = undefined;
    if (fd !== undefined) fs.closeSync(fd);
  }

  private advance(n: number, partLength: number): void {
    this.offset += n;
    if (this.offset < partLength) return;
    this.part++;
    this.offset = 0;
    this.encoded = undefined;
    this.close();
  }

  private openFile(part: { source: string; size: number }): number {
    if (this.fd !== undefined) return this.fd;
    let fd: number;
    try {
      fd = fs.openSync(part.source, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw changed(part.source);
      throw err;
    }
    this.fd = fd;
    if (fs.fstatSync(fd).size !== part.size) throw changed(part.source);
    return fd;
  }
}

function changed(source: string): BadInputError {
  return new BadInputError(`${source} changed while the context was being packed; try again`);
}
