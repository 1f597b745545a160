// Webhook events → task runs: the tasks building the pushed repository, with the matching trigger on and
// a branch filter that fits, each get one run at the exact commit. A delivery is handled once.
import type { Redis } from 'ioredis';
import { repositoryKey } from '../git/url.js';
import { SlipwayKeys } from '../store/keys.js';
import type { GitTriggerEvent, TriggerOutcome } from '../triggers/events.js';
import type { Task } from './model.js';
import type { TaskService } from './service.js';

const DELIVERY_TTL_SECONDS = 7 * 24 * 3600;
/** How many built commits are remembered per task and ref, and for how long after the last push. */
const BUILT_COMMITS_KEPT = 1000;
const BUILT_COMMITS_TTL_SECONDS = 180 * 24 * 3600;

export function taskTriggers(tasks: TaskService, redis: Redis, prefix: string) {
  const keys = new SlipwayKeys(prefix);
  const deliveryKey = (id: string) => keys.delivery(id);

  /** Records the delivery; true when it was seen before. */
  const seen = async (deliveryId: string): Promise<boolean> => (await redis.set(deliveryKey(deliveryId), '1', 'EX', DELIVERY_TTL_SECONDS, 'NX')) === null;

  /**
   * Records that a push builds this commit for the task's ref; false when one already did. X-GitHub-Delivery
   * is not signed, so a captured push replayed under a new id would otherwise rebuild an old commit onto
   * the task's tags; a generic push's derived id is the same for the same commit anyway.
   */
  const firstBuildOf = async (task: string, ref: string, sha: string): Promise<boolean> => {
    const key = keys.taskBuiltCommits(task, ref);
    const [[, added] = []] = (await redis.multi().zadd(key, 'NX', Date.now(), sha).zremrangebyrank(key, 0, -BUILT_COMMITS_KEPT - 1).expire(key, BUILT_COMMITS_TTL_SECONDS).exec()) ?? [];
    return added === 1;
  };

  const handle = async (event: GitTriggerEvent): Promise<TriggerOutcome> => {
    try {
      return await startRuns(event);
    } catch (err) {
      // A failed delivery must be retryable: GitHub's redelivery should not count as a duplicate.
      await redis.del(deliveryKey(event.deliveryId));
      throw err;
    }
  };

  async function startRuns(event: GitTriggerEvent): Promise<TriggerOutcome> {
    const repositories = new Set(event.repositoryUrls.flatMap((url) => safeKey(url)));
    const found = new Map<string, Task>();
    for (const key of repositories) for (const task of await tasks.store.byRepository(key)) found.set(task.name, task);
    if (found.size === 0) return { status: 'ignored', reason: `no task builds ${event.repositoryUrls[0] ?? 'this repository'}` };
    const runs: string[] = [];
    const skipped: string[] = [];
    const deferred: string[] = [];
    for (const task of found.values()) {
      const why = mismatch(task, event, tasks);
      if (why) {
        skipped.push(`${task.name}: ${why}`);
        continue;
      }
      if (event.kind === 'push' && !(await firstBuildOf(task.name, event.ref, event.sha))) {
        skipped.push(`${task.name}: commit ${event.sha} was already built for ${event.ref}; a push is built once (run the task to build it again)`);
        continue;
      }
      const type = event.kind === 'push' ? 'commit' : 'pull_request';
      const started = await tasks
        .trigger(task.name, {
          trigger: { type, deliveryId: event.deliveryId, ref: event.ref, ...(event.pullRequest ? { pullRequest: event.pullRequest.number } : {}) },
          commit: event.sha,
          ...(event.branch ? { branch: event.branch } : {}),
        })
        .catch(async (err: unknown) => {
          // Not built after all: the delivery retried must find the commit new.
          if (event.kind === 'push') await redis.zrem(keys.taskBuiltCommits(task.name, event.ref), event.sha);
          throw err;
        });
      if ('run' in started) runs.push(started.run.id);
      else deferred.push(`${task.name}: builds ${event.sha} in one follow-up run after ${started.deferredBehind}`);
    }
    if (runs.length) return { status: 'queued', runs, ...(deferred.length ? { deferred } : {}) };
    if (deferred.length) return { status: 'deferred', deferred };
    return { status: 'ignored', reason: skipped.join('; ') };
  }

  /** Whether `token` is the generic-webhook token of a task building one of these repositories. */
  const authorizePush = async (token: string, repositoryUrls: string[]): Promise<boolean> => {
    for (const key of new Set(repositoryUrls.flatMap((url) => safeKey(url)))) {
      for (const task of await tasks.store.byRepository(key)) if (task.hasWebhookToken && (await tasks.store.webhookTokenMatches(task.name, token))) return true;
    }
    return false;
  };

  return { seen, handle, authorizePush };
}

/** The pull request's head is in another repository than the one the event is about. */
function isFork(event: GitTriggerEvent): boolean {
  const base = new Set(event.repositoryUrls.flatMap((url) => safeKey(url)));
  const head = safeKey(event.pullRequest!.headRepoUrl);
  return head.length === 0 || !base.has(head[0]!);
}

function safeKey(url: string): string[] {
  try {
    return [repositoryKey(url)];
  } catch {
    return [];
  }
}

/** Why this task does not build this event, or undefined when it does. */
function mismatch(task: Task, event: GitTriggerEvent, tasks: TaskService): string | undefined {
  if (event.kind === 'push' && !task.commitTrigger) return 'commit trigger is off';
  if (event.kind === 'pull_request' && !task.prTrigger) return 'pull-request trigger is off';
  // A fork's pull request runs code its author controls; with the task's git token in reach it could read it
  // (as GitHub Actions withholds secrets from forks). Such tasks do not build pull requests from forks.
  if (event.pullRequest && task.hasGitToken && isFork(event)) {
    return `pull request #${event.pullRequest.number} comes from a fork (${event.pullRequest.headRepoUrl}) and this task has a git token, which the build could reach; fork pull requests are not built for it`;
  }
  const { ref } = tasks.contextOf(task);
  if (!ref) return undefined;
  const wanted = ref.replace(/^refs\/heads\//, '');
  if (event.kind === 'push' && event.tag) return ref === event.ref || ref === event.tag ? undefined : `tag ${event.tag} is not ${ref}`;
  return event.branch === wanted || event.ref === ref ? undefined : `branch ${event.branch ?? event.ref} is not ${wanted}`;
}
