// Task rules: validation of definitions (context URL, platforms, image templates, schedules), storage,
// and turning a trigger (manual, commit, pull request, timer) into a run at an exact commit.
import { CronExpressionParser } from 'cron-parser';
import { BadInputError, ConflictError, NotFoundError } from '../errors.js';
import { parsePlatformList } from '../platforms.js';
import type { Run, Trigger } from '../runs/model.js';
import { normaliseDockerfilePath, type RunService } from '../runs/service.js';
import { buildOptionsOf, type BuildOptions } from '../contract/build-options.js';
import { stableTags, taskBuildOptions } from './build-cache.js';
import { Task, TASK_NAME, TaskPatch, TaskSpec } from './model.js';
import type { TaskRecords, TaskSlotRecords } from './records.js';
import { randomUUID } from 'node:crypto';
import { RUN_ID_PATTERN } from '../runs/ids.js';
import { isTerminal } from '../runs/model.js';
import { checkRunTemplate, renderRunTemplate } from './template.js';
import type { Requester } from '../auth/scopes.js';

/** How many of a task's latest runs are searched for the last image it pushed, the cache of its next run. */
const RECENT_RUNS = 10;

export interface GitTools {
  /** `<url>[#ref[:subdir]]` → its parts, after the URL policy; throws BadInputError. */
  parseContext(context: string): { url: string; ref?: string; subdir?: string };
  /** The form repository URLs are matched in. */
  normaliseUrl(url: string): string;
  /** The commit a ref points at now, asked of the remote. */
  resolveCommit(url: string, ref: string | undefined, token: string | undefined): Promise<{ commit: string; ref: string }>;
}

/** Keeps timer triggers in step with the task definitions. */
export interface TaskSchedules {
  sync(task: Pick<Task, 'name' | 'schedules'>): Promise<void>;
  remove(name: string): Promise<void>;
}

export interface TaskServiceOptions {
  defaultRegistry: string;
  maxTimeoutSeconds: number;
  defaultTimeoutSeconds: number;
  /** BullMQ priority of base-image rebuilds (commit and manual runs have none, so they go first). */
  rebuildPriority?: number;
}

export interface TaskTrigger {
  trigger: Trigger;
  /** The exact commit, when the trigger names one (webhooks); otherwise the task's ref is resolved now. */
  commit?: string;
  branch?: string;
}

export class TaskService {
  constructor(
    readonly store: TaskRecords,
    readonly runs: RunService,
    private readonly git: GitTools,
    private readonly opts: TaskServiceOptions,
    private readonly schedules?: TaskSchedules,
    private readonly slots?: TaskSlotRecords,
  ) {}

  async create(name: string, body: unknown, requester?: Requester): Promise<Task> {
    if (!TASK_NAME.test(name)) throw new BadInputError(`task name ${JSON.stringify(name.slice(0, 60))} must be letters, digits, - and _, at most 50`, 'invalid_task_name');
    const spec = TaskSpec.parse(body);
    const now = new Date().toISOString();
    const task = this.define(name, spec, now, now);
    this.checkPush(task, requester);
    if (!(await this.store.put(task, { create: true, token: spec.gitToken, webhookToken: spec.webhookToken }))) throw new ConflictError(`task ${name} already exists; update it or delete it first`, 'task_exists');
    await this.schedules?.sync(task);
    return task;
  }

  async update(name: string, body: unknown, requester?: Requester): Promise<Task> {
    const current = await this.get(name);
    const patch = TaskPatch.parse(body);
    // Every settable field the task has now, then those given: the list follows the schema, so a new field needs no line here.
    const stored = Object.fromEntries(Object.keys(TaskSpec.shape).flatMap((key) => (Object.hasOwn(current, key) ? [[key, current[key as keyof Task]]] : [])));
    const merged = TaskSpec.parse({ ...stored, ...patch });
    // A token is for the repository it was given with: sent to another one it would leak. Moving the task
    // elsewhere drops it, unless the same request gives one for the new place.
    const moved = this.git.normaliseUrl(this.git.parseContext(merged.context).url) !== current.repository;
    const keepsToken = current.hasGitToken && !(moved && patch.gitToken === undefined);
    // A webhook token, too, is for its repository's git server.
    const keepsWebhookToken = current.hasWebhookToken && !(moved && patch.webhookToken === undefined);
    const task = this.define(name, merged, current.createdAt, new Date().toISOString(), keepsToken, keepsWebhookToken);
    this.checkPush(task, requester);
    await this.store.put(task, {
      create: false,
      token: patch.gitToken ?? (keepsToken ? undefined : null),
      webhookToken: patch.webhookToken ?? (keepsWebhookToken ? undefined : null),
      previousRepository: current.repository,
    });
    await this.schedules?.sync(task);
    return task;
  }

  /** The parts of a task's git context. */
  contextOf(task: Task): { url: string; ref?: string; subdir?: string } {
    return this.git.parseContext(task.context);
  }

  async get(name: string): Promise<Task> {
    const task = await this.store.get(name);
    if (!task) throw new NotFoundError(`no task ${JSON.stringify(name.slice(0, 60))}`, 'task_not_found');
    return task;
  }

  async delete(name: string): Promise<void> {
    if (!(await this.store.delete(name))) throw new NotFoundError(`no task ${JSON.stringify(name.slice(0, 60))}`, 'task_not_found');
    await this.schedules?.remove(name);
  }

  /**
   * A trigger (commit, pull request, timer) for a task: a run now if the task has none going, else one
   * follow-up after it, at the newest trigger's commit — however many triggers arrive meanwhile.
   */
  async trigger(name: string, how: TaskTrigger): Promise<{ run: Run } | { deferredBehind: string }> {
    if (!this.slots) return { run: await this.run(name, how) };
    const claim = `trigger-${randomUUID()}`;
    const holder = await this.slots.claim(name, claim);
    if (holder !== undefined) {
      const current = RUN_ID_PATTERN.test(holder) ? await this.runs.store.get(holder) : undefined;
      const stale = current !== undefined && isTerminal(current.status);
      if (!stale || !(await this.slots.replace(name, holder, claim, true))) {
        await this.slots.defer(name, JSON.stringify(how));
        return { deferredBehind: holder };
      }
    }
    try {
      const run = await this.run(name, how);
      await this.slots.replace(name, claim, run.id);
      // A run that ended before it held the slot found nothing to release when its finish was handled.
      const now = await this.runs.store.get(run.id);
      if (now && isTerminal(now.status)) await this.runFinished(now);
      return { run };
    } catch (err) {
      await this.slots.release(name, claim);
      throw err;
    }
  }

  /** After a task's run ends: frees its slot and starts the follow-up that waited for it, if any. */
  async runFinished(run: Pick<Run, 'id' | 'task'>): Promise<Run | undefined> {
    if (!this.slots || !run.task || !(await this.slots.release(run.task, run.id))) return undefined;
    const deferred = await this.slots.takeDeferred(run.task);
    if (!deferred || !(await this.store.get(run.task))) return undefined;
    const next = await this.trigger(run.task, JSON.parse(deferred) as TaskTrigger);
    return 'run' in next ? next.run : undefined;
  }

  /** Starts one run of the task at the trigger's commit (or the ref's current commit); manual runs take no slot. */
  async run(name: string, how: TaskTrigger, requester?: Requester): Promise<Run> {
    const task = await this.get(name);
    const { url, ref, subdir } = this.git.parseContext(task.context);
    const token = await this.store.token(name);
    const resolved = how.commit ? { commit: how.commit, ref: how.trigger.ref ?? ref ?? '' } : await this.git.resolveCommit(url, ref, token);
    const branch = how.branch ?? branchOf(resolved.ref) ?? '';
    const push = pushesOf(task, how.trigger.type);
    return this.runs.enqueue({
      platforms: task.platforms,
      source: { git: { url, commit: resolved.commit, ...(resolved.ref ? { ref: resolved.ref } : {}), ...(subdir ? { subdir } : {}) } },
      dockerfile: task.dockerfile,
      // As ACR decides: a .yaml or .yml file is a multi-step task file, anything else a Dockerfile.
      ...(isTaskFile(task.dockerfile) ? { taskFile: { path: task.dockerfile, values: {}, secretValues: {} } } : {}),
      images: (runId) => push.images.map((image) => renderRunTemplate(image, this.variables(task, runId, resolved.commit, branch))),
      buildArgs: task.buildArgs,
      secretBuildArgs: {},
      options: await this.buildOptions(task, push, branch),
      noPush: push.noPush,
      ...(task.quarantine ? { quarantine: true } : {}),
      timeoutSeconds: task.timeoutSeconds,
      trigger: { ...how.trigger, commit: resolved.commit },
      task: name,
      ...(how.trigger.type === 'base-image' && this.opts.rebuildPriority ? { priority: this.opts.rebuildPriority } : {}),
      ...(requester ? { requester } : {}),
    });
  }

  /** The task's build options, with the cache that follows the task from Engine to Engine (tasks/build-cache.ts). */
  private async buildOptions(task: Task, push: { images: string[]; noPush: boolean }, branch: string): Promise<BuildOptions> {
    const options = buildOptionsOf(task);
    // A task file names its cache in its build steps' flags.
    if (isTaskFile(task.dockerfile)) return options;
    return taskBuildOptions({
      options,
      pushes: !push.noPush,
      recentRuns: await this.runs.store.list({ task: task.name, top: RECENT_RUNS }),
      stableTags: stableTags([...new Set([...push.images, ...task.images])], (runId, commit) => this.variables(task, runId, commit, branch)),
    });
  }

  /** The requester's repository scope applied to what the task pushes, its run variables filled with placeholders. */
  private checkPush(task: Task, requester: Requester | undefined): void {
    if (!requester || task.noPush) return;
    requester.checkPush([...task.images, ...task.pullRequestImages].map((image) => renderRunTemplate(image, this.variables(task, 'r0000000', '0'.repeat(40), 'main'))));
  }

  private variables(task: Task, runId: string, commit: string, branch: string) {
    return { ...this.runs.runVariables(runId, task.platforms[0]!), Commit: commit, Branch: branch, TaskName: task.name };
  }

  /** Validates a definition completely before anything is stored. */
  private define(name: string, spec: TaskSpec, createdAt: string, updatedAt: string, hadToken = false, hadWebhookToken = false): Task {
    const { url } = this.git.parseContext(spec.context);
    const platforms = parsePlatformList(spec.platform);
    for (const image of [...spec.images, ...spec.pullRequestImages]) checkRunTemplate(image);
    if (isTaskFile(spec.dockerfile) && spec.pullRequestImages.length) throw new BadInputError(`a task file pushes what its steps say: a pull-request run of it pushes only with pullRequestPush`, 'invalid_images');
    if (isTaskFile(spec.dockerfile) && spec.images.length) throw new BadInputError(`a task file pushes what its steps say: put the images in ${spec.dockerfile}'s push steps, not in -t`, 'invalid_images');
    if (spec.images.length === 0 && !spec.noPush && !isTaskFile(spec.dockerfile)) throw new BadInputError('a task needs at least one image (-t NAME:TAG) unless it does not push', 'no_images');
    for (const schedule of spec.schedules) checkSchedule(schedule);
    const timeoutSeconds = spec.timeoutSeconds ?? this.opts.defaultTimeoutSeconds;
    if (timeoutSeconds > this.opts.maxTimeoutSeconds) throw new BadInputError(`timeoutSeconds ${timeoutSeconds} is over the limit of ${this.opts.maxTimeoutSeconds}`, 'invalid_timeout');
    return Task.parse({
      name,
      context: spec.context,
      dockerfile: normaliseDockerfilePath(spec.dockerfile),
      images: spec.images,
      platform: platforms.join(','),
      platforms,
      buildArgs: spec.buildArgs,
      commitTrigger: spec.commitTrigger,
      prTrigger: spec.prTrigger,
      baseImageTrigger: spec.baseImageTrigger,
      schedules: spec.schedules,
      timeoutSeconds,
      noPush: spec.noPush,
      ...(spec.quarantine ? { quarantine: true } : {}),
      pullRequestPush: spec.pullRequestPush,
      pullRequestImages: spec.pullRequestImages,
      ...buildOptionsOf(spec),
      repository: this.git.normaliseUrl(url),
      hasGitToken: spec.gitToken !== undefined || hadToken,
      hasWebhookToken: spec.webhookToken !== undefined || hadWebhookToken,
      createdAt,
      updatedAt,
    });
  }
}

/**
 * What a run of the task pushes for this trigger. A pull-request run pushes nothing unless the task says so:
 * to its pull-request tags when it names some, else to its own tags only with pullRequestPush.
 */
export function pushesOf(task: Pick<Task, 'images' | 'noPush' | 'pullRequestPush' | 'pullRequestImages'>, trigger: Trigger['type']): { images: string[]; noPush: boolean } {
  if (task.noPush || trigger !== 'pull_request') return { images: task.images, noPush: task.noPush };
  if (task.pullRequestImages.length) return { images: task.pullRequestImages, noPush: false };
  return { images: task.images, noPush: !task.pullRequestPush };
}

/** A task's file is a task file (its steps push what they build) when its name ends in .yaml or .yml. */
export function isTaskFile(file: string): boolean {
  return /\.ya?ml$/i.test(file);
}

function branchOf(ref: string | undefined): string | undefined {
  return ref?.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : ref && !ref.startsWith('refs/') && !/^[0-9a-f]{40}$/.test(ref) ? ref : undefined;
}

/** A 5-field cron expression in UTC, as ACR's timer triggers take. */
export function checkSchedule(expression: string): void {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) throw new BadInputError(`schedule ${JSON.stringify(expression.slice(0, 100))} must have 5 fields (minute hour day month weekday), in UTC`, 'invalid_schedule');
  try {
    CronExpressionParser.parse(expression, { tz: 'UTC' });
  } catch (err) {
    throw new BadInputError(`schedule ${JSON.stringify(expression.slice(0, 100))} is not a valid cron expression: ${(err as Error).message}`, 'invalid_schedule');
  }
}
