// Packs a build context into a gzipped tar for upload, as `docker build` does: the entries context-walk.ts
// lists, in order, with their modes, mtimes and symlinks, gzipped and hashed on the way out — into a
// temporary file (packContext), or into any stream, e.g. straight into the upload (writeArchive).
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { DigestMeter } from '../digest-meter.js';
import { ContextTar } from './context-tar.js';
import { listContext, type ContextEntry, type ContextListing } from './context-walk.js';
import { StoredGzipFramer, storedGzipLength } from './gzip-stored.js';

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
    const { digest, size } = await writeArchive(new ContextTar(listing.entries), createWriteStream(out, { flags: 'wx' }), { onProgress, level });
    return { path: out, digest, size, files: listing.entries.length, dockerfile: listing.archiveDockerfile, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** Bytes of file content the entries carry, before compression: what progress is counted against. */
export function contentBytes(entries: readonly ContextEntry[]): number {
  return entries.reduce((sum, e) => sum + (e.header.size ?? 0), 0);
}

/**
 * Level 1 by default: the default level cost ~150 ms more per build for a few percent of size (bench/results).
 * Level 0 (stored, still gzip) where bandwidth is free, a server on this machine: as `docker build` sends
 * its context uncompressed unless told --compress. On this machine's 2 cores, deflating the benchmark's 4 MiB
 * (half of it incompressible) cost ~110 ms of CPU for 8% of size; zlib's level 0 ~35 ms; stored blocks framed
 * in place, only the CRC (~2 ms).
 */
export const GZIP_LEVEL = { network: 1, loopback: 0 } as const;

/** zlib's input and output chunks: at Node's 16 KiB a 4 MiB context takes hundreds of thread-pool round trips. */
const GZIP_CHUNK = 128 * 1024;
/** Tar bytes read per zlib write. */
const TAR_CHUNK = 256 * 1024;

/** The length of what writeArchive writes at `level`, when it is known before writing: stored gzip only. */
export function archiveLength(archive: ContextTar, level: number): number | undefined {
  return level === 0 ? storedGzipLength(archive.size) : undefined;
}

/** Writes the gzipped tar of `archive` into `out` (ended when done, destroyed on failure) and returns its digest and size. */
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
    const written = level === 0 ? await writeStored(archive, out, onContent) : await writeDeflated(archive, out, level, onContent);
    await finished(out);
    return written;
  } catch (err) {
    out.destroy(err as Error);
    throw err;
  } finally {
    archive.close();
  }
}

/** Stored gzip, framed in place: each ~256 KiB buffer is filled by one readv per file and written once. */
async function writeStored(archive: ContextTar, out: Writable, onContent?: (n: number) => void): Promise<{ digest: string; size: number }> {
  const framer = new StoredGzipFramer(archive.size);
  const hash = createHash('sha256');
  let size = 0;
  while (!framer.done) {
    archive.fill(framer.next(), onContent);
    const chunk = framer.seal();
    hash.update(chunk);
    size += chunk.length;
    await writeTo(out, chunk);
  }
  out.end();
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

async function writeDeflated(archive: ContextTar, out: Writable, level: number, onContent?: (n: number) => void): Promise<{ digest: string; size: number }> {
  const gzip = createGzip({ level, chunkSize: GZIP_CHUNK });
  const meter = new DigestMeter();
  const writing = pipeline(gzip, meter, out);
  try {
    for (let left = archive.size; left > 0; ) {
      const chunk = Buffer.allocUnsafe(Math.min(left, TAR_CHUNK));
      archive.fill([chunk], onContent);
      left -= chunk.length;
      await writeTo(gzip, chunk);
    }
    gzip.end();
    await writing;
  } catch (err) {
    gzip.destroy(err as Error);
    await writing.catch(() => {});
    throw err;
  }
  return { digest: meter.digest(), size: meter.size };
}

/** Writes with backpressure; fails if the stream is destroyed before it drains. */
async function writeTo(out: Writable, chunk: Buffer): Promise<void> {
  if (out.destroyed) throw out.errored ?? prematureClose();
  if (out.write(chunk)) return;
  await new Promise<void>((resolve, reject) => {
    const settle = (err?: Error | null) => {
      out.off('drain', onDrain);
      out.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = () => settle();
    const onClose = () => settle(out.errored ?? prematureClose());
    out.on('drain', onDrain);
    out.on('close', onClose);
  });
}

function prematureClose(): NodeJS.ErrnoException {
  return Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
}
