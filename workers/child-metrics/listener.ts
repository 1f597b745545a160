// The worker's end of the children's metrics path: a Unix socket in a directory only this user can enter,
// whose path the worker hands its build children in their environment. BullMQ forks the children with an
// IPC channel, but keeps them private (taskforcesh/bullmq#275), so the worker cannot hear their messages;
// a socket of its own needs nothing from BullMQ's internals and works for every child it forks.
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../../src/log.js';
import { ChildMetricsReport, MAX_LINE_BYTES } from './report.js';
import { lines } from './lines.js';

/** Each worker's socket directory: `slipway-metrics-<pid>-XXXXXX` in the temporary folder. */
const DIR_PREFIX = 'slipway-metrics-';
const SOCKET = 'children.sock';
/** A directory without its socket this long after it was made is no worker's starting up. */
const UNFINISHED_MS = 10 * 60_000;

/**
 * Removes what workers killed without a chance to close left behind: a directory whose socket nobody listens on
 * any more (connecting is refused), or that never got one. Asking the socket, not the pid, works across pid
 * namespaces sharing one /tmp; another user's directories cannot be entered and are left alone.
 */
async function removeStale(log: Logger): Promise<void> {
  const tmp = os.tmpdir();
  const names = (await fs.readdir(tmp).catch(() => [])).filter((n) => n.startsWith(DIR_PREFIX));
  await Promise.all(
    names.map(async (name) => {
      const dir = path.join(tmp, name);
      const state = await new Promise<'listening' | 'refused' | 'absent' | 'unknown'>((resolve) => {
        const probe = net.connect(path.join(dir, SOCKET));
        probe.once('connect', () => {
          probe.destroy();
          resolve('listening');
        });
        probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED' ? 'refused' : err.code === 'ENOENT' ? 'absent' : 'unknown'));
      });
      const stale = state === 'refused' || (state === 'absent' && Date.now() - (await fs.stat(dir).then((s) => s.mtimeMs, () => Date.now())) > UNFINISHED_MS);
      if (!stale) return;
      await fs.rm(dir, { recursive: true, force: true }).then(
        () => log.info({ dir }, 'removed the metrics socket of a worker that did not close'),
        () => undefined,
      );
    }),
  );
}

export interface ChildMetricsSink {
  logBytes(platform: string, bytes: number): void;
  registryRequest(host: string, operation: string, status: number | undefined, seconds: number): void;
}

export class ChildMetricsListener {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private closing: Promise<void> | undefined;

  private constructor(
    readonly socketPath: string,
    private readonly dir: string,
    private readonly sink: ChildMetricsSink,
    private readonly log: Logger,
  ) {
    this.server = net.createServer((socket) => this.accept(socket));
  }

  static async start(sink: ChildMetricsSink, log: Logger): Promise<ChildMetricsListener> {
    await removeStale(log);
    // mkdtemp makes the directory 0700: no other user can connect and report made-up numbers.
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), `${DIR_PREFIX}${process.pid}-`));
    const listener = new ChildMetricsListener(path.join(dir, SOCKET), dir, sink, log);
    await new Promise<void>((resolve, reject) => listener.server.once('error', reject).listen(listener.socketPath, () => resolve()));
    listener.server.unref();
    return listener;
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    lines(socket, MAX_LINE_BYTES, (line) => this.receive(socket, line), () => {
      this.log.warn('a build child sent an over-long metrics line; its connection is closed');
      socket.destroy();
    });
  }

  private receive(socket: net.Socket, line: string): void {
    let report: ChildMetricsReport;
    try {
      const parsed = ChildMetricsReport.safeParse(JSON.parse(line));
      if (!parsed.success) throw new Error(parsed.error.message);
      report = parsed.data;
    } catch (err) {
      this.log.warn({ err: err instanceof Error ? err.message.slice(0, 200) : String(err) }, 'a build child sent metrics in a shape not understood; dropped');
      return;
    }
    for (const [platform, bytes] of Object.entries(report.logBytes)) this.sink.logBytes(platform, bytes);
    for (const r of report.registry) this.sink.registryRequest(r.host, r.operation, r.status, r.seconds);
    if (report.flush !== undefined) socket.write(`${JSON.stringify({ ack: report.flush })}\n`);
  }

  /** Stops listening and removes the socket's directory. Idempotent. */
  close(): Promise<void> {
    return (this.closing ??= (async () => {
      for (const s of this.sockets) s.destroy();
      await new Promise((resolve) => this.server.close(resolve));
      await fs.rm(this.dir, { recursive: true, force: true });
    })());
  }
}
