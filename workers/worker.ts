// The worker process's composition root: one sandboxed BullMQ Worker per platform queue it serves.
// Each job runs in a child process (processor.ts); a child that dies marks its run `error`.
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'bullmq';
import { childProcessEnv, type Config } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { ASSEMBLE_QUEUE, DAEMONLESS_WINDOWS, platformQueueName } from '../src/queue/jobs.js';
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

export interface RunningWorker {
  name: string;
  platforms: string[];
  close(): Promise<void>;
}

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
  const queueNames = [...capabilities.map(platformQueueName), ASSEMBLE_QUEUE];
  // The runs this worker's jobs build, by job: their leases are renewed with each heartbeat.
  const building = new Map<string, string>();
  const metrics = config.worker.metrics ? new WorkerMetrics([...capabilities, 'index']) : undefined;
  // The build children report what only they see (log bytes, registry requests) over a socket of the worker's.
  const childMetrics = metrics ? await ChildMetricsListener.start(metrics, log) : undefined;
  const workerForkOptions = childMetrics ? { env: childProcessEnv({ SLIPWAY_WORKER_METRICS_SOCKET: childMetrics.socketPath }) } : undefined;
  const workers = queueNames.map((queueName) => {
    const platform = queueName === ASSEMBLE_QUEUE ? 'index' : capabilities[queueNames.indexOf(queueName)]!;
    const worker = new Worker(queueName, processorFile, {
      connection,
      prefix: config.prefix,
      concurrency: config.worker.concurrency,
      // A job whose worker vanished fails at once instead of being built a second time behind the run's back.
      maxStalledCount: 0,
      name,
      ...(workerForkOptions ? { workerForkOptions } : {}),
    });
    worker.on('active', (job) => {
      const runId = (job.data as { runId?: unknown }).runId;
      if (typeof runId === 'string' && job.id) building.set(`${queueName}/${job.id}`, runId);
    });
    worker.on('completed', (job) => void building.delete(`${queueName}/${job.id}`));
    worker.on('failed', (job, err) => {
      if (job) building.delete(`${queueName}/${job.id}`);
      const runId = (job?.data as { runId?: unknown } | undefined)?.runId;
      if (typeof runId !== 'string') return;
      log.error({ runId, job: job?.name, err: err.message }, 'job failed outside the build');
      // Ended like any run: its log closed and the finish announced (only if this call ended it).
      void runs
        .finish(runId, ['queued', 'running'], 'error', { error: `worker error: ${err.message}` })
        .catch((e: unknown) => log.error({ runId, err: e }, 'could not record the failure'));
    });
    worker.on('error', (err) => log.error({ queueName, err: err.message }, 'worker error'));
    if (metrics) {
      const took = (job: { processedOn?: number; finishedOn?: number }) => (job.processedOn && job.finishedOn ? (job.finishedOn - job.processedOn) / 1000 : undefined);
      worker.on('active', () => metrics.jobStarted(platform));
      worker.on('completed', (job) => metrics.jobFinished(platform, String(job.returnvalue), took(job)));
      worker.on('failed', (job) => job && metrics.jobFinished(platform, 'error', took(job)));
    }
    return worker;
  });
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  if (metrics && config.worker.metrics) {
    const port = await metrics.listen(config.worker.metrics.port, config.worker.metrics.host);
    log.info({ port }, 'worker metrics listening');
  }
  // Announce what this worker serves, so runs for a platform nobody serves can say so.
  const registry = new WorkerRegistry(connection, config.prefix);
  const beat = () =>
    Promise.all([registry.heartbeat(name, capabilities), registry.renewLeases(building.values())]).catch((err: unknown) => log.warn({ err }, 'heartbeat failed'));
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

  let closing: Promise<void> | undefined;
  return {
    name,
    platforms,
    close: () =>
      (closing ??= (async () => {
        clearInterval(heartbeat);
        await janitor.close();
        await registry.leave(name, capabilities).catch(() => undefined);
        await Promise.all(workers.map((w) => w.close()));
        await metrics?.close();
        await childMetrics?.close();
        connection.disconnect();
        log.info({ name }, 'worker stopped');
      })()),
  };
}
