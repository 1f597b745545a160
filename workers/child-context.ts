// What every job in a sandboxed child process shares: configuration, Redis, the run service, the
// context store, Docker Engine, the registry client, and the abort switches of the builds it runs.
import { loadConfig, type Config } from '../src/config.js';
import { ContextStore } from '../src/contexts/store.js';
import { cancelChannel } from '../src/queue/jobs.js';
import { createRedis, type Redis } from '../src/redis.js';
import { RegistryClient } from '../src/registry/client.js';
import type { RunService } from '../src/runs/service.js';
import { DockerEngine } from './engine/docker-engine.js';
import { GitMirrorCache } from './source/git-mirror.js';
import { TaskStore } from '../src/tasks/store.js';
import { SecretMasker } from '../src/log.js';
import { workerRunService } from './run-service.js';

export interface ChildContext {
  config: Config;
  redis: Redis;
  runs: RunService;
  contexts: ContextStore;
  engine: DockerEngine;
  registry: RegistryClient;
  /** Task definitions, for the git tokens of task runs. */
  tasks: TaskStore;
  /** Bare mirrors of the repositories this worker has built, fetched incrementally. */
  git: GitMirrorCache;
  /** Abort switches of the builds this child runs, by run id; a cancel announcement trips them all. */
  active: Map<string, Set<AbortController>>;
}

let shared: Promise<ChildContext> | undefined;

export function childContext(): Promise<ChildContext> {
  return (shared ??= (async () => {
    const config = loadConfig();
    const redis = createRedis(config.redisUrl, 'slipway-build');
    const runs = workerRunService(config, redis);
    const contexts = new ContextStore(config.contextsDir, config.limits.contextBytes, { unpackedBytes: config.limits.unpackedBytes, entries: config.limits.contextEntries });
    const active = new Map<string, Set<AbortController>>();
    const subscriber = createRedis(config.redisUrl, 'slipway-build-cancel');
    subscriber.on('message', (_channel: string, runId: string) => {
      for (const c of active.get(runId) ?? []) c.abort('canceled');
    });
    await subscriber.subscribe(cancelChannel(config.prefix));
    const git = new GitMirrorCache({
      dir: config.gitCacheDir,
      // Tokens are registered as they are read; the cache masks every line it passes on.
      masker: new SecretMasker(),
      limits: { cloneTimeoutMs: config.limits.gitTimeoutSeconds * 1000, maxRepoBytes: config.limits.gitMaxRepoBytes },
      policy: config.git,
      env: { PATH: config.searchPath },
    });
    return { config, redis, runs, contexts, engine: new DockerEngine(config.dockerSocket), registry: new RegistryClient({ hostPolicy: config.registryHosts }), tasks: new TaskStore(redis, config.prefix), git, active };
  })());
}

/** Registers an abort switch for a run's build until `release` is called. */
export function trackBuild(ctx: ChildContext, runId: string): { abort: AbortController; release: () => void } {
  const abort = new AbortController();
  const set = ctx.active.get(runId) ?? new Set();
  set.add(abort);
  ctx.active.set(runId, set);
  return {
    abort,
    release: () => {
      set.delete(abort);
      if (set.size === 0) ctx.active.delete(runId);
    },
  };
}
