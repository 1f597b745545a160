// Unpacks an uploaded build context into the run's empty workspace directory. Every entry passes the
// shared archive rules first; on disk, nothing is ever written through a symlink: each ancestor directory
// is checked with lstat (or was made here), and files are created with O_EXCL|O_NOFOLLOW.
// On an error the directory is left half-filled for the caller to delete; nothing is written outside it.
import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { quote, type ArchiveLimits, type ArchiveTotals, type CheckedEntry } from '../../src/contexts/archive-rules.js';
import { readContextArchive } from '../../src/contexts/archive.js';
import { BadInputError } from '../../src/errors.js';

const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
/** fs failures that mean the archive is inconsistent (e.g. a file where a directory is needed), not that the disk is. */
const ARCHIVE_FAULTS = new Set(['ENAMETOOLONG', 'ENOTDIR', 'EISDIR', 'ELOOP', 'EEXIST']);

/** Extracts `gzipped` into `dest`, which exists and is empty. */
export async function unpackContext(gzipped: Readable, dest: string, limits: ArchiveLimits): Promise<ArchiveTotals> {
  const tree = new ContextTree(path.resolve(dest));
  const totals = await readContextArchive(gzipped, limits, async (entry, content) => {
    try {
      await tree.add(entry, content);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code && ARCHIVE_FAULTS.has(code)) throw new BadInputError(`cannot unpack entry ${quote(entry.path)}: ${code}; rebuild the archive`, 'invalid_context');
      throw err;
    }
  });
  await tree.finish();
  return totals;
}

/** The directory being filled, and what it knows about it. */
class ContextTree {
  /** Paths known to be real directories (made here or checked with lstat); directories are never replaced. */
  private readonly dirs = new Set<string>(['']);
  /** Directory modes and mtimes, applied last: adding entries changes mtimes, and a read-only mode would stop them. */
  private readonly dirMeta = new Map<string, { mode: number; mtime: Date | undefined }>();

  constructor(private readonly root: string) {}

  async add(entry: CheckedEntry, content: AsyncIterable<Buffer>): Promise<void> {
    if (entry.path === '') return; // the root entry ("./"): dest belongs to the caller
    await this.makeParents(entry.path);
    const abs = path.join(this.root, entry.path);
    switch (entry.kind) {
      case 'directory':
        if (!this.dirs.has(entry.path)) {
          await this.clear(abs, entry, true);
          await fs.mkdir(abs, 0o700);
          this.dirs.add(entry.path);
        }
        this.dirMeta.set(entry.path, { mode: entry.mode & 0o777, mtime: validDate(entry.mtime) });
        return;
      case 'file':
        await this.clear(abs, entry);
        return writeFile(abs, entry, content);
      case 'symlink': {
        await this.clear(abs, entry);
        await fs.symlink(entry.linkname, abs);
        const mtime = validDate(entry.mtime);
        if (mtime) await fs.lutimes(abs, mtime, mtime);
        return;
      }
      case 'link': {
        const target = await this.linkTarget(entry);
        await this.clear(abs, entry);
        await fs.link(target, abs);
        return;
      }
    }
  }

  /** Applies directory modes and mtimes, deepest first. */
  async finish(): Promise<void> {
    const depth = (p: string) => p.split('/').length;
    const ordered = [...this.dirMeta].sort(([a], [b]) => depth(b) - depth(a));
    for (const [rel, { mode, mtime }] of ordered) {
      const abs = path.join(this.root, rel);
      await fs.chmod(abs, mode);
      if (mtime) await fs.utimes(abs, mtime, mtime);
    }
  }

  /** Makes (or checks) each ancestor of `rel` as a real directory, never following a symlink. */
  private async makeParents(rel: string): Promise<void> {
    for (let i = rel.indexOf('/'); i !== -1; i = rel.indexOf('/', i + 1)) {
      const ancestor = rel.slice(0, i);
      if (this.dirs.has(ancestor)) continue;
      const stat = await lstatOrNull(path.join(this.root, ancestor));
      if (!stat) await fs.mkdir(path.join(this.root, ancestor), 0o755);
      else if (!stat.isDirectory()) throw notBeneath(rel, ancestor, stat.isSymbolicLink());
      this.dirs.add(ancestor);
    }
  }

  /** The absolute path of a hardlink's target, after checking it is a regular file reached without symlinks. */
  private async linkTarget(entry: CheckedEntry): Promise<string> {
    const rel = entry.linkname;
    for (let i = rel.indexOf('/'); i !== -1; i = rel.indexOf('/', i + 1)) {
      const ancestor = rel.slice(0, i);
      if (this.dirs.has(ancestor)) continue;
      const stat = await lstatOrNull(path.join(this.root, ancestor));
      if (!stat?.isDirectory()) throw linkError(entry, stat ? `is beneath ${quote(ancestor)}, which is not a real directory` : 'is not earlier in the archive');
    }
    const abs = path.join(this.root, rel);
    const stat = await lstatOrNull(abs);
    if (!stat) throw linkError(entry, 'is not earlier in the archive');
    if (!stat.isFile()) throw linkError(entry, 'is not a regular file');
    return abs;
  }

  /** Removes what an earlier entry put at `abs` (later entries win, as with tar), except a directory. */
  private async clear(abs: string, entry: CheckedEntry, keepDirectory = false): Promise<void> {
    const stat = await lstatOrNull(abs);
    if (!stat) return;
    if (stat.isDirectory()) {
      if (keepDirectory) return;
      throw new BadInputError(`entry ${quote(entry.path)} would replace a directory of the same name; rebuild the archive`, 'invalid_context');
    }
    await fs.unlink(abs);
  }
}

async function writeFile(abs: string, entry: CheckedEntry, content: AsyncIterable<Buffer>): Promise<void> {
  const file = await fs.open(abs, CREATE_NEW, 0o600);
  try {
    for await (const chunk of content) await file.write(chunk);
    // Set after creation so the umask does not change it; setuid/setgid/sticky bits are dropped.
    await file.chmod(entry.mode & 0o777);
    const mtime = validDate(entry.mtime);
    if (mtime) await file.utimes(mtime, mtime);
  } finally {
    await file.close();
  }
}

async function lstatOrNull(abs: string) {
  try {
    return await fs.lstat(abs);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

function validDate(date: Date | undefined): Date | undefined {
  return date && Number.isFinite(date.getTime()) ? date : undefined;
}

function notBeneath(entryName: string, ancestor: string, isSymlink: boolean): BadInputError {
  const what = isSymlink ? 'a symlink, and writing through a symlink is not allowed' : 'not a directory';
  return new BadInputError(`entry ${quote(entryName)} is beneath ${quote(ancestor)}, which is ${what}; rebuild the archive`, 'invalid_context');
}

function linkError(entry: CheckedEntry, problem: string): BadInputError {
  return new BadInputError(`hardlink ${quote(entry.path)} points to ${quote(entry.linkname)}, which ${problem}; rebuild the archive`, 'invalid_context');
}
