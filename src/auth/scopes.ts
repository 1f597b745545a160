// Repository and task scopes: patterns a token is limited to, where `*` matches any run of characters.
// A repository pattern without a registry host names repositories of the default registry; one that starts
// with a host (it has a `.` or `:`, or is `localhost`) names that registry's.
import { parseImageReference } from '../registry/reference.js';

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
