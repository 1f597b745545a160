// The git facts the task service needs before a run exists: the parts of a context URL under the
// configured policy, the key repositories are matched by, and the commit a ref points at now (ls-remote).
// ls-remote runs through the same hardened git as the worker's checkouts (src/git/remote.ts): the token
// travels in the environment as an origin-scoped header (never in argv, where `ps` shows it), redirects are
// not followed, and a host that resolves to a private address is refused unless the policy allows it.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseGitContext } from '../git/context.js';
import { gitFailure } from '../git/failure.js';
import type { Lookup } from '../git/host-check.js';
import { parseLsRemote } from '../git/output.js';
import { isCommitSha } from '../git/refs.js';
import { openRemote } from '../git/remote.js';
import { repositoryKey, type GitUrlPolicy } from '../git/url.js';
import { BadInputError, SlipwayError, UnavailableError } from '../errors.js';
import { SecretMasker } from '../log.js';
import type { GitTools } from './service.js';

const LS_REMOTE_TIMEOUT_MS = 20_000;

export interface GitToolsOptions {
  /** How host names are resolved for the private-network check. */
  lookup?: Lookup;
  /** git's HOME, an empty directory (made if missing); by default a temporary one of this process's own. */
  home?: string;
}

export function gitTools(policy: GitUrlPolicy, searchPath: string, opts: GitToolsOptions = {}): GitTools {
  let home: Promise<string> | undefined;
  const gitHome = () =>
    (home ??= opts.home === undefined ? fs.mkdtemp(path.join(os.tmpdir(), 'slipway-git-home-')) : fs.mkdir(opts.home, { recursive: true, mode: 0o700 }).then(() => opts.home!));
  return {
    parseContext: (context) => parseGitContext(context, policy),
    normaliseUrl: (url) => repositoryKey(url),
    resolveCommit: async (url, ref, token) => {
      if (ref && isCommitSha(ref)) return { commit: ref.toLowerCase(), ref };
      return lsRemote({ url, ref, token, policy, home: await gitHome(), env: { PATH: searchPath }, lookup: opts.lookup });
    },
  };
}

interface LsRemoteRequest {
  url: string;
  ref: string | undefined;
  token: string | undefined;
  policy: GitUrlPolicy;
  home: string;
  env: Record<string, string>;
  lookup: Lookup | undefined;
}

/** Asks the remote which commit `ref` (a branch, tag, full ref, or nothing for HEAD) points at. */
async function lsRemote(req: LsRemoteRequest): Promise<{ commit: string; ref: string }> {
  const { remote, git, tokenGiven } = await openRemote({ ...req, masker: new SecretMasker() });
  const { ref } = req;
  const patterns = ref ? (ref.startsWith('refs/') ? [ref] : [`refs/heads/${ref}`, `refs/tags/${ref}`]) : ['HEAD'];
  const res = await git.run(['ls-remote', '--end-of-options', remote.url, ...patterns], { deadline: Date.now() + LS_REMOTE_TIMEOUT_MS });
  const what = `${ref ?? 'HEAD'} of ${remote.url}`;
  if (res.killed) throw new UnavailableError(`cannot read ${what}: the remote did not answer within ${LS_REMOTE_TIMEOUT_MS / 1000} s`, 'git_unavailable');
  if (res.code !== 0) {
    const failure = gitFailure(res.stderr, { url: remote.url, operation: `reading ${ref ?? 'HEAD'} of`, tokenGiven });
    // The remote's answer, not this API's: a refused git token is not a refused API token (401), so only
    // what may pass with time is a 503, and the rest is the request's to fix.
    throw new SlipwayError(failure.retryable ? 503 : 422, failure.code, failure.message);
  }
  const refs = parseLsRemote(res.stdout).refs;
  // An annotated tag is listed twice; its peeled line (^{}) names the commit.
  const hit = refs.find((r) => r.name.endsWith('^{}')) ?? refs[0];
  if (!hit) throw new BadInputError(`${remote.url} has no ${ref ? `branch or tag ${ref}` : 'HEAD'}`, 'unknown_ref');
  return { commit: hit.sha, ref: hit.name.replace(/\^\{\}$/, '') };
}
