// The steps every build job shares: a fresh workspace with the job's source in it, and the BuildKit build
// with its progress in the run log.
import fs from 'node:fs/promises';
import type { Readable } from 'node:stream';
import path from 'node:path';
import { BadInputError } from '../../src/errors.js';
import { resolveInside } from '../../src/contexts/resolve-inside.js';
import { SecretMasker } from '../../src/log.js';
import type { BuildJob, DockerfileJob } from '../../src/queue/jobs.js';
import type { RunLogWriter } from '../log-writer.js';
import { unpackContext } from '../source/context.js';
import type { ChildContext } from '../child-context.js';
import { recordBaseImages } from './base-images.js';
import { gitSourceLabels } from '../../src/dockerfile/oci-labels.js';
import { formatReference, parseImageReference, withDefaultTag } from '../../src/registry/reference.js';

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
  /** A checkout: the repository and the commit checked out (for the image's OCI source labels). */
  git?: { url: string; commit: string };
}

/** The context folder of a workspace that has one (checkouts, and uploads unpacked because a step needs files). */
export function contextFolder(ws: Workspace): string {
  if (ws.contextDir === undefined) throw new Error('this workspace holds its context as an archive, not a folder');
  return ws.contextDir;
}

/** Runs `body` in a fresh workspace holding the build context; the workspace is always removed. */
export async function withWorkspace<T>(ctx: ChildContext, spec: BuildJob, io: { out: RunLogWriter; signal: AbortSignal }, body: (ws: Workspace) => Promise<T>): Promise<T> {
  const { config } = ctx;
  await fs.mkdir(config.workspacesDir, { recursive: true });
  const dir = await fs.mkdtemp(path.join(config.workspacesDir, `${spec.runId}-`));
  try {
    let contextDir = path.join(dir, 'context');
    let git: Workspace['git'];
    const { source } = spec;
    // An upload needs unpacking only for what reads its files: Windows assembly without a daemon, and task files.
    if (source.kind === 'context' && spec.kind === 'dockerfile' && !spec.daemonless) {
      const dockerfile = await ctx.contexts.readFile(source.digest, spec.dockerfile);
      if (!dockerfile) throw missingFile(spec.dockerfile, 'Dockerfile');
      return await body({ dir, archive: () => ctx.contexts.open(source.digest), dockerfileText: dockerfile.toString('utf8') });
    } else if (source.kind === 'context') {
      await fs.mkdir(contextDir);
      await unpackContext(ctx.contexts.open(source.digest), contextDir, { unpackedBytes: config.limits.unpackedBytes, entries: config.limits.contextEntries });
    } else {
      const token = spec.task ? await ctx.tasks.token(spec.task) : undefined;
      const checkout = await ctx.git.checkout({
        url: source.url,
        commit: source.commit,
        ...(token ? { token } : {}),
        ...(source.subdir ? { subdir: source.subdir } : {}),
        dest: contextDir,
        signal: io.signal,
        onLine: (line) => io.out.line(`git: ${line}`),
      });
      io.out.line(`slipway: checked out ${source.url} at ${checkout.commit} (${checkout.fetched}, ${checkout.objects} new objects)`);
      contextDir = checkout.contextDir;
      git = { url: source.url, commit: checkout.commit };
    }
    if (spec.kind === 'task-file') await requireFile(contextDir, spec.taskFile, 'task file');
    else await requireFile(contextDir, spec.dockerfile, 'Dockerfile');
    return await body({ dir, contextDir, ...(git ? { git } : {}) });
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
export async function buildImage(ctx: ChildContext, spec: DockerfileJob, ws: Workspace, tags: string[], out: RunLogWriter, signal: AbortSignal): Promise<string> {
  signal.throwIfAborted();
  const secretArgs = Object.keys(spec.secretBuildArgs);
  if (secretArgs.length) {
    out.line(`slipway: warning: secret build args (${secretArgs.join(', ')}) are build args: a RUN that uses one records its value in the image history; pass secrets with --secret id=…,src=FILE and read them with RUN --mount=type=secret,id=…`);
  }
  const given = spec.options?.labels;
  const labels = ws.git ? { ...gitSourceLabels(ws.git, await fs.readFile(resolveInside(contextFolder(ws), spec.dockerfile) ?? '', 'utf8'), given, new Date()), ...given } : given;
  // A name without a registry is the default registry's, as for the images a run pushes (the Engine would read Docker Hub).
  const cacheFrom = spec.options?.cacheFrom?.map((ref) => formatReference(withDefaultTag(parseImageReference(ref, { defaultRegistry: ctx.config.defaultRegistry }))));
  const building = ctx.engine.build({
    ...spec.options,
    ...(labels ? { labels } : {}),
    ...(cacheFrom ? { cacheFrom } : {}),
    ...(ws.archive ? { contextArchive: ws.archive } : { contextDir: contextFolder(ws) }),
    // An upload was filtered by the CLI; a checkout still holds what its .dockerignore excludes.
    applyDockerignore: spec.source.kind === 'git',
    dockerfile: spec.dockerfile,
    tags,
    buildArgs: { ...spec.buildArgs, ...spec.secretBuildArgs },
    platform: spec.platform,
    target: spec.target,
    // Served from this process's memory by the build's session; never a build arg, never in the image.
    session: { secrets: spec.buildSecrets },
    signal,
    log: (line) => out.line(line),
  });
  // The base images are resolved while the Engine builds (registry and Redis round trips, and the
  // Dockerfile parsed): the build does not need them, so its request goes out first.
  // They are recorded whether the build succeeds or not.
  const recording = recordBaseImages(ctx, spec, ws, out);
  const [recorded, built] = await Promise.allSettled([recording, building]);
  if (built.status === 'rejected') throw built.reason;
  if (recorded.status === 'rejected') throw recorded.reason;
  return built.value;
}

/** Masks the values of a build's secret build args and BuildKit secrets. */
export function buildArgsMasker(spec: DockerfileJob): SecretMasker {
  const masker = new SecretMasker();
  for (const value of [...Object.values(spec.secretBuildArgs), ...Object.values(spec.buildSecrets)]) masker.add(value);
  return masker;
}
