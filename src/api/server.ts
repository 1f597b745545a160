// Composition root of the API process: builds Redis connections, stores, queues and the express app,
// listens, and shuts down in order (stop accepting, finish requests, close queues and Redis).
import path from 'node:path';
import { readFileSync } from 'node:fs';
import http, { type Server } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { Router } from 'express';
import type { Config } from '../config.js';
import { ContextOwners } from '../contexts/owners.js';
import { openContextStore } from '../contexts/open-store.js';
import { RegistryClient } from '../registry/client.js';
import type { RegistryRequestObservation } from '../registry/http.js';
import { CONTEXT_SWEEP_EVERY_MS, ContextSweeper } from '../contexts/sweeper.js';
import { createLogger } from '../log.js';
import { PeriodicSweeps } from '../periodic.js';
import { retireQueue } from '../queue/handoff.js';
import { cancelChannel, platformQueueName } from '../queue/jobs.js';
import { PlatformQueues } from '../queue/platform-queues.js';
import { OWN_QUEUES_SWEEP_EVERY_MS, OwnQueues, OwnQueueSweep } from '../queue/own-queues.js';
import { WorkerRegistry } from '../queue/worker-registry.js';
import { createRedis, RedisAvailability } from '../redis.js';
import { RedisRoom } from './redis-room.js';
import { LogHub } from '../runs/log-hub.js';
import { IdempotencyKeys } from '../runs/idempotency.js';
import { RunLog } from '../runs/logs.js';
import { finishPublisher } from '../runs/finish-events.js';
import { QUEUE_WATCH_EVERY_MS, QueueWatch } from '../runs/queue-watch.js';
import { RUN_RETENTION_EVERY_MS, RunRetention } from '../runs/retention.js';
import { RunService } from '../runs/service.js';
import { RunStore } from '../runs/store.js';
import { RunWatchdog, WATCHDOG_EVERY_MS } from '../runs/watchdog.js';
import { TaskSlots } from '../tasks/concurrency.js';
import { TaskFollowUps } from '../tasks/follow-ups.js';
import { gitTools } from '../tasks/git-tools.js';
import { TaskService } from '../tasks/service.js';
import { TaskStore } from '../tasks/store.js';
import { TaskTimers } from '../tasks/timers.js';
import { taskTriggers } from '../tasks/trigger-handler.js';
import { genericGitWebhookRouter } from '../triggers/generic-git.js';
import { githubWebhookRouter } from '../triggers/github.js';
import { startQuarantine } from '../quarantine/wiring.js';
import { startBaseImageGraph } from '../graph/api-wiring.js';
import { GraphStore } from '../graph/store.js';
import { AuthFailures } from '../auth/failures.js';
import { bootstrapAdminToken } from '../auth/bootstrap.js';
import { TokenStore } from '../auth/store.js';
import { startTokenCache } from '../auth/token-cache.js';
import { ApiMetrics } from '../metrics/api-metrics.js';
import { loadKeyring } from '../secrets/key-file.js';
import { RegistryCredentialStore } from '../credentials/store.js';
import { serverCredentials } from '../credentials/server-provider.js';
import { HookDispatcher } from '../hooks/dispatcher.js';
import { RunHookEvents } from '../hooks/run-events.js';
import { HookService } from '../hooks/service.js';
import { packageVersion } from '../package-version.js';
import { createApp } from './app.js';
import { sendError } from './errors.js';

export interface ApiServer {
  url: string;
  runs: RunService;
  close(): Promise<void>;
}

export async function startApiServer(config: Config): Promise<ApiServer> {
  const log = createLogger('slipway-api', config.logLevel);
  const redis = createRedis(config.redisUrl, 'slipway-api');
  const queues = new PlatformQueues(redis, config.prefix, { affinityWaitMs: config.worker.cacheAffinityWaitMs });
  const workers = new WorkerRegistry(redis, config.prefix);
  const metrics = new ApiMetrics({ queues, workers, platforms: config.api.readyPlatforms });
  const observeRegistry = (o: RegistryRequestObservation) => metrics.registryRequest(o);
  const contexts = openContextStore(config, { redis, registry: new RegistryClient({ logger: log, hostPolicy: config.registryHosts, tls: config.registryTls, observe: observeRegistry }) });
  metrics.watchContexts(contexts);
  // The API makes the key file on first start; the workers read the same file.
  const keyring = await loadKeyring(config.secretKey, { create: true });
  const registryLogins = new RegistryCredentialStore(redis, config.prefix, keyring);
  const git = gitTools(config.git, config.searchPath, { home: path.join(config.gitCacheDir, 'api-home') });
  const runs = new RunService(new RunStore(redis, config.prefix), new RunLog(redis, config.prefix, config.limits.logLines, config.limits.logBytes), queues, {
    defaultRegistry: config.defaultRegistry,
    defaultTimeoutSeconds: config.limits.defaultTimeoutSeconds,
    maxTimeoutSeconds: config.limits.maxTimeoutSeconds,
    contextExists: async (digest) => {
      const found = await contexts.has(digest);
      if (found) await contexts.touch(digest);
      return found;
    },
    unserved: (platforms) => workers.unserved(platforms),
    queued: (run) => metrics.runQueued(run),
    announceFinished: finishPublisher(redis, config.prefix),
    readContextFile: (context, file) => contexts.readFile(context, file),
    taskFiles: config.taskFiles,
    keyring,
    registryLogins: (task) => registryLogins.forRun(task),
    quarantineRepositories: config.quarantineRepositories,
    git,
  });
  const sweeps = new PeriodicSweeps(redis, config.prefix, log);
  const contextSweeper = new ContextSweeper(contexts, runs.store, redis, config.prefix, config.limits.contextTtlMs, log);
  await sweeps.every('context-sweep', CONTEXT_SWEEP_EVERY_MS, () => contextSweeper.sweep());
  const queueWatch = new QueueWatch(runs, workers, config.limits.queueTimeoutSeconds * 1000);
  await sweeps.every('queue-watch', QUEUE_WATCH_EVERY_MS, () => queueWatch.sweep());
  const watchdog = new RunWatchdog(runs, workers);
  await sweeps.every('run-watchdog', WATCHDOG_EVERY_MS, () => watchdog.sweep());
  // The own queues of workers that died without retiring them: their waiting runs to the shared queue, their keys gone.
  const stillQueued = async (runId: string) => (await runs.store.get(runId))?.status === 'queued';
  const ownQueues = new OwnQueueSweep(new OwnQueues(redis, config.prefix), workers, (q) => retireQueue(queues, q.queueName, platformQueueName(q.capability), stillQueued));
  await sweeps.every('own-queues', OWN_QUEUES_SWEEP_EVERY_MS, () => ownQueues.sweep());
  const announceCancel = async (id: string) => {
    await redis.publish(cancelChannel(config.prefix), id);
  };
  const timers = new TaskTimers(redis, config.prefix, log);
  const slots = new TaskSlots(redis, config.prefix);
  const graph = new GraphStore(redis, config.prefix);
  const tasks = new TaskService(
    new TaskStore(redis, config.prefix, keyring),
    runs,
    git,
    {
      defaultRegistry: config.defaultRegistry,
      defaultTimeoutSeconds: config.limits.defaultTimeoutSeconds,
      maxTimeoutSeconds: config.limits.maxTimeoutSeconds,
      rebuildPriority: config.rebuilds.priority,
    },
    // A deleted task leaves the timers and the base-image graph with its definition.
    {
      sync: (task) => timers.sync(task),
      remove: async (name) => {
        await timers.remove(name);
        await graph.remove(name);
        await registryLogins.removeTask(name);
      },
    },
    slots,
  );
  const baseImages = await startBaseImageGraph({ config, redis, graph, tasks, runs, sweeps, log, credentials: serverCredentials(registryLogins), wavePlanned: (wave) => metrics.rebuildWavePlanned(wave.total), observeRegistry });
  const quarantine = await startQuarantine({ config, redis, runs, rebuilds: baseImages.routes.rebuilds, log, credentials: serverCredentials(registryLogins), observeRegistry });
  metrics.watchRebuilds(baseImages.routes.waves);
  timers.start(tasks);
  const followUps = new TaskFollowUps(tasks, log);
  await followUps.start(redis, config.prefix);
  const retention = new RunRetention(runs.store, log, { retentionMs: config.limits.runRetentionMs });
  await sweeps.every('run-retention', RUN_RETENTION_EVERY_MS, () => retention.sweep());
  sweeps.start();
  const triggers = taskTriggers(tasks, redis, config.prefix);
  const webhooks = [
    config.githubWebhookSecrets.length
      ? githubWebhookRouter({ secrets: config.githubWebhookSecrets, ...triggers, log })
      : notConfigured('/v1/webhooks/github', 'GitHub webhooks are not configured: set SLIPWAY_GITHUB_WEBHOOK_SECRETS'),
    // Always served: a task's own webhook token opens it for its repository, with or without global tokens.
    genericGitWebhookRouter({ tokens: () => config.gitWebhookTokens, ...triggers, log }),
    baseImages.webhook,
  ];
  await metrics.start(redis, config.prefix, runs.store, log);
  const hooks = new HookService(redis, config.prefix, keyring, config.hooks);
  const hookDispatcher = new HookDispatcher(redis, config.prefix, keyring, log, { policy: config.hooks, firstRetryMs: config.hooks.firstRetryMs, userAgent: `Slipway-Hookshot/${packageVersion(import.meta.url)}`, attempted: (result) => metrics.hookAttempt(result) });
  hookDispatcher.start();
  const runHookEvents = new RunHookEvents(redis, config.prefix, runs.store, log);
  await runHookEvents.start();
  const unservedPlatforms = () => workers.unserved(config.api.readyPlatforms);
  const tokenCache = config.auth.tokenCache ? startTokenCache(redis, config.prefix, log) : undefined;
  const tokens = new TokenStore(redis, config.prefix, tokenCache?.records);
  await bootstrapAdminToken(tokens, config.auth.bootstrapTokenFile, log);
  const authFailures = new AuthFailures(redis, config.prefix, { attempts: config.auth.failuresPerMinute, windowSeconds: 60 });
  const redisAvailability = new RedisAvailability(redis);
  const redisRoom = new RedisRoom(redis, config.limits.redisMemoryHighPercent);
  const logHub = new LogHub(redis);
  const app = createApp({
    runs,
    logHub,
    tasks,
    webhooks,
    graph: baseImages.routes,
    contexts,
    redis,
    log,
    maxContextBytes: config.limits.contextBytes,
    announceCancel,
    metrics,
    unservedPlatforms,
    tokens,
    authFailures,
    contextOwners: new ContextOwners(redis, config.prefix, config.limits.contextTtlMs),
    defaultRegistry: config.defaultRegistry,
    redisAvailable: () => redisAvailability.available,
    redisShort: () => redisRoom.short(),
    logFollowersPerClient: config.limits.logFollowersPerClient,
    idempotency: new IdempotencyKeys(redis, config.prefix),
    registryLogins,
    registryHosts: config.registryHosts,
    workers,
    quarantine: quarantine.gate,
    hooks,
  });

  const server: Server = await new Promise((resolve, reject) => {
    const s = (config.api.tls ? https.createServer({ cert: readFileSync(config.api.tls.certFile), key: readFileSync(config.api.tls.keyFile) }, app) : http.createServer(app)).listen(
      config.api.port,
      config.api.host,
      () => resolve(s),
    );
    s.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const url = `${config.api.tls ? 'https' : 'http'}://${config.api.host}:${port}`;
  log.info({ url }, 'api listening');

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // Followers of live logs would hold the server open; they resume with Last-Event-ID elsewhere.
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      });
      await sweeps.close();
      await timers.close();
      await baseImages.stop();
      await quarantine.stop();
      await followUps.stop();
      await metrics.stop();
      await runHookEvents.stop();
      await hookDispatcher.close();
      await queues.close();
      redisAvailability.close();
      tokenCache?.close();
      redisRoom.close();
      await logHub.close();
      redis.disconnect();
      log.info('api stopped');
    })());
  return { url, runs, close };
}

function notConfigured(path: string, message: string): Router {
  return Router().post(path, (_req, res) => sendError(res, 503, 'not_configured', message));
}
