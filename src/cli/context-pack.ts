// Packs a build context into a gzipped tar for upload, as `docker build` does: the entries context-walk.ts
// lists, in order, with their modes, mtimes and symlinks, gzipped and hashed on the way out — into a
// temporary file (packContext), or into any stream, e.g. straight into the upload (writeArchive).
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { DigestMeter } from '../digest-meter.js';
import { ContextTar } from './context-tar.js';
import { listContext, type ContextListing } from './context-walk.js';
import { BufferPool } from './buffer-pool.js';
import { STORED_BUFFER_SIZE, StoredGzipFramer, storedGzipLength } from './gzip-stored.js';

export { OUTSIDE_DOCKERFILE } from './context-walk.js';

export interface PackedContext {
  /** The gzipped tar, in a temporary directory that `cleanup` removes. */
  path: string;
  digest: string;
  size: number;
  /** Entries in the archive: files, directories and symlinks. */
  files: number;
  /** Where the Dockerfile is inside the archive, '/'-separated: what the server is told to build. */
  dockerfile: string;
  cleanup(): Promise<void>;
}

export interface PackOptions {
  /** As `docker build -f`: relative to the working directory. Default: `Dockerfile` in the context. */
  dockerfile?: string;
  onProgress?: (bytesDone: number, totalGuess: number) => void;
}

export async function packContext(dir: string, opts: PackOptions = {}): Promise<PackedContext> {
  return packListing(await listContext(dir, { dockerfile: opts.dockerfile }), opts.onProgress);
}

/** Packs what listContext found into a temporary file. */
export async function packListing(listing: ContextListing, onProgress?: PackOptions['onProgress'], level?: number): Promise<PackedContext> {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-context-'));
  let cleaning: Promise<void> | undefined;
  const cleanup = () => (cleaning ??= fs.rm(tmp, { recursive: true, force: true }));
  try {
    const out = path.join(tmp, 'context.tar.gz');
    const file = createWriteStream(out, { flags: 'wx' });
    const { digest, size } = await writeArchive(new ContextTar(listing.entries), file, { onProgress, level }).catch((err: unknown) => {
      file.destroy();
      throw err;
    });
    await finished(file); // closed: what cleanup removes is no longer open
    return { path: out, digest, size, files: listing.entries.length, dockerfile: listing.archiveDockerfile, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/**
 * Level 1 by default: higher levels cost noticeably more CPU per build for a few percent of size
 * (bench/results/build.md). Level 0 (stored, still gzip) where bandwidth is free, a server on the same
 * machine: as `docker build` sends its context uncompressed unless told --compress. Deflating there spends
 * the CPU the build needs for little size; stored blocks framed in place cost only the CRC.
 */
export const GZIP_LEVEL = { network: 1, loopback: 0 } as const;

/** zlib's input and output chunks: at Node's 16 KiB a 4 MiB context takes hundreds of thread-pool round trips. */
const GZIP_CHUNK = 128 * 1024;
/** Output buffers in flight: while the socket sends some, the next is read from disk. */
const BUFFERS = 4;

/** The length of what writeArchive writes at `level`, when it is known before writing: stored gzip only. */
export function archiveLength(archive: ContextTar, level: number): number | undefined {
  return level === 0 ? storedGzipLength(archive.size) : undefined;
}

/**
 * Writes the gzipped tar of `archive` into `out`, ends it, and returns its digest and size. On failure `out`
 * is left for the caller to destroy. `out` must let go of each chunk when it calls back for its write (a
 * socket, a request, a file): the buffers are used again (buffer-pool.ts).
 */
export async function writeArchive(
  archive: ContextTar,
  out: Writable,
  opts: { onProgress?: PackOptions['onProgress']; level?: number } = {},
): Promise<{ digest: string; size: number }> {
  const { onProgress, level = GZIP_LEVEL.network } = opts;
  let bytesDone = 0;
  const onContent = onProgress && ((n: number) => onProgress((bytesDone += n), archive.contentBytes));
  // Failures reach the caller as this function's rejection; `out` must not also throw them as unheard 'error's.
  out.on('error', () => {});
  try {
    return level === 0 ? await writeStored(archive, out, onContent) : await writeDeflated(archive, out, level, onContent);
  } finally {
    archive.close();
  }
}

/** Stored gzip, framed in place: each ~256 KiB buffer is filled by one readv per file and written once. */
async function writeStored(archive: ContextTar, out: Writable, onContent?: (n: number) => void): Promise<{ digest: string; size: number }> {
  const framer = new StoredGzipFramer(archive.size);
  const pool = new BufferPool(STORED_BUFFER_SIZE, BUFFERS);
  const closed = closedEarly(out);
  const hash = createHash('sha256').update(framer.header);
  let size = framer.header.length;
  out.write(framer.header);
  while (!framer.done) {
    const buffer = await Promise.race([pool.take(), closed]);
    archive.fill(framer.next(buffer), onContent);
    const chunk = framer.seal();
    hash.update(chunk);
    size += chunk.length;
    out.write(chunk, () => pool.give(buffer));
  }
  out.end();
  await Promise.race([finishedWriting(out), closed]);
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

async function writeDeflated(archive: ContextTar, out: Writable, level: number, onContent?: (n: number) => void): Promise<{ digest: string; size: number }> {
  const gzip = createGzip({ level, chunkSize: GZIP_CHUNK });
  const meter = new DigestMeter();
  // Piped, not pipelined: a pipeline would destroy `out` on failure, which is the caller's to do.
  gzip.pipe(meter).pipe(out);
  const pool = new BufferPool(GZIP_CHUNK * 2, BUFFERS);
  const closed = Promise.race([closedEarly(gzip), closedEarly(meter), closedEarly(out)]);
  closed.catch(() => {});
  try {
    for (let left = archive.size; left > 0; ) {
      const buffer = await Promise.race([pool.take(), closed]);
      const chunk = buffer.subarray(0, Math.min(left, buffer.length));
      archive.fill([chunk], onContent);
      left -= chunk.length;
      gzip.write(chunk, () => pool.give(buffer));
    }
    gzip.end();
    await Promise.race([finishedWriting(out), closed]);
  } catch (err) {
    gzip.destroy();
    meter.destroy();
    throw err;
  }
  return { digest: meter.digest(), size: meter.size };
}

/** Resolves once `out` has written everything it was given and ended. */
function finishedWriting(out: Writable): Promise<void> {
  return out.writableFinished ? Promise.resolve() : new Promise((resolve) => out.once('finish', () => resolve()));
}

/** Rejects if `out` closes, or fails, before it has finished: a destroyed stream may never call back for its writes. */
function closedEarly(out: Writable): Promise<never> {
  const closed = new Promise<never>((_, reject) => {
    const fail = () => {
      if (!out.writableFinished) reject(out.errored ?? Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
    };
    out.once('close', fail);
    out.once('error', fail);
  });
  closed.catch(() => {});
  return closed;
}
