// A build context that is a git repository, as ACR Tasks and docker build write it:
// `<repository-url>[#<ref>[:<subdir>]]`, e.g. `https://github.com/o/r.git#main:docker`,
// `https://github.com/o/r.git#refs/pull/1/head`, `git@github.com:o/r.git#<sha>`, `https://…/r.git#:sub`.
import { BadInputError } from '../errors.js';
import { parseGitRef } from './refs.js';
import { checkGitUrl, DEFAULT_GIT_URL_POLICY, type GitUrlPolicy } from './url.js';

export interface GitContext {
  /** Canonical repository URL (what git is given). */
  url: string;
  /** Branch, tag, full ref or commit SHA; absent for the default branch. */
  ref?: string;
  /** Directory inside the repository used as the build context, normalised (`a/b`), never `..`. */
  subdir?: string;
}

const MAX_SUBDIR_LENGTH = 1024;

/** Splits and checks a git build context; throws a BadInputError saying what is wrong. */
export function parseGitContext(input: string, policy: GitUrlPolicy = DEFAULT_GIT_URL_POLICY): GitContext {
  const hash = input.indexOf('#');
  const url = checkGitUrl(hash === -1 ? input : input.slice(0, hash), policy).url;
  if (hash === -1) return { url };
  const fragment = input.slice(hash + 1);
  const colon = fragment.indexOf(':');
  const ref = colon === -1 ? fragment : fragment.slice(0, colon);
  parseGitRef(ref);
  const subdir = colon === -1 ? undefined : parseSubdir(fragment.slice(colon + 1));
  return { url, ...(ref === '' ? {} : { ref }), ...(subdir === undefined ? {} : { subdir }) };
}

/** Normalises a context subdirectory (`./a//b/` → `a/b`); `''` and `.` mean the root (undefined). */
export function parseSubdir(input: string): string | undefined {
  const fail = (reason: string): never => {
    throw new BadInputError(`invalid context directory ${JSON.stringify(input.slice(0, 200))}: ${reason}`, 'invalid_git_subdir');
  };
  if (input.length > MAX_SUBDIR_LENGTH) fail(`it is longer than ${MAX_SUBDIR_LENGTH} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(input)) fail('it contains control characters');
  if (input.includes('\\')) fail('it contains a backslash; use /');
  if (input.startsWith('/')) fail('it is absolute; give a path inside the repository');
  const parts = input.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) fail('it contains ".."');
  if (parts.some((p) => p.toLowerCase() === '.git')) fail('it names the .git directory');
  return parts.length === 0 ? undefined : parts.join('/');
}

/**
 * Whether a context string is a git repository rather than a local folder or a tarball URL, by Docker's
 * rules: git://, git@, ssh:// and github.com/ prefixes, or an http(s) URL whose path ends in `.git`.
 */
export function looksLikeGitContext(input: string): boolean {
  if (/^(?:git:\/\/|git@|ssh:\/\/|git\+ssh:\/\/|github\.com\/)/i.test(input)) return true;
  return /^https?:\/\/[^#]+\.git(?:#.*)?$/i.test(input);
}
