// The ContextStore a process uses, as the settings choose: one place, so the API and the workers cannot
// disagree about where contexts live.
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { RegistryClient } from '../registry/client.js';
import { parseImageReference } from '../registry/reference.js';
import type { ContextStore } from './context-store.js';
import { RegistryContextStore } from './registry-store.js';
import { LocalContextStore } from './store.js';

export function openContextStore(config: Config, deps: { redis: Redis; registry: RegistryClient }): ContextStore {
  const limits = { unpackedBytes: config.limits.unpackedBytes, entries: config.limits.contextEntries };
  if (config.contextStore.kind === 'local') return new LocalContextStore(config.contextsDir, config.limits.contextBytes, limits);
  return new RegistryContextStore({
    ...deps,
    prefix: config.prefix,
    repository: parseImageReference(config.contextStore.repository, { defaultRegistry: config.defaultRegistry }),
    // Uploads are checked here before they go to the registry; nothing else of this host's disk is used.
    stagingDir: config.contextsDir,
    maxBytes: config.limits.contextBytes,
    limits,
  });
}
