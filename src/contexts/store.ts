// The ContextStore adapter for one host: uploaded contexts as files in a directory, named by their digest.
// An upload is streamed to a temporary file while it is hashed, counted and checked entry by entry, so
// memory stays constant whatever its size; only a complete, valid upload is renamed into place.
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DigestMeter } from '../digest-meter.js';
import { BadInputError, TooLargeError } from '../errors.js';
import type { ArchiveLimits } from './archive-rules.js';
import { readContextFile, validateContextArchive } from './archive.js';
import type { ContextStore, StoredContext } from './context-store.js';

export const DIGEST_PATTERN = /^sha256:[a-f0-9]{64}$/;

/**
 * How far the file write and the archive check may each fall behind the socket. At Node's 16 KiB, every
 * 64 KiB the socket delivers waited for its disk write and its check before the next was read, so an upload
 * went no faster than the slower of the two. Memory per upload stays bounded, now by a few MiB.
 */
const UPLOAD_BUFFER = 1024 * 1024;

export type { StoredContext } from './context-store.js';

export class LocalContextStore implements ContextStore {
  /** The bytes stored: counted from the directory once, at the first question, then kept as contexts come and go. */
  private bytes: Promise<number> | undefined;

  constructor(
    private readonly dir: string,
    private readonly maxBytes: number,
    private readonly limits: ArchiveLimits,
  ) {}

  pathOf(digest: string): string {
    if (!DIGEST_PATTERN.test(digest)) throw new BadInputError(`invalid context digest ${JSON.stringify(digest.slice(0, 80))}`, 'invalid_digest');
    return path.join(this.dir, 'sha256', `${digest.slice('sha256:'.length)}.tar.gz`);
  }

  async has(digest: string): Promise<boolean> {
    try {
      return (await fs.stat(this.pathOf(digest))).isFile();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  /** Its file's mtime is when it was last used. */
  async touch(digest: string): Promise<void> {
    const now = new Date();
    await fs.utimes(this.pathOf(digest), now, now).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  async delete(digest: string): Promise<void> {
    const file = this.pathOf(digest);
    const size = (await fs.stat(file).catch(() => undefined))?.size;
    const removed = await fs.unlink(file).then(
      () => true,
      (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? false : Promise.reject(err)),
    );
    if (removed && size !== undefined) this.counted(-size);
  }

  storedBytes(): Promise<number> {
    return (this.bytes ??= (async () => {
      let total = 0;
      for await (const { size } of this.files()) total += size;
      return total;
    })());
  }

  /** Adds to the count once it was made (before that, the count will see the file itself). */
  private counted(delta: number): void {
    if (this.bytes) this.bytes = this.bytes.then((n) => Math.max(0, n + delta));
  }

  async *list(): AsyncIterable<{ digest: string; lastUsedMs: number }> {
    for await (const { digest, lastUsedMs } of this.files()) yield { digest, lastUsedMs };
  }

  private async *files(): AsyncIterable<{ digest: string; lastUsedMs: number; size: number }> {
    for (const name of await fs.readdir(path.join(this.dir, 'sha256')).catch(() => [] as string[])) {
      const digest = `sha256:${name.replace(/\.tar\.gz$/, '')}`;
      if (!DIGEST_PATTERN.test(digest)) continue;
      // Gone since the directory was read (another instance swept it): not stored any more.
      const stat = await fs.stat(path.join(this.dir, 'sha256', name)).catch(() => undefined);
      if (stat) yield { digest, lastUsedMs: stat.mtimeMs, size: stat.size };
    }
  }

  async removeAbandonedUploads(maxAgeMs: number, now = Date.now()): Promise<void> {
    for (const name of await fs.readdir(path.join(this.dir, 'tmp')).catch(() => [] as string[])) {
      const file = path.join(this.dir, 'tmp', name);
      const stat = await fs.stat(file).catch(() => undefined);
      if (stat && now - stat.mtimeMs >= maxAgeMs) await fs.rm(file, { force: true });
    }
  }

  open(digest: string): Readable {
    return createReadStream(this.pathOf(digest));
  }

  readFile(digest: string, name: string, maxBytes?: number): Promise<Buffer | undefined> {
    return readContextFile(this.open(digest), this.limits, name, maxBytes);
  }

  async put(body: Readable, expectedDigest?: string): Promise<StoredContext> {
    if (expectedDigest !== undefined && !DIGEST_PATTERN.test(expectedDigest)) {
      throw new BadInputError(`X-Slipway-Digest ${JSON.stringify(expectedDigest.slice(0, 80))} is not sha256:<64 hex>`, 'invalid_digest');
    }
    await fs.mkdir(path.join(this.dir, 'sha256'), { recursive: true });
    await fs.mkdir(path.join(this.dir, 'tmp'), { recursive: true });
    const tmp = path.join(this.dir, 'tmp', randomUUID());
    const maxBytes = this.maxBytes;
    const meter = new DigestMeter(
      {
        maxBytes,
        tooLarge: () => new TooLargeError(`build context is larger than the limit of ${maxBytes} bytes; shrink it with a .dockerignore`, 'context_too_large'),
      },
      UPLOAD_BUFFER,
    );
    const toValidator = new PassThrough({ highWaterMark: UPLOAD_BUFFER });
    meter.pipe(toValidator);
    // The body is piped, not pipelined: on an error it must stay open so the caller can still answer.
    const onBodyError = (err: Error) => meter.destroy(err);
    const onBodyClose = () => {
      if (!body.readableEnded) meter.destroy(new BadInputError('the upload ended before the whole context arrived', 'upload_interrupted'));
    };
    body.once('error', onBodyError);
    body.once('close', onBodyClose);
    // Cut off while the directories were being made: its 'close' has been and gone, and piping it would wait for ever.
    if (body.destroyed) onBodyClose();
    body.pipe(meter);
    const validated = validateContextArchive(toValidator, this.limits);
    const written = pipeline(meter, createWriteStream(tmp, { flags: 'wx', highWaterMark: UPLOAD_BUFFER }));
    try {
      // The validator must see the same bytes; if it fails first, stop the upload too.
      await Promise.all([
        written,
        validated.catch((err: unknown) => {
          meter.destroy(err as Error);
          throw err;
        }),
      ]);
      const digest = meter.digest();
      const size = meter.size;
      if (expectedDigest && expectedDigest !== digest) {
        throw new BadInputError(`upload digest ${digest} does not match X-Slipway-Digest ${expectedDigest}; the upload was damaged, send it again`, 'digest_mismatch');
      }
      const final = this.pathOf(digest);
      if (await this.has(digest)) {
        await fs.rm(tmp, { force: true });
        await this.touch(digest);
        return { digest, size, created: false };
      }
      await fs.rename(tmp, final);
      this.counted(size);
      return { digest, size, created: true };
    } catch (err) {
      body.unpipe(meter);
      toValidator.destroy();
      // The file stream opens the file on its own time: until the pipeline has settled, the file may not
      // exist yet, and a removal now would leave it behind once it is opened.
      await written.catch(() => undefined);
      await fs.rm(tmp, { force: true });
      throw err;
    } finally {
      body.off('error', onBodyError);
      body.off('close', onBodyClose);
    }
  }
}
