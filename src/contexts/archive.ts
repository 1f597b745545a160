// Reading a build context archive (a gzipped tar) entry by entry, each entry judged by the rules in
// archive-rules.ts: the API checks every upload with it, the worker unpacks with it.
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { isSlipwayError, TooLargeError } from '../errors.js';
import { checkEntry, invalid, newArchiveState, type ArchiveLimits, type ArchiveTotals, type CheckedEntry } from './archive-rules.js';
import { StoredGunzip } from './stored-gunzip.js';

/** What `onEntry` returns to stop reading: the rest of the archive is neither read nor checked. */
export const STOP_READING = Symbol('stop reading');

/**
 * Reads a gzipped tar entry by entry, checking each with `checkEntry` before handing it on. `onEntry`
 * may read the content; whatever it leaves is drained. Resolves with the totals once the archive ends,
 * or, when `onEntry` returns STOP_READING, with the totals of the entries read until then.
 */
export async function readContextArchive(
  gzipped: Readable,
  limits: ArchiveLimits,
  onEntry: (entry: CheckedEntry, content: AsyncIterable<Buffer>) => Promise<void | typeof STOP_READING>,
): Promise<ArchiveTotals> {
  const extract = tar.extract();
  let streamError: unknown;
  let stopped = false;
  const feeding = pipeline(gzipped, new StoredGunzip(), tarMeter(limits), extract).catch((err: unknown) => {
    streamError = err;
  });
  const state = newArchiveState(limits);
  try {
    for await (const entry of extract) {
      const checked = checkEntry(entry.header, state);
      const content = entry as AsyncIterable<Buffer>;
      if ((await onEntry(checked, content)) === STOP_READING) {
        stopped = true;
        break; // which destroys `extract`, and so the pipeline: its premature close is expected
      }
      await drain(content);
    }
    await feeding;
    if (streamError && !stopped) throw streamError;
    return { entries: state.entries, bytes: state.bytes };
  } catch (err) {
    extract.destroy();
    await feeding;
    // A broken stream reaches the loop as whatever it destroyed (often just "stream was destroyed"), so
    // the pipeline's own error is the cause, unless the loop's error came first and the pipeline only
    // saw the destroy above.
    const premature = (streamError as NodeJS.ErrnoException | undefined)?.code === 'ERR_STREAM_PREMATURE_CLOSE';
    throw explainStreamError(isSlipwayError(err) || !streamError || premature ? err : streamError);
  }
}

async function drain(content: AsyncIterable<Buffer>): Promise<void> {
  for await (const chunk of content) void chunk;
}

/** Validates an upload without keeping it: every entry is checked and its content read and dropped. */
/**
 * One regular file of a context archive, or undefined when it has none by that path. Reading stops at the file
 * (the CLI packs the Dockerfile first), so the rest of a large archive is not decompressed. Should an archive
 * hold the path twice, this is the first copy where tar's extraction keeps the last; the CLI never writes such
 * archives, and what is read here only describes the run.
 */
export async function readContextFile(gzipped: Readable, limits: ArchiveLimits, name: string, maxBytes = 1024 * 1024): Promise<Buffer | undefined> {
  const wanted = path.posix.normalize(name);
  let found: Buffer | undefined;
  await readContextArchive(gzipped, limits, async (entry, content) => {
    if (entry.kind !== 'file' || entry.path !== wanted) {
      for await (const _ of content);
      return;
    }
    if (entry.size > maxBytes) throw new TooLargeError(`${name} is larger than ${maxBytes} bytes`, 'file_too_large');
    const chunks: Buffer[] = [];
    for await (const chunk of content) chunks.push(chunk);
    found = Buffer.concat(chunks);
    return STOP_READING;
  });
  return found;
}

export async function validateContextArchive(gzipped: Readable, limits: ArchiveLimits): Promise<ArchiveTotals> {
  return readContextArchive(gzipped, limits, async () => {});
}

/**
 * Bounds the decompressed stream itself: content is limited by `checkEntry`, but headers, padding and
 * the zero blocks after the end of the archive are not, and a gzip of nothing but those costs little.
 */
function tarMeter(limits: ArchiveLimits): Transform {
  const allowance = limits.unpackedBytes + limits.entries * 8192 + 1024 * 1024;
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > allowance) return done(new TooLargeError(`build context decompresses to more than ${allowance} bytes of tar; rebuild the archive`, 'context_too_large'));
      done(null, chunk);
    },
  });
}

/** Turns zlib and tar-stream failures into a BadInputError that says what to do. */
function explainStreamError(err: unknown): unknown {
  if (isSlipwayError(err) || !(err instanceof Error)) return err;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'Z_DATA_ERROR' || code === 'Z_NEED_DICT') return invalid(`build context is not a gzip-compressed tar (${err.message}); send a .tar.gz`);
  if (code === 'Z_BUF_ERROR') return invalid(`build context archive is truncated (${err.message}); send it again`);
  if (/tar header|end of data|Header exceeds/i.test(err.message)) return invalid(`build context is not a valid tar archive (${err.message}); send a .tar.gz made by tar or slipway`);
  return err;
}
