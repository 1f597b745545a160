// What one COPY/ADD takes from the build context: its sources matched (wildcards as Go's filepath.Match), walked,
// and placed under the destination the way Docker does — a directory's contents go into the destination, several
// sources need a destination ending in / or \. Symbolic links are followed while they stay in the context
// (Windows layers would need reparse points); ADD refuses local archives rather than extract them.
import fs from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync, constants as zlibConstants } from 'node:zlib';
import { WindowsAssemblyError } from '../../../src/dockerfile/windows/errors.js';
import type { LayerPlan } from './evaluate.js';
import type { LayerEntry } from './layer-writer.js';
import { caseFoldKey, windowsNameProblem, type WindowsPath } from './windows-paths.js';

type CopyPlan = Extract<LayerPlan, { kind: 'copy' }>;

interface Match {
  /** The source as matched, relative to the context root, `/`-separated ('' is the root). */
  rel: string;
  real: string;
}

/** The files and directories one COPY/ADD writes, in order (later ones win, as in Docker). */
export async function collectCopyEntries(contextDir: string, plan: CopyPlan): Promise<LayerEntry[]> {
  const fail = (message: string) => new WindowsAssemblyError(`${plan.keyword}: ${message}`, plan.line);
  const root = await fs.realpath(contextDir);
  const matches: Match[] = [];
  for (const source of plan.sources) {
    const rel = path.posix.normalize(`/${source.replace(/\\/g, '/')}`).replace(/^\/+|\/+$/g, '');
    const found = hasWildcard(rel) ? await matchWildcard(root, rel, fail) : [rel];
    for (const candidate of found) matches.push({ rel: candidate, real: await realInside(root, candidate, fail) });
  }
  if ((plan.sources.length > 1 || matches.length > 1) && !plan.destIsDirectory) {
    throw fail(`with more than one source the destination must be a directory and end with / or \\`);
  }
  const entries: LayerEntry[] = [];
  for (const match of matches) {
    const stat = await fs.stat(match.real);
    if (stat.isDirectory()) {
      entries.push({ path: plan.dest, kind: 'directory', mtime: stat.mtime });
      await walk(root, match.real, plan.dest, match.rel, entries, new Set([match.real]), fail);
    } else if (stat.isFile()) {
      if (plan.keyword === 'ADD' && plan.unpack && (await looksLikeArchive(match.real))) {
        throw fail(`${match.rel} is an archive, which ADD would extract; the daemonless assembler does not — COPY it, or use ADD --unpack=false`);
      }
      const name = path.posix.basename(match.rel);
      const target = plan.destIsDirectory ? [...plan.dest, checkName(name, match.rel, fail)] : plan.dest;
      entries.push({ path: target, kind: 'file', mtime: stat.mtime, size: stat.size, source: match.real });
    } else throw fail(`${match.rel} is neither a file nor a directory`);
  }
  return entries;
}

async function walk(root: string, dir: string, dest: WindowsPath, rel: string, out: LayerEntry[], ancestors: Set<string>, fail: (m: string) => Error): Promise<void> {
  const names = (await fs.readdir(dir)).sort();
  const seen = new Map<string, string>();
  for (const name of names) {
    const childRel = rel === '' ? name : `${rel}/${name}`;
    const folded = caseFoldKey([name]);
    const clash = seen.get(folded);
    if (clash !== undefined) throw fail(`${childRel} and ${clash} differ only in case, which Windows cannot hold in one directory`);
    seen.set(folded, childRel);
    const target = [...dest, checkName(name, childRel, fail)];
    const real = await realInside(root, childRel, fail);
    const stat = await fs.stat(real);
    if (stat.isDirectory()) {
      if (ancestors.has(real)) throw fail(`${childRel} is a symbolic link loop`);
      out.push({ path: target, kind: 'directory', mtime: stat.mtime });
      await walk(root, real, target, childRel, out, new Set([...ancestors, real]), fail);
    } else if (stat.isFile()) {
      out.push({ path: target, kind: 'file', mtime: stat.mtime, size: stat.size, source: real });
    } else throw fail(`${childRel} is neither a file nor a directory`);
  }
}

/** The real path of a context entry, which must exist and stay inside the context once links are followed. */
async function realInside(root: string, rel: string, fail: (m: string) => Error): Promise<string> {
  let real: string;
  try {
    real = await fs.realpath(path.join(root, ...rel.split('/').filter(Boolean)));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw fail(`${rel || '.'} not found in the build context (or a link in it is broken)`);
    throw err;
  }
  if (real !== root && !real.startsWith(root + path.sep)) throw fail(`${rel} is a symbolic link that leads out of the build context`);
  return real;
}

function checkName(name: string, rel: string, fail: (m: string) => Error): string {
  const problem = windowsNameProblem(name);
  if (problem) throw fail(`${rel}: the name ${problem}`);
  return name;
}

function hasWildcard(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}

/** Context paths matching a `/`-separated pattern, segment by segment; none is fine (BuildKit allows it). */
async function matchWildcard(root: string, pattern: string, fail: (m: string) => Error): Promise<string[]> {
  let found = [''];
  for (const segment of pattern.split('/')) {
    const next: string[] = [];
    for (const base of found) {
      if (!hasWildcard(segment)) {
        next.push(base === '' ? segment : `${base}/${segment}`);
        continue;
      }
      const re = segmentRegExp(segment, fail);
      const names = await fs.readdir(path.join(root, ...base.split('/').filter(Boolean))).catch(() => [] as string[]);
      for (const name of names.sort()) if (re.test(name)) next.push(base === '' ? name : `${base}/${name}`);
    }
    found = next;
  }
  const existing: string[] = [];
  for (const candidate of found) if (await fs.lstat(path.join(root, ...candidate.split('/'))).then(() => true, () => false)) existing.push(candidate);
  return existing;
}

/** One path segment of a filepath.Match pattern: `*`, `?` and `[…]` / `[^…]` classes. */
function segmentRegExp(segment: string, fail: (m: string) => Error): RegExp {
  let out = '^';
  for (let i = 0; i < segment.length; i++) {
    const ch = segment[i]!;
    if (ch === '*') out += '.*';
    else if (ch === '?') out += '.';
    else if (ch === '[') {
      const close = segment.indexOf(']', i + 2);
      if (close === -1) throw fail(`bad pattern ${JSON.stringify(segment)}: unclosed [`);
      const body = segment.slice(i + 1, close);
      out += `[${body.startsWith('^') ? '^' + escapeClass(body.slice(1)) : escapeClass(body)}]`;
      i = close;
    } else out += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`${out}$`, 's');
}

function escapeClass(body: string): string {
  return body.replace(/[\\\]^[]/g, '\\$&');
}

/** gzip/bzip2/xz/zstd, or a tar: what Docker's ADD would try to extract. A .gz that is not a tar is just a file. */
async function looksLikeArchive(file: string): Promise<boolean> {
  const handle = await fs.open(file, 'r');
  let head: Buffer;
  try {
    const buffer = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    head = buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  if (head.subarray(0, 3).toString('latin1') === 'BZh') return true;
  if (head.subarray(0, 6).equals(XZ_MAGIC) || head.subarray(0, 4).equals(ZSTD_MAGIC)) return true;
  if (head[0] === 0x1f && head[1] === 0x8b) {
    try {
      // The first 64 KiB of a gzip, inflated as far as they go, show whether a tar is inside.
      return isTar(gunzipSync(head, { finishFlush: zlibConstants.Z_SYNC_FLUSH }));
    } catch {
      return false;
    }
  }
  return isTar(head);
}

const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

function isTar(head: Buffer): boolean {
  return head.length >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar';
}
