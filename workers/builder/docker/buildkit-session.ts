// Slipway's side of a BuildKit session through Docker Engine: a POST /session upgraded to h2c, over which
// the daemon is the gRPC client and the worker the server (as `docker build` does, and dockerode's
// lib/session.js shows). It serves the build's secrets from memory, registry credentials host by host, and
// the health check BuildKit keeps a session alive with. The build names the session by its id.
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { Server, ServerCredentials, status, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import type Docker from 'dockerode';
import type { BuildSession } from '../image-builder.js';
import {
  authService,
  healthService,
  secretsService,
  servedMethods,
  SERVING,
  type CredentialsRequest,
  type CredentialsResponse,
  type GetSecretRequest,
  type GetSecretResponse,
  type HealthCheckResponse,
} from './session-services.js';

export interface OpenSession {
  /** The id the build request names (`session=`). */
  id: string;
  /** Ends the session; safe to call twice. */
  close(): void;
}

type Unary<Req, Res> = (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void;

/** Opens a session on the daemon serving `session`; resolves once the daemon has taken the connection. */
export async function openBuildSession(modem: Docker['modem'], session: BuildSession): Promise<OpenSession> {
  const id = randomUUID();
  const socket = await new Promise<Duplex>((resolve, reject) => {
    modem.dial(
      {
        method: 'POST',
        path: '/session',
        hijack: true,
        headers: {
          Upgrade: 'h2c',
          'X-Docker-Expose-Session-Uuid': id,
          'X-Docker-Expose-Session-Name': 'slipway',
          'X-Docker-Expose-Session-Sharedkey': '',
          // What the daemon may call here; BuildKit checks some services against this list.
          'X-Docker-Expose-Session-Grpc-Method': servedMethods(),
        },
        statusCodes: { 200: true, 101: true, 500: 'server error' },
      } as unknown as Parameters<Docker['modem']['dial']>[0],
      (err: unknown, sock: unknown) => (err ? reject(err) : resolve(sock as Duplex)),
    );
  });
  const server = new Server();
  server.addService(secretsService(), { GetSecret: getSecret(session) });
  server.addService(authService(), { Credentials: credentials(session) });
  server.addService(healthService(), { Check: ((_call, callback) => callback(null, { status: SERVING })) satisfies Unary<object, HealthCheckResponse> });
  server.createConnectionInjector(ServerCredentials.createInsecure()).injectConnection(socket);
  let closed = false;
  return {
    id,
    close() {
      if (closed) return;
      closed = true;
      // Not in this tick: HTTP/2 hands the bytes that came with the upgrade to the new session on the next
      // tick, and throws (uncaught) if the session is gone by then.
      setImmediate(() => {
        server.forceShutdown();
        socket.destroy();
      });
    },
  };
}

function getSecret(session: BuildSession): Unary<GetSecretRequest, GetSecretResponse> {
  return (call, callback) => {
    const { ID } = call.request;
    if (!Object.hasOwn(session.secrets, ID)) {
      // BuildKit reports NotFound as `secret ID not found`, which names what to pass.
      callback({ code: status.NOT_FOUND, details: `secret ${ID} not found: pass it with --secret id=${ID},…` });
      return;
    }
    callback(null, { data: Buffer.from(session.secrets[ID]!, 'utf8') });
  };
}

function credentials(session: BuildSession): Unary<CredentialsRequest, CredentialsResponse> {
  return (call, callback) => {
    const host = call.request.Host;
    // No login for a host: an empty answer, and BuildKit pulls from it anonymously.
    if (!session.credentials) return callback(null, {});
    session.credentials(host).then(
      (found) => callback(null, found ? { Username: found.username, Secret: found.secret } : {}),
      // The lookup's own message may name the host, never a password; the daemon shows it as the pull's error.
      (err: unknown) => callback({ code: status.UNAVAILABLE, details: `credentials for ${host}: ${err instanceof Error ? err.message : String(err)}` }),
    );
  };
}
