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
    // mkdtemp makes the directory 0700: no other user can connect and report made-up numbers.
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-metrics-'));
    const listener = new ChildMetricsListener(path.join(dir, 'children.sock'), dir, sink, log);
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
