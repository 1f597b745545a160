// The git facts the task service needs before a run exists: the parts of a context URL under the
// configured policy, the key repositories are matched by, and the commit a ref points at now (ls-remote).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parseGitContext } from '../git/context.js';
import { isCommitSha } from '../git/refs.js';
import { repositoryKey, type GitUrlPolicy } from '../git/url.js';
import { BadInputError, UnavailableError } from '../errors.js';
import { SecretMasker } from '../log.js';
import type { GitTools } from './service.js';

const exec = promisify(execFile);
const LS_REMOTE_TIMEOUT_MS = 20_000;

export function gitTools(policy: GitUrlPolicy, searchPath: string): GitTools {
  return {
    parseContext: (context) => parseGitContext(context, policy),
    normaliseUrl: (url) => repositoryKey(url),
    resolveCommit: (url, ref, token) => resolveCommit(url, ref, token, searchPath),
  };
}

/** Asks the remote which commit `ref` (a branch, tag, full ref, or nothing for HEAD) points at. */
async function resolveCommit(url: string, ref: string | undefined, token: string | undefined, searchPath: string): Promise<{ commit: string; ref: string }> {
  if (ref && isCommitSha(ref)) return { commit: ref.toLowerCase(), ref };
  const masker = new SecretMasker();
  masker.add(token);
  const auth = token ? ['-c', `http.extraHeader=Authorization: Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`] : [];
  if (token) masker.add(Buffer.from(`x-access-token:${token}`).toString('base64'));
  const patterns = ref ? (ref.startsWith('refs/') ? [ref] : [`refs/heads/${ref}`, `refs/tags/${ref}`]) : ['HEAD'];
  let stdout: string;
  try {
    ({ stdout } = await exec('git', [...auth, 'ls-remote', '--', url, ...patterns], {
      timeout: LS_REMOTE_TIMEOUT_MS,
      env: { PATH: searchPath, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1', HOME: '/nonexistent' },
    }));
  } catch (err) {
    const stderr = masker.mask(String((err as { stderr?: string }).stderr ?? (err as Error).message)).trim().split('\n').slice(-2).join(' ');
    throw new UnavailableError(`cannot read ${ref ?? 'HEAD'} of ${url}: ${stderr}`, 'git_unavailable');
  }
  const lines = stdout.trim().split('\n').filter(Boolean).map((l) => l.split('\t') as [string, string]);
  // An annotated tag is listed twice; its peeled line (^{}) names the commit.
  const peeled = lines.find(([, name]) => name.endsWith('^{}'));
  const hit = peeled ?? lines[0];
  if (!hit) throw new BadInputError(`${url} has no ${ref ? `branch or tag ${ref}` : 'HEAD'}`, 'unknown_ref');
  return { commit: hit[0], ref: hit[1].replace(/\^\{\}$/, '') };
}
