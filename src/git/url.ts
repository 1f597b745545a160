// Git repository URLs, in pure functions: parsing (https, http, ssh, scp-like, git, file), the policy on
// which ones a worker may fetch, the key that makes differently written URLs of one repository equal, and
// submodule URLs relative to their superproject. The URL handed to git is the canonical form of what was
// checked, so git never reads a string differently from the check (`https:///h`, `0x7f.1`, IDN tricks).
import { isIP } from 'node:net';
import { BadInputError } from '../errors.js';
import { classifyHost, describeHostClass } from './hosts.js';

export type GitTransport = 'https' | 'http' | 'ssh' | 'git' | 'file';

export interface GitRemote {
  transport: GitTransport;
  /** What git is given: the canonical form of the input. */
  url: string;
  /** Lowercased host name or IP literal (IPv6 without brackets); empty for file URLs. */
  host: string;
  /** Only when not the transport's default. */
  port?: number;
  /** Path on the host as written (case kept); scp-like paths have no leading `/`. */
  path: string;
  /** ssh user (`git` in `git@github.com:o/r`). */
  user?: string;
}

export interface GitUrlPolicy {
  /** Allow http:// and git:// (unencrypted; a token would travel in the clear). */
  allowInsecure: boolean;
  /** Allow loopback, private-network, link-local and unspecified hosts. */
  allowPrivateHosts: boolean;
  /** Allow file:// repositories on the worker's own disk. */
  allowFile: boolean;
}

export const DEFAULT_GIT_URL_POLICY: Readonly<GitUrlPolicy> = Object.freeze({ allowInsecure: false, allowPrivateHosts: false, allowFile: false });

const MAX_URL_LENGTH = 2048;
const DEFAULT_PORTS: Record<GitTransport, number | undefined> = { https: 443, http: 80, ssh: 22, git: 9418, file: undefined };
const HOST_NAME = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*\.?$/;
const SSH_USER = /^[a-z0-9_][a-z0-9._-]*$/i;
// ssh://[user@]host[:port]/path and git://host[:port]/path; the host is either bracketed or free of : / @ [ ]
const AUTHORITY_URL = /^(?:([^@/]*)@)?(\[[^\]/]*\]|[^/:@[\]]*)(?::([^/]*))?(\/.*)?$/;
// [user@]host:path, where the first ':' comes before any '/'
const SCP_LIKE = /^(?:([^@/:]*)@)?(\[[^\]/]*\]|[^/:@[\]]+):(.*)$/;

export class InvalidGitUrlError extends BadInputError {
  override name = 'InvalidGitUrlError';
  constructor(input: string, reason: string, code = 'invalid_git_url') {
    super(`git repository URL ${JSON.stringify(shorten(input))} ${reason}`, code);
  }
}

function shorten(s: string): string {
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

/** Parses a repository URL (syntax only; see checkGitUrl for the policy). Throws InvalidGitUrlError. */
export function parseGitUrl(input: string): GitRemote {
  const fail = (reason: string): never => {
    throw new InvalidGitUrlError(input, reason);
  };
  if (typeof input !== 'string' || input === '') fail('is empty');
  if (input.length > MAX_URL_LENGTH) fail(`is longer than ${MAX_URL_LENGTH} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0020\u007f]/.test(input)) fail('contains whitespace or control characters');
  if (/[^\x21-\x7e]/.test(input)) fail('contains non-ASCII characters (write the host in its xn-- form and percent-encode the path)');
  if (input.startsWith('-')) fail('starts with "-"');
  if (input.includes('\\')) fail('contains a backslash');
  if (/^[a-z][a-z0-9+.-]*::/i.test(input)) fail('uses git\'s "<transport>::<address>" remote-helper syntax, which is not allowed');
  if (input.includes('#')) fail('contains "#"; a ref goes after the URL in a build context (url#ref:dir), not in the URL');
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(input)?.[1]?.toLowerCase();
  if (scheme === undefined) return parseScpLike(input, fail);
  const rest = input.slice(scheme.length + 3);
  switch (scheme) {
    case 'https':
    case 'http':
      return parseHttp(input, scheme, rest, fail);
    case 'ssh':
    case 'git+ssh':
    case 'ssh+git':
      return parseAuthority(input, 'ssh', rest, fail);
    case 'git':
      return parseAuthority(input, 'git', rest, fail);
    case 'file':
      return parseFile(rest, fail);
    default:
      return fail(`uses the unsupported scheme ${scheme}:// (use https:// or ssh)`);
  }
}

function parseHttp(input: string, scheme: 'https' | 'http', rest: string, fail: (r: string) => never): GitRemote {
  if (rest.startsWith('/')) fail('has no host');
  if (/^[^/]*@/.test(rest)) fail('contains credentials; they would be logged and stored: remove them and pass a token with --git-token');
  if (input.includes('?')) fail('contains a query string; remove it (a token goes in --git-token)');
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return fail('is not a valid URL');
  }
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (host === '') fail('has no host');
  const path = url.pathname;
  if (path === '/' || path === '') fail('has no repository path');
  const port = url.port === '' ? undefined : Number(url.port);
  return { transport: scheme, url: `${scheme}://${url.host}${path}`, host, ...(port ? { port } : {}), path };
}

function parseAuthority(input: string, transport: 'ssh' | 'git', rest: string, fail: (r: string) => never): GitRemote {
  const m = AUTHORITY_URL.exec(rest);
  if (!m) return fail('is not a valid URL');
  const [, user, rawHost = '', rawPort, path = ''] = m;
  if (user !== undefined && transport === 'git') fail('has a user name, which git:// does not use');
  const checkedUser = user === undefined ? undefined : sshUser(user, fail);
  const host = hostOf(rawHost, fail);
  const port = portOf(rawPort, transport, fail);
  if (path === '' || path === '/') fail('has no repository path');
  if (input.includes('?')) fail('contains "?"');
  const authority = `${checkedUser ? `${checkedUser}@` : ''}${bracket(host)}${port ? `:${port}` : ''}`;
  return { transport, url: `${transport}://${authority}${path}`, host, ...(port ? { port } : {}), path, ...(checkedUser ? { user: checkedUser } : {}) };
}

function parseScpLike(input: string, fail: (r: string) => never): GitRemote {
  const m = SCP_LIKE.exec(input);
  if (!m) {
    if (input.startsWith('/') || input.startsWith('.') || input.startsWith('~')) fail('is a local path; use a file:// URL (if file repositories are allowed)');
    return fail(`is not a URL; write it as https://${input.replace(/^\/+/, '')} or as user@host:path`);
  }
  const [, user, rawHost = '', path = ''] = m;
  if (/^(?:https?|ssh|git|file)$/i.test(rawHost)) fail(`is not a valid URL (write ${rawHost.toLowerCase()}://host/path)`);
  const checkedUser = user === undefined ? undefined : sshUser(user, fail);
  const host = hostOf(rawHost, fail);
  if (path === '' || path === '/') fail('has no repository path');
  if (path.startsWith('-')) fail('has a path starting with "-"');
  if (input.includes('?')) fail('contains "?"');
  return { transport: 'ssh', url: `${checkedUser ? `${checkedUser}@` : ''}${bracket(host)}:${path}`, host, path, ...(checkedUser ? { user: checkedUser } : {}) };
}

function parseFile(rest: string, fail: (r: string) => never): GitRemote {
  const slash = rest.indexOf('/');
  const host = slash === -1 ? rest : rest.slice(0, slash);
  if (host !== '' && host.toLowerCase() !== 'localhost') fail('names a host; file URLs are file:///absolute/path');
  const path = slash === -1 ? '' : rest.slice(slash);
  if (path === '' || path === '/') fail('has no repository path');
  if (path.includes('?')) fail('contains "?"');
  return { transport: 'file', url: `file://${path}`, host: '', path };
}

function sshUser(user: string, fail: (r: string) => never): string {
  if (user.includes(':')) fail('contains credentials; they would be logged and stored: remove them and pass a token with --git-token');
  if (!SSH_USER.test(user)) fail(`has an invalid user name ${JSON.stringify(user)}`);
  return user;
}

function hostOf(raw: string, fail: (r: string) => never): string {
  if (raw === '') fail('has no host');
  if (raw.startsWith('[')) {
    const inner = raw.slice(1, -1).toLowerCase();
    if (isIP(inner) !== 6) fail(`has an invalid IPv6 host ${raw}`);
    return inner;
  }
  const host = raw.toLowerCase();
  if (!HOST_NAME.test(host)) fail(`has an invalid host ${JSON.stringify(raw)}`);
  return host;
}

function portOf(raw: string | undefined, transport: GitTransport, fail: (r: string) => never): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^[0-9]{1,5}$/.test(raw) || Number(raw) < 1 || Number(raw) > 65535) fail(`has an invalid port ${JSON.stringify(raw)}`);
  const port = Number(raw);
  return port === DEFAULT_PORTS[transport] ? undefined : port;
}

function bracket(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** Parses a repository URL and applies the policy; throws a BadInputError that says what to do. */
export function checkGitUrl(input: string, policy: GitUrlPolicy = DEFAULT_GIT_URL_POLICY): GitRemote {
  const remote = parseGitUrl(input);
  const refuse = (reason: string): never => {
    throw new InvalidGitUrlError(input, `is refused: ${reason}`, 'git_url_not_allowed');
  };
  if (remote.transport === 'file' && !policy.allowFile) refuse('file:// repositories on the worker are not allowed (an administrator can allow them)');
  if ((remote.transport === 'http' || remote.transport === 'git') && !policy.allowInsecure) {
    refuse(`${remote.transport}:// is not encrypted; use https:// or ssh (an administrator can allow insecure git URLs)`);
  }
  if (remote.transport !== 'file' && !policy.allowPrivateHosts) {
    const cls = classifyHost(remote.host);
    if (cls !== 'public') refuse(`${remote.host} is ${describeHostClass(cls)}; repositories on loopback or private networks are not allowed (an administrator can allow them)`);
  }
  return remote;
}

/**
 * The identity of a repository for matching webhooks and keying the mirror cache: `host[:port]/path`,
 * lowercased, without `.git`, trailing slashes or the transport. `https://github.com/Owner/Repo.git`,
 * `https://github.com/owner/repo` and `git@github.com:owner/repo.git` all give `github.com/owner/repo`.
 * Paths are compared case-insensitively, as GitHub, GitLab, Bitbucket and Azure DevOps do.
 */
export function repositoryKey(input: string): string {
  const remote = parseGitUrl(input);
  let path = remote.path;
  try {
    path = decodeURIComponent(path);
  } catch {
    // a stray % stays as written
  }
  path = path.toLowerCase().replace(/\/{2,}/g, '/').replace(/^\/+/, '').replace(/\/+$/, '').replace(/\.git$/, '').replace(/\/+$/, '');
  if (remote.transport === 'file') return `file/${path}`;
  const host = remote.host.replace(/\.$/, '');
  return `${bracket(host)}${remote.port ? `:${remote.port}` : ''}/${path}`;
}

/** Whether two URLs name the same repository (see repositoryKey); false when either is not a git URL. */
export function sameRepository(a: string, b: string): boolean {
  try {
    return repositoryKey(a) === repositoryKey(b);
  } catch {
    return false;
  }
}

/**
 * A submodule's URL as git resolves it: `./x` and `../x` are relative to the superproject's URL (each `../`
 * drops one path component of it); anything else is returned unchanged, to be checked like any other URL.
 */
export function resolveSubmoduleUrl(superprojectUrl: string, url: string): string {
  if (!url.startsWith('./') && !url.startsWith('../')) return url;
  const base = parseGitUrl(superprojectUrl);
  const cut = base.url.length - base.path.length;
  const prefix = base.url.slice(0, cut);
  const parts = base.path.replace(/\/+$/, '').split('/');
  let rel = url;
  for (;;) {
    if (rel.startsWith('./')) rel = rel.slice(2);
    else if (rel.startsWith('../')) {
      if (parts.length === 0 || (parts.length === 1 && parts[0] === '')) {
        throw new InvalidGitUrlError(url, `climbs above the root of the superproject URL ${superprojectUrl}`);
      }
      parts.pop();
      rel = rel.slice(3);
    } else break;
  }
  const dir = parts.join('/');
  const scpLikeRoot = dir === '' && !base.url.includes('://'); // git@host:app.git + ../lib.git → git@host:lib.git
  return `${prefix}${dir}${scpLikeRoot ? '' : '/'}${rel}`;
}
