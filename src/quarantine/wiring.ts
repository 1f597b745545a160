// The quarantine gate in the API process: its store, the registry client that moves tags, and the listener
// that records what quarantined runs pushed, started and stopped together.
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { BaseImageRebuilds } from '../graph/rebuilds.js';
import type { Logger } from '../log.js';
import { RegistryClient } from '../registry/client.js';
import type { RunService } from '../runs/service.js';
import { QuarantineGate } from './gate.js';
import { listenForQuarantined } from './listener.js';
import { QuarantineStore } from './store.js';

export async function startQuarantine(deps: { config: Config; redis: Redis; runs: RunService; rebuilds: BaseImageRebuilds; log: Logger }): Promise<{ gate: QuarantineGate; stop(): Promise<void> }> {
  const { config, redis, runs, rebuilds, log } = deps;
  const gate = new QuarantineGate({
    records: new QuarantineStore(redis, config.prefix),
    registry: new RegistryClient({ logger: log, hostPolicy: config.registryHosts }),
    changed: (change, upstream) => rebuilds.changed(change, 'approval', upstream),
    appendRunLog: (runId, lines) => runs.log.append(runId, lines),
    log,
  });
  const consumer = await listenForQuarantined(redis, config.prefix, gate, (id) => runs.store.get(id), log);
  return { gate, stop: () => consumer.stop() };
}
