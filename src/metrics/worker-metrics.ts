// A worker's Prometheus metrics (GET /metrics on SLIPWAY_WORKER_METRICS_PORT, off when unset): the jobs it
// took and how they ended, per platform queue, and how long they ran, read from BullMQ's job events in the
// worker process (the builds themselves run in sandboxed children). What only the children see (log bytes,
// registry requests) reaches it through workers/child-metrics/. Labels are the platform (or `index` for
// multi-platform index assembly), the run status and the registry host and operation: a few values each,
// never a run id or an image.
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { registryRequestHistogram, statusClass, type RegistryRequestHistogram } from './registry-metrics.js';

const RUN_SECONDS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600];

export class WorkerMetrics {
  readonly registry = new Registry();
  private readonly finished: Counter<'platform' | 'status'>;
  private readonly duration: Histogram<'platform' | 'status'>;
  private readonly active: Gauge<'platform'>;
  private readonly logBytesWritten: Counter<'platform'>;
  private readonly registryRequests: RegistryRequestHistogram;
  /** The platform labels this worker reports on: anything else a child says is dropped. */
  readonly platforms: ReadonlySet<string>;
  private server: Server | undefined;

  constructor(platforms: readonly string[]) {
    const registers = [this.registry];
    this.finished = new Counter({ name: 'slipway_worker_jobs_finished_total', help: "Jobs this worker finished, by platform queue and the run's status (error: the job failed outside the build).", labelNames: ['platform', 'status'], registers });
    this.duration = new Histogram({ name: 'slipway_worker_job_duration_seconds', help: 'From this worker taking a job to its end.', labelNames: ['platform', 'status'], buckets: RUN_SECONDS, registers });
    this.active = new Gauge({ name: 'slipway_worker_jobs_active', help: 'Jobs this worker is running now, per platform queue.', labelNames: ['platform'], registers });
    this.logBytesWritten = new Counter({ name: 'slipway_worker_log_bytes_total', help: "Bytes of log lines this worker's builds wrote (before the per-run log cap), per platform queue.", labelNames: ['platform'], registers });
    this.registryRequests = registryRequestHistogram(registers);
    this.platforms = new Set(platforms);
    const served = new Gauge({ name: 'slipway_worker_platforms', help: 'The platforms this worker serves (1 each).', labelNames: ['platform'], registers });
    for (const p of platforms) {
      served.set({ platform: p }, 1);
      // Present from the start, so a rate() sees the first job.
      this.active.set({ platform: p }, 0);
      this.logBytesWritten.inc({ platform: p }, 0);
    }
    collectDefaultMetrics({ register: this.registry, prefix: 'slipway_worker_' });
  }

  jobStarted(platform: string): void {
    this.active.inc({ platform });
  }

  /** `seconds`: undefined when BullMQ did not record when the job was taken. */
  jobFinished(platform: string, status: string, seconds: number | undefined): void {
    this.active.dec({ platform });
    this.finished.inc({ platform, status });
    if (seconds !== undefined) this.duration.observe({ platform, status }, seconds);
  }

  logBytes(platform: string, bytes: number): void {
    if (this.platforms.has(platform)) this.logBytesWritten.inc({ platform }, bytes);
  }

  registryRequest(host: string, operation: string, status: number | undefined, seconds: number): void {
    this.registryRequests.observe({ host, operation, code: statusClass(status) }, seconds);
  }

  /** Serves GET /metrics; resolves with the port once listening. */
  async listen(port: number, host: string): Promise<number> {
    const server = http.createServer((req, res) => {
      if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') return void res.writeHead(404).end();
      this.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
    });
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, () => resolve()));
    this.server = server;
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}
