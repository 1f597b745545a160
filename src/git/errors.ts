// The error a failed git operation ends in: what the remote answered (401, 403, 404), that it could not
// be reached or timed out (retryable), or that the repository is too large. Messages name the repository
// by its credential-free URL and carry git's own last words, already masked.
import { SlipwayError } from '../errors.js';

export type GitErrorCode =
  | 'git_unauthorized'
  | 'git_denied'
  | 'git_repository_not_found'
  | 'git_ref_not_found'
  | 'git_commit_not_found'
  | 'git_redirect'
  | 'git_unavailable'
  | 'git_timeout'
  | 'git_aborted'
  | 'git_repository_too_large'
  | 'git_failed';

const STATUS: Record<GitErrorCode, number> = {
  git_unauthorized: 401,
  git_denied: 403,
  git_repository_not_found: 404,
  git_ref_not_found: 404,
  git_commit_not_found: 404,
  git_redirect: 400,
  git_unavailable: 503,
  git_timeout: 504,
  git_aborted: 409,
  git_repository_too_large: 413,
  git_failed: 502,
};

const RETRYABLE = new Set<GitErrorCode>(['git_unavailable', 'git_timeout']);

export class GitError extends SlipwayError {
  override name = 'GitError';
  override readonly code: GitErrorCode;
  /** Worth trying the job again later: the remote could not be reached, or did not answer in time. */
  readonly retryable: boolean;

  constructor(code: GitErrorCode, message: string) {
    super(STATUS[code], code, message);
    this.code = code;
    this.retryable = RETRYABLE.has(code);
  }
}

/** Also true for a GitError that lost its prototype crossing a process boundary. */
export function isGitError(err: unknown): err is GitError {
  return err instanceof GitError || (err instanceof Error && err.name === 'GitError' && 'code' in err && 'status' in err);
}
