// What a build context sends, as `docker build` decides it: the context root, the Dockerfile (inside or
// outside it), .dockerignore (or <Dockerfile>.dockerignore, as BuildKit reads it) applied with Docker's
// rules, and every entry in sorted order (the Dockerfile first) with its tar header and the file stats the
// context cache compares.
// Nothing here reads file contents: packing (context-pack.ts) does, and a cache hit never needs to.
// The file system is asked synchronously: each stat through libuv's thread pool pays a hand-off that
// outweighs the stat itself on small contexts. The walk yields to the event loop every
// YIELD_EVERY entries, so a Ctrl-C during a huge walk is still heard.
import fs, { type BigIntStats } from 'node:fs';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import dockerignore, { type Ignore } from '@balena/dockerignore';
import type { Header } from 'tar-stream';
import { checkEntry, newArchiveState } from '../contexts/archive-rules.js';
import { BadInputError } from '../errors.js';

// The package is CommonJS with a `default` that TypeScript, under NodeNext, only sees as a property.
const ignore = dockerignore.default;
export type EntryHeader = Partial<Header> & Pick<Header, 'name'>;

/** Where a Dockerfile from outside the context travels inside the archive. */
export const OUTSIDE_DOCKERFILE = '.slipway/Dockerfile';

const YIELD_EVERY = 1000;

export interface ContextEntry {
  header: EntryHeader;
  /** The file whose content goes with a 'file' header. */
  source?: string;
  /** The entry's lstat, with nanosecond times: what tells a later build that nothing changed. */
  stat: BigIntStats;
}

export interface ContextListing {
  root: string;
  /** The Dockerfile's absolute path. */
  dockerfile: string;
  /** Where the Dockerfile is inside the archive, '/'-separated: what the server is told to build. */
  archiveDockerfile: string;
  /** The ignore file that applied and its text. */
  ignoreFile?: { path: string; text: string };
  entries: ContextEntry[];
  /** Epoch ms just before the first stat: files changed since then (or just before) cannot be trusted by stats. */
  listedAt: number;
}

export async function listContext(dir: string, opts: { dockerfile?: string } = {}): Promise<ContextListing> {
  const listedAt = Date.now();
  const root = contextRoot(dir);
  const dockerfile = locateDockerfile(root, opts.dockerfile);
  const ignoreFile = readIgnoreFile(root, dockerfile.abs);
  const rules = new DockerIgnore(ignoreFile?.text ?? '');
  const kept = new Set(['.dockerignore']);
  if (dockerfile.rel !== undefined) kept.add(dockerfile.rel);
  const ignoreRel = ignoreFile && path.relative(root, ignoreFile.path);
  if (ignoreRel && !ignoreRel.startsWith(`..${path.sep}`)) kept.add(ignoreRel.split(path.sep).join('/'));
  const entries = await new ContextWalker(root, rules, kept).walk();
  if (dockerfile.rel === undefined) {
    if (entries.some((e) => e.header.name === '.slipway' || e.header.name.startsWith('.slipway/'))) {
      throw new BadInputError(`the context has a .slipway entry, where the Dockerfile from outside the context would go; move the Dockerfile into ${root}, or add .slipway to .dockerignore`);
    }
    const stat = fs.statSync(dockerfile.abs, { bigint: true });
    entries.push({ header: headerOf(OUTSIDE_DOCKERFILE, stat, ''), source: dockerfile.abs, stat });
  }
  const archiveDockerfile = dockerfile.rel ?? OUTSIDE_DOCKERFILE;
  return { root, dockerfile: dockerfile.abs, archiveDockerfile, ignoreFile, entries: dockerfileFirst(entries, archiveDockerfile), listedAt };
}

/**
 * The Dockerfile first, after the directories it is in: the worker reads it from the stored archive before
 * the build starts, and stops there instead of decompressing the whole context. Left in sorted order when
 * a directory on its way is a symlink, which the server's archive check refuses to write beneath anyway.
 */
function dockerfileFirst(entries: ContextEntry[], archiveDockerfile: string): ContextEntry[] {
  const parts = archiveDockerfile.split('/');
  const chain = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  const first = chain.flatMap((name) => entries.filter((e) => e.header.name === name));
  if (first.at(-1)?.header.name !== archiveDockerfile || first.some((e) => e.header.type === 'symlink')) return entries;
  return [...first, ...entries.filter((e) => !first.includes(e))];
}

function contextRoot(dir: string): string {
  if (!statOf(dir)?.isDirectory()) throw new BadInputError(`build context ${dir} is not a directory; pass the directory to build from`);
  return fs.realpathSync.native(dir);
}

/** The Dockerfile's absolute path, and its path inside the context when it is inside. */
function locateDockerfile(root: string, given: string | undefined): { abs: string; rel?: string } {
  let abs = given ? path.resolve(given) : path.join(root, 'Dockerfile');
  if (!given && !isFile(abs) && isFile(path.join(root, 'dockerfile'))) abs = path.join(root, 'dockerfile');
  if (!isFile(abs)) {
    throw new BadInputError(`Dockerfile not found: ${abs}; create it, or point to it with -f/--file`, 'dockerfile_not_found');
  }
  const relDir = path.relative(root, fs.realpathSync.native(path.dirname(abs)));
  if (relDir === '..' || relDir.startsWith(`..${path.sep}`) || path.isAbsolute(relDir)) return { abs };
  return { abs, rel: path.posix.join(relDir.split(path.sep).join('/'), path.basename(abs)) };
}

function isFile(p: string): boolean {
  return statOf(p)?.isFile() ?? false;
}

/** The stat of `p`, following links; undefined when it cannot be had (missing, or a loop, or no access). */
function statOf(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

/** <Dockerfile>.dockerignore next to the Dockerfile wins over the context's .dockerignore, as in BuildKit. */
function readIgnoreFile(root: string, dockerfile: string): { path: string; text: string } | undefined {
  for (const candidate of [`${dockerfile}.dockerignore`, path.join(root, '.dockerignore')]) {
    try {
      return { path: candidate, text: fs.readFileSync(candidate, 'utf8') };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return undefined;
}

/** Docker's .dockerignore rules, and whether an exception may re-include something in an ignored directory. */
class DockerIgnore {
  private readonly matcher: Ignore;
  /** The `!` patterns, cleaned as Docker cleans them, split into components. */
  private readonly exceptions: string[][];

  constructor(text: string) {
    const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
    this.matcher = ignore({ ignorecase: false }).add(lines);
    this.exceptions = lines.flatMap((line) => {
      if (line.startsWith('#') || !line.trim().startsWith('!')) return [];
      const pattern = path.posix.normalize(line.trim().slice(1).trim()).replace(/^\/+|\/+$/g, '');
      return pattern === '' || pattern === '.' ? [] : [pattern.split('/')];
    });
  }

  ignores(rel: string): boolean {
    return this.matcher.ignores(rel);
  }

  /**
   * Whether some exception could match a path beneath the ignored directory `dir`. Only a pattern with
   * more components than `dir` can (fewer match `dir` and its children alike), and only if its leading
   * components match `dir`'s; a `**` among them could match anything, so it counts.
   */
  mayReinclude(dir: string): boolean {
    const depth = dir.split('/').length;
    return this.exceptions.some((parts) => {
      const head = parts.slice(0, depth);
      if (head.some((p) => p.includes('**'))) return true;
      if (parts.length <= depth) return false;
      const prefix = head.join('/');
      if (/^[!#]/.test(prefix)) return true; // not expressible as a pattern of its own; walk in to be safe
      return ignore({ ignorecase: false }).add(prefix).ignores(dir);
    });
  }
}

/** Lists what goes into the archive, depth first in sorted order, never reading an ignored directory it need not. */
class ContextWalker {
  private readonly entries: ContextEntry[] = [];
  private readonly state = newArchiveState({ entries: Infinity, unpackedBytes: Infinity });
  private sinceYield = 0;

  constructor(
    private readonly root: string,
    private readonly rules: DockerIgnore,
    /** Sent even when ignored (the Dockerfile and the ignore file), as docker does. */
    private readonly kept: ReadonlySet<string>,
  ) {}

  async walk(): Promise<ContextEntry[]> {
    await this.visit('');
    return this.entries;
  }

  private async visit(dirRel: string): Promise<void> {
    const names = fs.readdirSync(path.join(this.root, dirRel)).sort();
    for (const name of names) {
      if (++this.sinceYield === YIELD_EVERY) {
        this.sinceYield = 0;
        await nextTurn();
      }
      const rel = dirRel ? `${dirRel}/${name}` : name;
      if (rel === '.git') continue;
      const ignored = !this.kept.has(rel) && this.rules.ignores(rel);
      if (ignored && !this.mayHoldKept(rel)) continue;
      const abs = path.join(this.root, rel);
      const stat = fs.lstatSync(abs, { bigint: true });
      if (ignored) {
        // Docker walks into such a directory but sends no entry for it; the unpacker makes the parent.
        if (stat.isDirectory()) await this.visit(rel);
        continue;
      }
      if (stat.isSocket()) continue; // docker skips sockets too
      const linkname = stat.isSymbolicLink() ? fs.readlinkSync(abs) : '';
      const header = headerOf(rel, stat, linkname);
      checkEntry(header, this.state); // refuse here what the server would refuse after the upload
      this.entries.push(stat.isFile() ? { header, source: abs, stat } : { header, stat });
      if (stat.isDirectory()) await this.visit(rel);
    }
  }

  private mayHoldKept(rel: string): boolean {
    if (this.rules.mayReinclude(rel)) return true;
    for (const kept of this.kept) if (kept.startsWith(`${rel}/`)) return true;
    return false;
  }
}

function headerOf(name: string, stat: BigIntStats, linkname: string): EntryHeader {
  const type = stat.isFile()
    ? 'file'
    : stat.isDirectory()
      ? 'directory'
      : stat.isSymbolicLink()
        ? 'symlink'
        : stat.isFIFO()
          ? 'fifo'
          : stat.isCharacterDevice()
            ? 'character-device'
            : 'block-device';
  // uid/gid are left at 0: the local user's ids mean nothing on the server and would change the digest.
  return { name, type, mode: Number(stat.mode & 0o7777n), size: type === 'file' ? Number(stat.size) : 0, mtime: stat.mtime, linkname };
}
