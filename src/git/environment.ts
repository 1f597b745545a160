// The environment every git Slipway runs has: no system, global or user configuration, no
// prompts, only the transports the URL policy allows, and the token as an HTTP header scoped to the
// repository's origin. Configuration travels in GIT_CONFIG_COUNT/KEY/VALUE variables: never on a command
// line (other users can read those in ps) and never on disk.
import type { GitRemote, GitUrlPolicy } from './url.js';
import type { SecretMasker } from '../log.js';

export interface GitEnvOptions {
  /** An empty directory used as HOME (and XDG_CONFIG_HOME), so no user configuration is read. */
  home: string;
  policy: GitUrlPolicy;
  /** Extra variables from Slipway's configuration (PATH, proxies, GIT_SSH_COMMAND); they cannot override the isolation. */
  base?: Readonly<Record<string, string>>;
  /** Authorization header for one origin (see tokenHeader). */
  auth?: { origin: string; header: string };
}

const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';

export function gitEnvironment(opts: GitEnvOptions): Record<string, string> {
  const { policy } = opts;
  const config: [string, string][] = [
    // Transports: only what the policy allows, for the repository and for anything it points git at.
    ['protocol.allow', 'never'],
    ['protocol.https.allow', 'always'],
    ['protocol.ssh.allow', 'always'],
    ['protocol.http.allow', policy.allowInsecure ? 'always' : 'never'],
    ['protocol.git.allow', policy.allowInsecure ? 'always' : 'never'],
    ['protocol.file.allow', policy.allowFile ? 'always' : 'never'],
    // Never: a redirect could send git to a private host, and git keeps the origin's token header for the
    // redirected base URL (another host). A moved repository fails with git_redirect, naming the move.
    ['http.followRedirects', 'false'],
    ['credential.helper', ''],
    ['core.hooksPath', '/dev/null'],
    ['core.fsmonitor', 'false'],
    ['init.defaultBranch', 'main'],
    // Every fetch is kept as one pack, written and renamed into place whole: a killed fetch cannot leave a
    // commit behind without its tree (loose objects are written commits first).
    ['fetch.unpackLimit', '1'],
    // Automatic gc runs in the foreground, inside the mirror lock, not detached after it is released.
    ['gc.autoDetach', 'false'],
    ['advice.detachedHead', 'false'],
  ];
  if (opts.auth) config.push([`http.${opts.auth.origin}.extraHeader`, opts.auth.header]);
  const env: Record<string, string> = {
    PATH: DEFAULT_PATH,
    GIT_SSH_COMMAND: 'ssh -o BatchMode=yes',
    ...allowedBase(opts.base),
    HOME: opts.home,
    XDG_CONFIG_HOME: opts.home,
    LANG: 'C',
    LC_ALL: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_NO_REPLACE_OBJECTS: '1',
    GIT_CONFIG_COUNT: String(config.length),
  };
  config.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  return env;
}

/** Of the worker's variables, git's own are dropped (GIT_DIR, GIT_CONFIG_PARAMETERS…) but for ssh and CA settings. */
function allowedBase(base: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const kept = new Set(['GIT_SSH_COMMAND', 'GIT_SSL_CAINFO', 'GIT_SSL_CAPATH']);
  return Object.fromEntries(Object.entries(base ?? {}).filter(([k]) => !k.startsWith('GIT_') || kept.has(k)));
}

/**
 * The header that carries a token (GitHub's convention, accepted by GitLab, Gitea and Bitbucket as a
 * password), registered with the masker in every form it could be printed in, before it is used.
 */
export function tokenHeader(remote: GitRemote, token: string, masker: SecretMasker): { origin: string; header: string } {
  const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
  masker.add(token);
  masker.add(basic);
  masker.add(encodeURIComponent(token));
  const host = remote.host.includes(':') ? `[${remote.host}]` : remote.host;
  return { origin: `${remote.transport}://${host}${remote.port ? `:${remote.port}` : ''}/`, header: `Authorization: Basic ${basic}` };
}
