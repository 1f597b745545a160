// The API's Prometheus metrics (GET /metrics). Counted where the API sees them happen: runs as they are
// queued (every API instance counts its own; Prometheus sums them), runs as they finish (read from the
// finished-run stream in a group of its own, so across instances each finish is counted once), requests as
// they are answered, rebuild waves as this instance plans them, and its registry clients' requests. Read at
// scrape time: queue depth, the oldest waiting job and live workers per platform, the rebuild gauges and the
// context store's bytes. Every label has a few values only (status, trigger, platform, method, route,
// registry host and operation): never a run id, a task or an image.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Redis } from 'ioredis';
import type { Queue } from 'bullmq';
import type { Logger } from '../log.js';
import type { PlatformQueues } from '../queue/platform-queues.js';
import type { WorkerRegistry } from '../queue/worker-registry.js';
import type { Run } from '../runs/model.js';
import type { RunRecords } from '../runs/records.js';
import type { ContextStore } from '../contexts/context-store.js';
import { FinishConsumer } from '../runs/finish-events.js';
import type { RegistryRequestObservation } from '../registry/http.js';
import { registryRequestHistogram, statusClass, type RegistryRequestHistogram } from './registry-metrics.js';

const METRICS_GROUP = 'metrics';
/** Builds take seconds to an hour; waits for a worker, milliseconds to an hour. */
const RUN_SECONDS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600];
const WAIT_SECONDS = [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 3600];
/** A wave rebuilds one task or a whole estate (plans stop at 100,000 tasks). */
const WAVE_TASKS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000, 25_000, 100_000];

/** What the rebuild gauges read. */
export interface RebuildSource {
  created(): Promise<number>;
  list(top: number): Promise<{ total: number }[]>;
  readyCount(): Promise<number>;
  activeCount(): Promise<number>;
}

export interface MetricsSources {
  queues: PlatformQueues;
  workers: WorkerRegistry;
  /** The platforms reported on at every scrape, whether or not a run asked for them yet. */
  platforms: readonly string[];
}

/** Prioritized jobs looked at for the oldest (a rebuild wave queues many; a scrape must stay cheap). */
const OLDEST_SCAN = 100;

/** The age of the oldest job waiting in `queue`: the head of the FIFO list, or among the first prioritized ones. */
async function oldestWaitingSeconds(queue: Queue): Promise<number> {
  const [plain, prioritized] = await Promise.all([queue.getJobs(['wait'], 0, 0, true), queue.getJobs(['prioritized'], 0, OLDEST_SCAN - 1, true)]);
  const stamps = [...plain, ...prioritized].map((job) => job?.timestamp).filter((t): t is number => typeof t === 'number');
  return stamps.length ? Math.max(0, (Date.now() - Math.min(...stamps)) / 1000) : 0;
}

export class ApiMetrics {
  readonly registry = new Registry();
  private readonly seenPlatforms = new Set<string>();
  private readonly queued: Counter<'trigger' | 'platform'>;
  private readonly finished: Counter<'status' | 'trigger' | 'platform'>;
  private readonly duration: Histogram<'status' | 'platform'>;
  private readonly wait: Histogram<'platform'>;
  private readonly requests: Histogram<'method' | 'route' | 'status'>;
  private readonly hookDeliveries: Counter<'result'>;
  private readonly waveSizes: Histogram;
  private readonly registryRequests: RegistryRequestHistogram;
  private consumer: FinishConsumer | undefined;

  constructor(sources: MetricsSources) {
    for (const p of sources.platforms) this.seenPlatforms.add(p);
    const registers = [this.registry];
    this.queued = new Counter({ name: 'slipway_runs_queued_total', help: 'Runs queued, by trigger and platform (comma-joined for multi-platform runs).', labelNames: ['trigger', 'platform'], registers });
    this.finished = new Counter({ name: 'slipway_runs_finished_total', help: 'Runs finished, by final status, trigger and platform.', labelNames: ['status', 'trigger', 'platform'], registers });
    this.duration = new Histogram({ name: 'slipway_run_duration_seconds', help: 'From a run starting on a worker to its end.', labelNames: ['status', 'platform'], buckets: RUN_SECONDS, registers });
    this.wait = new Histogram({ name: 'slipway_run_queue_wait_seconds', help: 'From a run being submitted to a worker starting it.', labelNames: ['platform'], buckets: WAIT_SECONDS, registers });
    this.requests = new Histogram({ name: 'slipway_http_request_duration_seconds', help: 'API requests, by method, route pattern and status.', labelNames: ['method', 'route', 'status'], buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], registers });
    this.waveSizes = new Histogram({ name: 'slipway_rebuild_wave_tasks', help: 'Tasks each rebuild wave planned by this API instance rebuilds (each wave is planned by one instance).', buckets: WAVE_TASKS, registers });
    this.registryRequests = registryRequestHistogram(registers);
    this.hookDeliveries = new Counter({ name: 'slipway_hook_delivery_attempts_total', help: 'Outbound webhook delivery attempts, by result: delivered, retrying (failed, another try queued) or failed (no tries left).', labelNames: ['result'], registers });
    const platforms = () => [...this.seenPlatforms];
    new Gauge({
      name: 'slipway_queue_waiting_jobs',
      help: 'Jobs waiting for a worker, per platform queue.',
      labelNames: ['platform'],
      registers,
      async collect() {
        const counts = await Promise.all(platforms().map((p) => sources.queues.queue(p).getJobCountByTypes('waiting', 'prioritized')));
        this.reset();
        platforms().forEach((p, i) => this.set({ platform: p }, counts[i]!));
      },
    });
    new Gauge({
      name: 'slipway_queue_oldest_waiting_seconds',
      help: 'How long the oldest job waiting for a worker has waited, per platform queue; 0 when none waits.',
      labelNames: ['platform'],
      registers,
      async collect() {
        const ages = await Promise.all(platforms().map((p) => oldestWaitingSeconds(sources.queues.queue(p))));
        this.reset();
        platforms().forEach((p, i) => this.set({ platform: p }, ages[i]!));
      },
    });
    new Gauge({
      name: 'slipway_workers',
      help: 'Live workers (a heartbeat within the stale limit), per platform they serve.',
      labelNames: ['platform'],
      registers,
      async collect() {
        const counts = await sources.workers.live(platforms());
        this.reset();
        platforms().forEach((p, i) => this.set({ platform: p }, counts[i]!));
      },
    });
  }

  /**
   * Rebuild waves, read at each scrape from the wave store: the waves made so far (its id counter, shared by
   * every API instance), the size of the newest one, its entries waiting for a rebuild slot, and the
   * rebuild runs holding one.
   */
  watchRebuilds(waves: RebuildSource): void {
    const registers = [this.registry];
    const gauge = (name: string, help: string, read: () => Promise<number>) =>
      new Gauge({
        name,
        help,
        registers,
        async collect() {
          this.set(await read());
        },
      });
    gauge('slipway_rebuild_waves_created', 'Rebuild waves made since the deployment began (a counter kept in Redis).', () => waves.created());
    gauge('slipway_rebuild_last_wave_size', 'Tasks the newest rebuild wave plans to rebuild.', async () => (await waves.list(1))[0]?.total ?? 0);
    gauge('slipway_rebuild_entries_ready', 'Wave entries ready and waiting for a rebuild slot.', () => waves.readyCount());
    gauge('slipway_rebuild_runs_active', 'Rebuild runs holding a slot (queued or running).', () => waves.activeCount());
  }

  /** Where uploads are kept: its byte count is read at each scrape (kept by the store, never a walk of it). */
  watchContexts(contexts: Pick<ContextStore, 'storedBytes'>): void {
    new Gauge({
      name: 'slipway_context_store_bytes',
      help: 'Bytes of uploaded build contexts the context store holds (local directory or registry).',
      registers: [this.registry],
      async collect() {
        this.set(await contexts.storedBytes());
      },
    });
  }

  /** A run was queued by this API instance. */
  runQueued(run: Pick<Run, 'trigger' | 'platform' | 'platforms'>): void {
    for (const p of run.platforms) this.seenPlatforms.add(p);
    this.queued.inc({ trigger: run.trigger.type, platform: run.platform });
  }

  runFinished(run: Run): void {
    const labels = { status: run.status, trigger: run.trigger.type, platform: run.platform };
    this.finished.inc(labels);
    const seconds = (from: string | undefined, to: string | undefined) => (from && to ? (Date.parse(to) - Date.parse(from)) / 1000 : undefined);
    const ran = seconds(run.startedAt, run.finishedAt);
    if (ran !== undefined) this.duration.observe({ status: run.status, platform: run.platform }, ran);
    const waited = seconds(run.createdAt, run.startedAt);
    if (waited !== undefined) this.wait.observe({ platform: run.platform }, waited);
  }

  request(method: string, route: string, status: number, seconds: number): void {
    this.requests.observe({ method, route, status: String(status) }, seconds);
  }

  /** A request of this instance's registry clients: base-image polling and notify, quarantine, contexts. */
  registryRequest(o: RegistryRequestObservation): void {
    this.registryRequests.observe({ host: o.registry, operation: o.operation, code: statusClass(o.status) }, o.seconds);
  }

  rebuildWavePlanned(tasks: number): void {
    this.waveSizes.observe(tasks);
  }

  hookAttempt(result: 'delivered' | 'retrying' | 'failed'): void {
    this.hookDeliveries.inc({ result });
  }

  /** Reads finishes from the stream until stop(). */
  async start(redis: Redis, prefix: string, runs: Pick<RunRecords, 'get'>, log: Logger): Promise<void> {
    this.consumer = new FinishConsumer(
      redis,
      prefix,
      async (id) => {
        const run = await runs.get(id);
        if (run) this.runFinished(run);
      },
      log,
      // A new deployment's first API, or one upgraded from before metrics, counts finishes from now on.
      { group: METRICS_GROUP, from: 'new' },
    );
    await this.consumer.start();
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
