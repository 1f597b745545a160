// The CLI's HTTP transport: one request through node:http (node:https for https URLs, trusting the CA file
// the bin deferred: extra-ca.ts), with just what the API client needs — a status, a body read once as text,
// JSON or a stream of bytes. Global fetch would do, but loading undici is paid by every CLI process before
// its first request.
import http from 'node:http';
import type { Readable, Writable } from 'node:stream';
import type { ProxySettings } from './proxy.js';

export interface HttpResponse {
  status: number;
  statusText: string;
  ok: boolean;
  /** The body as it arrives; leaving a for-await early closes the connection. A cut connection throws BodyCutError. */
  body: AsyncIterable<Uint8Array>;
  text(): Promise<string>;
  json(): Promise<unknown>;
  /** Reads and drops the rest of a short body (HEAD, 204), so that the connection can be used again. */
  discard(): void;
}

/** The connection broke while the body was being read. */
export class BodyCutError extends Error {
  override name = 'BodyCutError';
}

/** Writes a request's body into the request itself, and ends it. */
export type BodyWriter = (out: Writable) => Promise<unknown>;

export interface HttpRequest {
  method: string;
  headers?: Record<string, string>;
  /**
   * A string, a stream, or a writer; streamed bodies go chunked unless a Content-Length header is given.
   * A writer writes into the request, so it knows when each chunk has gone to the socket.
   */
  body?: string | Readable | BodyWriter;
  signal?: AbortSignal;
}

/** The body writer failed: the request was cut off for that reason, which `cause` holds. */
export class BodyWriterError extends Error {
  override name = 'BodyWriterError';
}

/** The proxy settings (config.ts reads them), set once by the CLI's start; none: direct connections. */
let proxySettings: ProxySettings | undefined;
export function useProxySettings(settings: ProxySettings): void {
  proxySettings = settings;
}

export async function httpRequest(url: string, req: HttpRequest): Promise<HttpResponse> {
  const secure = url.startsWith('https:');
  const transport = secure ? await import('node:https') : http;
  const tls = secure ? (await import('./extra-ca.js')).httpsOptions() : {};
  const proxy = proxySettings && (await import('./proxy.js')).routeFor(new URL(url), proxySettings, tls);
  return new Promise((resolve, reject) => {
    const outgoing = transport.request(
      proxy?.url ?? url,
      { method: req.method, signal: req.signal, ...tls, ...proxy?.options, headers: { ...req.headers, ...proxy?.headers } },
      (res) => resolve(responseOf(res)),
    );
    outgoing.on('error', reject);
    const { body } = req;
    if (body === undefined || typeof body === 'string') {
      outgoing.end(body);
      return;
    }
    if (typeof body === 'function') {
      // Once an answer has come (a 413 before the whole body went), the writer's failure to finish is moot.
      body(outgoing).catch((err: unknown) => {
        reject(new BodyWriterError((err as Error).message, { cause: err }));
        outgoing.destroy();
      });
      return;
    }
    body.on('error', (err) => outgoing.destroy(err));
    // An answer before the whole body went (413) ends the request; the body's writer must hear of it.
    outgoing.on('close', () => {
      if (!body.readableEnded) body.destroy();
    });
    body.pipe(outgoing);
  });
}

function responseOf(res: http.IncomingMessage): HttpResponse {
  const status = res.statusCode ?? 0;
  const body = readBody(res);
  const text = async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(Buffer.from(chunk));
    return Buffer.concat(chunks).toString('utf8');
  };
  return {
    status,
    statusText: res.statusMessage ?? '',
    ok: status >= 200 && status < 300,
    body,
    text,
    json: async () => JSON.parse(await text()) as unknown,
    discard: () => void res.resume(),
  };
}

async function* readBody(res: http.IncomingMessage): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of res) yield chunk as Buffer;
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new BodyCutError((err as Error).message || 'the connection was cut', { cause: err });
  } finally {
    res.destroy();
  }
}
