// The steps every build job shares: a fresh workspace with the context unpacked, the BuildKit build
// with its progress in the run log, and the final status a failure maps to.
import fs from 'node:fs/promises';
import type { Readable } from 'node:stream';
import path from 'node:path';
import { BadInputError, isSlipwayError } from '../../src/errors.js';
import { resolveInside } from '../../src/contexts/resolve-inside.js';
import type { BuildJob } from '../../src/queue/jobs.js';
import type { RunStatus } from '../../src/runs/model.js';
import { BuildProgress } from '../engine/buildkit-progress.js';
import { EngineError } from '../engine/docker-engine.js';
import type { RunLogWriter } from '../log-writer.js';
import { unpackContext } from '../source/context.js';
import type { ChildContext } from '../child-context.js';
import { recordBaseImages } from './base-images.js';

export interface Workspace {
  /** The run's own directory, removed afterwards. */
  dir: string;
  /** The build context as a folder inside it: the checkout (or its subdir), or an upload that had to be unpacked. */
  contextDir?: string;
  /**
   * An upload sent to the Engine as it is stored, not unpacked and packed again: the CLI already left out what
   * .dockerignore excludes, and the API checked every entry when it was uploaded.
   */
  archive?: () => Readable;
  /** The Dockerfile's text, when it was read from the archive. */
  dockerfileText?: string;
}

/** The context folder of a workspace that has one (checkouts, and uploads unpacked because a step needs files). */
export function contextFolder(ws: Workspace): string {
  if (ws.contextDir === undefined) throw new Error('this workspace holds its context as an archive, not a folder');
  return ws.contextDir;
}

/** An upload needs unpacking only for what reads its files: Windows assembly without a daemon, and task files. */
const needsFolder = (spec: BuildJob) => spec.daemonless || spec.taskFile !== undefined;

/** Runs `body` in a fresh workspace holding the build context; the workspace is always removed. */
export async function withWorkspace<T>(ctx: ChildContext, spec: BuildJob, io: { out: RunLogWriter; signal: AbortSignal }, body: (ws: Workspace) => Promise<T>): Promise<T> {
  const { config } = ctx;
  await fs.mkdir(config.workspacesDir, { recursive: true });
  const dir = await fs.mkdtemp(path.join(config.workspacesDir, `${spec.runId}-`));
  try {
    let contextDir = path.join(dir, 'context');
    if (spec.context && !needsFolder(spec)) {
      const digest = spec.context;
      const dockerfile = await ctx.contexts.readFile(digest, spec.dockerfile);
      if (!dockerfile) throw missingFile(spec.dockerfile, 'Dockerfile');
      return await body({ dir, archive: () => ctx.contexts.open(digest), dockerfileText: dockerfile.toString('utf8') });
    } else if (spec.context) {
      await fs.mkdir(contextDir);
      await unpackContext(ctx.contexts.open(spec.context), contextDir, { unpackedBytes: config.limits.unpackedBytes, entries: config.limits.contextEntries });
    } else if (spec.git) {
      const token = spec.task ? await ctx.tasks.token(spec.task) : undefined;
      const checkout = await ctx.git.checkout({
        url: spec.git.url,
        commit: spec.git.commit,
        ...(token ? { token } : {}),
        ...(spec.git.subdir ? { subdir: spec.git.subdir } : {}),
        dest: contextDir,
        signal: io.signal,
        onLine: (line) => io.out.line(`git: ${line}`),
      });
      io.out.line(`slipway: checked out ${spec.git.url} at ${checkout.commit} (${checkout.fetched}, ${checkout.objects} new objects)`);
      contextDir = checkout.contextDir;
    } else {
      throw new BadInputError('the job names neither an uploaded context nor a git source', 'invalid_job');
    }
    if (spec.taskFile) await requireFile(contextDir, spec.taskFile, 'task file');
    else await requireFile(contextDir, spec.dockerfile, 'Dockerfile');
    return await body({ dir, contextDir });
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

async function requireFile(contextDir: string, file: string, what: 'Dockerfile' | 'task file'): Promise<void> {
  const real = resolveInside(contextDir, file);
  const stat = real === undefined ? undefined : await fs.stat(real).catch(() => undefined);
  if (!stat?.isFile()) throw missingFile(file, what);
}

function missingFile(file: string, what: 'Dockerfile' | 'task file'): BadInputError {
  return new BadInputError(`${what} ${JSON.stringify(file)} not found in the build context; pass -f with its path relative to the context`, what === 'Dockerfile' ? 'dockerfile_not_found' : 'task_file_not_found');
}

/** Builds the workspace's context with BuildKit; resolves with the image id. */
export async function buildImage(ctx: ChildContext, spec: BuildJob, ws: Workspace, tags: string[], progress: BuildProgress, out: RunLogWriter, signal: AbortSignal): Promise<string> {
  signal.throwIfAborted();
  const building = ctx.engine.build({
    ...(ws.archive ? { contextArchive: ws.archive() } : { contextDir: contextFolder(ws) }),
    // An upload was filtered by the CLI; a checkout still holds what its .dockerignore excludes.
    applyDockerignore: spec.git !== undefined,
    dockerfile: spec.dockerfile,
    tags,
    buildArgs: { ...spec.buildArgs, ...spec.secretBuildArgs },
    platform: spec.platform,
    target: spec.target,
    signal,
    onMessage: (m) => progress.write(m),
  });
  // The base images are resolved while the Engine builds (12-17 ms of registry and Redis round trips
  // here, and the Dockerfile parsed): the build does not need them, so its request goes out first.
  // They are recorded whether the build succeeds or not.
  const recording = recordBaseImages(ctx, spec, ws, out);
  const [recorded, built] = await Promise.allSettled([recording, building]);
  if (built.status === 'rejected') throw built.reason;
  if (recorded.status === 'rejected') throw recorded.reason;
  return built.value;
}

export function newProgress(out: RunLogWriter): BuildProgress {
  return new BuildProgress((line) => out.line(line));
}

/** Decides the final status: canceled and timeout win over the error they caused; the user's mistakes are `failed`. */
export function outcome(err: unknown, signal: AbortSignal, progress: BuildProgress, timeoutSeconds: number): { status: RunStatus; message: string } {
  if (signal.aborted && signal.reason === 'canceled') return { status: 'canceled', message: 'canceled while running' };
  if (signal.aborted && signal.reason === 'timeout') return { status: 'timeout', message: `timed out after ${timeoutSeconds} s` };
  const failure = progress.failure();
  if (failure) {
    const output = failure.output.length ? `\n${failure.output.join('\n')}` : '';
    return { status: 'failed', message: `${failure.step ? failure.step + ': ' : ''}${failure.error}${output}` };
  }
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof EngineError || isSlipwayError(err)) return { status: 'failed', message };
  return { status: 'error', message };
}
