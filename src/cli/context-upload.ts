// Getting a build context onto the server: pack the folder, ask whether the server already has that digest,
// and upload only if not (with a progress bar on a terminal). The packed file is always removed.
import type { SlipwayApi } from './api-client.js';
import { ProtocolError } from './errors.js';
import { formatBytes, formatDuration } from './format.js';
import type { CliIo } from './io.js';
import { ProgressBar } from './progress-bar.js';

export interface UploadedContext {
  digest: string;
  /** The Dockerfile's path inside the context, as the API wants it. */
  dockerfile: string;
}

export async function uploadContext(
  api: SlipwayApi,
  dir: string,
  opts: { dockerfile?: string; io: CliIo; signal: AbortSignal },
): Promise<UploadedContext> {
  const { io, signal } = opts;
  // Loaded here, not at start: the tar and .dockerignore code is only needed by `build`.
  const { packContext } = await import('./context-pack.js');
  io.stderr.write(`Packing build context ${dir}\n`);
  let packBar: ProgressBar | undefined;
  const packed = await packContext(dir, {
    dockerfile: opts.dockerfile,
    onProgress: (done, totalGuess) => (packBar ??= ProgressBar.forStream(io.stderr, 'Packing context', totalGuess))?.update(done),
  }).finally(() => packBar?.finish());
  try {
    signal.throwIfAborted();
    io.stderr.write(`Context: ${packed.files} files, ${formatBytes(packed.size)}, ${packed.digest}\n`);
    if (await api.hasContext(packed.digest)) {
      io.stderr.write('The server already has this context; skipping the upload\n');
    } else {
      const started = Date.now();
      const bar = ProgressBar.forStream(io.stderr, 'Uploading context', packed.size);
      if (!bar) io.stderr.write(`Uploading context (${formatBytes(packed.size)})\n`);
      try {
        const stored = await api.uploadContext(packed, { onProgress: (n) => bar?.update(n), signal });
        if (stored.digest !== packed.digest) {
          throw new ProtocolError(`the server stored the context as ${stored.digest}, not ${packed.digest}`);
        }
      } finally {
        bar?.finish();
      }
      io.stderr.write(`Uploaded ${formatBytes(packed.size)} in ${formatDuration(Date.now() - started)}\n`);
    }
    return { digest: packed.digest, dockerfile: packed.dockerfile };
  } finally {
    await packed.cleanup();
  }
}
