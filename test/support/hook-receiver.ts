// A webhook receiver on loopback for tests of outbound hooks: records every POST (headers, raw body, when)
// and answers 204; it can be stopped, as a crashed receiver is, and started again on the same port.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { within } from './wait.js';

export interface Received {
  at: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: { event: string; at: string; task?: string; data: any };
}

/** A webhook receiver on loopback that records every POST and answers 204; stopped and started again on its port. */
export class HookReceiver {
  readonly received: Received[] = [];
  private readonly waiters = new Set<() => void>();
  private server: http.Server | undefined;
  port = 0;

  async start(): Promise<void> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        this.received.push({ at: Date.now(), headers: req.headers, body, json: JSON.parse(body) });
        res.writeHead(204).end();
        for (const wake of this.waiters) wake();
      });
    });
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(this.port, '127.0.0.1', () => resolve()));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Gone as a crashed receiver is: connections refused from now on. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  /** The first request from index `from` on that `match` accepts, once it arrives. */
  async next(what: string, match: (r: Received) => boolean, from = 0, ms = 30_000): Promise<Received> {
    const found = () => this.received.slice(from).find(match);
    let wake!: () => void;
    const arrived = new Promise<Received>((resolve) => {
      wake = () => {
        const r = found();
        if (r) resolve(r);
      };
      this.waiters.add(wake);
      wake();
    });
    try {
      return await within(`the receiver: ${what}`, ms, arrived);
    } finally {
      this.waiters.delete(wake);
    }
  }
}
