// The git source of a build: one bare mirror per repository (and token) under the cache directory, fetched
// into only when the wanted commit is missing, and the exact commit written into the job's directory (no .git).
//
// Mirrors are shallow: every fetch is `--depth=1` of exactly the commit or ref wanted. A build needs one
// tree, not history, and a depth-1 fetch into a mirror that holds an earlier commit still negotiates with
// it, so an incremental fetch carries only the objects that changed (one commit, a few trees and blobs),
// the same as a full-history mirror would, while the first clone is a fraction of a full one. Fetching
// `--depth=1` every time (not a plain fetch into a shallow mirror) keeps a branch forked long ago from
// dragging in its whole history. A mirror that is cheap to rebuild can also simply be deleted whenever a
// fetch is interrupted, rather than repaired.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { BadInputError } from '../../src/errors.js';
import { GitError, isGitError, type GitErrorCode } from '../../src/git/errors.js';
import { parseCommitSha, parseGitRef } from '../../src/git/refs.js';
import { checkGitUrl, repositoryKey, type GitRemote, type GitUrlPolicy } from '../../src/git/url.js';
import type { SecretMasker } from '../../src/log.js';
import type { Lookup } from '../../src/git/host-check.js';
import { openRemote } from '../../src/git/remote.js';
import { MirrorLocks } from './git-lock.js';
import { objectsAdded, packObjectCounts } from './git-packs.js';
import { MirrorRepository } from './git-repository.js';
import { resolveCommit, type Wanted } from './git-resolve.js';
import { directoryBytes } from './git-size.js';
import { listSubmodules, type Submodule } from './git-submodules.js';
import { directoryInside, prepareDestination, writeTree } from './git-tree.js';

export interface GitMirrorCacheOptions {
  /** Cache root: mirrors/, an empty home/ for git, tmp/ for index files. */
  dir: string;
  masker: SecretMasker;
  limits: {
    /** Everything one checkout does with git (submodules included) must finish within this. */
    cloneTimeoutMs: number;
    /** A mirror larger than this after a fetch is deleted and the checkout fails. */
    maxRepoBytes: number;
  };
  policy: GitUrlPolicy;
  /** Variables git may see from the worker's configuration (PATH, proxies, GIT_SSH_COMMAND). */
  env?: Readonly<Record<string, string>>;
  gitBinary?: string;
  /** How host names are resolved for the private-network check. */
  lookup?: Lookup;
}

export interface GitCheckoutOptions {
  url: string;
  /** Branch, tag, full ref (refs/pull/1/head) or SHA; the default branch when absent. */
  ref?: string;
  /** The exact commit to build (full SHA); the ref then only names the branch. */
  commit?: string;
  /** Sent as an HTTP header to the repository's origin (and to submodules on the same origin). */
  token?: string;
  submodules?: boolean;
  /** Build context directory inside the repository, already normalised (src/git/context.ts). */
  subdir?: string;
  /** Empty or missing directory the tree is written into. */
  dest: string;
  signal?: AbortSignal;
  /** git's output, a line at a time, masked. */
  onLine?: (line: string) => void;
}

export type FetchKind = 'clone' | 'incremental' | 'cached';

export interface GitCheckout {
  commit: string;
  branch?: string;
  fetched: FetchKind;
  /** Size of the repository's mirror after the checkout. */
  bytes: number;
  /** Objects in the pack this checkout's fetch wrote (0 when cached); a thin pack is completed with the local bases of its deltas. */
  objects: number;
  /** `dest`, or the subdir inside it (checked to be a real directory). */
  contextDir: string;
  submodules: (Submodule & { fetched: FetchKind })[];
}

const MAX_SUBMODULE_DEPTH = 8;
/** Every fetch adds a pack; past this many the mirror is compacted (git's own gc.autoPackLimit). */
const MAX_PACKS = 50;
/** Failures of a fetch that leave the mirror as it was: the remote said no before sending anything. */
const CLEAN_FAILURES = new Set<GitErrorCode>(['git_unauthorized', 'git_denied', 'git_repository_not_found', 'git_ref_not_found', 'git_commit_not_found', 'git_redirect', 'git_unavailable']);
const FETCH_MARKER = 'slipway-fetch-in-progress';

export class GitMirrorCache {
  private readonly locks = new MirrorLocks();

  constructor(private readonly opts: GitMirrorCacheOptions) {}

  /**
   * The mirror directory of a repository URL and the token it is fetched with. A private repository's
   * objects fetched with one token are never checked out for a request without it, or with another (a
   * task must not build a commit it could not fetch itself); the cost is a mirror per token in use.
   */
  mirrorDir(url: string, token?: string): string {
    const key = token === undefined ? repositoryKey(url) : `${repositoryKey(url)}\ntoken:${createHash('sha256').update(token).digest('hex')}`;
    return path.join(this.opts.dir, 'mirrors', `${createHash('sha256').update(key).digest('hex')}.git`);
  }

  async checkout(opts: GitCheckoutOptions): Promise<GitCheckout> {
    const deadline = Date.now() + this.opts.limits.cloneTimeoutMs;
    try {
      return await this.checkoutRepository(opts, deadline, 0);
    } catch (err) {
      if (opts.signal?.aborted && !isGitError(err)) throw new GitError('git_aborted', `checking out ${opts.url} was stopped`);
      throw maskError(err, this.opts.masker);
    }
  }

  private async checkoutRepository(opts: GitCheckoutOptions, deadline: number, depth: number): Promise<GitCheckout> {
    const wanted: Wanted = { ref: parseGitRef(opts.ref), ...(opts.commit === undefined ? {} : { commit: parseCommitSha(opts.commit) }) };
    const { remote, git, tokenGiven } = await openRemote({
      url: opts.url,
      token: opts.token,
      policy: this.opts.policy,
      home: path.join(this.opts.dir, 'home'),
      masker: this.opts.masker,
      env: this.opts.env,
      binary: this.opts.gitBinary,
      lookup: this.opts.lookup,
    });
    await prepareDestination(opts.dest);
    await Promise.all(['mirrors', 'home', 'tmp'].map((d) => fs.mkdir(path.join(this.opts.dir, d), { recursive: true })));
    const repo = new MirrorRepository({
      git,
      dir: this.mirrorDir(remote.url, tokenGiven ? opts.token : undefined),
      url: remote.url,
      tokenGiven,
      deadline,
      timeoutMs: this.opts.limits.cloneTimeoutMs,
      signal: opts.signal,
      onLine: opts.onLine,
    });

    const release = await this.locks.acquire(mirrorLockFile(repo.dir), { signal: opts.signal });
    let result: Omit<GitCheckout, 'contextDir' | 'submodules'>;
    let submodules: Submodule[];
    try {
      result = await this.update(repo, wanted);
      // The mirror's mtime is when it was last used: the janitor evicts the least recently used first.
      await fs.utimes(repo.dir, new Date(), new Date()).catch(() => undefined);
      const written = await writeTree(git, repo.dir, result.commit, opts.dest, path.join(this.opts.dir, 'tmp'), { deadline, signal: opts.signal, onLine: opts.onLine });
      if (written.killed || written.code !== 0) throw checkoutFailure(written, remote.url, result.commit, this.opts.limits.cloneTimeoutMs);
      submodules = opts.submodules ? await listSubmodules(repo, result.commit) : [];
    } finally {
      await release();
    }

    const contextDir = opts.subdir ? await directoryInside(opts.dest, opts.subdir, 'context directory') : opts.dest;
    if (submodules.length > 0 && depth >= MAX_SUBMODULE_DEPTH) {
      throw new BadInputError(`submodules of ${remote.url} nest deeper than ${MAX_SUBMODULE_DEPTH} levels`, 'invalid_git_submodule');
    }
    const checkedOut: GitCheckout['submodules'] = [];
    for (const sub of submodules) {
      opts.onLine?.(`Submodule '${sub.name}' (${sub.url}) at ${sub.commit} for path '${sub.path}'`);
      const dest = await directoryInside(opts.dest, sub.path, 'submodule path');
      const inner = await this.checkoutRepository(
        { url: sub.url, commit: sub.commit, token: sameOrigin(remote, sub.url) ? opts.token : undefined, submodules: true, dest, signal: opts.signal, onLine: opts.onLine },
        deadline,
        depth + 1,
      ).catch((err: unknown) => {
        if (isGitError(err) || err instanceof Error) err.message = `submodule ${sub.path}: ${err.message}`;
        throw err;
      });
      checkedOut.push({ ...sub, fetched: inner.fetched }, ...inner.submodules.map((s) => ({ ...s, path: `${sub.path}/${s.path}` })));
    }
    return { ...result, contextDir, submodules: checkedOut };
  }

  /** Under the mirror's lock: make sure the wanted commit is in the mirror, fetching only if it is not. */
  private async update(repo: MirrorRepository, wanted: Wanted): Promise<Omit<GitCheckout, 'contextDir' | 'submodules'>> {
    if (await exists(path.join(repo.dir, FETCH_MARKER))) await fs.rm(repo.dir, { recursive: true, force: true }); // a fetch died midway
    const fresh = !(await exists(path.join(repo.dir, 'HEAD')));
    if (fresh) {
      await fs.rm(repo.dir, { recursive: true, force: true });
      await repo.create();
    }
    try {
      const before = await packObjectCounts(repo.dir);
      const resolved = await resolveCommit(repo, wanted, (refspecs) => this.fetch(repo, refspecs));
      const bytes = await directoryBytes(repo.dir);
      if (bytes > this.opts.limits.maxRepoBytes) throw await this.tooLarge(repo);
      let objects = 0;
      if (resolved.fetched) {
        const after = await packObjectCounts(repo.dir);
        objects = objectsAdded(before, after);
        if (after.size >= MAX_PACKS) await this.compact(repo);
      }
      const fetched: FetchKind = !resolved.fetched ? 'cached' : fresh ? 'clone' : 'incremental';
      return { commit: resolved.commit, ...(resolved.branch ? { branch: resolved.branch } : {}), fetched, bytes, objects };
    } catch (err) {
      if (fresh) await fs.rm(repo.dir, { recursive: true, force: true }); // no empty mirrors of repositories that failed
      throw err;
    }
  }

  /** One fetch, watched for size; a fetch that is killed or fails midway takes the mirror with it. */
  private async fetch(repo: MirrorRepository, refspecs: string[]): Promise<void> {
    const marker = path.join(repo.dir, FETCH_MARKER);
    await fs.writeFile(marker, '');
    const tooBig = new AbortController();
    const objectsDir = path.join(repo.dir, 'objects');
    let checking = false;
    const watchdog = setInterval(() => {
      if (checking) return;
      checking = true;
      directoryBytes(objectsDir)
        .then((b) => b > this.opts.limits.maxRepoBytes && tooBig.abort())
        .catch(() => {})
        .finally(() => (checking = false));
    }, 250);
    try {
      const signals = [tooBig.signal, ...(repo.signal ? [repo.signal] : [])];
      await repo.fetch(refspecs, AbortSignal.any(signals));
    } catch (err) {
      if (tooBig.signal.aborted) throw await this.tooLarge(repo);
      if (isGitError(err) && CLEAN_FAILURES.has(err.code)) await fs.rm(marker, { force: true });
      else await fs.rm(repo.dir, { recursive: true, force: true });
      throw err;
    } finally {
      clearInterval(watchdog);
    }
    await fs.rm(marker, { force: true });
  }

  /** A failed compaction leaves a valid mirror with many packs: not a reason to fail the build. */
  private async compact(repo: MirrorRepository): Promise<void> {
    try {
      await repo.compact();
    } catch (err) {
      if (isGitError(err) && (err.code === 'git_timeout' || err.code === 'git_aborted')) throw err;
    }
  }

  private async tooLarge(repo: MirrorRepository): Promise<GitError> {
    await fs.rm(repo.dir, { recursive: true, force: true });
    const mib = Math.round(this.opts.limits.maxRepoBytes / 1024 / 1024);
    return new GitError('git_repository_too_large', `${repo.url} is larger than the ${mib} MiB a git repository may take on a worker`);
  }
}

/** The lock file every writer of a mirror (a checkout, the janitor evicting it) holds. */
export function mirrorLockFile(mirrorDir: string): string {
  return `${mirrorDir}.lock`;
}

function checkoutFailure(res: { killed?: string; stderr: string }, url: string, commit: string, timeoutMs: number): GitError {
  if (res.killed === 'deadline') return new GitError('git_timeout', `checking out ${url} did not finish within ${Math.round(timeoutMs / 1000)} s`);
  if (res.killed) return new GitError('git_aborted', `checking out ${url} was stopped`);
  return new GitError('git_failed', `writing the files of ${commit} from ${url} failed: ${res.stderr.split('\n').slice(-3).join(' ')}`);
}

/** A token goes to a submodule only on the very origin it was given for. */
function sameOrigin(remote: GitRemote, url: string): boolean {
  try {
    const other = checkGitUrl(url, { allowInsecure: true, allowPrivateHosts: true, allowFile: true });
    return other.transport === remote.transport && other.host === remote.host && other.port === remote.port;
  } catch {
    return false;
  }
}

function maskError(err: unknown, masker: SecretMasker): unknown {
  if (err instanceof Error && masker.size > 0) {
    err.message = masker.mask(err.message);
    if (err.stack) err.stack = masker.mask(err.stack);
  }
  return err;
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}
