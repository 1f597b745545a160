// A build step through the image builder, with paths read as docker build reads them inside ACR's step
// container: the context relative to the step's working directory (under /workspace, the source), -f relative
// to that working directory too.
import fs from 'node:fs/promises';
import { resolveInside } from '../../src/contexts/resolve-inside.js';
import path from 'node:path';
import type { ResolvedStep } from '../../src/taskfile/model.js';
import { EngineError, type ImageBuilder } from '../builder/image-builder.js';
import { isGitError } from '../../src/git/errors.js';
import { StepFailedError } from './cmd-step.js';
import { pushWithRetry } from '../jobs/push-retry.js';
import { pushAs, type RunImages } from './run-images.js';
import { asRequested, runLocalBases, type RunLocalBases } from './run-local-bases.js';
import { WORKSPACE_MOUNT, type StepExecutorOptions } from './model.js';

export interface BuildContext {
  engine: ImageBuilder;
  images: RunImages;
  workspace: string;
  platform: string;
  log: (line: string) => void;
  signal: AbortSignal;
  /** The run's secret volumes: name → host directory of their files. */
  volumes: Map<string, string>;
  /** A private directory for a context that needs volumes added to it (removed afterwards). */
  scratchDir: string;
  checkoutGit?: StepExecutorOptions['checkoutGit'];
  /** Why a `cache: enabled` step leaves no cache in the registry (a run that pushes nothing); undefined: it does. */
  noCacheExport?: string;
}

export async function runBuildStep(step: ResolvedStep, ctx: BuildContext): Promise<{ imageId: string }> {
  const spec = step.build!;
  const workingDirectory = step.workingDirectory ?? WORKSPACE_MOUNT;
  const checkout = spec.git ? await checkoutContext(step, ctx) : undefined;
  let mounted: string | undefined;
  let local: RunLocalBases | undefined;
  try {
    const paths = checkout ? await gitPaths(checkout.contextDir, spec.dockerfile) : await buildPaths(ctx.workspace, workingDirectory, spec.context, spec.dockerfile);
    // A remote context is the repository alone: ACR's docker CLI container sees it at its own path.
    if (!checkout && step.volumeMounts.length) mounted = await contextWithVolumes(step, ctx, paths.contextDir, path.posix.resolve(workingDirectory, spec.context));
    const contextDir = mounted ?? paths.contextDir;
    const { dockerfile } = paths;
    local = await runLocalBases(step, contextDir, dockerfile, { images: ctx.images, platform: ctx.platform, log: ctx.log });
    const imageId = await ctx.engine.build({
      contextDir,
      dockerfile,
      ...(local ? { dockerfileText: local.dockerfileText, localBases: [...local.requested.keys()] } : {}),
      // The run's own names: the names asked for exist on the shared Engine only while a push step pushes them.
      tags: ctx.images.tagsFor(spec.tags),
      buildArgs: spec.buildArgs,
      platform: spec.platform ?? ctx.platform,
      ...(spec.target !== undefined ? { target: spec.target } : {}),
      ...(spec.labels ? { labels: spec.labels } : {}),
      ...(spec.noCache ? { noCache: true } : {}),
      ...(spec.pull ? { pull: true } : {}),
      // cache: enabled reads the step's cache image, and writes it inline: the Engine exports no registry cache.
      ...(spec.cacheFrom.length || step.buildCache ? { cacheFrom: [...spec.cacheFrom, ...(step.buildCache ? [step.buildCache] : [])] } : {}),
      ...(step.buildCache ? { cacheTo: 'inline' as const } : {}),
      // The task's secrets this step names with --secret, served by the build's session.
      ...(step.buildSecrets ? { session: { secrets: step.buildSecrets } } : {}),
      // The source was not filtered by a CLI here: a .dockerignore in it must apply.
      applyDockerignore: true,
      signal: ctx.signal,
      log: local ? (line) => ctx.log(asRequested(line, local)) : ctx.log,
    });
    ctx.images.built(spec.tags, step.id, spec.platform ?? ctx.platform);
    if (step.buildCache) await exportCache(step, ctx);
    return { imageId };
  } catch (err) {
    if (err instanceof EngineError) throw new StepFailedError(asRequested(err.message, local));
    if (isGitError(err)) throw new StepFailedError(`build context ${spec.context}: ${err.message}`);
    throw err;
  } finally {
    if (mounted) await fs.rm(mounted, { recursive: true, force: true });
    if (checkout) await fs.rm(checkout.dir, { recursive: true, force: true });
  }
}

/** The step's remote git context, checked out into a directory of its own under the run's scratch directory. */
async function checkoutContext(step: ResolvedStep, ctx: BuildContext): Promise<{ dir: string; contextDir: string }> {
  if (!ctx.checkoutGit) throw new StepFailedError(`build context ${step.build!.context}: remote git contexts are not available here`);
  await fs.mkdir(ctx.scratchDir, { recursive: true, mode: 0o700 });
  const dir = await fs.mkdtemp(path.join(ctx.scratchDir, 'git-context-'));
  try {
    return { dir, contextDir: await ctx.checkoutGit(step.build!.git!, path.join(dir, 'repo'), ctx.signal, ctx.log) };
  } catch (err) {
    await fs.rm(dir, { recursive: true, force: true });
    if (isGitError(err)) throw new StepFailedError(`build context ${step.build!.context}: ${err.message}`);
    throw err;
  }
}

/** A git context's Dockerfile: -f relative to the context directory (the fragment's dir), as docker build reads it. */
async function gitPaths(contextDir: string, file: string | undefined): Promise<{ contextDir: string; dockerfile: string }> {
  const dockerfile = path.posix.normalize(file ?? 'Dockerfile');
  const real = resolveInside(contextDir, dockerfile);
  const stat = real === undefined ? undefined : await fs.stat(real).catch(() => undefined);
  if (!stat?.isFile()) throw new StepFailedError(`Dockerfile ${dockerfile} not found in the build context`);
  return { contextDir, dockerfile };
}

/**
 * In ACR a build step's volumes are mounted into the container running docker build, so a volume mounted
 * inside the build context is part of the context (a Dockerfile can COPY its files), and one elsewhere is
 * not seen by the build. The context is copied to a private directory with the volumes' files added, since
 * the run's workspace is shared by steps running side by side. Undefined when no volume lands in the context.
 */
async function contextWithVolumes(step: ResolvedStep, ctx: BuildContext, contextDir: string, contextPath: string): Promise<string | undefined> {
  const inside = step.volumeMounts.flatMap((m) => {
    const rel = path.posix.relative(contextPath, m.mountPath);
    if (rel.startsWith('..') || path.posix.isAbsolute(rel)) {
      ctx.log(`slipway: volume ${m.name} at ${m.mountPath} is outside the build context ${contextPath}: the build does not see it`);
      return [];
    }
    return [{ ...m, rel }];
  });
  if (inside.length === 0) return undefined;
  await fs.mkdir(ctx.scratchDir, { recursive: true, mode: 0o700 });
  const copy = await fs.mkdtemp(path.join(ctx.scratchDir, 'build-context-'));
  try {
    await fs.cp(contextDir, copy, { recursive: true, verbatimSymlinks: true });
    for (const m of inside) {
      // Component by component: a symbolic link in the source must not lead the volume's files out of the copy.
      let dir = copy;
      for (const part of m.rel.split('/').filter(Boolean)) {
        dir = path.join(dir, part);
        const stat = await fs.lstat(dir).catch(() => undefined);
        if (!stat) await fs.mkdir(dir);
        else if (!stat.isDirectory()) throw new StepFailedError(`volume ${m.name} is mounted at ${m.mountPath}, where the build context has a ${stat.isSymbolicLink() ? 'symbolic link' : 'file'}`);
      }
      const source = ctx.volumes.get(m.name)!;
      for (const file of await fs.readdir(source)) {
        await fs.rm(path.join(dir, file), { recursive: true, force: true });
        await fs.copyFile(path.join(source, file), path.join(dir, file));
      }
      ctx.log(`slipway: volume ${m.name} mounted at ${m.mountPath}, in the build context`);
    }
    return copy;
  } catch (err) {
    await fs.rm(copy, { recursive: true, force: true });
    throw err;
  }
}

/** Pushes the built image, its cache inline, as the step's cache image: ACR pushes it from the build step, before any push step. */
async function exportCache(step: ResolvedStep, ctx: BuildContext): Promise<void> {
  const cache = step.buildCache!;
  if (ctx.noCacheExport) {
    ctx.log(`slipway: cache: not pushing ${cache}: ${ctx.noCacheExport}`);
    return;
  }
  const local = ctx.images.tagsFor(step.build!.tags)[0]!;
  const deadline = Date.now() + step.timeoutSeconds * 1000;
  const digest = await pushWithRetry(() => pushAs(ctx.engine, local, cache, ctx.signal, (status) => ctx.log(`slipway: ${status}`)), { deadline, signal: ctx.signal, log: ctx.log });
  ctx.log(`slipway: cache: pushed ${cache}@${digest}`);
}

/** Host paths of the context and the Dockerfile (relative to the context); both must stay inside the source. */
export async function buildPaths(workspace: string, workingDirectory: string, context: string, file: string | undefined): Promise<{ contextDir: string; dockerfile: string }> {
  const inWorkspace = (containerPath: string, what: string): string => {
    const rel = path.posix.relative(WORKSPACE_MOUNT, path.posix.resolve(workingDirectory, containerPath));
    if (rel.startsWith('..') || path.posix.isAbsolute(rel)) throw new StepFailedError(`${what} ${containerPath} is outside the source (${WORKSPACE_MOUNT})`);
    return path.join(workspace, rel);
  };
  const contextDir = inWorkspace(context, 'the build context');
  const real = await fs.realpath(contextDir).catch(() => undefined);
  const root = await fs.realpath(workspace);
  // A symbolic link in the source must not lead the build to the worker's own files.
  if (!real || (real !== root && !real.startsWith(root + path.sep))) throw new StepFailedError(`the build context ${context} ${real ? 'leads outside the source' : 'does not exist'}`);
  const dockerfilePath = file === undefined ? path.join(real, 'Dockerfile') : inWorkspace(file, 'the Dockerfile');
  const dockerfile = path.relative(file === undefined ? real : contextDir, dockerfilePath);
  if (dockerfile.startsWith('..') || path.isAbsolute(dockerfile)) throw new StepFailedError(`the Dockerfile ${file} must be inside the build context ${context}`);
  const stat = await fs.stat(resolveInside(real, dockerfile) ?? '').catch(() => undefined);
  if (!stat?.isFile()) throw new StepFailedError(`Dockerfile ${dockerfile} not found in the build context ${context}`);
  return { contextDir: real, dockerfile };
}
