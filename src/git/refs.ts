// What a task's `#ref` asks for: a full commit SHA, a full ref name (refs/pull/1/head), a short branch or
// tag name, or the default branch. Names follow `git check-ref-format`, so none can be read as an option.
import { BadInputError } from '../errors.js';

export type GitRef =
  | { kind: 'default' }
  | { kind: 'commit'; sha: string }
  /** A full name, e.g. `refs/heads/main`, `refs/tags/v1`, `refs/pull/1/head`. */
  | { kind: 'full'; name: string }
  /** A branch or tag name; git's rules make the tag win when both exist. */
  | { kind: 'short'; name: string };

const SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const MAX_REF_LENGTH = 255;

export function isCommitSha(value: string): boolean {
  return SHA.test(value);
}

/** Parses a ref as written after `#` (empty or `HEAD` is the default branch). */
export function parseGitRef(input: string | undefined): GitRef {
  if (input === undefined || input === '' || input === 'HEAD') return { kind: 'default' };
  if (isCommitSha(input.toLowerCase())) return { kind: 'commit', sha: input.toLowerCase() };
  const problem = refNameProblem(input);
  if (problem) throw new BadInputError(`invalid git ref ${JSON.stringify(input)}: ${problem}`, 'invalid_git_ref');
  if (input.startsWith('refs/')) {
    if (input.split('/').length < 3) throw new BadInputError(`invalid git ref ${JSON.stringify(input)}: a full ref name has at least three parts (refs/heads/main)`, 'invalid_git_ref');
    return { kind: 'full', name: input };
  }
  return { kind: 'short', name: input };
}

/** Checks a commit given on its own: only a full SHA can be fetched by id. */
export function parseCommitSha(input: string): string {
  const sha = input.toLowerCase();
  if (!isCommitSha(sha)) throw new BadInputError(`invalid commit ${JSON.stringify(input)}: give the full 40-character SHA`, 'invalid_git_ref');
  return sha;
}

/** Why `name` is not a valid ref name (the rules of `git check-ref-format`), or undefined. */
export function refNameProblem(name: string): string | undefined {
  if (name.length > MAX_REF_LENGTH) return `it is longer than ${MAX_REF_LENGTH} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0020\u007f]/.test(name)) return 'it contains whitespace or control characters';
  if (/[^\x21-\x7e]/.test(name)) return 'it contains non-ASCII characters';
  if (/[~^:?*[\\]/.test(name)) return 'it contains one of ~ ^ : ? * [ \\';
  if (name.startsWith('-')) return 'it starts with "-"';
  if (name.includes('..')) return 'it contains ".."';
  if (name.includes('@{') || name === '@') return 'it contains "@{"';
  if (name.startsWith('/') || name.endsWith('/') || name.includes('//')) return 'it has an empty path component';
  if (name.endsWith('.')) return 'it ends with "."';
  for (const part of name.split('/')) {
    if (part.startsWith('.')) return 'a path component starts with "."';
    if (part.endsWith('.lock')) return 'a path component ends with ".lock"';
  }
  return undefined;
}
