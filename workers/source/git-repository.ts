// The git commands the mirror cache runs against one bare mirror and its remote, each turned into a
// result or a GitError: a kill on the deadline is a timeout, a kill on the signal an abort, and a failure
// is read by the one table in src/git/failure.ts.
import { GitError } from '../../src/git/errors.js';
import { gitFailure } from '../../src/git/failure.js';
import { parseGitlinks, parseLsRemote, parseSubmoduleConfig, type AdvertisedRef, type Gitlink, type SubmoduleConfig } from '../../src/git/output.js';
import type { GitCli, GitRunResult } from '../../src/git/command.js';

export interface MirrorRepositoryInit {
  git: GitCli;
  /** The bare mirror directory. */
  dir: string;
  /** Canonical, credential-free URL of the remote. */
  url: string;
  tokenGiven: boolean;
  /** Epoch ms by which everything must be done, and the limit it came from (for the message). */
  deadline: number;
  timeoutMs: number;
  signal?: AbortSignal;
  onLine?: (line: string) => void;
}

export class MirrorRepository {
  constructor(private readonly init: MirrorRepositoryInit) {}

  get dir(): string {
    return this.init.dir;
  }

  get url(): string {
    return this.init.url;
  }

  get signal(): AbortSignal | undefined {
    return this.init.signal;
  }

  async create(): Promise<void> {
    await this.local(['init', '--quiet', '--bare', '--template=', this.init.dir], 'creating the mirror of');
  }

  /** The remote's refs matching `patterns` exactly (`HEAD` also reports what it points at). */
  async listRemote(patterns: string[]): Promise<{ refs: AdvertisedRef[]; head?: string }> {
    const symref = patterns.includes('HEAD') ? ['--symref'] : [];
    const res = await this.remote(['ls-remote', ...symref, '--end-of-options', this.init.url, ...patterns], 'listing the refs of');
    const parsed = parseLsRemote(res.stdout);
    return { ...parsed, refs: parsed.refs.filter((r) => patterns.includes(r.name)) };
  }

  /** Fetches `refspecs` one commit deep (see git-mirror.ts for why shallow). */
  async fetch(refspecs: string[], signal?: AbortSignal): Promise<void> {
    // Maintenance is run by the cache (see compact), not after every fetch: one process fewer per fetch.
    const args = ['fetch', '--depth=1', '--no-tags', '--no-write-fetch-head', '--no-auto-maintenance', '--progress', '--end-of-options', this.init.url, ...refspecs];
    await this.remote(args, 'fetching', signal);
  }

  /** Repacks the mirror into one pack and drops what nothing refers to any more (the usual gc grace applies). */
  async compact(): Promise<void> {
    await this.local(['--git-dir', this.init.dir, 'gc', '--quiet'], 'compacting the mirror of');
  }

  /** The commit `rev` names (directly or through a tag) when it is in the mirror, else undefined. */
  async commitIfPresent(rev: string): Promise<string | undefined> {
    const res = await this.probe(['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`]);
    return res.code === 0 ? res.stdout.trim() : undefined;
  }

  /** The commit `rev` names, which must be present. */
  async commitOf(rev: string): Promise<string> {
    const sha = await this.commitIfPresent(rev);
    if (!sha) throw new GitError('git_commit_not_found', `${this.init.url} has no commit ${rev}`);
    return sha;
  }

  /** The submodules `.gitmodules` declares at `sha` (none when it has no .gitmodules). */
  async submoduleConfig(sha: string): Promise<SubmoduleConfig[]> {
    if ((await this.probe(['cat-file', '-e', `${sha}:.gitmodules`])).code !== 0) return [];
    const res = await this.local(['--git-dir', this.init.dir, 'config', '-z', '--blob', `${sha}:.gitmodules`, '--list'], 'reading .gitmodules of');
    return parseSubmoduleConfig(res.stdout);
  }

  async gitlinks(sha: string): Promise<Gitlink[]> {
    return parseGitlinks((await this.local(['--git-dir', this.init.dir, 'ls-tree', '-r', '-z', '--end-of-options', sha], 'listing the tree of')).stdout);
  }

  /** A command against the mirror whose exit code is the answer; its complaints are not output. */
  private async probe(args: string[]): Promise<GitRunResult> {
    const res = await this.init.git.run(['--git-dir', this.init.dir, ...args], { deadline: this.init.deadline, signal: this.init.signal });
    return this.interrupted(res, 'reading the mirror of');
  }

  private local(args: string[], operation: string): Promise<GitRunResult> {
    return this.checked(args, operation);
  }

  private remote(args: string[], operation: string, signal?: AbortSignal): Promise<GitRunResult> {
    return this.checked(['--git-dir', this.init.dir, ...args], operation, signal);
  }

  private async checked(args: string[], operation: string, signal = this.init.signal): Promise<GitRunResult> {
    const res = this.interrupted(await this.init.git.run(args, { deadline: this.init.deadline, signal, onLine: this.init.onLine }), operation);
    if (res.code !== 0) throw gitFailure(res.stderr, { url: this.init.url, operation, tokenGiven: this.init.tokenGiven });
    return res;
  }

  private interrupted(res: GitRunResult, operation: string): GitRunResult {
    if (res.killed === 'deadline') throw new GitError('git_timeout', `${operation} ${this.init.url} did not finish within ${Math.round(this.init.timeoutMs / 1000)} s`);
    if (res.killed === 'signal') throw new GitError('git_aborted', `${operation} ${this.init.url} was stopped`);
    return res;
  }
}
