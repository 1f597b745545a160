// Pure mapping of verified GitHub push and pull_request payloads to trigger events. A payload that
// does not fit the schema is bad input (400); one with nothing to build is ignored with a reason.
import type * as z from 'zod';
import { describeZodError } from '../api/errors.js';
import { BadInputError } from '../errors.js';
import { PULL_REQUEST_ACTIONS, type PullRequestAction, type TriggerMapping } from './events.js';
import { GitHubAction, GitHubPullRequest, GitHubPush, type GitHubRepository } from './github-payloads.js';
import { isZeroSha, parseRef } from './refs.js';

function parsePayload<T extends z.ZodType>(schema: T, payload: unknown, event: string): z.infer<T> {
  const parsed = schema.safeParse(payload);
  if (!parsed.success) throw new BadInputError(`${event} payload: ${describeZodError(parsed.error)}`, 'invalid_payload');
  return parsed.data;
}

/** Every URL the repository answers to, each once, for matching against a task's source. */
export function repositoryUrls(repo: GitHubRepository): string[] {
  const urls = [repo.clone_url, repo.ssh_url, repo.html_url, repo.git_url];
  return [...new Set(urls.filter((u): u is string => typeof u === 'string' && u !== ''))];
}

export function pushEventToTrigger(payload: unknown, deliveryId: string): TriggerMapping {
  const push = parsePayload(GitHubPush, payload, 'push');
  if (push.deleted || isZeroSha(push.after)) return { ignored: `${push.ref} was deleted; there is nothing to build` };
  return {
    event: {
      source: 'github',
      kind: 'push',
      deliveryId,
      repositoryUrls: repositoryUrls(push.repository),
      ref: push.ref,
      ...parseRef(push.ref),
      sha: push.after,
      ...(push.sender ? { sender: push.sender.login } : {}),
    },
  };
}

function isBuiltAction(action: string): action is PullRequestAction {
  return (PULL_REQUEST_ACTIONS as readonly string[]).includes(action);
}

export function pullRequestEventToTrigger(payload: unknown, deliveryId: string): TriggerMapping {
  // The action first: a closed or labeled pull request is ignored whatever else its payload holds.
  const { action } = parsePayload(GitHubAction, payload, 'pull_request');
  if (!isBuiltAction(action)) {
    return { ignored: `pull_request action "${action}" does not build; only ${PULL_REQUEST_ACTIONS.join(', ')} do` };
  }
  const pr = parsePayload(GitHubPullRequest, payload, 'pull_request');
  const { head, base } = pr.pull_request;
  // Without its head repository a fork's pull request cannot be told from a same-repository one.
  if (!head.repo) return { ignored: `pull request #${pr.number}: its head repository no longer exists` };
  return {
    event: {
      source: 'github',
      kind: 'pull_request',
      deliveryId,
      repositoryUrls: repositoryUrls(pr.repository),
      ref: `refs/pull/${pr.number}/head`,
      branch: base.ref,
      sha: head.sha,
      pullRequest: { number: pr.number, action, headRef: head.ref, baseRef: base.ref, headRepoUrl: head.repo.clone_url },
      ...(pr.sender ? { sender: pr.sender.login } : {}),
    },
  };
}
