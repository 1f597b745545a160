// How the pages write times, durations and digests: short, and the same everywhere.
import type { Run, Trigger } from '../src/contract/runs.js';

export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** How long a run took, or has been going. */
export function runDuration(run: Pick<Run, 'startedAt' | 'finishedAt'>, now = Date.now()): string {
  if (!run.startedAt) return '';
  return duration((run.finishedAt ? Date.parse(run.finishedAt) : now) - Date.parse(run.startedAt));
}

export function ago(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '';
  const ms = now - Date.parse(iso);
  return ms < 5000 ? 'just now' : `${duration(ms)} ago`;
}

export function localTime(iso: string | undefined): string {
  return iso ? new Date(iso).toLocaleString() : '';
}

/** sha256:abcdef012345… as its first 12 hex digits, as docker shows image ids. */
export function shortDigest(digest: string | undefined): string {
  return digest ? digest.replace(/^sha256:/, '').slice(0, 12) : '';
}

export function triggerText(t: Trigger): string {
  switch (t.type) {
    case 'commit':
      return `commit ${t.commit?.slice(0, 7) ?? ''}${t.ref ? ` on ${t.ref.replace(/^refs\/heads\//, '')}` : ''}`;
    case 'pull_request':
      return `pull request${t.pullRequest ? ` #${t.pullRequest}` : ''}`;
    case 'timer':
      return `schedule ${t.schedule ?? ''}`;
    case 'base-image':
      return `base image ${t.image ?? ''}`;
    default:
      return 'manual';
  }
}
