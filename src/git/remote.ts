// One remote repository made ready for git: its URL checked against the policy, every address its host
// resolves to checked too (unless private hosts are allowed), the token turned into a masked header for the
// repository's origin, and a GitCli whose environment carries all of it. The worker's mirror cache and the
// API's ls-remote both start here, so neither reaches a remote the other would refuse.
import type { SecretMasker } from '../log.js';
import { GitCli } from './command.js';
import { gitEnvironment, tokenHeader } from './environment.js';
import { assertPublicAddresses, type Lookup } from './host-check.js';
import { checkGitUrl, type GitRemote, type GitUrlPolicy } from './url.js';

export interface RemoteGitOptions {
  url: string;
  /** Sent only over http and https, as a header scoped to the repository's origin. */
  token?: string | undefined;
  policy: GitUrlPolicy;
  /** An empty directory: git's HOME and working directory. */
  home: string;
  masker: SecretMasker;
  /** Variables git may see from Slipway's configuration (PATH, proxies, GIT_SSH_COMMAND). */
  env?: Readonly<Record<string, string>> | undefined;
  binary?: string | undefined;
  /** How host names are resolved for the private-network check. */
  lookup?: Lookup | undefined;
}

export interface RemoteGit {
  /** The checked, credential-free remote. */
  remote: GitRemote;
  git: GitCli;
  /** Whether the token is sent: a 401 then means it was refused. */
  tokenGiven: boolean;
}

export async function openRemote(opts: RemoteGitOptions): Promise<RemoteGit> {
  const remote = checkGitUrl(opts.url, opts.policy);
  if (!opts.policy.allowPrivateHosts && remote.transport !== 'file') await assertPublicAddresses(remote.host, opts.lookup);
  const token = remote.transport === 'https' || remote.transport === 'http' ? opts.token : undefined;
  const auth = token ? tokenHeader(remote, token, opts.masker) : undefined;
  const git = new GitCli(gitEnvironment({ home: opts.home, policy: opts.policy, base: opts.env, auth }), opts.masker, opts.binary);
  return { remote, git, tokenGiven: auth !== undefined };
}
