// The registry client's fetch, over node:http and node:https: Node's built-in fetch takes no per-request CA
// (that needs the undici package's Agent), and a private registry's CA must be trusted for that registry only.
// It does what RegistryHttp asks of fetch and no more: no redirects followed, a timeout signal that also ends
// the body, and network errors shaped as fetch's (`TypeError` with the system error as its cause).
import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import type { RegistryTls } from './tls.js';

/** Answers that carry no body whatever their headers say. */
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/** What RegistryHttp passes besides fetch's own options: the registry a request is for (see RegistryTls.extraCas). */
export interface RegistryRequestInit extends RequestInit {
  registry?: string;
}

export function registryFetch(tls: RegistryTls): typeof fetch {
  const plain = new http.Agent({ keepAlive: true });
  // One agent per set of trusted CAs, so connections are reused but never across trust decisions.
  const secure = new Map<string, https.Agent>();
  const agentFor = (extra: string[]): https.Agent => {
    const key = extra.length ? createHash('sha256').update(extra.join('\n')).digest('hex') : '';
    let agent = secure.get(key);
    if (!agent) {
      // Node's `ca` replaces the system's roots, so they are listed with the extra CAs.
      agent = new https.Agent({ keepAlive: true, ...(extra.length ? { ca: [...rootCertificates, ...extra] } : {}) });
      secure.set(key, agent);
    }
    return agent;
  };

  return (async (input: string | URL | Request, init: RegistryRequestInit = {}): Promise<Response> => {
    if (input instanceof Request) throw new TypeError('registryFetch takes a URL');
    const url = new URL(input);
    const method = init.method ?? 'GET';
    const headers = Object.fromEntries(new Headers(init.headers));
    const body = init.body;
    if (body instanceof Uint8Array && headers['content-length'] === undefined) headers['content-length'] = String(body.byteLength);
    const agent = url.protocol === 'https:' ? agentFor(await tls.extraCas(url.host, ...(init.registry ? [init.registry] : []))) : plain;
    const signal = init.signal ?? undefined;
    signal?.throwIfAborted();

    return new Promise<Response>((resolve, reject) => {
      const request = (url.protocol === 'https:' ? https : http).request(url, { method, headers, agent, ...(signal ? { signal } : {}) }, (res) => {
        const answer = new Headers();
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) answer.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
        const status = res.statusCode ?? 502;
        const noBody = method === 'HEAD' || NULL_BODY_STATUSES.has(status);
        if (noBody) res.resume();
        resolve(new Response(noBody ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), { status, statusText: res.statusMessage ?? '', headers: answer }));
      });
      request.on('error', (err) => reject(signal?.aborted ? signal.reason : new TypeError('fetch failed', { cause: err })));
      if (body instanceof ReadableStream) Readable.fromWeb(body as import('node:stream/web').ReadableStream).on('error', (err) => request.destroy(err)).pipe(request);
      else if (body instanceof Uint8Array) request.end(body);
      else if (body === undefined || body === null) request.end();
      else request.destroy(new TypeError('registryFetch sends bytes or a stream'));
    });
  }) as typeof fetch;
}
