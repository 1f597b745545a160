// Packs a build context into a gzipped tar for upload, as `docker build` does: the entries context-walk.ts
// lists, in order, with their modes, mtimes and symlinks, gzipped and hashed on the way out — into a
// temporary file (packContext), or into any stream, e.g. straight into the upload (writeArchive).
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import tar from 'tar-stream';
import { DigestMeter } from '../digest-meter.js';
import { BadInputError } from '../errors.js';
import { listContext, type ContextEntry, type ContextListing } from './context-walk.js';
import { StoredGzip } from './gzip-stored.js';

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
    const { digest, size } = await writeArchive(listing.entries, createWriteStream(out, { flags: 'wx' }), { onProgress, level });
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
 * (half of it incompressible) cost ~110 ms of CPU for 8% of size; zlib's level 0 ~35 ms; StoredGzip ~2 ms.
 */
export const GZIP_LEVEL = { network: 1, loopback: 0 } as const;

/**
 * Large reads and gzip chunks: at Node's defaults (64 KiB, 16 KiB) a 4 MiB context takes hundreds of stream
 * and thread-pool round trips, ~80 ms more per upload here. A read buffer is no larger than its file, as a
 * context is often thousands of small ones.
 */
const MAX_READ = 256 * 1024;
const GZIP_CHUNK = 128 * 1024;
const readSize = (fileSize: number) => Math.min(Math.max(fileSize, 1024), MAX_READ);

/** Writes the gzipped tar of `entries` into `out` (ended when done, destroyed on failure) and returns its digest and size. */
export async function writeArchive(
  entries: readonly ContextEntry[],
  out: Writable,
  opts: { onProgress?: PackOptions['onProgress']; level?: number } = {},
): Promise<{ digest: string; size: number }> {
  const { onProgress, level = GZIP_LEVEL.network } = opts;
  const meter = new DigestMeter();
  const pack = tar.pack();
  const gzip = level === 0 ? new StoredGzip() : createGzip({ level, chunkSize: GZIP_CHUNK });
  const writing = pipeline(pack, gzip, meter, out);
  const totalGuess = contentBytes(entries);
  let bytesDone = 0;
  try {
    for (const { header, source } of entries) {
      if (source === undefined) {
        await new Promise<void>((resolve, reject) => pack.entry(header, (err) => (err ? reject(err) : resolve())));
        continue;
      }
      const content = createReadStream(source, { highWaterMark: readSize(header.size ?? 0) });
      if (onProgress) content.on('data', (chunk) => onProgress((bytesDone += chunk.length), totalGuess));
      await pipeline(content, pack.entry(header)).catch((err: Error) => {
        if (/size mismatch/i.test(err.message)) throw new BadInputError(`${source} changed while the context was being packed; try again`);
        throw err;
      });
    }
    pack.finalize();
    await writing;
  } catch (err) {
    pack.destroy(err as Error);
    await writing.catch(() => {});
    throw err;
  }
  return { digest: meter.digest(), size: meter.size };
}
