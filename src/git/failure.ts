// What a failed git command means, read from its (already masked) stderr in the C locale: refused
// credentials, a missing repository, ref or commit, a redirect, an unreachable remote, or anything else.
// One table, so every git call reports the same outcome the same way.
import { GitError, type GitErrorCode } from './errors.js';

export interface FailureContext {
  /** Credential-free repository URL, for the message. */
  url: string;
  /** What was being done: `fetching`, `listing refs of`, … */
  operation: string;
  /** Whether a token was sent: a 401 then means the token was refused, not that one is missing. */
  tokenGiven: boolean;
}

type Rule = [RegExp, GitErrorCode, (ctx: FailureContext, m: RegExpExecArray) => string];

const RULES: Rule[] = [
  [/returned error: 30[1278]/, 'git_redirect', () => 'the server answered with a redirect (has the repository moved?); use its new URL'],
  [
    /could not read (?:Username|Password)|Authentication failed|returned error: 401/i,
    'git_unauthorized',
    (c) => (c.tokenGiven ? 'the git token was refused (401); check that it is valid and may read this repository' : 'the repository needs credentials (401); pass a token with --git-token'),
  ],
  [/Permission denied \(publickey|Host key verification failed/, 'git_unauthorized', () => 'the ssh server refused the connection; check the deploy key and the known host'],
  [/returned error: 403/, 'git_denied', () => 'access is denied (403); the token may lack read access to this repository'],
  [
    /repository '.*' not found|returned error: 404|no such repository|access denied or repository not exported|does not appear to be a git repository|Repository not found/i,
    'git_repository_not_found',
    (c) => (c.tokenGiven ? 'the repository was not found (or the token may not read it)' : 'the repository was not found (if it is private, pass a token with --git-token)'),
  ],
  [/couldn't find remote ref (\S+)/, 'git_ref_not_found', (_c, m) => `the repository has no ref ${m[1]}`],
  [
    /not our ref ([0-9a-f]+)|unadvertised object ([0-9a-f]+)/,
    'git_commit_not_found',
    (_c, m) => `the server has no commit ${m[1] ?? m[2]} it is willing to send (was it force-pushed away?)`,
  ],
  [
    /Could not resolve host|Failed to connect|Connection refused|Connection timed out|Connection reset|unable to connect|early EOF|remote end hung up|RPC failed|returned error: 5\d\d|Operation timed out|Could not read from remote repository/i,
    'git_unavailable',
    () => 'the repository could not be reached; try again later',
  ],
];

/** The GitError a failed git command ends in. */
export function gitFailure(stderr: string, ctx: FailureContext): GitError {
  const last = lastWords(stderr);
  for (const [pattern, code, describe] of RULES) {
    const m = pattern.exec(stderr);
    if (m) return new GitError(code, `${ctx.operation} ${ctx.url}: ${describe(ctx, m)}${last ? ` (git: ${last})` : ''}`);
  }
  return new GitError('git_failed', `${ctx.operation} ${ctx.url} failed${last ? `: ${last}` : ''}`);
}

/** git's last `fatal:`/`error:` line (or last line), shortened. */
export function lastWords(stderr: string): string {
  const lines = stderr
    .split(/[\r\n]+/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const line = [...lines].reverse().find((l) => /^(fatal|error):/.test(l)) ?? lines[lines.length - 1] ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
