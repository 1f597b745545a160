// The base-image graph in the API process: the rebuild service over the graph and wave stores, the
// listener of finished runs, the registry poller and the registry webhook, started and stopped together.
import type { Router } from 'express';
import type { Redis } from 'ioredis';
import type { GraphRouteDeps } from '../api/routes/graph.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { RegistryClient } from '../registry/client.js';
import type { CredentialsProvider } from '../registry/auth.js';
import { isRegistryError } from '../registry/errors.js';
import { parseImageReference } from '../registry/reference.js';
import type { RunService } from '../runs/service.js';
import type { TaskService } from '../tasks/service.js';
import { registryWebhookRouter } from '../triggers/registry.js';
import type { PeriodicSweeps } from '../periodic.js';
import { RebuildListener } from './listener.js';
import { pollTickMs, RegistryPoller } from './poller.js';
import { rebuildLock } from './rebuild-lock.js';
import { BaseImageRebuilds } from './rebuilds.js';
import { platformDigests } from './resolve.js';
import type { GraphStore } from './store.js';
import { WaveStore } from './wave-store.js';
import type { Wave } from './wave-model.js';
import type { RegistryRequestObserver } from '../registry/http.js';

export interface BaseImageGraph {
  routes: GraphRouteDeps;
  /** POST /v1/webhooks/registry */
  webhook: Router;
  stop(): Promise<void>;
}

/** A task's newest runs, among which its run for a wave still being dispatched is. */
const REBUILD_RUN_LOOKBACK = 20;

/** Rebuilds that no event reports on are rare (see recoverDispatches): this often is soon enough. */
const RECOVER_DISPATCHES_EVERY_MS = 30_000;

export async function startBaseImageGraph(deps: {
  config: Config;
  redis: Redis;
  graph: GraphStore;
  tasks: TaskService;
  runs: RunService;
  sweeps: PeriodicSweeps;
  log: Logger;
  /** The server's registry logins, for polling and graph notify. */
  credentials?: CredentialsProvider;
  /** Hears each rebuild wave this instance planned (metrics). */
  wavePlanned?: (wave: Wave) => void;
  /** Hears each registry request of polling and notify (metrics). */
  observeRegistry?: RegistryRequestObserver;
}): Promise<BaseImageGraph> {
  const { config, redis, graph, tasks, runs, sweeps, log } = deps;
  const waves = new WaveStore(redis, config.prefix);
  const rebuilds = new BaseImageRebuilds(
    graph,
    waves,
    rebuildLock(redis, config.prefix),
    (names) => tasks.store.baseImageTriggers(names),
    (task, trigger) => tasks.run(task, { trigger }),
    {
      concurrency: config.rebuilds.concurrency,
      maxPlanTasks: 100_000,
      lostDispatchMs: config.rebuilds.lostDispatchMs,
      rebuildRunOf: async (task, wave) => (await runs.store.list({ task, top: REBUILD_RUN_LOOKBACK })).find((r) => r.trigger.type === 'base-image' && r.trigger.rebuild === wave),
      ...(deps.wavePlanned ? { planned: deps.wavePlanned } : {}),
    },
    log,
  );
  const listener = new RebuildListener(rebuilds, (id) => runs.store.get(id), log);
  await listener.start(redis, config.prefix);
  const registry = new RegistryClient({ logger: log, hostPolicy: config.registryHosts, tls: config.registryTls, ...(deps.credentials ? { credentials: deps.credentials } : {}), ...(deps.observeRegistry ? { observe: deps.observeRegistry } : {}) });
  const pollerOptions = { defaultIntervalMs: config.rebuilds.pollIntervalMs, intervals: config.rebuilds.pollIntervals, notifying: config.rebuilds.notifyingRegistries };
  const poller = new RegistryPoller(graph, registry, redis, config.prefix, (change) => rebuilds.changed(change, 'poll'), pollerOptions, log);
  await sweeps.every('registry-poll', pollTickMs(pollerOptions), () => poller.tick());
  await sweeps.every('rebuild-recovery', RECOVER_DISPATCHES_EVERY_MS, () => rebuilds.recoverDispatches((id) => runs.store.get(id)));
  const webhook = registryWebhookRouter({
    tokens: () => [config.registryNotifyToken],
    pushed: async (push) => {
      // Most pushes are of images nothing builds on (and a registry replays its backlog when the API comes
      // back): those cost one SISMEMBER, not a manifest GET.
      if (!(await graph.isBaseImage(push.image))) return;
      let platforms: Record<string, string>;
      try {
        platforms = (await platformDigests(registry, { ...parseImageReference(push.image), digest: push.digest })).platforms;
      } catch (err) {
        // Deleted since: a later push of the tag, or polling, reports what it names now.
        if (isRegistryError(err) && err.status === 404) return log.info({ image: push.image, digest: push.digest }, 'notified manifest is gone; ignored');
        throw err;
      }
      const outcome = await rebuilds.changed({ image: push.image, platforms }, 'registry');
      // The end of a base image's push: what it started (a wave, or nothing) is decided and written by now.
      log.info({ image: push.image, digest: push.digest, wave: outcome.wave?.id }, 'registry push handled');
    },
    log,
  });
  return {
    routes: { graph, waves, rebuilds, resolve: async (image) => ({ image, platforms: (await platformDigests(registry, parseImageReference(image))).platforms }) },
    webhook,
    async stop() {
      await listener.stop();
    },
  };
}
