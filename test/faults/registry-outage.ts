// The network path to a registry going down at a chosen request: a TCP forwarder on a loopback port of its
// own in front of a real registry. The first time a request line matches, every connection through it is cut and the
// port refuses (as a registry host down would) until restore(); the registry behind it keeps its data.
import net from 'node:net';

export interface RegistryOutage {
  /** `127.0.0.1:<port>`: the registry host to name images with. */
  host: string;
  /** Resolves once the outage began. */
  down: Promise<void>;
  /** Listens again on the same port: the registry is back. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** Forwards to `target` (`host:port`), but goes down once, when a request line first starts with `cutAt`, e.g. `PUT /v2/repo/manifests/v1 `. */
export async function registryOutage(target: string, cutAt: string): Promise<RegistryOutage> {
  const [targetHost, targetPort] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const sockets = new Set<net.Socket>();
  let cut = false;
  let wentDown = false;
  let began!: () => void;
  const down = new Promise<void>((r) => (began = r));
  const server = net.createServer((client) => {
    if (cut) return client.destroy();
    const upstream = net.connect(targetPort, targetHost);
    sockets.add(client).add(upstream);
    client.on('data', (d: Buffer) => {
      // Each request of a kept-alive connection starts a chunk of its own: its line is found at the start.
      if (!wentDown && d.toString('latin1').startsWith(cutAt)) return goDown();
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => client.write(d));
    for (const s of [client, upstream]) s.on('error', () => undefined).on('close', () => (client.destroy(), upstream.destroy(), sockets.delete(s)));
  });
  const listen = (port: number) => new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', () => (server.off('error', reject), resolve())));
  const stopListening = () => new Promise<void>((r) => server.close(() => r()));
  const goDown = () => {
    cut = wentDown = true;
    for (const s of sockets) s.destroy();
    void stopListening().then(began);
  };
  await listen(0);
  const port = (server.address() as net.AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    down,
    async restore() {
      await down;
      cut = false;
      await listen(port);
    },
    async close() {
      for (const s of sockets) s.destroy();
      if (server.listening) await stopListening();
    },
  };
}
