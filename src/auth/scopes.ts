// Repository and task scopes: patterns a token is limited to, where `*` matches any run of characters.
// A repository pattern without a registry host names repositories of the default registry; one that starts
// with a host (it has a `.` or `:`, or is `localhost`) names that registry's.
import { parseImageReference } from '../registry/reference.js';
import { ForbiddenError } from './errors.js';

function patternRegex(pattern: string): RegExp {
  const body = pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('.*');
  return new RegExp(`^${body}$`);
}

function hasHost(pattern: string): boolean {
  const first = pattern.split('/')[0]!;
  return pattern.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
}

export function matchesAny(patterns: readonly string[], value: string): boolean {
  return patterns.some((p) => patternRegex(p).test(value));
}

/** Whether `image` (already normalised, registry included) is inside the patterns; an empty list allows any. */
export function mayPushTo(patterns: readonly string[], image: string, defaultRegistry: string): boolean {
  if (patterns.length === 0) return true;
  const ref = parseImageReference(image, { defaultRegistry });
  const full = `${ref.registry}/${ref.repository}`;
  return patterns.some((p) => (hasHost(p) ? patternRegex(p).test(full) : ref.registry === defaultRegistry && patternRegex(p).test(ref.repository)));
}

/** Whether a task name is inside the patterns; an empty list allows any. */
export function mayActOnTask(patterns: readonly string[], task: string): boolean {
  return patterns.length === 0 || matchesAny(patterns, task);
}

/** What a run or task is asked for by: its name for the record, and the checks of its scopes. */
export interface Requester {
  /** The token's name, recorded as the run's requestedBy. */
  name: string;
  /** The repository patterns it is limited to; empty when it may push anywhere. */
  repositories: readonly string[];
  /** Throws ForbiddenError naming the first image outside the token's repositories. */
  checkPush(images: readonly string[]): void;
}

/** The Requester of a token: its name, and its repository patterns applied to normalised image names. */
export function requesterOf(principal: { name: string; repositories: readonly string[] }, defaultRegistry: string): Requester {
  return {
    name: principal.name,
    repositories: principal.repositories,
    checkPush(images) {
      for (const image of images) {
        const ref = parseImageReference(image, { defaultRegistry });
        if (!mayPushTo(principal.repositories, `${ref.registry}/${ref.repository}`, defaultRegistry)) {
          throw new ForbiddenError(`token ${principal.name} may not push to ${ref.registry}/${ref.repository}; it may push to ${principal.repositories.join(', ')}`, 'repository_forbidden');
        }
      }
    },
  };
}

/** Throws ForbiddenError unless the token may act on the task. */
export function checkTask(principal: { name: string; tasks: readonly string[] }, task: string): void {
  if (!mayActOnTask(principal.tasks, task)) throw new ForbiddenError(`token ${principal.name} may not act on task ${task}; it may act on ${principal.tasks.join(', ')}`, 'task_forbidden');
}
