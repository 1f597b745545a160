// Remembers which context digest a folder packed to, keyed on what `docker build` would send and on the
// file stats of every entry (size, mtime and ctime in ns, mode, inode, link target), so an unchanged folder
// is neither packed nor uploaded again. git's index works the same way, with the same two caveats:
// - a file changed within a timestamp tick of being listed could change again in that tick with the same
//   stats ("racily clean" in git); no entry is kept while any file is that fresh;
// - content rewritten with size and mtime put back is still caught, by ctime, which only the kernel sets.
// One small JSON file per context and Dockerfile, written whole and renamed into place; holds paths, hashes
// and a digest, never file contents or build args. A file that is unreadable, foreign, or not exactly what
// this code writes is ignored: the cache can only skip work, never change what is built.
// The files are small and read and written synchronously: through libuv's thread pool each would add a
// hand-off on the way from the walk to the upload and from the upload to the run.
import { createHash, randomBytes } from 'node:crypto';
import fs, { constants } from 'node:fs';
import path from 'node:path';
import type { ContextEntry, ContextListing } from './context-walk.js';

/**
 * Bump when packing changes what an archive of the same files holds, so older entries stop matching.
 * 2: the CLI's own tar writer (a file of mode 000 is no longer sent as 644).
 */
const FORMAT = 2;
const MAX_FILE_BYTES = 64 * 1024;
/** Entries kept before the least recently written are removed. */
const MAX_ENTRIES = 500;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const NS_PER_MS = 1_000_000n;
/** Files whose times have whole seconds only live on a filesystem with a coarse clock (ext3, HFS+, FAT: up to 2 s). */
const COARSE_MARGIN_NS = 2_000n * NS_PER_MS;
/** Nanosecond filesystems stamp from the kernel's coarse clock, a tick (≤ 10 ms) behind Date.now(); ten ticks of margin. */
const FINE_MARGIN_NS = 100n * NS_PER_MS;

interface CacheRecord {
  format: number;
  root: string;
  dockerfile: string;
  fingerprint: string;
  digest: string;
}

export class ContextCache {
  constructor(private readonly dir: string) {}

  /** The digest this exact listing packed to before, if one was remembered. */
  lookup(listing: ContextListing): string | undefined {
    const record = readRecord(this.fileOf(listing));
    if (!isRecord(record) || record.format !== FORMAT || record.root !== listing.root || record.dockerfile !== listing.dockerfile) return undefined;
    if (record.fingerprint !== fingerprintOf(listing) || !DIGEST.test(record.digest)) return undefined;
    return record.digest;
  }

  /**
   * Remembers that `listing` packed to `digest`, unless a file in it changed too recently for its stats to
   * vouch for its content. Never throws: a cache that cannot be written only means packing next time.
   */
  remember(listing: ContextListing, digest: string): boolean {
    if (isRacy(listing)) return false;
    const record: CacheRecord = { format: FORMAT, root: listing.root, dockerfile: listing.dockerfile, fingerprint: fingerprintOf(listing), digest };
    const file = this.fileOf(listing);
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      fs.writeFileSync(tmp, `${JSON.stringify(record)}\n`, { flag: 'wx', mode: 0o600 });
      fs.renameSync(tmp, file);
      this.prune();
      return true;
    } catch {
      removeQuietly(tmp);
      return false;
    }
  }

  private fileOf(listing: ContextListing): string {
    const key = createHash('sha256').update(`${listing.root}\0${listing.dockerfile}`).digest('hex').slice(0, 32);
    return path.join(this.dir, 'contexts', `${key}.json`);
  }

  /** Keeps the folder small: past MAX_ENTRIES files, the older half goes (leftover .tmp files with them). */
  private prune(): void {
    const dir = path.join(this.dir, 'contexts');
    const names = fs.readdirSync(dir);
    if (names.length <= MAX_ENTRIES) return;
    const aged = names.map((name) => ({ name, mtime: fs.lstatSync(path.join(dir, name), { throwIfNoEntry: false })?.mtimeMs ?? 0 }));
    aged.sort((a, b) => a.mtime - b.mtime);
    for (const { name } of aged.slice(0, names.length - MAX_ENTRIES / 2)) removeQuietly(path.join(dir, name));
  }
}

/**
 * A hash of everything that decides the archive short of file contents: the ignore rules, where the
 * Dockerfile goes, and every entry's name, header and stats in order.
 */
export function fingerprintOf(listing: ContextListing): string {
  const hash = createHash('sha256');
  hash.update(`${FORMAT}\0${listing.root}\0${listing.dockerfile}\0${listing.archiveDockerfile}\n`);
  const ignore = listing.ignoreFile;
  hash.update(ignore ? `${ignore.path}\0${createHash('sha256').update(ignore.text).digest('hex')}\n` : '-\n');
  for (const e of listing.entries) hash.update(`${entryLine(e)}\n`);
  return `sha256:${hash.digest('hex')}`;
}

function entryLine({ header, stat }: ContextEntry): string {
  return [header.name, header.type, stat.mode, stat.size, stat.mtimeNs, stat.ctimeNs, stat.ino, stat.dev, header.linkname ?? ''].join('\0');
}

/** Whether some file was modified (or its inode changed) so close to the listing that a same-tick change could hide. */
export function isRacy(listing: ContextListing): boolean {
  const listedAtNs = BigInt(listing.listedAt) * NS_PER_MS;
  return listing.entries.some(({ source, stat }) => {
    if (source === undefined) return false; // only file contents are taken on trust; names and links are read each time
    const newest = stat.mtimeNs > stat.ctimeNs ? stat.mtimeNs : stat.ctimeNs;
    const coarse = stat.mtimeNs % 1_000_000_000n === 0n && stat.ctimeNs % 1_000_000_000n === 0n;
    return newest >= listedAtNs - (coarse ? COARSE_MARGIN_NS : FINE_MARGIN_NS);
  });
}

/** The parsed file, or undefined for anything but a small regular file of this user's that others cannot write. */
function readRecord(file: string): unknown {
  let fd: number | undefined;
  try {
    // No following a link planted in its place, no blocking on a fifo.
    fd = fs.openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    const stat = fs.fstatSync(fd);
    if (!stat.isFile() || stat.size > MAX_FILE_BYTES || (stat.mode & 0o022) !== 0) return undefined;
    if (process.getuid && stat.uid !== process.getuid()) return undefined;
    return JSON.parse(fs.readFileSync(fd, 'utf8'));
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** A file the cache may lose without harm: whatever stops its removal is left for the next prune. */
function removeQuietly(file: string): void {
  try {
    fs.rmSync(file, { force: true });
  } catch {
    // left in place
  }
}

function isRecord(value: unknown): value is CacheRecord {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  return typeof r.format === 'number' && typeof r.root === 'string' && typeof r.dockerfile === 'string' && typeof r.fingerprint === 'string' && typeof r.digest === 'string';
}
