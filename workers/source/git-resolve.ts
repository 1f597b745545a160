// Which commit a job builds, and the least network work to have it in the mirror: nothing when a given
// commit is already there; one `ls-remote` when only a ref is given and its head is already there; else
// one shallow fetch of exactly that commit or ref, into a mirror that may already hold its neighbours.
import { BadInputError } from '../../src/errors.js';
import { GitError, isGitError } from '../../src/git/errors.js';
import type { GitRef } from '../../src/git/refs.js';
import type { MirrorRepository } from './git-repository.js';

export interface Wanted {
  ref: GitRef;
  /** Full SHA; when given it is what is built, the ref only names the branch. */
  commit?: string;
}

export interface Resolved {
  commit: string;
  branch?: string;
  /** Whether the mirror had to fetch. */
  fetched: boolean;
}

/** Where a commit fetched by id is kept, so it stays a negotiation base and safe from gc until the next one. */
const FETCHED_COMMIT_REF = 'refs/slipway/commit';

export type Fetch = (refspecs: string[]) => Promise<void>;

export async function resolveCommit(repo: MirrorRepository, wanted: Wanted, fetch: Fetch): Promise<Resolved> {
  const { ref } = wanted;
  if (ref.kind === 'commit' && wanted.commit !== undefined && ref.sha !== wanted.commit) {
    throw new BadInputError(`the ref ${ref.sha} and the commit ${wanted.commit} disagree; give one of them`, 'invalid_git_ref');
  }
  if (wanted.commit !== undefined) return resolveGivenCommit(repo, wanted.commit, ref, fetch);
  if (ref.kind === 'commit') return resolveGivenCommit(repo, ref.sha, ref, fetch);
  const advertised = await advertisedRef(repo, ref);
  const branch = branchOf(advertised.name);
  const present = await repo.commitIfPresent(advertised.sha);
  if (present) return { commit: present, branch, fetched: false };
  // What ls-remote saw is what is built, even if the ref moves meanwhile. Tags are fetched by name, so the
  // tag object comes along with its commit.
  const local = advertised.name === 'HEAD' ? FETCHED_COMMIT_REF : advertised.name;
  const byName = `+${advertised.name}:${local}`;
  if (advertised.name.startsWith('refs/tags/')) await fetch([byName]);
  else await fetchById(advertised.sha, local, byName, fetch);
  return { commit: await repo.commitOf(local), branch, fetched: true };
}

async function resolveGivenCommit(repo: MirrorRepository, commit: string, ref: GitRef, fetch: Fetch): Promise<Resolved> {
  const branch = ref.kind === 'full' ? branchOf(ref.name) : undefined;
  const present = await repo.commitIfPresent(commit);
  if (present) return { commit: present, branch, fetched: false };
  await fetchById(commit, FETCHED_COMMIT_REF, ref.kind === 'full' ? `+${ref.name}:${ref.name}` : undefined, fetch);
  const fetched = await repo.commitIfPresent(commit);
  if (!fetched) throw new GitError('git_commit_not_found', `${repo.url} has no commit ${commit} in the fetched history${ref.kind === 'full' ? ` of ${ref.name}` : ''}`);
  return { commit: fetched, branch, fetched: true };
}

/**
 * Fetches a commit by id: under protocol v2 that is one request fewer than by name (no ref listing).
 * A server that refuses ids (protocol v0 without uploadpack.allowReachableSHA1InWant) gets the ref's name.
 */
async function fetchById(sha: string, local: string, fallback: string | undefined, fetch: Fetch): Promise<void> {
  try {
    await fetch([`+${sha}:${local}`]);
  } catch (err) {
    if (!(isGitError(err) && err.code === 'git_commit_not_found') || fallback === undefined) throw err;
    await fetch([fallback]);
  }
}

/** The remote ref a non-commit ref means, and its current value (a tag's value is the tag object). */
async function advertisedRef(repo: MirrorRepository, ref: Exclude<GitRef, { kind: 'commit' }>): Promise<{ name: string; sha: string }> {
  if (ref.kind === 'default') {
    const { refs, head } = await repo.listRemote(['HEAD']);
    const sha = refs.find((r) => r.name === 'HEAD')?.sha;
    if (!sha) throw new GitError('git_ref_not_found', `${repo.url} is empty (it has no default branch)`);
    return { name: head ?? 'HEAD', sha };
  }
  if (ref.kind === 'full') {
    const { refs } = await repo.listRemote([ref.name]);
    if (!refs[0]) throw new GitError('git_ref_not_found', `${repo.url} has no ref ${ref.name}`);
    return refs[0];
  }
  // A short name is a tag or a branch, the tag first, as git resolves it.
  const tag = `refs/tags/${ref.name}`;
  const head = `refs/heads/${ref.name}`;
  const { refs } = await repo.listRemote([tag, head]);
  const found = refs.find((r) => r.name === tag) ?? refs.find((r) => r.name === head);
  if (found) return found;
  const hint = /^[0-9a-f]{4,39}$/i.test(ref.name) ? '; a commit must be given as its full 40-character SHA' : '';
  throw new GitError('git_ref_not_found', `${repo.url} has no branch or tag ${ref.name}${hint}`);
}

function branchOf(name: string): string | undefined {
  return name.startsWith('refs/heads/') ? name.slice('refs/heads/'.length) : undefined;
}
