// RegistryClient: the one client of the OCI distribution API in Slipway — manifests, blobs, tags.
// https://github.com/opencontainers/distribution-spec/blob/v1.1.0/spec.md
// Every call goes through RegistryAuth (401 → credentials/token) and RegistryHttp (retries, timeouts, errors).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import * as z from 'zod';
import { SecretMasker, type Logger } from '../log.js';
import { RegistryAuth, repositoryScope, type CredentialsProvider } from './auth.js';
import { digestAlgorithm, digestOf } from './digest.js';
import { isLoopbackRegistry } from './endpoint.js';
import type { RegistryHostPolicy } from './host-policy.js';
import { discard, RegistryHttp, type RegistryRequest, type RegistryRequestObserver } from './http.js';
import { InvalidManifestError, MANIFEST_ACCEPT, MAX_MANIFEST_BYTES, parseManifest, type ParsedManifest } from './manifests.js';
import { checkImageReference, digestProblem, type ImageReference } from './reference.js';
import { DEFAULT_RETRY, type RetryPolicy } from './retry.js';
import { RegistryTls, type RegistryTlsSettings } from './tls.js';
import { registryFetch } from './transport.js';

export interface RegistryClientOptions {
  /** Credentials for a registry (`127.0.0.1:5000`, `ghcr.io`); undefined for anonymous access. */
  credentials?: CredentialsProvider;
  /** Registries reached over plain HTTP. Default: what `tls` says, else localhost, 127.0.0.0/8 and ::1. */
  insecureRegistries?: (registry: string) => boolean;
  /** CAs and plain-HTTP registries (tls.ts); the system's roots only, and HTTP on loopback, when absent. */
  tls?: RegistryTlsSettings;
  /** Where tokens and passwords are registered for redaction; a private one when absent. */
  masker?: SecretMasker;
  fetch?: typeof fetch;
  retry?: Partial<RetryPolicy>;
  /** Per-request timeout, body included. Default 60 s. */
  timeoutMs?: number;
  logger?: Logger;
  /** Hosts this client may contact (registries, token realms, redirects); every host when absent. */
  hostPolicy?: RegistryHostPolicy;
  /** The clock cached tokens expire by. */
  now?: () => number;
  /** Hears every request sent, retries included (metrics). */
  observe?: RegistryRequestObserver;
}

export interface ManifestHead {
  digest: string;
  mediaType: string;
  size: number;
}

/** A manifest as served: its digest, validated body, and the exact bytes (what the digest is of). */
export type Manifest = ParsedManifest & { digest: string; raw: Buffer };

/** Configs and other small blobs; layers are not read into memory. */
const DEFAULT_MAX_BLOB_BYTES = 32 * 1024 * 1024;
const MAX_TAG_PAGES = 1000;

const PULL = ['pull'] as const;
const PUSH = ['pull', 'push'] as const;

// https://github.com/opencontainers/distribution-spec/blob/v1.1.0/spec.md#listing-tags
const tagListSchema = z.object({ name: z.string(), tags: z.array(z.string()).nullable() });

export class RegistryClient {
  private readonly http: RegistryHttp;
  private readonly auth: RegistryAuth;
  private readonly timeoutMs: number;

  constructor(opts: RegistryClientOptions = {}) {
    const masker = opts.masker ?? new SecretMasker();
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    const tls = opts.tls ? new RegistryTls(opts.tls) : undefined;
    this.http = new RegistryHttp({
      fetch: opts.fetch ?? (tls ? registryFetch(tls) : globalThis.fetch),
      retry: { ...DEFAULT_RETRY, ...opts.retry },
      timeoutMs: this.timeoutMs,
      insecure: opts.insecureRegistries ?? (tls ? (registry) => tls.insecure(registry) : isLoopbackRegistry),
      ...(tls ? { caPathFor: (host: string) => tls.certsDirFor(host) } : {}),
      masker,
      ...(opts.logger ? { logger: opts.logger } : {}),
      ...(opts.hostPolicy ? { hostPolicy: opts.hostPolicy } : {}),
      ...(opts.observe ? { observe: opts.observe } : {}),
    });
    this.auth = new RegistryAuth(this.http, { masker, ...(opts.credentials ? { credentials: opts.credentials } : {}), ...(opts.now ? { now: opts.now } : {}) });
  }

  /** Digest, media type and size of a manifest without its body; undefined when the registry does not have it. */
  async headManifest(ref: ImageReference, accept: string = MANIFEST_ACCEPT): Promise<ManifestHead | undefined> {
    const req = this.request(ref, 'headManifest', 'HEAD', `manifests/${manifestTarget(ref)}`, { accept });
    const res = await this.auth.send(req, [repositoryScope(ref.repository, PULL)]);
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw await this.http.unexpected(res, req);
    await discard(res);
    const digest = res.headers.get('docker-content-digest') ?? ref.digest;
    if (!digest || digestProblem(digest)) throw this.http.invalidResponse(req, 'no valid Docker-Content-Digest header');
    if (ref.digest && digest !== ref.digest) throw this.http.invalidResponse(req, `digest ${digest} does not match the requested ${ref.digest}`);
    const mediaType = res.headers.get('content-type')?.split(';')[0]?.trim() ?? '';
    return { digest, mediaType, size: Number(res.headers.get('content-length') ?? 0) };
  }

  /** The manifest named by the reference's digest, else its tag (else `latest`), verified against its digest. */
  async getManifest(ref: ImageReference): Promise<Manifest> {
    const req = this.request(ref, 'getManifest', 'GET', `manifests/${manifestTarget(ref)}`, { accept: MANIFEST_ACCEPT });
    const res = await this.auth.send(req, [repositoryScope(ref.repository, PULL)]);
    if (res.status !== 200) throw await this.http.unexpected(res, req);
    const raw = await this.http.readBody(res, req, MAX_MANIFEST_BYTES);
    const header = res.headers.get('docker-content-digest');
    const expected = ref.digest ?? (header && !digestProblem(header) ? header : undefined);
    const digest = digestOf(raw, expected ? digestAlgorithm(expected) : 'sha256');
    if (expected && digest !== expected) throw this.http.invalidResponse(req, `manifest bytes digest to ${digest}, not ${expected}`);
    try {
      return { ...parseManifest(raw, res.headers.get('content-type') ?? undefined), digest, raw };
    } catch (err) {
      if (err instanceof InvalidManifestError) throw this.http.invalidResponse(req, err.message);
      throw err;
    }
  }

  /**
   * Pushes manifest bytes under the reference's tag, else its digest, else their own digest; returns the digest.
   * The bytes are validated first, so a malformed manifest fails here with InvalidManifestError.
   */
  async putManifest(ref: ImageReference, raw: Buffer, mediaType: string): Promise<string> {
    if (raw.byteLength > MAX_MANIFEST_BYTES) throw new InvalidManifestError(`manifest of ${raw.byteLength} bytes exceeds ${MAX_MANIFEST_BYTES}`);
    parseManifest(raw, mediaType);
    const digest = digestOf(raw, ref.digest ? digestAlgorithm(ref.digest) : 'sha256');
    if (ref.digest && ref.digest !== digest) throw new InvalidManifestError(`manifest bytes digest to ${digest}, not ${ref.digest}`);
    const req = this.request(ref, 'putManifest', 'PUT', `manifests/${ref.tag ?? digest}`, { 'content-type': mediaType }, raw);
    return this.putExpectingDigest(req, ref, digest);
  }

  /** Deletes a manifest by digest; false when the registry did not have it. */
  async deleteManifest(ref: ImageReference, digest: string): Promise<boolean> {
    const req = this.request({ ...ref, digest }, 'deleteManifest', 'DELETE', `manifests/${digest}`);
    // distribution asks for the `delete` action since 2.7 (earlier `*`).
    const res = await this.auth.send(req, [repositoryScope(ref.repository, ['delete'])]);
    if (res.status === 404) return false;
    if (res.status !== 202 && res.status !== 200) throw await this.http.unexpected(res, req);
    await discard(res);
    return true;
  }

  async blobExists(ref: ImageReference, digest: string): Promise<boolean> {
    const req = this.request({ ...ref, digest }, 'blobExists', 'HEAD', `blobs/${digest}`);
    const res = await this.auth.send(req, [repositoryScope(ref.repository, PULL)]);
    if (res.status !== 200 && res.status !== 404) throw await this.http.unexpected(res, req);
    await discard(res);
    return res.status === 200;
  }

  /** A small blob (an image config) into memory, verified against its digest. */
  async getBlob(ref: ImageReference, digest: string, maxBytes = DEFAULT_MAX_BLOB_BYTES): Promise<Buffer> {
    const req = this.request({ ...ref, digest }, 'getBlob', 'GET', `blobs/${digest}`);
    const res = await this.auth.send(req, [repositoryScope(ref.repository, PULL)]);
    if (res.status !== 200) throw await this.http.unexpected(res, req);
    const data = await this.http.readBody(res, req, maxBytes);
    const actual = digestOf(data, digestAlgorithm(digest));
    if (actual !== digest) throw this.http.invalidResponse(req, `blob bytes digest to ${actual}, not ${digest}`);
    return data;
  }

  /**
   * A blob of any size as a stream, checked against its digest as it goes: the stream fails at its end when the
   * bytes were not what the digest names, so a reader never takes a damaged blob for a whole one.
   */
  async openBlob(ref: ImageReference, digest: string, timeoutMs = 60 * 60_000): Promise<Readable> {
    const req = this.request({ ...ref, digest }, 'openBlob', 'GET', `blobs/${digest}`);
    req.timeoutMs = timeoutMs;
    const res = await this.auth.send(req, [repositoryScope(ref.repository, PULL)]);
    if (res.status !== 200 || !res.body) throw await this.http.unexpected(res, req);
    const algorithm = digestAlgorithm(digest);
    const hash = createHash(algorithm);
    const invalid = () => this.http.invalidResponse(req, `blob bytes digest to something other than ${digest}`);
    const check = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        done(null, chunk);
      },
      flush(done) {
        done(`${algorithm}:${hash.digest('hex')}` === digest ? null : invalid());
      },
    });
    const source = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
    // pipe() would leave the reader waiting for ever when the connection drops mid-blob.
    source.once('error', (err) => check.destroy(err));
    return source.pipe(check);
  }

  /** Deletes a blob from the repository; false when it was not there. The registry must allow deletes. */
  async deleteBlob(ref: ImageReference, digest: string): Promise<boolean> {
    const req = this.request({ ...ref, digest }, 'deleteBlob', 'DELETE', `blobs/${digest}`);
    const res = await this.auth.send(req, [repositoryScope(ref.repository, ['delete'])]);
    if (res.status === 404) {
      await discard(res);
      return false;
    }
    if (res.status !== 202 && res.status !== 200) throw await this.http.unexpected(res, req);
    await discard(res);
    return true;
  }

  /** Uploads a blob in one piece (POST, then PUT with the digest) unless the repository has it; returns its digest. */
  async pushBlob(ref: ImageReference, data: Buffer): Promise<string> {
    const digest = digestOf(data);
    if (await this.blobExists(ref, digest)) return digest;
    const location = await this.startUpload(ref, 'pushBlob');
    const url = new URL(location);
    url.searchParams.set('digest', digest);
    const req = this.request(ref, 'pushBlob', 'PUT', url.toString(), { 'content-type': 'application/octet-stream' }, data);
    return this.putExpectingDigest(req, ref, digest);
  }

  /**
   * Uploads a blob from a file without reading it into memory (layers may be gigabytes), unless the
   * repository has it; the file is opened again for each attempt. Returns its digest.
   */
  async pushBlobFile(ref: ImageReference, file: string, digest: string, size: number): Promise<string> {
    if (await this.blobExists(ref, digest)) return digest;
    const location = await this.startUpload(ref, 'pushBlob');
    const url = new URL(location);
    url.searchParams.set('digest', digest);
    const req = this.request(ref, 'pushBlob', 'PUT', url.toString(), { 'content-type': 'application/octet-stream' });
    req.body = { open: () => createReadStream(file), length: size };
    // At least the usual limit, and a megabyte a second for the rest.
    req.timeoutMs = this.timeoutMs + Math.ceil(size / (1024 * 1024)) * 1000;
    return this.putExpectingDigest(req, ref, digest);
  }

  /**
   * Mounts a blob from another repository of the same registry, without uploading it. False when the
   * registry would not (different registry, blob unknown, no pull access to the source): push it instead.
   */
  async mountBlob(from: ImageReference, to: ImageReference, digest: string): Promise<boolean> {
    if (from.registry !== to.registry) return false;
    checkImageReference(from);
    const query = new URLSearchParams({ mount: digest, from: from.repository });
    const req = this.request({ ...to, digest }, 'mountBlob', 'POST', `blobs/uploads/?${query}`);
    const res = await this.auth.send(req, [repositoryScope(to.repository, PUSH), repositoryScope(from.repository, PULL)]);
    if (res.status !== 201 && res.status !== 202) throw await this.http.unexpected(res, req);
    await discard(res);
    if (res.status === 201) return true;
    // 202: the registry started an ordinary upload instead; cancel it rather than leave it to expire.
    const location = res.headers.get('location');
    if (location) {
      const cancel = this.request(to, 'mountBlob', 'DELETE', this.http.resolve({ registry: to.registry, url: location }).toString());
      await this.auth.send(cancel, [repositoryScope(to.repository, PUSH)]).then(discard, () => undefined);
    }
    return false;
  }

  /** Every tag of the repository, following pagination; [] when the repository does not exist. */
  async listTags(ref: ImageReference): Promise<string[]> {
    const tags: string[] = [];
    let next: string | undefined = `${this.path(ref, 'tags/list')}?n=1000`;
    for (let page = 0; next && page < MAX_TAG_PAGES; page++) {
      const req = this.request(ref, 'listTags', 'GET', next, { accept: 'application/json' });
      const res = await this.auth.send(req, [repositoryScope(ref.repository, PULL)]);
      if (res.status === 404) {
        await discard(res);
        return tags;
      }
      if (res.status !== 200) throw await this.http.unexpected(res, req);
      const body = await this.http.readBody(res, req, 16 * 1024 * 1024);
      const parsed = tagListSchema.safeParse(safeJson(body));
      if (!parsed.success) throw this.http.invalidResponse(req, 'tag list is not {name, tags}');
      tags.push(...(parsed.data.tags ?? []));
      next = nextLink(res.headers.get('link'));
    }
    return tags;
  }

  /** Opens an upload session; returns its absolute Location. */
  private async startUpload(ref: ImageReference, operation: string): Promise<string> {
    const req = this.request(ref, operation, 'POST', 'blobs/uploads/');
    const res = await this.auth.send(req, [repositoryScope(ref.repository, PUSH)]);
    if (res.status !== 202) throw await this.http.unexpected(res, req);
    await discard(res);
    const location = res.headers.get('location');
    if (!location) throw this.http.invalidResponse(req, 'upload started without a Location');
    return this.http.resolve({ registry: ref.registry, url: location }).toString();
  }

  /** Sends a manifest or blob PUT and checks the registry stored what was sent (201, same digest). */
  private async putExpectingDigest(req: RegistryRequest, ref: ImageReference, digest: string): Promise<string> {
    const res = await this.auth.send(req, [repositoryScope(ref.repository, PUSH)]);
    if (res.status !== 201) throw await this.http.unexpected(res, req);
    await discard(res);
    const stored = res.headers.get('docker-content-digest');
    if (stored && stored !== digest) throw this.http.invalidResponse(req, `registry stored ${stored}, we sent ${digest}`);
    return digest;
  }

  private path(ref: ImageReference, rest: string): string {
    return `/v2/${ref.repository}/${rest}`;
  }

  /** A request about `ref`; `url` below `/v2/<repository>/` unless it is already a path or absolute. */
  private request(ref: ImageReference, operation: string, method: RegistryRequest['method'], url: string, headers?: Record<string, string>, body?: Uint8Array): RegistryRequest {
    checkImageReference(ref);
    const req: RegistryRequest = {
      registry: ref.registry,
      repository: ref.repository,
      operation,
      method,
      url: /^(\/|https?:)/.test(url) ? url : this.path(ref, url),
    };
    if (headers) req.headers = headers;
    if (body) req.body = body;
    return req;
  }
}

function manifestTarget(ref: ImageReference): string {
  return ref.digest ?? ref.tag ?? 'latest';
}

/** The `rel="next"` target of a Link header (RFC 8288), as the distribution spec paginates. */
function nextLink(link: string | null): string | undefined {
  const match = link?.match(/<([^>]*)>\s*;\s*rel="?next"?/);
  return match?.[1];
}

function safeJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}
