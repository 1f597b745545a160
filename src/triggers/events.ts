// The normalised trigger event every webhook is turned into, and the contract of whoever acts on it
// (task matching and run creation live outside src/triggers).

export interface GitTriggerEvent {
  source: 'github' | 'git';
  kind: 'push' | 'pull_request';
  /** X-GitHub-Delivery, or the generic hook's idempotency key / derived id. */
  deliveryId: string;
  /** Every URL the repository is known by (clone, ssh, html, git), for matching against task sources. */
  repositoryUrls: string[];
  /** refs/heads/main, refs/tags/v1, refs/pull/12/head */
  ref: string;
  /** The pushed branch, or the base branch of a pull request. */
  branch?: string;
  tag?: string;
  /** The exact commit to build: `after` of a push, the head sha of a pull request. */
  sha: string;
  pullRequest?: {
    number: number;
    action: PullRequestAction;
    headRef: string;
    baseRef: string;
    /** Clone URL of the head repository; not among repositoryUrls when the pull request comes from a fork. */
    headRepoUrl: string;
  };
  sender?: string;
}

export const PULL_REQUEST_ACTIONS = ['opened', 'synchronize', 'reopened'] as const;
export type PullRequestAction = (typeof PULL_REQUEST_ACTIONS)[number];

export type TriggerOutcome =
  | { status: 'queued'; runs: string[]; deferred?: string[] }
  /** The task is busy: the commit is built by one follow-up run after the current one. */
  | { status: 'deferred'; deferred: string[] }
  | { status: 'ignored'; reason: string };
export type TriggerHandler = (event: GitTriggerEvent) => Promise<TriggerOutcome>;

/** What a payload maps to: an event to hand over, or the reason there is nothing to build. */
export type TriggerMapping = { event: GitTriggerEvent } | { ignored: string };
