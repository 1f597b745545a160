// Packs a build context directory into a gzipped tar for upload, as `docker build` does: .dockerignore
// (or <Dockerfile>.dockerignore, as BuildKit reads it) applied with Docker's rules, entries in sorted order
// with their modes, mtimes and symlinks, streamed to a temporary file and hashed on the way.
import { createReadStream, createWriteStream, type Stats } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import dockerignore, { type Ignore } from '@balena/dockerignore';
import tar, { type Header } from 'tar-stream';
import { checkEntry, newArchiveState } from '../contexts/archive.js';
import { DigestMeter } from '../digest-meter.js';
import { BadInputError } from '../errors.js';

// The package is CommonJS with a `default` that TypeScript, under NodeNext, only sees as a property.
const ignore = dockerignore.default;
type EntryHeader = Partial<Header> & Pick<Header, 'name'>;

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

/** Where a Dockerfile from outside the context travels inside the archive. */
export const OUTSIDE_DOCKERFILE = '.slipway/Dockerfile';

interface ContextEntry {
  header: EntryHeader;
  /** The file whose content goes with a 'file' header. */
  source?: string;
}

export async function packContext(dir: string, opts: PackOptions = {}): Promise<PackedContext> {
  const root = await contextRoot(dir);
  const dockerfile = await locateDockerfile(root, opts.dockerfile);
  const { rules, ignoreFile } = await loadIgnoreRules(root, dockerfile.abs);
  const kept = new Set(['.dockerignore']);
  if (dockerfile.rel !== undefined) kept.add(dockerfile.rel);
  const ignoreRel = ignoreFile && path.relative(root, ignoreFile);
  if (ignoreRel && !ignoreRel.startsWith(`..${path.sep}`)) kept.add(ignoreRel.split(path.sep).join('/'));
  const entries = await new ContextWalker(root, rules, kept).walk();
  if (dockerfile.rel === undefined) {
    if (entries.some((e) => e.header.name === '.slipway' || e.header.name.startsWith('.slipway/'))) {
      throw new BadInputError(`the context has a .slipway entry, where the Dockerfile from outside the context would go; move the Dockerfile into ${root}, or add .slipway to .dockerignore`);
    }
    const stat = await fs.stat(dockerfile.abs);
    entries.push({ header: headerOf(OUTSIDE_DOCKERFILE, stat, ''), source: dockerfile.abs });
  }
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-context-'));
  let cleaning: Promise<void> | undefined;
  const cleanup = () => (cleaning ??= fs.rm(tmp, { recursive: true, force: true }));
  try {
    const out = path.join(tmp, 'context.tar.gz');
    const { digest, size } = await writeArchive(entries, out, opts.onProgress);
    return { path: out, digest, size, files: entries.length, dockerfile: dockerfile.rel ?? OUTSIDE_DOCKERFILE, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

async function contextRoot(dir: string): Promise<string> {
  const stat = await fs.stat(dir).catch(() => undefined);
  if (!stat?.isDirectory()) throw new BadInputError(`build context ${dir} is not a directory; pass the directory to build from`);
  return fs.realpath(dir);
}

/** The Dockerfile's absolute path, and its path inside the context when it is inside. */
async function locateDockerfile(root: string, given: string | undefined): Promise<{ abs: string; rel?: string }> {
  let abs = given ? path.resolve(given) : path.join(root, 'Dockerfile');
  if (!given && !(await isFile(abs)) && (await isFile(path.join(root, 'dockerfile')))) abs = path.join(root, 'dockerfile');
  if (!(await isFile(abs))) {
    throw new BadInputError(`Dockerfile not found: ${abs}; create it, or point to it with -f/--file`, 'dockerfile_not_found');
  }
  const relDir = path.relative(root, await fs.realpath(path.dirname(abs)));
  if (relDir === '..' || relDir.startsWith(`..${path.sep}`) || path.isAbsolute(relDir)) return { abs };
  return { abs, rel: path.posix.join(relDir.split(path.sep).join('/'), path.basename(abs)) };
}

async function isFile(p: string): Promise<boolean> {
  return (await fs.stat(p).catch(() => undefined))?.isFile() ?? false;
}

/** <Dockerfile>.dockerignore next to the Dockerfile wins over the context's .dockerignore, as in BuildKit. */
async function loadIgnoreRules(root: string, dockerfile: string): Promise<{ rules: DockerIgnore; ignoreFile?: string }> {
  for (const candidate of [`${dockerfile}.dockerignore`, path.join(root, '.dockerignore')]) {
    const text = await fs.readFile(candidate, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (text !== undefined) return { rules: new DockerIgnore(text), ignoreFile: candidate };
  }
  return { rules: new DockerIgnore('') };
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
    const names = (await fs.readdir(path.join(this.root, dirRel))).sort();
    for (const name of names) {
      const rel = dirRel ? `${dirRel}/${name}` : name;
      if (rel === '.git') continue;
      const ignored = !this.kept.has(rel) && this.rules.ignores(rel);
      if (ignored && !this.mayHoldKept(rel)) continue;
      const abs = path.join(this.root, rel);
      const stat = await fs.lstat(abs);
      if (ignored) {
        // Docker walks into such a directory but sends no entry for it; the unpacker makes the parent.
        if (stat.isDirectory()) await this.visit(rel);
        continue;
      }
      if (stat.isSocket()) continue; // docker skips sockets too
      const linkname = stat.isSymbolicLink() ? await fs.readlink(abs) : '';
      const header = headerOf(rel, stat, linkname);
      checkEntry(header, this.state); // refuse here what the server would refuse after the upload
      this.entries.push(stat.isFile() ? { header, source: abs } : { header });
      if (stat.isDirectory()) await this.visit(rel);
    }
  }

  private mayHoldKept(rel: string): boolean {
    if (this.rules.mayReinclude(rel)) return true;
    for (const kept of this.kept) if (kept.startsWith(`${rel}/`)) return true;
    return false;
  }
}

function headerOf(name: string, stat: Stats, linkname: string): EntryHeader {
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
  return { name, type, mode: stat.mode & 0o7777, size: type === 'file' ? stat.size : 0, mtime: stat.mtime, linkname };
}

async function writeArchive(entries: ContextEntry[], out: string, onProgress: PackOptions['onProgress']): Promise<{ digest: string; size: number }> {
  const meter = new DigestMeter();
  const pack = tar.pack();
  // Level 1: contexts are mostly already-compressed or small, and the upload is usually on a fast network;
  // the default level cost ~150 ms more per build for a few percent of size (bench/results).
  const writing = pipeline(pack, createGzip({ level: 1 }), meter, createWriteStream(out, { flags: 'wx' }));
  const totalGuess = entries.reduce((sum, e) => sum + (e.header.size ?? 0), 0);
  let bytesDone = 0;
  try {
    for (const { header, source } of entries) {
      if (source === undefined) {
        await new Promise<void>((resolve, reject) => pack.entry(header, (err) => (err ? reject(err) : resolve())));
        continue;
      }
      const content = createReadStream(source);
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
