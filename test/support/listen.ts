// An HTTP app served on a free loopback port for the length of a test: its base URL once it listens.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Listening {
  server: Server;
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  base: string;
}

export async function listenOnLoopback(app: { listen(port: number, host: string): Server }): Promise<Listening> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
