// What every job in a sandboxed child process shares: configuration, the run records, the context store,
// the image builder and container runtime (Docker Engine), the registry client, and the abort switches of
// the builds it runs.
import { loadConfig, type Config } from '../src/config.js';
import type { ContextStore } from '../src/contexts/context-store.js';
import { openContextStore } from '../src/contexts/open-store.js';
import { cancelChannel } from '../src/queue/jobs.js';
import { createRedis } from '../src/redis.js';
import { RegistryClient } from '../src/registry/client.js';
import type { RunProgress } from '../src/runs/progress.js';
import { workerRunProgress } from '../src/runs/stored-progress.js';
import type { ContainerRuntime } from './builder/container-runtime.js';
import { DockerContainers } from './builder/docker/docker-containers.js';
import { DockerEngine } from './builder/docker/docker-engine.js';
import type { ImageBuilder } from './builder/image-builder.js';
import { GitMirrorCache } from './source/git-mirror.js';
import { TaskStore } from '../src/tasks/store.js';
import { SecretMasker } from '../src/log.js';
import type { RegistryLogin } from '../src/credentials/login.js';
import { credentialsProvider } from '../src/credentials/provider.js';
import { loadKeyring } from '../src/secrets/key-file.js';
import type { Keyring } from '../src/secrets/sealed.js';
import type { AbortSwitches, EngineLossRetry } from './jobs/run-lifecycle.js';
import { childMetrics, type ChildMetrics } from './child-metrics/reporter.js';
import { StepImageLedger } from './janitor/step-images.js';

export interface ChildContext {
  config: Config;
  runs: RunProgress;
  contexts: ContextStore;
  engine: ImageBuilder;
  /** Runs the containers of task-file cmd steps. */
  containers: ContainerRuntime;
  registry: RegistryClient;
  /** Task definitions, for the git tokens of task runs. */
  tasks: TaskStore;
  /** Bare mirrors of the repositories this worker has built, fetched incrementally. */
  git: GitMirrorCache;
  /** Abort switches of the builds this child runs, by run id; a cancel announcement trips them all. */
  active: AbortSwitches;
  /** Opens the secrets sealed in jobs (the API's key file, or SLIPWAY_SECRET_KEY). */
  keyring: Keyring;
  /** How a build goes on when the Engine went away under it. */
  engineLoss: EngineLossRetry;
  /** What this child reports to its worker's /metrics. */
  metrics: ChildMetrics;
  /** Records the names of an image pulled for a cmd step as used now, for the janitor; never fails. */
  stepImageUsed: (names: string[]) => void;
}

let shared: Promise<ChildContext> | undefined;

/**
 * The context one run works in: with its registry logins (the server's and its task's), a registry client, an
 * image builder and a container runtime of its own that use them, so one run's logins never serve another's.
 * Each password is registered with the run's masker first. A run without logins shares the child's.
 */
export function withRegistryLogins(ctx: ChildContext, logins: readonly RegistryLogin[], masker: SecretMasker): ChildContext {
  const credentials = credentialsProvider(logins, masker);
  if (!credentials) return ctx;
  const registry = new RegistryClient({ hostPolicy: ctx.config.registryHosts, tls: ctx.config.registryTls, credentials, masker, observe: (o) => ctx.metrics.registryRequest(o) });
  return {
    ...ctx,
    registry,
    engine: new DockerEngine(ctx.config.dockerSocket, registry, credentials),
    containers: new DockerContainers(ctx.config.dockerSocket, credentials),
  };
}

export function childContext(): Promise<ChildContext> {
  return (shared ??= (async () => {
    const config = loadConfig();
    const keyring = await loadKeyring(config.secretKey, { create: false });
    const redis = createRedis(config.redisUrl, 'slipway-build');
    const runs = workerRunProgress(config, redis);
    const active: AbortSwitches = new Map();
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
    const metrics = childMetrics(config.worker.metricsSocket);
    const registry = new RegistryClient({ hostPolicy: config.registryHosts, tls: config.registryTls, observe: (o) => metrics.registryRequest(o) });
    const contexts = openContextStore(config, { redis, registry });
    const engine = new DockerEngine(config.dockerSocket, registry);
    const containers = new DockerContainers(config.dockerSocket);
    const engineLoss: EngineLossRetry = { answers: () => engine.answers(), retries: config.worker.engineLostRetries };
    const ledger = new StepImageLedger(redis, config.prefix);
    // A record missed (Redis or the Engine away) leaves that name unknown to the janitor until a step uses it again.
    const stepImageUsed = (names: string[]) => void containers.engineId().then((id) => ledger.used(id, names)).catch(() => undefined);
    return { config, runs, contexts, engine, containers, registry, tasks: new TaskStore(redis, config.prefix, keyring), git, active, keyring, engineLoss, metrics, stepImageUsed };
  })());
}
