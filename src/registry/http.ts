// The one HTTP helper every registry call goes through: resolves URLs, applies the per-request timeout,
// retries what retry.ts calls retryable, keeps credentials on the registry's own origin, reads bodies
// with a size limit, and turns unexpected answers into RegistryErrors with masked messages.
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger, SecretMasker } from '../log.js';
import { registryBaseUrl } from './endpoint.js';
import { RegistryError } from './errors.js';
import { registryHostProblem, type RegistryHostPolicy } from './host-policy.js';
import { retryDelayMs, type RetryPolicy } from './retry.js';
import { tlsFailure } from './tls.js';
import type { RegistryRequestInit } from './transport.js';

export interface RegistryRequest {
  registry: string;
  /** What the caller is doing, for errors and logs: `getManifest`, `pushBlob`, … */
  operation: string;
  /** The repository the call is about, for messages. */
  repository?: string;
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  /** A path below the registry's base URL (`/v2/…`) or an absolute URL (an upload Location, a token realm). */
  url: string;
  headers?: Record<string, string>;
  /** Bytes, or a stream made afresh for every attempt (a retry, a new token) with its length. */
  body?: Uint8Array | StreamBody;
  /** This request's time limit, body included, when the client-wide one does not fit (a large upload). */
  timeoutMs?: number;
  /** Send the Authorization header even to another origin (only the token realm needs this). */
  authorizeForeignOrigin?: boolean;
}

export interface StreamBody {
  open: () => Readable;
  length: number;
}

export interface RegistryHttpOptions {
  fetch: typeof fetch;
  retry: RetryPolicy;
  timeoutMs: number;
  insecure: (registry: string) => boolean;
  masker: SecretMasker;
  logger?: Logger;
  /** Hosts this client may contact; every host when absent. */
  hostPolicy?: RegistryHostPolicy;
  /** Where a CA for a host would go (Docker's certs.d), for the message of a TLS failure. */
  caPathFor?: (host: string) => string | undefined;
  /** Hears every attempt sent (metrics). */
  observe?: RegistryRequestObserver;
}

/** One attempt's outcome: its status, or undefined when no answer came; seconds until the answer's headers. */
export interface RegistryRequestObservation {
  registry: string;
  operation: string;
  status: number | undefined;
  seconds: number;
}
export type RegistryRequestObserver = (o: RegistryRequestObservation) => void;

/** Redirects followed for one request, each on the host it was sent to. */
const MAX_REDIRECTS = 5;

export class RegistryHttp {
  constructor(private readonly opts: RegistryHttpOptions) {}

  baseUrl(registry: string): string {
    return registryBaseUrl(registry, this.opts.insecure(registry));
  }

  resolve(req: Pick<RegistryRequest, 'registry' | 'url'>): URL {
    return new URL(req.url, this.baseUrl(req.registry) + '/');
  }

  /** Sends with retries; returns the final answer whatever its status. Throws only when no answer came. */
  async send(req: RegistryRequest, authorization?: string): Promise<Response> {
    let url = this.resolve(req);
    this.checkHost(req, url);
    const headers: Record<string, string> = { ...req.headers };
    if (authorization && (req.authorizeForeignOrigin || url.origin === new URL(this.baseUrl(req.registry)).origin)) {
      if (url.protocol === 'http:' && !this.opts.insecure(url.host)) {
        throw this.error(req, 400, `refusing to send credentials over plain HTTP to ${url.host}`, { code: 'registry_insecure_auth', retryable: false });
      }
      headers['authorization'] = authorization;
    }
    for (let attempt = 1, redirects = 0; ; attempt++) {
      let res: Response;
      const started = performance.now();
      const observed = (status: number | undefined) => this.opts.observe?.({ registry: req.registry, operation: req.operation, status, seconds: (performance.now() - started) / 1000 });
      try {
        const streamed = req.body !== undefined && !(req.body instanceof Uint8Array);
        res = await this.opts.fetch(url, {
          method: req.method,
          headers: streamed ? { ...headers, 'content-length': String((req.body as StreamBody).length) } : headers,
          // Buffers may sit on a SharedArrayBuffer in the types; ours never do, and fetch copies the bytes anyway.
          body: streamed ? (Readable.toWeb((req.body as StreamBody).open()) as ReadableStream<Uint8Array>) : (req.body as Uint8Array<ArrayBuffer> | undefined),
          ...(streamed ? { duplex: 'half' } : {}),
          // Followed here, and only on the same host: a registry must not send us to another one.
          redirect: 'manual',
          signal: AbortSignal.timeout(req.timeoutMs ?? this.opts.timeoutMs),
          registry: req.registry,
        } as RegistryRequestInit);
      } catch (err) {
        observed(undefined);
        const tls = tlsFailure(err, url.host, this.opts.caPathFor?.(url.host));
        if (tls) throw this.error(req, 502, tls, { code: 'registry_tls', retryable: false });
        const delay = retryDelayMs({ networkError: true }, attempt, this.opts.retry);
        const reason = describeNetworkError(err, this.opts.timeoutMs);
        if (delay === undefined) {
          throw this.error(req, 503, `registry unreachable after ${attempt} attempt${attempt === 1 ? '' : 's'} (${reason})`, { retryable: true });
        }
        this.opts.logger?.warn({ registry: req.registry, operation: req.operation, attempt, delayMs: delay, reason }, 'registry request failed, retrying');
        await sleep(delay);
        continue;
      }
      observed(res.status);
      const location = res.status >= 300 && res.status < 400 ? res.headers.get('location') : null;
      if (location !== null && (req.method === 'GET' || req.method === 'HEAD')) {
        await discard(res);
        const next = new URL(location, url);
        if (next.host !== url.host || (url.protocol === 'https:' && next.protocol !== 'https:')) {
          throw this.error(req, 502, `the registry redirected to ${next.protocol}//${next.host}, another host, which is not followed`, { code: 'registry_redirect_refused', retryable: false });
        }
        if (++redirects > MAX_REDIRECTS) throw this.error(req, 502, `more than ${MAX_REDIRECTS} redirects`, { code: 'registry_redirect_refused', retryable: false });
        url = next;
        attempt = 0;
        continue;
      }
      const delay = retryDelayMs({ status: res.status, retryAfter: res.headers.get('retry-after') }, attempt, this.opts.retry);
      if (delay === undefined) return res;
      await discard(res);
      this.opts.logger?.warn({ registry: req.registry, operation: req.operation, attempt, delayMs: delay, status: res.status }, 'registry request failed, retrying');
      await sleep(delay);
    }
  }

  /** Refuses a host the policy does not allow, before anything is sent to it. */
  checkHost(req: RegistryRequest, url: URL): void {
    const problem = registryHostProblem(url.host, this.opts.hostPolicy);
    if (problem) throw this.error(req, 403, problem, { code: 'registry_host_refused', retryable: false });
  }

  /** The body, up to `limit` bytes; a larger answer is an error rather than memory we did not plan for. */
  async readBody(res: Response, req: RegistryRequest, limit: number): Promise<Buffer> {
    const declared = Number(res.headers.get('content-length'));
    if (declared > limit) {
      await discard(res);
      throw this.invalidResponse(req, `answer of ${declared} bytes exceeds the ${limit}-byte limit`);
    }
    if (!res.body) return Buffer.alloc(0);
    const chunks: Buffer[] = [];
    let total = 0;
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limit) {
        await reader.cancel();
        throw this.invalidResponse(req, `answer exceeds the ${limit}-byte limit`);
      }
      chunks.push(Buffer.from(value));
    }
    return Buffer.concat(chunks, total);
  }

  /**
   * The error for an answer the caller did not expect, with the registry's own error codes when it sent them.
   * Only codes of the spec's form are kept: the rest of a body is the remote's text, and it never reaches an
   * error (a message could carry anything a hostile registry wants a log or an API client to show).
   */
  async unexpected(res: Response, req: RegistryRequest): Promise<RegistryError> {
    let detail = '';
    if (req.method !== 'HEAD') {
      const body = await this.readBody(res, req, 64 * 1024).catch(() => Buffer.alloc(0));
      detail = errorCodes(body.toString('utf8'));
    } else {
      await discard(res);
    }
    return this.error(req, res.status, `HTTP ${res.status}${detail ? ` ${detail}` : ''}`);
  }

  invalidResponse(req: RegistryRequest, message: string): RegistryError {
    return this.error(req, 502, `invalid answer: ${message}`, { code: 'registry_invalid_response', retryable: false });
  }

  error(req: RegistryRequest, status: number, message: string, extra: { code?: string; retryable?: boolean } = {}): RegistryError {
    const subject = req.repository ? `${req.registry}/${req.repository}` : req.registry;
    return new RegistryError({
      status,
      registry: req.registry,
      operation: req.operation,
      message: this.opts.masker.mask(`${req.operation} ${subject}: ${message}`),
      ...extra,
    });
  }
}

/** Lets the connection go back to the pool without reading what nobody needs. */
export async function discard(res: Response): Promise<void> {
  await res.body?.cancel().catch(() => undefined);
}

// https://github.com/opencontainers/distribution-spec/blob/v1.1.0/spec.md#error-codes
function errorCodes(text: string): string {
  try {
    const parsed = JSON.parse(text) as { errors?: { code?: unknown }[] };
    if (Array.isArray(parsed.errors)) {
      return parsed.errors
        .slice(0, 3)
        .map((e) => (typeof e?.code === 'string' && /^[A-Z][A-Z_]{0,39}$/.test(e.code) ? e.code : ''))
        .filter(Boolean)
        .join(', ');
    }
  } catch {
    // not the distribution error format
  }
  return '';
}

function describeNetworkError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return `no answer within ${timeoutMs} ms`;
  const cause = err instanceof Error ? (err.cause as { code?: unknown } | undefined) : undefined;
  if (cause && typeof cause.code === 'string') return cause.code;
  return err instanceof Error ? err.message.slice(0, 200) : 'network error';
}
