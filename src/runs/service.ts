// Run lifecycle rules shared by the API and the workers: submit, start, finish, cancel. Every change of
// status goes through RunStore.transition, so concurrent actors (a cancel racing a worker) cannot both win.
import path from 'node:path';
import { BadInputError, ConflictError, NotFoundError } from '../errors.js';
import { parsePlatformList } from '../platforms.js';
import type { PlatformQueues } from '../queue/platform-queues.js';
import { waitingReason } from '../queue/worker-registry.js';
import { jobCapability, type DockerfileJob, type JobSource, type QueuedDockerfileJob } from '../queue/jobs.js';
import { canAssembleWithoutDaemon } from '../dockerfile/windows/plan.js';
import { formatReference, parseImageReference, withDefaultTag } from '../registry/reference.js';
import type { RunLog } from './logs.js';
import { isTerminal, type GitSource, type Run, type RunStatus, type Trigger } from './model.js';
import type { RunRequest } from '../contract/requests.js';
import { buildOptionNames, buildOptionsOf, type BuildOptions } from '../contract/build-options.js';
import { taskFileChecker } from '../taskfile/off-thread.js';
import type { StepMaximum } from '../taskfile/step-resources.js';
import type { Keyring } from '../secrets/sealed.js';
import { sealAssembleJob, sealJob } from '../secrets/sealed-jobs.js';
import type { RegistryLogin } from '../credentials/login.js';
import { secretTooShort } from '../log.js';
import type { RunPatch, RunRecords } from './records.js';
import { StoredRunProgress } from './stored-progress.js';
import { runVariables, type RunVariables } from './variables.js';
import type { Requester } from '../auth/scopes.js';
import { isQuarantined } from '../quarantine/policy.js';
import type { GitTools } from '../tasks/service.js';
import { CONTEXT_DIGEST } from '../contract/contexts.js';

export interface RunServiceOptions {
  /** Told of every run queued (the API's metrics). */
  queued?: (run: Run) => void;
  /** Told the id of every run that ends (published for the API's task follow-ups). */
  announceFinished?: (id: string) => Promise<void>;
  /** Platforms among those given that no live worker serves (they are queued, but the run says why it waits). */
  unserved?: (platforms: string[]) => Promise<string[]>;
  defaultRegistry: string;
  defaultTimeoutSeconds: number;
  maxTimeoutSeconds: number;
  contextExists: (digest: string) => Promise<boolean>;
  /** A file's text from a stored context: the Dockerfile (to route windows/amd64 runs), a task file (to check it). */
  readContextFile?: (context: string, file: string) => Promise<Buffer | undefined>;
  /** How task files may run here (checked when a run is submitted, and again by the worker). */
  taskFiles?: { allowPrivileged: boolean; imageAliases: Record<string, string>; stepLimits?: { maximum: StepMaximum } };
  /** Seals the secret values of every job before it is queued (Redis keeps job data on disk). */
  keyring: Keyring;
  /** The registry logins a run of `task` (or of no task) uses: sealed into its jobs, never in its record. */
  registryLogins?: (task?: string) => Promise<RegistryLogin[]>;
  /** Repository patterns whose images wait in quarantine (see quarantine/policy.ts). */
  quarantineRepositories?: readonly string[];
  /** Git contexts of `slipway build URL#ref:dir`: checked under the git URL policy, the ref resolved to its commit now. */
  git?: Pick<GitTools, 'parseContext' | 'resolveCommit'>;
}

/** What a run is made from, whoever asks for it: an upload, a task's trigger. */
export interface RunInput {
  platforms: string[];
  source: { context: string } | { git: GitSource };
  dockerfile: string;
  /** The image names, given the run id (task images may contain {{.Run.ID}}). */
  images: (runId: string) => string[];
  buildArgs: Record<string, string>;
  secretBuildArgs: Record<string, string>;
  /** BuildKit secrets, id → value; only the ids reach the run record. */
  buildSecrets?: Record<string, string>;
  target?: string;
  /** How the image is built (labels, --no-cache, --pull): stored in the run and handed to the builder as one object. */
  options?: BuildOptions;
  noPush: boolean;
  timeoutSeconds?: number;
  trigger: Trigger;
  task?: string;
  windowsDaemonless?: boolean;
  /** A task file run instead of the Dockerfile, with its values and secrets. */
  taskFile?: { path: string; values: Record<string, unknown>; secretValues: Record<string, string> };
  /** The task is set to quarantine: its images are pushed by digest and wait for a scanner. */
  quarantine?: boolean;
  /** Queue priority: absent for commit and manual runs, which go first; base-image rebuilds set one. */
  priority?: number;
  /** The token that asked, when one did: recorded, and its repository scope applied to the images before anything is queued. */
  requester?: Requester;
}

export class RunService {
  /** Where a run's end is written, the same way for the API as for the workers. */
  private readonly progress: StoredRunProgress;

  constructor(
    readonly store: RunRecords,
    readonly log: RunLog,
    private readonly queues: PlatformQueues,
    private readonly opts: RunServiceOptions,
  ) {
    this.progress = new StoredRunProgress(store, log, { finished: opts.announceFinished });
  }

  /** A run of an uploaded context (`slipway build`, or `slipway run` of a task file). */
  async submit(req: RunRequest, requester?: Requester): Promise<Run> {
    const short = [...Object.entries(req.secretBuildArgs), ...Object.entries(req.buildSecrets), ...Object.entries(req.secretValues ?? {})].map(([k, v]) => secretTooShort(`secret ${k}`, v)).find(Boolean);
    if (short) throw new BadInputError(short, 'secret_too_short');
    const platforms = parsePlatformList(req.platform);
    const dockerfile = normaliseDockerfilePath(req.dockerfile);
    if (!CONTEXT_DIGEST.test(req.context)) return this.submitGit(req, platforms, dockerfile, requester);
    if (!(await this.opts.contextExists(req.context))) {
      throw new BadInputError(`unknown context ${req.context}: upload it first with POST /v1/contexts`, 'unknown_context');
    }
    if (req.taskFile !== undefined) return this.submitTaskFile(req, platforms, requester);
    if (req.values || req.secretValues) throw new BadInputError('values and secretValues are for task files: give taskFile too', 'invalid_body');
    const windowsDaemonless = platforms.includes('windows/amd64') ? await this.windowsRoute(req.context, dockerfile) : undefined;
    return this.enqueue({ ...manualDockerfileRun(req, platforms, dockerfile, requester), source: { context: req.context }, windowsDaemonless });
  }

  /** A Dockerfile build of a git repository at the commit its ref names now, as a task's run builds one. */
  private async submitGit(req: RunRequest, platforms: string[], dockerfile: string, requester: Requester | undefined): Promise<Run> {
    if (!this.opts.git) throw new BadInputError('this server does not build git contexts; upload a folder instead', 'invalid_context');
    if (req.taskFile !== undefined || req.values || req.secretValues) throw new BadInputError('a task file from git runs as a task: slipway task create NAME --context URL -f FILE', 'invalid_body');
    if (platforms.includes('windows/amd64')) throw new BadInputError('windows/amd64 builds of a git context are not supported; upload the folder instead', 'invalid_platform');
    const { url, ref, subdir } = this.opts.git.parseContext(req.context);
    // Public repositories only: a run of a git context carries no token (a task keeps one for a private repository).
    const resolved = await this.opts.git.resolveCommit(url, ref, undefined);
    const source = { git: { url, commit: resolved.commit, ...(resolved.ref ? { ref: resolved.ref } : {}), ...(subdir ? { subdir } : {}) } };
    return this.enqueue({ ...manualDockerfileRun(req, platforms, dockerfile, requester), source });
  }

  /** A task file from the context, checked here (every error with its line and column) before it is queued. */
  private async submitTaskFile(req: RunRequest, platforms: string[], requester: Requester | undefined): Promise<Run> {
    const path = normaliseDockerfilePath(req.taskFile!);
    if (platforms.length > 1) throw new BadInputError('a task file run has one platform (its build steps may name others with --platform)', 'invalid_platform');
    const stray = [req.images.length && 'images', Object.keys(req.buildArgs).length && 'buildArgs', Object.keys(req.secretBuildArgs).length && 'secretBuildArgs', Object.keys(req.buildSecrets).length && 'buildSecrets', req.target && 'target', ...buildOptionNames(req)].filter(Boolean);
    if (stray.length) throw new BadInputError(`${stray.join(', ')} belong in the task file's build steps, not beside taskFile`, 'invalid_body');
    const text = await this.opts.readContextFile?.(req.context, path);
    if (text === undefined) throw new BadInputError(`task file ${JSON.stringify(path)} not found in the build context; its path is relative to the context`, 'task_file_not_found');
    const values = req.values ?? {};
    const secretValues = req.secretValues ?? {};
    // Placeholder run variables: the worker renders the file again with the run's own.
    const { pushes } = await taskFileChecker.check(text, {
      file: path,
      run: { ...this.runVariables('r0000000', platforms[0]!), Commit: '', Branch: '', TaskName: '' },
      values,
      secrets: secretValues,
      ...(this.opts.taskFiles ? this.opts.taskFiles : {}),
    });
    // What its push steps push, known now but for run variables (the repository rarely depends on them).
    // Checked whatever noPush says: a limited token may not submit a file that names pushes outside its scope.
    requester?.checkPush(pushes);
    // Its push targets are known now (but for run variables): pushes into a quarantined repository wait for a scanner.
    const quarantine = !req.noPush && this.quarantined(pushes.map((image) => this.normaliseImage(image)), false);
    return this.enqueue({
      ...(quarantine ? { quarantine } : {}),
      platforms,
      source: { context: req.context },
      dockerfile: normaliseDockerfilePath(req.dockerfile),
      images: () => [],
      buildArgs: {},
      secretBuildArgs: {},
      noPush: req.noPush,
      timeoutSeconds: req.timeoutSeconds,
      trigger: { type: 'manual' },
      taskFile: { path, values, secretValues },
      requester,
    });
  }

  /** `{{.Run.X}}` of a run, but Commit, Branch and TaskName, which depend on its source. */
  runVariables(id: string, platform: string): RunVariables {
    return runVariables(id, platform, this.opts.defaultRegistry);
  }

  /** Creates the run record and its jobs; image names are made once the run id is known (they may name it). */
  async enqueue(input: RunInput): Promise<Run> {
    const { platforms, windowsDaemonless } = input;
    const platform = platforms.join(',');
    const timeoutSeconds = input.timeoutSeconds ?? this.opts.defaultTimeoutSeconds;
    if (timeoutSeconds > this.opts.maxTimeoutSeconds) {
      throw new BadInputError(`timeoutSeconds ${timeoutSeconds} is over the limit of ${this.opts.maxTimeoutSeconds}`, 'invalid_timeout');
    }
    const unserved = (await this.opts.unserved?.(capabilities(platforms, windowsDaemonless))) ?? [];
    // Opened before the run exists: a login that cannot be opened (a changed key) fails the submit, not the run.
    const registryLogins = (await this.opts.registryLogins?.(input.task)) ?? [];
    const { id, seq } = await this.store.nextId();
    const images = input.images(id).map((image) => this.normaliseImage(image));
    if (input.taskFile && platforms.length > 1) throw new BadInputError('a task file run has one platform (its build steps may name others with --platform)', 'invalid_platform');
    if (images.length === 0 && !input.noPush && !input.taskFile) {
      throw new BadInputError('no image to push: give at least one image (-t NAME:TAG) or ask for noPush', 'no_images');
    }
    if (!input.noPush) input.requester?.checkPush(images);
    // A task file's pushes are not in `images`: its caller decided from them, or its task is set to quarantine.
    const quarantine = !input.noPush && this.quarantined(images, input.quarantine);
    const run: Run = {
      id,
      status: 'queued',
      platform,
      platforms,
      createdAt: new Date().toISOString(),
      trigger: input.trigger,
      requestedBy: input.requester?.name ?? `trigger:${input.trigger.type}`,
      ...(input.task ? { task: input.task } : {}),
      request: {
        ...input.source,
        dockerfile: input.dockerfile,
        images,
        buildArgs: input.buildArgs,
        secretBuildArgKeys: Object.keys(input.secretBuildArgs),
        ...(input.buildSecrets && Object.keys(input.buildSecrets).length ? { buildSecretIds: Object.keys(input.buildSecrets) } : {}),
        platform,
        target: input.target,
        ...input.options,
        noPush: input.noPush,
        timeoutSeconds,
        ...(windowsDaemonless !== undefined ? { windowsDaemonless } : {}),
        ...(input.taskFile ? { taskFile: input.taskFile.path, values: input.taskFile.values, secretValueKeys: Object.keys(input.taskFile.secretValues) } : {}),
        ...(quarantine ? { quarantine } : {}),
      },
      outputImages: [],
      ...(unserved.length ? { waiting: waitingReason(unserved) } : {}),
    };
    await this.store.create(run, seq);
    this.opts.queued?.(run);
    const scope = input.requester?.repositories.length ? { pushScope: { token: input.requester.name, repositories: [...input.requester.repositories] } } : {};
    const common = { runId: id, source: jobSource(input.source), ...(input.task ? { task: input.task } : {}), timeoutSeconds, registryLogins, ...scope };
    if (input.taskFile) {
      const { path, values, secretValues } = input.taskFile;
      await this.queues.enqueue(sealJob({ ...common, kind: 'task-file', platform, taskFile: path, values, secretValues, noPush: input.noPush, ...(quarantine ? { quarantine } : {}) }, this.opts.keyring), input.priority);
      return this.get(id);
    }
    const job = (p: string): QueuedDockerfileJob => sealJob(dockerfileJob(p), this.opts.keyring);
    const dockerfileJob = (p: string): DockerfileJob => ({
      ...common,
      kind: 'dockerfile',
      platform: p,
      dockerfile: input.dockerfile,
      images,
      buildArgs: input.buildArgs,
      secretBuildArgs: input.secretBuildArgs,
      buildSecrets: input.buildSecrets ?? {},
      target: input.target,
      ...(input.options ? { options: input.options } : {}),
      noPush: input.noPush,
      daemonless: p === 'windows/amd64' && windowsDaemonless === true,
      ...(quarantine ? { quarantine } : {}),
    });
    if (platforms.length === 1) await this.queues.enqueue(job(platform), input.priority);
    else await this.queues.enqueueFlow(sealAssembleJob({ runId: id, platforms, images, noPush: input.noPush, registryLogins, ...(quarantine ? { quarantine } : {}) }, this.opts.keyring), platforms.map(job), input.priority);
    return this.get(id);
  }

  private quarantined(images: readonly string[], task: boolean | undefined): boolean {
    return isQuarantined({ repositories: this.opts.quarantineRepositories ?? [], defaultRegistry: this.opts.defaultRegistry }, images, task);
  }

  /**
   * A Windows image whose Dockerfile runs nothing is assembled by any worker; one with RUN needs a
   * worker on a Windows host with Docker Engine.
   */
  private async windowsRoute(context: string, dockerfile: string): Promise<boolean> {
    const text = await this.opts.readContextFile?.(context, dockerfile);
    if (text === undefined) {
      throw new BadInputError(`Dockerfile ${JSON.stringify(dockerfile)} not found in the build context; pass -f with its path relative to the context`, 'dockerfile_not_found');
    }
    return canAssembleWithoutDaemon(text.toString('utf8')).ok;
  }

  private normaliseImage(image: string): string {
    const ref = withDefaultTag(parseImageReference(image, { defaultRegistry: this.opts.defaultRegistry }));
    if (ref.digest) {
      throw new BadInputError(`image ${JSON.stringify(image)} names a digest; a build pushes to tags, e.g. app:v1`, 'invalid_reference');
    }
    return formatReference(ref);
  }

  async get(id: string): Promise<Run> {
    const run = await this.store.get(id);
    if (!run) throw new NotFoundError(`no run ${JSON.stringify(id)}`, 'run_not_found');
    return run;
  }

  /** Ends a run once; later calls (a cancel racing a failure) change nothing and return false. */
  finish(id: string, from: readonly RunStatus[], status: RunStatus, patch: RunPatch = {}, lastLines: string[] = []): Promise<boolean> {
    return this.progress.finish(id, from, status, patch, lastLines);
  }

  /**
   * A queued run is canceled at once and its job removed; a running one is flagged and announced, and
   * its worker stops the build and records `canceled`.
   */
  async cancel(id: string, announce: (id: string) => Promise<void>): Promise<Run> {
    const run = await this.get(id);
    if (isTerminal(run.status)) throw new ConflictError(`run ${id} already ${run.status}`, 'run_finished');
    const reason = 'canceled before a worker started it';
    if (await this.finish(id, ['queued'], 'canceled', { error: reason }, [reason])) {
      // Platform jobs of a multi-platform run stay queued; workers skip jobs of a canceled run.
      if (run.platforms.length === 1) await this.queues.removeWaiting(capabilities(run.platforms, run.request.windowsDaemonless)[0]!, id);
      return this.get(id);
    }
    const flagged = await this.store.transition(id, ['running'], { cancelRequested: true });
    if (flagged.ok) await announce(id);
    return this.get(id);
  }
}

/** What a Dockerfile run asked for by hand carries into the queue, whatever its source (an upload or a git URL). */
function manualDockerfileRun(req: RunRequest, platforms: string[], dockerfile: string, requester: Requester | undefined): Omit<RunInput, 'source'> {
  return {
    platforms,
    dockerfile,
    images: () => req.images,
    buildArgs: req.buildArgs,
    secretBuildArgs: req.secretBuildArgs,
    buildSecrets: req.buildSecrets,
    target: req.target,
    options: buildOptionsOf(req),
    noPush: req.noPush,
    timeoutSeconds: req.timeoutSeconds,
    trigger: { type: 'manual' },
    requester,
  };
}

/** A run's source as its jobs carry it (the ref asked for stays in the run record). */
function jobSource(source: RunInput['source']): JobSource {
  if ('context' in source) return { kind: 'context', digest: source.context };
  const { url, commit, subdir } = source.git;
  return { kind: 'git', url, commit, ...(subdir !== undefined ? { subdir } : {}) };
}

/** What workers a run needs: its platforms, with windows/amd64 replaced by daemonless assembly where that applies. */
export function capabilities(platforms: readonly string[], windowsDaemonless: boolean | undefined): string[] {
  return platforms.map((p) => jobCapability(p, p === 'windows/amd64' && windowsDaemonless === true));
}

/** A Dockerfile path inside the context, with / separators; refuses anything that leaves it. */
export function normaliseDockerfilePath(input: string): string {
  const dockerfile = path.posix.normalize(input.replaceAll('\\', '/'));
  if (path.posix.isAbsolute(dockerfile) || dockerfile.startsWith('../') || dockerfile === '..') {
    throw new BadInputError(`dockerfile ${JSON.stringify(input)} must be a path inside the build context`, 'invalid_dockerfile');
  }
  return dockerfile;
}
