// One build job, run by BullMQ in a child process of the worker: context → workspace → BuildKit build →
// push → run record. Every way out records a final status and removes the workspace.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { SandboxedJob } from 'bullmq';
import { loadConfig, type Config } from '../src/config.js';
import { ContextStore } from '../src/contexts/store.js';
import { BadInputError, isSlipwayError } from '../src/errors.js';
import { SecretMasker } from '../src/log.js';
import { BuildJob, cancelChannel } from '../src/queue/jobs.js';
import { PlatformQueues } from '../src/queue/platform-queues.js';
import { createRedis } from '../src/redis.js';
import { parseImageReference } from '../src/registry/reference.js';
import { RunLog } from '../src/runs/logs.js';
import type { OutputImage, RunStatus } from '../src/runs/model.js';
import { RunService } from '../src/runs/service.js';
import { RunStore } from '../src/runs/store.js';
import { BuildProgress } from './engine/buildkit-progress.js';
import { DockerEngine, EngineError } from './engine/docker-engine.js';
import { RunLogWriter } from './log-writer.js';
import { unpackContext } from './source/context.js';

interface ChildContext {
  config: Config;
  runs: RunService;
  contexts: ContextStore;
  engine: DockerEngine;
  /** Abort controllers of the builds this child runs, by run id. */
  active: Map<string, AbortController>;
}

let shared: Promise<ChildContext> | undefined;

// One set of connections per child process, reused by every job the child runs.
function childContext(): Promise<ChildContext> {
  return (shared ??= (async () => {
    const config = loadConfig();
    const redis = createRedis(config.redisUrl, 'slipway-build');
    const runs = new RunService(new RunStore(redis, config.prefix), new RunLog(redis, config.prefix, config.limits.logLines), new PlatformQueues(redis, config.prefix), {
      defaultRegistry: config.defaultRegistry,
      defaultTimeoutSeconds: config.limits.defaultTimeoutSeconds,
      maxTimeoutSeconds: config.limits.maxTimeoutSeconds,
      contextExists: async () => true,
    });
    const contexts = new ContextStore(config.contextsDir, config.limits.contextBytes, { unpackedBytes: config.limits.unpackedBytes, entries: config.limits.contextEntries });
    const active = new Map<string, AbortController>();
    const subscriber = createRedis(config.redisUrl, 'slipway-build-cancel');
    subscriber.on('message', (_channel: string, runId: string) => active.get(runId)?.abort('canceled'));
    await subscriber.subscribe(cancelChannel(config.prefix));
    return { config, runs, contexts, engine: new DockerEngine(config.dockerSocket), active };
  })());
}

export default async function processBuild(job: SandboxedJob): Promise<RunStatus> {
  const spec = BuildJob.parse(job.data);
  return runBuild(await childContext(), spec, `${os.hostname()}/${process.ppid}`);
}

async function runBuild(ctx: ChildContext, spec: BuildJob, worker: string): Promise<RunStatus> {
  const { runs, config } = ctx;
  const id = spec.runId;
  if (!(await runs.start(id, worker))) {
    // Canceled while queued: nothing to do. Still running: the worker that had it died mid-build.
    const run = await runs.store.get(id);
    if (run?.status === 'running') {
      await runs.finish(id, ['running'], 'error', { error: 'the worker running this build stopped before it finished' });
    }
    return run?.status ?? 'error';
  }

  const masker = new SecretMasker();
  for (const value of Object.values(spec.secretBuildArgs)) masker.add(value);
  const out = new RunLogWriter(runs.log, id, masker);
  const abort = new AbortController();
  ctx.active.set(id, abort);
  const timer = setTimeout(() => abort.abort('timeout'), spec.timeoutSeconds * 1000);
  if ((await runs.store.get(id))?.cancelRequested) abort.abort('canceled');
  const progress = new BuildProgress((line) => out.line(line));
  await fs.mkdir(config.workspacesDir, { recursive: true });
  const workspace = await fs.mkdtemp(path.join(config.workspacesDir, `${id}-`));
  try {
    out.line(`slipway: run ${id} on ${worker}, platform ${spec.platform}`);
    await unpackContext(ctx.contexts.open(spec.context), workspace, { unpackedBytes: config.limits.unpackedBytes, entries: config.limits.contextEntries });
    await requireDockerfile(workspace, spec.dockerfile);
    abort.signal.throwIfAborted();

    await ctx.engine.build({
      contextDir: workspace,
      dockerfile: spec.dockerfile,
      tags: spec.images,
      buildArgs: { ...spec.buildArgs, ...spec.secretBuildArgs },
      platform: spec.platform,
      target: spec.target,
      signal: abort.signal,
      onMessage: (m) => progress.write(m),
    });
    progress.finish();

    const outputImages: OutputImage[] = [];
    if (!spec.noPush) {
      for (const image of spec.images) {
        const ref = parseImageReference(image);
        out.line(`slipway: pushing ${image}`);
        const digest = await ctx.engine.push(image, ref.registry, abort.signal, (m) => {
          if (m.status && !m.id) out.line(`slipway: ${m.status}`);
        });
        outputImages.push({ registry: ref.registry, repository: ref.repository, tag: ref.tag ?? 'latest', digest });
        out.line(`slipway: pushed ${image}@${digest}`);
      }
    }
    await out.flush();
    await runs.finish(id, ['running'], 'succeeded', { outputImages }, ['slipway: run succeeded']);
    return 'succeeded';
  } catch (err) {
    progress.finish();
    const { status, message } = outcome(err, abort.signal, progress, spec.timeoutSeconds);
    await out.flush().catch(() => undefined);
    await runs.finish(id, ['running'], status, { error: masker.mask(message) }, [masker.mask(`slipway: run ${status}: ${message}`)]);
    return status;
  } finally {
    clearTimeout(timer);
    ctx.active.delete(id);
    await fs.rm(workspace, { recursive: true, force: true });
  }
}

async function requireDockerfile(workspace: string, dockerfile: string): Promise<void> {
  const file = path.join(workspace, dockerfile);
  const stat = await fs.lstat(file).catch(() => undefined);
  if (!stat?.isFile()) {
    throw new BadInputError(`Dockerfile ${JSON.stringify(dockerfile)} not found in the build context; pass -f with its path relative to the context`, 'dockerfile_not_found');
  }
}

/** Decides the final status: canceled and timeout win over the error they caused; the user's mistakes are `failed`. */
function outcome(err: unknown, signal: AbortSignal, progress: BuildProgress, timeoutSeconds: number): { status: RunStatus; message: string } {
  if (signal.aborted && signal.reason === 'canceled') return { status: 'canceled', message: 'canceled while running' };
  if (signal.aborted && signal.reason === 'timeout') return { status: 'timeout', message: `timed out after ${timeoutSeconds} s` };
  const failure = progress.failure();
  if (failure) {
    const output = failure.output.length ? `\n${failure.output.join('\n')}` : '';
    return { status: 'failed', message: `${failure.step}: ${failure.error}${output}` };
  }
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof EngineError || isSlipwayError(err)) return { status: 'failed', message };
  return { status: 'error', message };
}
