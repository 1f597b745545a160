// How runs, tasks, images, sizes and times are shown to a person: pure functions from data to text.
import type { OutputImage, Run } from '../contract/runs.js';
import type { Task } from '../contract/tasks.js';
import type { WorkerDisk } from '../contract/workers.js';

/** `<registry>/<repository>:<tag>@sha256:…`, the reference a deploy can pin. */
export function formatImageRef(image: OutputImage): string {
  const tag = image.tag ? `:${image.tag}` : '';
  return `${image.registry}/${image.repository}${tag}@${image.digest}`;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** A worker's disk as its janitor measured it, against its budgets: the Engine's build cache, the git mirrors. */
export function formatDisk(disk: Pick<WorkerDisk, 'buildCacheBytes' | 'buildCacheBudgetBytes' | 'mirrorBytes' | 'mirrorBudgetBytes'>): string {
  return `build cache ${formatBytes(disk.buildCacheBytes)} of ${formatBytes(disk.buildCacheBudgetBytes)}, mirrors ${formatBytes(disk.mirrorBytes)} of ${formatBytes(disk.mirrorBudgetBytes)}`;
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function formatAge(iso: string, now = Date.now()): string {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return iso;
  const s = Math.max(0, Math.round((now - then) / 1000));
  const [n, unit] = s < 60 ? [s, 'second'] : s < 3600 ? [Math.floor(s / 60), 'minute'] : s < 86_400 ? [Math.floor(s / 3600), 'hour'] : [Math.floor(s / 86_400), 'day'];
  return `${n} ${unit}${n === 1 ? '' : 's'} ago`;
}

/** How long the run took, or has been going. */
export function runDuration(run: Run, now = Date.now()): string | undefined {
  if (!run.startedAt) return undefined;
  const end = run.finishedAt ? Date.parse(run.finishedAt) : now;
  return formatDuration(end - Date.parse(run.startedAt));
}

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function renderTable(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, col) => Math.max(...all.map((row) => (row[col] ?? '').length)));
  return all
    .map((row) => row.map((cell, col) => (col === row.length - 1 ? cell : cell.padEnd(widths[col]!))).join('  '))
    .join('\n');
}

export function renderRunTable(runs: Run[], now = Date.now()): string {
  const rows = runs.map((r) => [r.id, r.task ?? '-', r.status, r.trigger.type, r.platforms.join(','), formatAge(r.createdAt, now), runDuration(r, now) ?? '-', firstImage(r)]);
  return renderTable(['RUN ID', 'TASK', 'STATUS', 'TRIGGER', 'PLATFORMS', 'CREATED', 'DURATION', 'IMAGE'], rows);
}

/** The run's first image, and how many more it has. */
function firstImage(run: Run): string {
  const [first, ...more] = run.request.images;
  return first === undefined ? '-' : more.length ? `${first} (+${more.length})` : first;
}

const INDENT = '\n' + ' '.repeat(13);

/** A readable block for `runs show`; secret build-arg values are never in a Run, only their names. */
export function renderRun(run: Run, now = Date.now()): string {
  const req = run.request;
  const fields: [string, string | undefined][] = [
    ['Run ID', run.id],
    ['Status', run.status],
    ['Waiting', run.waiting],
    ['Error', run.error],
    ['Platform', run.platform],
    ['Created', `${run.createdAt} (${formatAge(run.createdAt, now)})`],
    ['Started', run.startedAt],
    ['Finished', run.finishedAt],
    ['Duration', runDuration(run, now)],
    ['Worker', run.worker],
    ['Task', run.task],
    ['Trigger', run.trigger && formatTrigger(run.trigger)],
    ['Context', req.context],
    ['Source', req.git && `${gitContext(req.git.url, req.git.ref, req.git.subdir)} at ${req.git.commit}`],
    ['Dockerfile', req.dockerfile],
    ['Target', req.target],
    ['Images', req.images.join(', ') || undefined],
    ['Build args', Object.entries(req.buildArgs).map(([k, v]) => `${k}=${v}`).join(', ') || undefined],
    ['Secret args', req.secretBuildArgKeys.join(', ') || undefined],
    ['Labels', formatLabels(req.labels, ', ')],
    ['Push', req.noPush ? 'no' : 'yes'],
    ['Timeout', `${req.timeoutSeconds}s`],
    ['Platforms', run.platformResults?.map((p) => `${p.platform} ${p.status}${p.digest ? ` ${p.digest}` : ''}${p.error ? `: ${p.error}` : ''}`).join(INDENT)],
    ['Index', run.indexDigest],
    ['Pushed', run.outputImages.map(formatImageRef).join(INDENT) || undefined],
  ];
  return renderFields(fields);
}

function formatLabels(labels: Record<string, string> | undefined, separator: string): string | undefined {
  return Object.entries(labels ?? {}).map(([k, v]) => `${k}=${v}`).join(separator) || undefined;
}

/** `Key:  value` lines, skipping the empty ones. */
function renderFields(fields: [string, string | undefined][]): string {
  return fields
    .filter((f): f is [string, string] => f[1] !== undefined && f[1] !== '')
    .map(([k, v]) => `${`${k}:`.padEnd(13)}${v}`)
    .join('\n');
}

function formatTrigger(trigger: NonNullable<Run['trigger']>): string {
  const pr = trigger.pullRequest === undefined ? '' : ` #${trigger.pullRequest}`;
  const schedule = trigger.schedule ? ` (${trigger.schedule})` : '';
  return `${trigger.type}${pr}${schedule}`;
}

/** Written back the way `--context` takes it: `<url>[#ref[:subdir]]`. */
function gitContext(url: string, ref: string | undefined, subdir: string | undefined): string {
  return subdir ? `${url}#${ref ?? ''}:${subdir}` : ref ? `${url}#${ref}` : url;
}

/** The triggers that are on, e.g. `commit,pr,base-image:runtime`, or `-`. */
export function formatTaskTriggers(task: Pick<Task, 'commitTrigger' | 'prTrigger' | 'baseImageTrigger' | 'schedules'>): string {
  const on = [
    task.commitTrigger ? 'commit' : undefined,
    task.prTrigger ? 'pr' : undefined,
    task.baseImageTrigger !== 'off' ? `base-image:${task.baseImageTrigger}` : undefined,
    task.schedules.length > 0 ? 'timer' : undefined,
  ];
  return on.filter(Boolean).join(',') || '-';
}

export function renderTaskTable(tasks: Task[]): string {
  // Cron fields hold commas, so schedules are set apart with `; `.
  const rows = tasks.map((t) => [t.name, t.context, t.platforms.join(','), formatTaskTriggers(t), t.schedules.join('; ') || '-']);
  return renderTable(['NAME', 'CONTEXT', 'PLATFORMS', 'TRIGGERS', 'SCHEDULES'], rows);
}

/** A readable block for `task show|create|update`; a task never holds its git token, only whether it has one. */
export function renderTask(task: Task, now = Date.now()): string {
  const onOff = (on: boolean) => (on ? 'on' : 'off');
  return renderFields([
    ['Name', task.name],
    ['Context', task.context],
    ['Repository', task.repository],
    ['Dockerfile', task.dockerfile],
    ['Images', task.images.join(INDENT) || '-'],
    ['Platforms', task.platforms.join(', ')],
    ['Build args', Object.entries(task.buildArgs).map(([k, v]) => `${k}=${v}`).join(INDENT) || undefined],
    ['Labels', formatLabels(task.labels, INDENT)],
    ['Triggers', `commit ${onOff(task.commitTrigger)}, pull request ${onOff(task.prTrigger)}, base image ${task.baseImageTrigger}`],
    ['Schedules', task.schedules.map((s) => `${s} (UTC)`).join(INDENT) || '-'],
    ['Push', task.noPush ? 'no' : 'yes'],
    ['Timeout', `${task.timeoutSeconds}s`],
    ['Git token', task.hasGitToken ? 'set' : 'none'],
    ['Created', `${task.createdAt} (${formatAge(task.createdAt, now)})`],
    ['Updated', `${task.updatedAt} (${formatAge(task.updatedAt, now)})`],
  ]);
}
