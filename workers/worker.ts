// The worker process's composition root: one sandboxed BullMQ Worker per platform queue it serves.
// Each job runs in a child process (processor.ts); a child that dies marks its run `error`.
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'bullmq';
import { childProcessEnv, type Config } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { CacheAffinity } from '../src/queue/affinity.js';
import { handOff, moveTo, retireQueue } from '../src/queue/handoff.js';
import { affinityQueueName, ASSEMBLE_QUEUE, DAEMONLESS_WINDOWS, HANDOFF_QUEUE, HandoffJob, platformQueueName } from '../src/queue/jobs.js';
import { OwnQueues } from '../src/queue/own-queues.js';
import { PlatformQueues } from '../src/queue/platform-queues.js';
import { createRedis } from '../src/redis.js';
import { HEARTBEAT_MS, WorkerRegistry } from '../src/queue/worker-registry.js';
import { workerRunProgress } from '../src/runs/stored-progress.js';
import { DockerContainers } from './builder/docker/docker-containers.js';
import { DockerStorage } from './builder/docker/docker-storage.js';
import { Janitor } from './janitor/janitor.js';
import { StepImageLedger } from './janitor/step-images.js';
import { removeLeftovers } from './leftovers.js';
import { WorkerMetrics } from '../src/metrics/worker-metrics.js';
import { ChildMetricsListener } from './child-metrics/listener.js';
import { BuildSlots, GatedWorker, HANDED_OFF, type Gate } from './gated-worker.js';

export interface RunningWorker {
  name: string;
  platforms: string[];
  close(): Promise<void>;
}

/** Jobs of a worker's own queue it takes beyond its slots: those find none and go on to the shared queue. */
const OWN_QUEUE_EXTRA = 4;

const processorFile = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './processor.ts' : './processor.js', import.meta.url));

export async function startWorker(config: Config, platforms: string[]): Promise<RunningWorker> {
  const log = createLogger('slipway-worker', config.logLevel);
  const name = `${os.hostname()}/${process.pid}`;
  const connection = createRedis(config.redisUrl, 'slipway-worker');
  const runs = workerRunProgress(config, connection);
  // Before taking work: clear what a worker killed here mid-build left behind.
  const removed = await removeLeftovers({ runs, containers: new DockerContainers(config.dockerSocket), prefix: config.prefix, workspacesDir: config.workspacesDir, hostname: os.hostname() }).catch(
    (err: unknown) => log.warn({ err }, 'could not remove what earlier workers left'),
  );
  if (removed && removed.containers + removed.networks + removed.workspaces > 0) log.info(removed, 'removed what earlier workers left');

  // Every worker also assembles the indexes of multi-platform runs; that needs no particular platform.
  // So does daemonless windows/amd64 assembly, which needs only the registry.
  const capabilities = [...platforms, DAEMONLESS_WINDOWS];
  // The runs this worker's jobs build, by job: their leases are renewed with each heartbeat.
  const building = new Map<string, string>();
  let closing = false;
  const metrics = config.worker.metrics ? new WorkerMetrics([...capabilities, 'index']) : undefined;
  // The build children report what only they see (log bytes, registry requests) over a socket of the worker's.
  const childMetrics = metrics ? await ChildMetricsListener.start(metrics, log) : undefined;
  const workerForkOptions = childMetrics ? { env: childProcessEnv({ SLIPWAY_WORKER_METRICS_SOCKET: childMetrics.socketPath }) } : undefined;
  const queues = new PlatformQueues(connection, config.prefix);
  const affinity = new CacheAffinity(connection, config.prefix);
  const stillQueued = async (runId: string) => (await runs.get(runId))?.status === 'queued';
  const baseOptions = {
    connection,
    prefix: config.prefix,
    // A job whose worker vanished fails at once instead of being built a second time behind the run's back.
    maxStalledCount: 0,
    name,
    ...(workerForkOptions ? { workerForkOptions } : {}),
  };
  const onError = (queueName: string) => (err: unknown) => log.error({ queueName, err: (err as Error).message }, 'worker error');

  // Each capability's build slots. A platform's are shared by its shared queue and this worker's own queue
  // (cache affinity, src/queue/affinity.ts): while none is free the shared queue's Worker fetches nothing, and
  // every change is published so the API routes a task's run here only while a slot is free.
  const slots = new Map<string, BuildSlots>();
  const sharedWorkers = new Map<string, GatedWorker>();
  const ownQueues: { capability: string; queueName: string }[] = [];
  const publish = (capability: string, free: number) => {
    if (!closing) sharedWorkers.get(capability)?.followSlots(free);
    // Once stopping, it publishes nothing more: no run may be routed to a worker that is going.
    if (platforms.includes(capability) && !closing) void affinity.publishSlots(name, { [capability]: free }).catch((err: unknown) => log.warn({ err }, 'could not publish free slots'));
  };
  const gate = (capability: string, queueName: string, handOn?: Gate['handOn']): Gate => {
    let capabilitySlots = slots.get(capability);
    if (!capabilitySlots) slots.set(capability, (capabilitySlots = new BuildSlots(config.worker.concurrency, (free) => publish(capability, free))));
    return {
      slots: capabilitySlots,
      ...(handOn ? { handOn } : {}),
      started: (job) => {
        const { runId, task } = job.data as { runId?: unknown; task?: unknown };
        if (typeof runId === 'string' && job.id) building.set(`${queueName}/${job.id}`, runId);
        if (typeof task === 'string' && platforms.includes(capability)) void affinity.started(task, capability, name).catch((err: unknown) => log.warn({ err }, 'could not record cache affinity'));
        metrics?.jobStarted(capability === ASSEMBLE_QUEUE ? 'index' : capability);
      },
      ended: (job) => void building.delete(`${queueName}/${job.id}`),
    };
  };
  const subscribe = (capability: string, queueName: string, concurrency: number, handOn?: Gate['handOn'], childrenOf?: GatedWorker) => {
    const worker = GatedWorker.start(queueName, processorFile, { ...baseOptions, concurrency }, gate(capability, queueName, handOn), onError(queueName), childrenOf);
    const platform = capability === ASSEMBLE_QUEUE ? 'index' : capability;
    worker.on('failed', (job, err) => {
      const runId = (job?.data as { runId?: unknown } | undefined)?.runId;
      if (typeof runId !== 'string') return;
      log.error({ runId, job: job?.name, err: err.message }, 'job failed outside the build');
      // Ended like any run: its log closed and the finish announced (only if this call ended it).
      void runs
        .finish(runId, ['queued', 'running'], 'error', { error: `worker error: ${err.message}` })
        .catch((e: unknown) => log.error({ runId, err: e }, 'could not record the failure'));
    });
    worker.on('error', onError(queueName));
    if (metrics) {
      const took = (job: { processedOn?: number; finishedOn?: number }) => (job.processedOn && job.finishedOn ? (job.finishedOn - job.processedOn) / 1000 : undefined);
      worker.on('completed', (job) => job.returnvalue !== HANDED_OFF && metrics.jobFinished(platform, String(job.returnvalue), took(job)));
      worker.on('failed', (job) => job && metrics.jobFinished(platform, 'error', took(job)));
    }
    return worker;
  };
  const workers: Worker[] = [];
  // Their jobs run in the shared queue's children (GatedWorker.start), so they close first: a Worker that
  // closes ends its children, those of its jobs included.
  const ownWorkers = new Set<Worker>();
  for (const capability of capabilities) {
    const shared = subscribe(capability, platformQueueName(capability), config.worker.concurrency);
    sharedWorkers.set(capability, shared);
    workers.push(shared);
    if (!platforms.includes(capability)) continue;
    // This worker's own queue: a job that finds no slot goes on to the shared queue at once, so it takes a
    // few more at a time than it builds, and a burst of them never waits behind a build.
    const own = { capability, queueName: affinityQueueName(capability, name) };
    ownQueues.push(own);
    const to = platformQueueName(capability);
    const ownWorker = subscribe(capability, own.queueName, config.worker.concurrency + OWN_QUEUE_EXTRA, (job) => moveTo(queues, { to, jobId: job.id!, name: job.name, data: job.data, priority: job.opts.priority }), shared);
    ownWorkers.add(ownWorker);
    workers.push(ownWorker);
  }
  workers.push(subscribe(ASSEMBLE_QUEUE, ASSEMBLE_QUEUE, config.worker.concurrency));
  // Hand-offs of jobs routed to a worker that did not start them in time (any worker runs them; they are light).
  const handoffs = new Worker(HANDOFF_QUEUE, async (job) => handOff(queues, HandoffJob.parse(job.data), stillQueued), { connection, prefix: config.prefix, concurrency: 4, name });
  handoffs.on('error', onError(HANDOFF_QUEUE));
  workers.push(handoffs);
  const queueNames = [...capabilities.map(platformQueueName), ...ownQueues.map((q) => q.queueName), ASSEMBLE_QUEUE, HANDOFF_QUEUE];
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  if (metrics && config.worker.metrics) {
    const port = await metrics.listen(config.worker.metrics.port, config.worker.metrics.host);
    log.info({ port }, 'worker metrics listening');
  }
  // Announce what this worker serves, so runs for a platform nobody serves can say so.
  const registry = new WorkerRegistry(connection, config.prefix);
  const freeSlots = () => Object.fromEntries(platforms.map((p) => [p, slots.get(p)!.free]));
  // Its own queues are recorded with each beat: if this worker dies without retiring them, the API's sweep does.
  const recorded = new OwnQueues(connection, config.prefix);
  const ownQueueRecords = ownQueues.map((own) => ({ ...own, worker: name }));
  const beat = () =>
    Promise.all([registry.heartbeat(name, capabilities), registry.renewLeases(building.values()), affinity.publishSlots(name, freeSlots()), recorded.record(ownQueueRecords)]).catch(
      (err: unknown) => log.warn({ err }, 'heartbeat failed'),
    );
  await beat();
  const heartbeat = setInterval(beat, HEARTBEAT_MS);
  heartbeat.unref();
  log.info({ name, platforms, queues: queueNames }, 'worker ready');
  const janitor = new Janitor({
    runs,
    containers: new DockerContainers(config.dockerSocket),
    storage: new DockerStorage(config.dockerSocket),
    disks: registry,
    worker: name,
    prefix: config.prefix,
    workspacesDir: config.workspacesDir,
    gitCacheDir: config.gitCacheDir,
    hostname: os.hostname(),
    settings: config.janitor,
    stepImages: new StepImageLedger(connection, config.prefix),
    log,
  });
  janitor.start();

  let closed: Promise<void> | undefined;
  return {
    name,
    platforms,
    close: () =>
      (closed ??= (async () => {
        closing = true;
        clearInterval(heartbeat);
        await janitor.close();
        await Promise.all([registry.leave(name, capabilities), affinity.forget(name)]).catch(() => undefined);
        // None takes another job from here on, while the own queues' jobs finish in the children they share.
        await Promise.all(workers.map((w) => w.pause(true)));
        await Promise.all([...ownWorkers].map((w) => w.close()));
        await Promise.all(workers.filter((w) => !ownWorkers.has(w)).map((w) => w.close()));
        // Runs routed here that this worker will not start now go to the shared queue, not after the bound, and
        // its own queues leave no keys behind.
        await Promise.all(ownQueues.map((own) => retireQueue(queues, own.queueName, platformQueueName(own.capability), stillQueued)))
          .then(() => recorded.forget(ownQueues.map((own) => own.queueName)))
          .catch((err: unknown) => log.warn({ err }, 'could not hand on the runs routed here'));
        await queues.close();
        await metrics?.close();
        await childMetrics?.close();
        connection.disconnect();
        log.info({ name }, 'worker stopped');
      })()),
  };
}
