// The quarantine gate in the API process: its store, the registry client that moves tags, and the listener
// that records what quarantined runs pushed, started and stopped together.
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { BaseImageRebuilds } from '../graph/rebuilds.js';
import type { Logger } from '../log.js';
import { publishEvent } from '../hooks/events.js';
import type { CredentialsProvider } from '../registry/auth.js';
import { RegistryClient } from '../registry/client.js';
import type { RegistryRequestObserver } from '../registry/http.js';
import type { RunService } from '../runs/service.js';
import { QuarantineGate } from './gate.js';
import { listenForQuarantined } from './listener.js';
import { QuarantineStore } from './store.js';

export async function startQuarantine(deps: {
  config: Config;
  redis: Redis;
  runs: RunService;
  rebuilds: BaseImageRebuilds;
  log: Logger;
  /** The server's registry logins: a tag moves in a registry that may want one. */
  credentials?: CredentialsProvider;
  /** Hears each registry request (metrics). */
  observeRegistry?: RegistryRequestObserver;
}): Promise<{ gate: QuarantineGate; stop(): Promise<void> }> {
  const { config, redis, runs, rebuilds, log } = deps;
  const gate = new QuarantineGate({
    records: new QuarantineStore(redis, config.prefix),
    registry: new RegistryClient({ logger: log, hostPolicy: config.registryHosts, tls: config.registryTls, ...(deps.credentials ? { credentials: deps.credentials } : {}), ...(deps.observeRegistry ? { observe: deps.observeRegistry } : {}) }),
    changed: (change, upstream) => rebuilds.changed(change, 'approval', upstream),
    appendRunLog: (runId, lines) => runs.log.append(runId, lines),
    // Outbound webhooks hear of it, so a scanner can be wired without polling; one delivery per image.
    announce: (image) =>
      publishEvent(redis, config.prefix, {
        id: `quarantine-${image.digest}`,
        type: 'image.quarantined',
        ...(image.task ? { task: image.task } : {}),
        data: { digest: image.digest, images: image.images, platforms: image.platforms, runId: image.runId },
      }),
    log,
  });
  const consumer = await listenForQuarantined(redis, config.prefix, gate, (id) => runs.store.get(id), log);
  return { gate, stop: () => consumer.stop() };
}
