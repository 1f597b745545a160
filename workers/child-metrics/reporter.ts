// A build child's end of the metrics path: it adds up what it sees (log bytes per platform, registry
// requests) and reports it to its worker at most every REPORT_EVERY_MS, and on flush(), which waits until
// the worker has counted it: a job flushes before it returns, so by the time the worker hears that the job
// ended, its metrics are in. Metrics are best-effort: without a worker listening, they are dropped and
// nothing a build does waits on them for long.
import net from 'node:net';
import type { RegistryRequestObservation } from '../../src/registry/http.js';
import type { RunProgress } from '../../src/runs/progress.js';
import { lines } from './lines.js';
import { FlushAck, MAX_LINE_BYTES, type ChildMetricsReport, type RegistryRequestReport } from './report.js';

const REPORT_EVERY_MS = 1_000;
/** Registry requests held before a report goes out early. */
const MAX_HELD = 1_000;
/** The longest a job's end waits for the worker to confirm its metrics. */
const FLUSH_WAIT_MS = 2_000;

export interface ChildMetrics {
  logBytes(platform: string, bytes: number): void;
  registryRequest(o: RegistryRequestObservation): void;
  /** Resolves once the worker counted everything reported so far, or when there is no worker to tell. */
  flush(): Promise<void>;
}

/** Metrics reported to the worker listening at `socketPath`; dropped when there is none. */
export function childMetrics(socketPath: string | undefined): ChildMetrics {
  return socketPath ? new ChildMetricsReporter(socketPath) : { logBytes: () => undefined, registryRequest: () => undefined, flush: async () => undefined };
}

class ChildMetricsReporter implements ChildMetrics {
  private logBytesHeld = new Map<string, number>();
  private registryHeld: RegistryRequestReport[] = [];
  private timer: NodeJS.Timeout | undefined;
  private socket: net.Socket | undefined;
  private lastFlush = 0;
  private readonly waiting = new Map<number, () => void>();

  constructor(private readonly socketPath: string) {}

  logBytes(platform: string, bytes: number): void {
    if (bytes <= 0) return;
    this.logBytesHeld.set(platform, (this.logBytesHeld.get(platform) ?? 0) + bytes);
    this.schedule();
  }

  registryRequest(o: RegistryRequestObservation): void {
    this.registryHeld.push({ host: o.registry, operation: o.operation, ...(o.status !== undefined ? { status: o.status } : {}), seconds: o.seconds });
    if (this.registryHeld.length >= MAX_HELD) this.send();
    else this.schedule();
  }

  flush(): Promise<void> {
    const id = ++this.lastFlush;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.settle(id), FLUSH_WAIT_MS);
      this.waiting.set(id, () => {
        clearTimeout(timer);
        resolve();
      });
      this.send(id);
    });
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => this.send(), REPORT_EVERY_MS).unref();
  }

  private send(flush?: number): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (flush === undefined && this.logBytesHeld.size === 0 && this.registryHeld.length === 0) return;
    const report: ChildMetricsReport = { logBytes: Object.fromEntries(this.logBytesHeld), registry: this.registryHeld, ...(flush !== undefined ? { flush } : {}) };
    this.logBytesHeld = new Map();
    this.registryHeld = [];
    this.connection().write(`${JSON.stringify(report)}\n`);
  }

  private connection(): net.Socket {
    if (this.socket) return this.socket;
    const socket = net.createConnection(this.socketPath);
    // A child that finished its job must be free to exit (the worker may end it at any time).
    socket.unref();
    lines(socket, MAX_LINE_BYTES, (line) => {
      const ack = FlushAck.safeParse(safeJson(line));
      if (ack.success) this.settle(ack.data.ack);
    }, () => socket.destroy());
    // Whatever was written and not acknowledged is lost with the connection; the next report opens another.
    const lost = () => {
      if (this.socket === socket) this.socket = undefined;
      this.settle(this.lastFlush);
    };
    socket.on('error', lost);
    socket.once('close', lost);
    this.socket = socket;
    return socket;
  }

  /** Releases every flush up to `id`: acknowledgements come in order. */
  private settle(id: number): void {
    for (const [waiting, release] of this.waiting) {
      if (waiting <= id) {
        this.waiting.delete(waiting);
        release();
      }
    }
  }
}

/** The run port with every log line's bytes counted for `platform`, before the per-run cap drops any. */
export function countingLogBytes(runs: RunProgress, metrics: ChildMetrics, platform: string): RunProgress {
  return {
    get: (id) => runs.get(id),
    start: (id, worker) => runs.start(id, worker),
    setPlatformResult: (id, result) => runs.setPlatformResult(id, result),
    setBaseImages: (id, p, bases) => runs.setBaseImages(id, p, bases),
    appendLog: (id, lines) => {
      metrics.logBytes(platform, lines.reduce((sum, line) => sum + Buffer.byteLength(line) + 1, 0));
      return runs.appendLog(id, lines);
    },
    finish: (...args) => runs.finish(...args),
    stopBuilds: (id) => runs.stopBuilds(id),
  };
}

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}
