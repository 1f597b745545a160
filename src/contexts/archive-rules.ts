// The rules a build context archive (a gzipped tar) must follow, shared by the API, which checks each
// upload, the worker, which unpacks it, and the CLI, which refuses to pack what the server would refuse.
// Paths are judged lexically, as moby's own extractor does; the unpacker adds on-disk checks of its own.
// No I/O and no tar library here: the CLI loads this with every build, and reading archives is archive.ts's.
import path from 'node:path';
import { BadInputError, TooLargeError } from '../errors.js';
import { resolveLink } from './link-resolution.js';

export interface ArchiveLimits {
  /** Sum of the entries' content sizes. */
  unpackedBytes: number;
  entries: number;
}

export interface ArchiveTotals {
  entries: number;
  bytes: number;
}

/** What the entries seen so far add up to; `checkEntry` updates it. */
export interface ArchiveState {
  readonly limits: ArchiveLimits;
  entries: number;
  bytes: number;
  /** The symlinks seen so far, path → target: nothing may be written beneath one. */
  readonly symlinks: Map<string, string>;
  /** Directories an earlier link's target steps out of with `..`: a symlink there would redirect that link. */
  readonly steppedOutOf: Set<string>;
}

/** The header fields the rules read. tar-stream gives `type: null` for a tar type it does not know. */
export interface EntryHeader {
  name: string;
  type?: string | null;
  size?: number;
  mode?: number;
  mtime?: Date;
  linkname?: string | null;
}

export type EntryKind = 'file' | 'directory' | 'symlink' | 'link';

export interface CheckedEntry {
  kind: EntryKind;
  /** Relative, '/'-separated, without '.' or '..' components; '' is the context root itself. */
  path: string;
  /** Symlinks: the target as written. Hardlinks: the normalized path of the target. Otherwise ''. */
  linkname: string;
  mode: number;
  size: number;
  mtime: Date | undefined;
}

const ALLOWED = 'only files, directories, symlinks and hardlinks may be in a build context; remove it or add it to .dockerignore';

export function newArchiveState(limits: ArchiveLimits): ArchiveState {
  return { limits, entries: 0, bytes: 0, symlinks: new Map(), steppedOutOf: new Set() };
}

/** Quotes an entry name for a message: escaped and bounded, since it comes from outside. */
export function quote(name: string): string {
  return JSON.stringify(name.length > 200 ? `${name.slice(0, 200)}…` : name);
}

/** Judges one header against the rules and the running totals in `state`, which it updates. No I/O. */
export function checkEntry(header: EntryHeader, state: ArchiveState): CheckedEntry {
  const name = header.name;
  const size = header.size ?? 0;
  state.entries += 1;
  if (state.entries > state.limits.entries) {
    throw new TooLargeError(`build context has more than ${state.limits.entries} entries (at ${quote(name)}); exclude files with .dockerignore`, 'context_too_large');
  }
  state.bytes += size;
  if (state.bytes > state.limits.unpackedBytes) {
    throw new TooLargeError(
      `build context unpacks to more than ${state.limits.unpackedBytes} bytes (at ${quote(name)}, ${size} bytes); exclude large files with .dockerignore`,
      'context_too_large',
    );
  }
  const kind = kindOf(header);
  const rel = relativePath(name, 'entry');
  if (rel === '' && kind !== 'directory') throw invalid(`entry ${quote(name)} names the context root but is a ${kind}; rebuild the archive`);
  const parent = symlinkAbove(rel, state.symlinks);
  if (parent !== undefined) {
    throw invalid(`entry ${quote(name)} is beneath ${quote(parent)}, which is a symlink, and writing through a symlink is not allowed; make ${quote(parent)} a real directory`);
  }
  let linkname = '';
  if (kind === 'symlink') linkname = checkSymlink(name, rel, header.linkname ?? '', state);
  if (kind === 'link') linkname = checkHardlink(name, header.linkname ?? '', state.symlinks);
  if (kind === 'symlink') state.symlinks.set(rel, linkname);
  return { kind, path: rel, linkname, mode: header.mode ?? (kind === 'directory' ? 0o755 : 0o644), size, mtime: header.mtime };
}

function kindOf(header: EntryHeader): EntryKind {
  switch (header.type) {
    case 'file':
    case 'directory':
    case 'symlink':
    case 'link':
      return header.type;
    case null:
    case undefined:
      throw invalid(`entry ${quote(header.name)} has a tar type this service does not know; ${ALLOWED}`);
    default:
      throw invalid(`entry ${quote(header.name)} is a ${header.type}; ${ALLOWED}`);
  }
}

/** Normalizes an entry name (or hardlink target) to a relative path, refusing anything that could leave the root. */
function relativePath(name: string, what: string): string {
  if (name.includes('\0')) throw invalid(`${what} ${quote(name)} contains a NUL byte; rebuild the archive`);
  if (name.startsWith('/')) {
    throw invalid(`${what} ${quote(name)} is an absolute path; entries must be relative to the context root (create the archive from inside the context directory)`);
  }
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw invalid(`${what} ${quote(name)} has a ".." component, which could reach outside the context; entries must stay inside the context root`);
  return parts.join('/');
}

/** The first ancestor of `rel` that is a known symlink. */
function symlinkAbove(rel: string, symlinks: ReadonlyMap<string, string>): string | undefined {
  if (symlinks.size === 0) return undefined;
  for (let i = rel.indexOf('/'); i !== -1; i = rel.indexOf('/', i + 1)) {
    const ancestor = rel.slice(0, i);
    if (symlinks.has(ancestor)) return ancestor;
  }
  return undefined;
}

function checkSymlink(name: string, rel: string, target: string, state: ArchiveState): string {
  if (target === '' || target.includes('\0')) throw invalid(`symlink ${quote(name)} has an empty or malformed target; rebuild the archive`);
  if (state.steppedOutOf.has(rel)) {
    throw invalid(`symlink ${quote(name)} is a directory an earlier symlink's target steps out of with "..", and would redirect that link; make ${quote(name)} a real directory`);
  }
  // Followed through the links before it, as a reader of the unpacked tree would follow it.
  const resolved = resolveLink(path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel), target, (p) => state.symlinks.get(p), (p) => state.steppedOutOf.add(p));
  if (!resolved.ok) {
    const why = resolved.reason === 'loop' ? 'through a loop of symlinks' : `outside the build context${resolved.reason === 'escapes' && !target.startsWith('/') ? ' (following the symlinks before it)' : ''}`;
    throw invalid(`symlink ${quote(name)} points to ${quote(target)}, ${why}; make it a relative link inside the context, or add it to .dockerignore`);
  }
  return target;
}

function checkHardlink(name: string, target: string, symlinks: ReadonlyMap<string, string>): string {
  if (target === '') throw invalid(`hardlink ${quote(name)} has no target; rebuild the archive`);
  const rel = relativePath(target, `target of hardlink ${quote(name)}`);
  if (rel === '') throw invalid(`hardlink ${quote(name)} points to the context root; rebuild the archive`);
  const through = symlinks.has(rel) ? rel : symlinkAbove(rel, symlinks);
  if (through !== undefined) {
    throw invalid(`hardlink ${quote(name)} points to ${quote(target)} through the symlink ${quote(through)}; replace the hardlink with a copy or a symlink`);
  }
  return rel;
}

export function invalid(message: string): BadInputError {
  return new BadInputError(message, 'invalid_context');
}
