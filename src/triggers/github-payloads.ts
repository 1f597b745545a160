// Schemas of the GitHub webhook payload fields Slipway reads, and nothing more: unknown fields are
// dropped unread. https://docs.github.com/en/webhooks/webhook-events-and-payloads
import * as z from 'zod';
import { isCommitSha, isFullRefName } from './refs.js';

const Url = z.string().min(1).max(2048);
const Sha = z.string().refine(isCommitSha, 'must be a 40 or 64 digit lower-case hex commit id');
// Branch names as GitHub shows them in pull requests (no refs/heads/ prefix).
const BranchName = z.string().refine((b) => isFullRefName(`refs/heads/${b}`), 'must be a valid branch name');

/** The repository object every event carries; GHES sends the same fields with its own host. */
export const GitHubRepository = z.object({
  clone_url: Url,
  html_url: Url,
  ssh_url: Url.nullish(),
  git_url: Url.nullish(),
});
export type GitHubRepository = z.infer<typeof GitHubRepository>;

const Sender = z.object({ login: z.string().max(256) }).nullish();

/** https://docs.github.com/en/webhooks/webhook-events-and-payloads#push */
export const GitHubPush = z.object({
  ref: z.string().refine(isFullRefName, 'must be a full git ref'),
  after: Sha,
  deleted: z.boolean().optional(),
  repository: GitHubRepository,
  sender: Sender,
});

/** https://docs.github.com/en/webhooks/webhook-events-and-payloads#pull_request */
export const GitHubPullRequest = z.object({
  action: z.string(),
  number: z.number().int().positive(),
  pull_request: z.object({
    head: z.object({ ref: BranchName, sha: Sha, repo: GitHubRepository.nullable() }),
    base: z.object({ ref: BranchName }),
  }),
  repository: GitHubRepository,
  sender: Sender,
});

/** https://docs.github.com/en/webhooks/webhook-events-and-payloads#ping */
export const GitHubPing = z.object({ zen: z.string().max(1024).optional() });

export const GitHubAction = z.object({ action: z.string().max(64) });
