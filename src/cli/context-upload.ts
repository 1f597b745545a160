// Getting a build context onto the server with as little work as the folder allows:
// - unchanged since the last build (context-cache.ts) and still on the server: nothing is packed or sent;
// - otherwise, up to STREAM_MAX_BYTES of content: packed straight into the upload, hashed on the way, so
//   packing, sending and the server's checks overlap and no temporary file is written; stored gzip, for a
//   server on the same machine, has a length known before packing, so the upload says it up front;
// - a larger context: packed to a temporary file first, so that the server, asked by digest, can spare
//   the upload of a context it already has (a CI runner with an empty cache, say).
import type { Writable } from 'node:stream';
import type { SlipwayApi } from './api-client.js';
import { ContextCache } from './context-cache.js';
import { archiveLength, GZIP_LEVEL, packListing, writeArchive } from './context-pack.js';
import { ContextTar } from './context-tar.js';
import { listContext, type ContextListing } from './context-walk.js';
import { ProtocolError } from './errors.js';
import { formatBytes, formatDuration } from './format.js';
import type { CliIo } from './io.js';
import { ProgressBar } from './progress-bar.js';

/** Past this much file content, asking the server first is worth a temporary file. */
const STREAM_MAX_BYTES = 64 * 1024 * 1024;

export interface UploadedContext {
  digest: string;
  /** The Dockerfile's path inside the context, as the API wants it. */
  dockerfile: string;
}

interface UploadOptions {
  dockerfile?: string;
  io: CliIo;
  signal: AbortSignal;
  /** Where the context cache lives; none: every build packs. */
  cacheDir?: string;
}

export async function uploadContext(api: SlipwayApi, dir: string, opts: UploadOptions): Promise<UploadedContext> {
  const { io, signal } = opts;
  io.stderr.write(`Packing build context ${dir}\n`);
  const listing = await listContext(dir, { dockerfile: opts.dockerfile });
  const files = listing.entries.length;
  const cache = opts.cacheDir === undefined ? undefined : new ContextCache(opts.cacheDir);
  const cached = cache?.lookup(listing);
  signal.throwIfAborted();
  if (cached !== undefined && (await api.hasContext(cached))) {
    io.stderr.write(`Context: ${files} files, unchanged since the last build, ${cached}\n`);
    io.stderr.write('The server already has this context; skipping the upload\n');
    return { digest: cached, dockerfile: listing.archiveDockerfile };
  }
  const archive = new ContextTar(listing.entries);
  const digest = archive.contentBytes <= STREAM_MAX_BYTES ? await streamUpload(api, listing, archive, opts) : await packThenUpload(api, listing, opts);
  cache?.remember(listing, digest);
  return { digest, dockerfile: listing.archiveDockerfile };
}

async function streamUpload(api: SlipwayApi, listing: ContextListing, archive: ContextTar, { io, signal }: UploadOptions): Promise<string> {
  const started = Date.now();
  const bar = ProgressBar.forStream(io.stderr, 'Uploading context', archive.contentBytes);
  if (!bar) io.stderr.write(`Uploading context (${listing.entries.length} files, ${formatBytes(archive.contentBytes)} before compression)\n`);
  const level = gzipLevelFor(api.server);
  // Packed straight into the request, which tells the packer when each buffer has gone to the socket.
  let packing: Promise<{ digest: string; size: number }> | undefined;
  const write = (out: Writable) => (packing = writeArchive(archive, out, { onProgress: (done) => bar?.update(done), level }));
  const stored = await api.uploadContextStream(write, { signal, length: archiveLength(archive, level) }).finally(() => bar?.finish());
  // The API answered after the last byte arrived: the packing is done, or ends with the request.
  const packed = await packing!;
  checkStored(stored.digest, packed.digest);
  io.stderr.write(`Context: ${listing.entries.length} files, ${formatBytes(packed.size)}, ${packed.digest}\n`);
  io.stderr.write(`Uploaded ${formatBytes(packed.size)} in ${formatDuration(Date.now() - started)}\n`);
  return packed.digest;
}

async function packThenUpload(api: SlipwayApi, listing: ContextListing, { io, signal }: UploadOptions): Promise<string> {
  let packBar: ProgressBar | undefined;
  const onProgress = (done: number, totalGuess: number) => (packBar ??= ProgressBar.forStream(io.stderr, 'Packing context', totalGuess))?.update(done);
  const packed = await packListing(listing, onProgress, gzipLevelFor(api.server)).finally(() => packBar?.finish());
  try {
    signal.throwIfAborted();
    io.stderr.write(`Context: ${packed.files} files, ${formatBytes(packed.size)}, ${packed.digest}\n`);
    if (await api.hasContext(packed.digest)) {
      io.stderr.write('The server already has this context; skipping the upload\n');
      return packed.digest;
    }
    const started = Date.now();
    const bar = ProgressBar.forStream(io.stderr, 'Uploading context', packed.size);
    if (!bar) io.stderr.write(`Uploading context (${formatBytes(packed.size)})\n`);
    try {
      const stored = await api.uploadContext(packed, { onProgress: (n) => bar?.update(n), signal });
      checkStored(stored.digest, packed.digest);
    } finally {
      bar?.finish();
    }
    io.stderr.write(`Uploaded ${formatBytes(packed.size)} in ${formatDuration(Date.now() - started)}\n`);
    return packed.digest;
  } finally {
    await packed.cleanup();
  }
}

/** Compressing for a server on the same machine only spends CPU the build could use. */
export function gzipLevelFor(server: string): number {
  const host = new URL(server).hostname;
  const loopback = host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
  return loopback ? GZIP_LEVEL.loopback : GZIP_LEVEL.network;
}

function checkStored(stored: string, sent: string): void {
  if (stored !== sent) throw new ProtocolError(`the server stored the context as ${stored}, not ${sent}`);
}
