// Every Redis key and pub/sub channel Slipway names, in one place (as BullMQ's QueueKeys does), so that a
// reader sees the whole keyspace at once and no module builds another module's keys. The strings are the
// stored format: changing one orphans the data already written under it. BullMQ's own keys (queues, job
// schedulers) are BullMQ's, under the same prefix.

export class SlipwayKeys {
  constructor(readonly prefix: string) {}

  private key(...parts: string[]): string {
    return [this.prefix, ...parts].join(':');
  }

  // Runs: a hash per run, indexes by creation (all, per task, per status), and what workers add to it.
  run(id: string): string {
    return this.key('run', id);
  }
  /** One field per platform of a multi-platform run, each written by its own worker. */
  runPlatforms(id: string): string {
    return this.key('run', id, 'platforms');
  }
  /** The base images each platform's build pulled. */
  runBases(id: string): string {
    return this.key('run', id, 'bases');
  }
  /** The run's log (a stream). */
  runLog(id: string): string {
    return this.key('run', id, 'log');
  }
  /** Bytes of lines the run's log has taken, against its cap. */
  runLogBytes(id: string): string {
    return this.key('run', id, 'log-bytes');
  }
  get runs(): string {
    return this.key('runs');
  }
  runsOfTask(task: string): string {
    return this.key('runs', 'task', task);
  }
  runsInStatus(status: string): string {
    return this.runsInStatusPrefix + status;
  }
  /** For scripts that pick the status index themselves. */
  get runsInStatusPrefix(): string {
    return this.key('runs', 'status', '');
  }
  get runSeq(): string {
    return this.key('run-seq');
  }
  /** The stream of finished runs, read by consumer groups (see runs/finish-events.ts). */
  get runsFinished(): string {
    return this.key('runs', 'finished', 'stream');
  }
  /** Channel on which cancel requests for running runs are published. */
  get cancelChannel(): string {
    return this.key('cancel');
  }

  // Tasks: a JSON value per task, its git token apart, indexes, and its one-run-at-a-time slot.
  task(name: string): string {
    return this.key('task', name);
  }
  taskToken(name: string): string {
    return this.key('task', name, 'token');
  }
  /** The SHA-256 of the task's generic-webhook token. */
  taskWebhookToken(name: string): string {
    return this.key('task', name, 'webhook-token');
  }
  /** The run (or trigger) holding a task's slot. */
  taskActive(name: string): string {
    return this.key('task', name, 'active');
  }
  /** The newest trigger waiting for the slot. */
  taskPending(name: string): string {
    return this.key('task', name, 'pending');
  }
  get tasks(): string {
    return this.key('tasks');
  }
  tasksOfRepository(repository: string): string {
    return this.key('tasks', 'repo', repository);
  }
  get taskBaseImageTriggers(): string {
    return this.key('tasks', 'base-image-trigger');
  }
  /** The commits pushes have built for a task's ref (a sorted set by time): a replayed push is refused. */
  taskBuiltCommits(name: string, ref: string): string {
    return this.key('task', name, 'built', ref);
  }
  /** A webhook delivery already handled. */
  delivery(id: string): string {
    return this.key('delivery', id);
  }

  // The base-image graph.
  graphNode(task: string): string {
    return this.key('graph', 'node', task);
  }
  graphDependents(image: string): string {
    return this.key('graph', 'dependents', image);
  }
  graphProducers(image: string): string {
    return this.key('graph', 'producers', image);
  }
  graphKnown(task: string): string {
    return this.key('graph', 'known', task);
  }
  get graphTasks(): string {
    return this.key('graph', 'tasks');
  }
  get graphImages(): string {
    return this.key('graph', 'images');
  }
  /** The digest polling last saw per image. */
  get graphPolled(): string {
    return this.key('graph', 'polled');
  }
  /** Lock: one API instance polls a registry per interval. */
  graphPollLock(registry: string): string {
    return this.key('graph', 'poll-lock', registry);
  }

  // Rebuild waves.
  wave(id: string): string {
    return this.key('rebuild', id);
  }
  waveEntries(id: string): string {
    return this.key('rebuild', id, 'entries');
  }
  get waveSeq(): string {
    return this.key('rebuild-seq');
  }
  get waves(): string {
    return this.key('rebuilds');
  }
  /** The wave holding a task's unsettled entry. */
  waveOfTask(task: string): string {
    return this.key('rebuilds', 'task', task);
  }
  /** Links a dispatched rebuild run to its wave entry until the entry is settled. */
  waveOfRun(runId: string): string {
    return this.key('rebuilds', 'run', runId);
  }
  rebuildInFlight(task: string): string {
    return this.key('rebuilds', 'in-flight', task);
  }
  get rebuildsReady(): string {
    return this.key('rebuilds', 'ready');
  }
  get rebuildsReadySeq(): string {
    return this.key('rebuilds', 'ready-seq');
  }
  get rebuildsActive(): string {
    return this.key('rebuilds', 'active');
  }
  /** Lock: waves are planned and advanced one at a time. */
  get rebuildsLock(): string {
    return this.key('rebuilds', 'lock');
  }

  // Workers and contexts.
  workers(platform: string): string {
    return this.key('workers', platform);
  }
  /**
   * Sorted set per Docker Engine (by its ID): each image name this deployment's cmd steps pulled there → when a
   * step last used it (ms). The janitor removes names no step used for a while (workers/janitor/step-images.ts).
   */
  stepImages(engine: string): string {
    return this.key('engine', engine, 'step-images');
  }
  /** What a worker's janitor last measured and removed on its host (JSON; expires when the worker stops writing it). */
  workerDisk(worker: string): string {
    return this.key('worker', worker, 'disk');
  }
  /** Cache affinity (queue/affinity.ts): capability → the worker that last started one of the task's runs. */
  taskWorkers(task: string): string {
    return this.key('task', task, 'workers');
  }
  /** Capability → how many more jobs the worker would start now (queue/affinity.ts). */
  workerSlots(worker: string): string {
    return this.key('worker', worker, 'slots');
  }
  /**
   * Hash: a worker's own queue (cache affinity) → JSON { worker, capability }, so that the queue of a worker that
   * died without retiring it can be found and retired by another (queue/own-queues.ts).
   */
  get ownQueues(): string {
    return this.key('own-queues');
  }
  /** Run id → when a live worker last said it is building it (see runs/watchdog.ts). */
  get runLeases(): string {
    return this.key('runs', 'leases');
  }
  /**
   * An Idempotency-Key of POST /v1/runs, per token that sent it (token names have no `:`) → the run it created
   * and the hash of the request.
   */
  idempotencyKey(owner: string, key: string): string {
    return this.key('idempotency', owner, key);
  }
  /** Sorted set: context digest → when it was last used (ms), for contexts kept in the registry. */
  get contextsLastUsed(): string {
    return this.key('contexts', 'last-used');
  }
  /** Hash: context digest → its size in bytes, for contexts kept in the registry (each counted once in contextsBytes). */
  get contextsSizes(): string {
    return this.key('contexts', 'sizes');
  }
  /** Counter: the bytes of the contexts in contextsSizes, kept with it, so a scrape reads one key. */
  get contextsBytes(): string {
    return this.key('contexts', 'bytes');
  }
  /** Lock: one API instance sweeps unused contexts at a time. */
  get contextsSweepLock(): string {
    return this.key('contexts', 'sweep-lock');
  }

  /** Who uploaded a context: the token names that may use it (see contexts/owners.ts). */
  contextOwners(digest: string): string {
    return this.key('context', digest, 'owners');
  }

  // Outbound webhooks: every hook in one hash (name → record, its secret sealed), and per hook its recent
  // deliveries (id → record) with their order.
  get hooks(): string {
    return this.key('hooks');
  }
  hookDeliveries(name: string): string {
    return this.key('hook', name, 'deliveries');
  }
  /** Delivery ids by creation time, to list the newest and drop the oldest. */
  hookDeliveryOrder(name: string): string {
    return this.key('hook', name, 'delivery-order');
  }

  // API tokens: each record under its secret's hash (one read per request), and name → hash for listing and revoking.
  tokenByHash(hash: string): string {
    return this.key('token', hash);
  }
  get tokenNames(): string {
    return this.key('tokens');
  }
  /** Channel: the hash of each token record just changed or deleted, published in the same MULTI as the change (see auth/change-feed.ts). */
  get tokenChanges(): string {
    return this.key('tokens', 'changed');
  }
  /** Failed authentication attempts from one client address in the current window. */
  authFailures(client: string): string {
    return this.key('auth-failures', client);
  }
  // Registry credentials: one hash, field `<scope> <host>` (scope `*` for the server, else a task name), each
  // value a record whose password is sealed (see credentials/store.ts).
  get registryCredentials(): string {
    return this.key('registry-credentials');
  }

  // The quarantine gate: a JSON record per quarantined image digest, and every record by creation time.
  quarantined(digest: string): string {
    return this.key('quarantine', digest);
  }
  get quarantine(): string {
    return this.key('quarantine');
  }
  /** Lock: one verdict at a time per image, so an approval and a rejection cannot both land. */
  quarantineLock(digest: string): string {
    return this.key('quarantine', digest, 'lock');
  }

  /** The fencing counter of a lock (see store/lock.ts). */
  static fence(lock: string): string {
    return `${lock}:fence`;
  }
}
