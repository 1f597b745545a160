// The one HTTP client of the Slipway API (node:http, see http.ts). Every call goes through request(): network
// failures become ApiUnreachableError, error statuses ApiError, and JSON answers are checked against the
// API contract (src/contract), the same schemas the API answers with.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { Readable } from 'node:stream';
import type * as z from '../zod-mini.js';
import { StoredContext } from '../contract/contexts.js';
import { ErrorBody } from '../contract/errors.js';
import { IDEMPOTENCY_KEY_HEADER } from '../contract/idempotency.js';
import { Graph, NotifyAnswer, Plan, WaveDetail, WaveList, type Wave } from '../contract/graph.js';
import type { RunSubmission, TaskCreate, TaskFields, TokenCreate, TokenUpdate } from '../contract/requests.js';
import { Run, RunList, type RunStatus } from '../contract/runs.js';
import { Task, TaskList } from '../contract/tasks.js';
import { TokenCreated, TokenInfo, TokenList } from '../contract/tokens.js';
import { RegistryInfo, RegistryList } from '../contract/registries.js';
import type { RegistryLoginRequest } from '../contract/requests.js';
import { WorkerList, type WorkerInfo } from '../contract/workers.js';
import { QuarantineApproval, QuarantinedImage, QuarantineList, type QuarantineState } from '../contract/quarantine.js';
import { HookCreated, HookDelivery, HookDeliveryList, HookList, type HookCreate, type HookInfo } from '../contract/hooks.js';
import { ApiError, ApiUnreachableError, ProtocolError } from './errors.js';
import { BodyWriterError, httpRequest, type BodyWriter, type HttpResponse } from './http.js';

/** How long a plain JSON call may take; uploads and log streams are not bounded by it. */
const CALL_TIMEOUT_MS = 30_000;

interface RequestOptions {
  headers?: Record<string, string>;
  body?: string | Readable | BodyWriter;
  signal?: AbortSignal;
  /** Statuses that are answers, not errors (404 of a HEAD). */
  accept?: number[];
  timeoutMs?: number | null;
}

export interface RunQuery {
  status?: RunStatus;
  top?: number;
}

export class SlipwayApi {
  constructor(
    readonly server: string,
    private readonly callTimeoutMs = CALL_TIMEOUT_MS,
    /** Sent as `Authorization: Bearer` on every request. */
    private readonly token?: string,
  ) {}

  async hasContext(digest: string): Promise<boolean> {
    const res = await this.request('HEAD', `/v1/contexts/${encodeURIComponent(digest)}`, { accept: [404] });
    res.discard();
    return res.status !== 404;
  }

  /** Streams a packed context file; `onProgress` hears the bytes read so far. */
  async uploadContext(
    file: { path: string; size: number; digest: string },
    opts: { onProgress?: (bytes: number) => void; signal?: AbortSignal } = {},
  ): Promise<StoredContext> {
    const stream = fs.createReadStream(file.path);
    let sent = 0;
    stream.on('data', (chunk) => opts.onProgress?.((sent += chunk.length)));
    try {
      return await this.postContext(stream, { 'Content-Length': String(file.size), 'X-Slipway-Digest': file.digest }, opts.signal);
    } finally {
      stream.destroy();
    }
  }

  /**
   * Uploads a context while `write` packs it into the request: its digest is not known yet, its length only
   * when given (else it is sent chunked). The caller compares the digest the API answers with its own. A
   * failure of `write` before the API answers fails the upload with that error.
   */
  async uploadContextStream(write: BodyWriter, opts: { signal?: AbortSignal; length?: number } = {}): Promise<StoredContext> {
    return this.postContext(write, opts.length === undefined ? {} : { 'Content-Length': String(opts.length) }, opts.signal);
  }

  private async postContext(body: Readable | BodyWriter, headers: Record<string, string>, signal: AbortSignal | undefined): Promise<StoredContext> {
    const res = await this.request('POST', '/v1/contexts', {
      headers: { 'Content-Type': 'application/gzip', ...headers },
      body,
      signal,
      timeoutMs: null,
    });
    return this.json(res, StoredContext, 'POST /v1/contexts');
  }

  /**
   * Submits a run under an Idempotency-Key made for this submission, and sends it again, with the same key
   * and body, when the answer was lost (a dropped connection, a restarting API, Redis away): the API
   * answers the run the first attempt made instead of queueing the build twice.
   */
  async submitRun(body: RunSubmission, opts: { idempotencyKey?: string; retryDelaysMs?: readonly number[] } = {}): Promise<Run> {
    const req = jsonBody(body);
    req.headers = { ...req.headers, [IDEMPOTENCY_KEY_HEADER]: opts.idempotencyKey ?? randomUUID() };
    for (const delay of [...(opts.retryDelaysMs ?? SUBMIT_RETRY_DELAYS_MS), undefined]) {
      try {
        const res = await this.request('POST', '/v1/runs', req);
        return await this.json(res, Run, 'POST /v1/runs');
      } catch (err) {
        if (delay === undefined || !worthRetrying(err)) throw err;
        await new Promise((r) => setTimeout(r, delay));
      }
    }
    throw new Error('unreachable');
  }

  async getRun(id: string, signal?: AbortSignal): Promise<Run> {
    const res = await this.request('GET', `/v1/runs/${encodeURIComponent(id)}`, { signal });
    return this.json(res, Run, 'GET /v1/runs/:id');
  }

  async listRuns(query: RunQuery = {}): Promise<Run[]> {
    const res = await this.request('GET', `/v1/runs${runQuery(query)}`);
    return (await this.json(res, RunList, 'GET /v1/runs')).runs;
  }

  async cancelRun(id: string, signal?: AbortSignal): Promise<Run> {
    const res = await this.request('POST', `/v1/runs/${encodeURIComponent(id)}/cancel`, { signal });
    return this.json(res, Run, 'POST /v1/runs/:id/cancel');
  }

  async createTask(body: TaskCreate): Promise<Task> {
    const res = await this.request('POST', '/v1/tasks', jsonBody(body));
    return this.json(res, Task, 'POST /v1/tasks');
  }

  async listTasks(): Promise<Task[]> {
    const res = await this.request('GET', '/v1/tasks');
    return (await this.json(res, TaskList, 'GET /v1/tasks')).tasks;
  }

  async getTask(name: string): Promise<Task> {
    const res = await this.request('GET', `/v1/tasks/${encodeURIComponent(name)}`);
    return this.json(res, Task, 'GET /v1/tasks/:name');
  }

  /** Changes only the fields given; a new git token replaces the stored one. */
  async updateTask(name: string, patch: TaskFields): Promise<Task> {
    const res = await this.request('PATCH', `/v1/tasks/${encodeURIComponent(name)}`, jsonBody(patch));
    return this.json(res, Task, 'PATCH /v1/tasks/:name');
  }

  async deleteTask(name: string): Promise<void> {
    const res = await this.request('DELETE', `/v1/tasks/${encodeURIComponent(name)}`);
    res.discard();
  }

  /** Starts a manual run of the task at the current commit of its ref. */
  async runTask(name: string): Promise<Run> {
    const res = await this.request('POST', `/v1/tasks/${encodeURIComponent(name)}/runs`);
    return this.json(res, Run, 'POST /v1/tasks/:name/runs');
  }

  async listTaskRuns(name: string, query: RunQuery = {}): Promise<Run[]> {
    const res = await this.request('GET', `/v1/tasks/${encodeURIComponent(name)}/runs${runQuery(query)}`);
    return (await this.json(res, RunList, 'GET /v1/tasks/:name/runs')).runs;
  }

  /** The base-image graph: each base with the tasks built on it. */
  async graph(): Promise<Graph> {
    return this.json(await this.request('GET', '/v1/graph'), Graph, 'GET /v1/graph');
  }

  /** The impact preview of a change of `image`. */
  async dependents(image: string, transitive: boolean): Promise<Plan> {
    const query = new URLSearchParams({ image, ...(transitive ? { transitive: '1' } : {}) });
    return this.json(await this.request('GET', `/v1/graph/dependents?${query}`), Plan, 'GET /v1/graph/dependents');
  }

  /** Reports `image` as changed: the server reads its tag from the registry and plans the rebuilds. */
  async notify(image: string): Promise<NotifyAnswer> {
    return this.json(await this.request('POST', '/v1/graph/notify', jsonBody({ image })), NotifyAnswer, 'POST /v1/graph/notify');
  }

  async rebuilds(top: number): Promise<Wave[]> {
    return (await this.json(await this.request('GET', `/v1/rebuilds?top=${top}`), WaveList, 'GET /v1/rebuilds')).rebuilds;
  }

  async rebuild(id: string): Promise<WaveDetail> {
    return this.json(await this.request('GET', `/v1/rebuilds/${encodeURIComponent(id)}`), WaveDetail, 'GET /v1/rebuilds/:id');
  }

  async createToken(body: TokenCreate): Promise<TokenCreated> {
    return this.json(await this.request('POST', '/v1/tokens', jsonBody(body)), TokenCreated, 'POST /v1/tokens');
  }

  async listTokens(): Promise<TokenInfo[]> {
    return (await this.json(await this.request('GET', '/v1/tokens'), TokenList, 'GET /v1/tokens')).tokens;
  }

  async updateToken(name: string, body: TokenUpdate): Promise<TokenInfo> {
    return this.json(await this.request('PATCH', `/v1/tokens/${encodeURIComponent(name)}`, jsonBody(body)), TokenInfo, 'PATCH /v1/tokens/:name');
  }

  async revokeToken(name: string): Promise<void> {
    (await this.request('DELETE', `/v1/tokens/${encodeURIComponent(name)}`)).discard();
  }

  async loginRegistry(body: RegistryLoginRequest): Promise<RegistryInfo> {
    return this.json(await this.request('POST', '/v1/registries', jsonBody(body)), RegistryInfo, 'POST /v1/registries');
  }

  async listRegistries(): Promise<RegistryInfo[]> {
    return (await this.json(await this.request('GET', '/v1/registries'), RegistryList, 'GET /v1/registries')).registries;
  }

  async logoutRegistry(host: string, task?: string): Promise<void> {
    const query = task ? `?task=${encodeURIComponent(task)}` : '';
    (await this.request('DELETE', `/v1/registries/${encodeURIComponent(host)}${query}`)).discard();
  }

  async listWorkers(): Promise<WorkerInfo[]> {
    return (await this.json(await this.request('GET', '/v1/workers'), WorkerList, 'GET /v1/workers')).workers;
  }

  async listQuarantine(query: { state?: QuarantineState; top: number }): Promise<QuarantinedImage[]> {
    const params = new URLSearchParams({ top: String(query.top), ...(query.state ? { state: query.state } : {}) });
    return (await this.json(await this.request('GET', `/v1/quarantine?${params}`), QuarantineList, 'GET /v1/quarantine')).images;
  }

  async approveQuarantined(digest: string, reason?: string): Promise<QuarantineApproval> {
    const res = await this.request('POST', `/v1/quarantine/${encodeURIComponent(digest)}/approve`, jsonBody(reason ? { reason } : {}));
    return this.json(res, QuarantineApproval, 'POST /v1/quarantine/:digest/approve');
  }

  async rejectQuarantined(digest: string, reason?: string): Promise<QuarantinedImage> {
    const res = await this.request('POST', `/v1/quarantine/${encodeURIComponent(digest)}/reject`, jsonBody(reason ? { reason } : {}));
    return this.json(res, QuarantinedImage, 'POST /v1/quarantine/:digest/reject');
  }

  async createHook(body: HookCreate): Promise<HookCreated> {
    return this.json(await this.request('POST', '/v1/hooks', jsonBody(body)), HookCreated, 'POST /v1/hooks');
  }

  async listHooks(): Promise<HookInfo[]> {
    return (await this.json(await this.request('GET', '/v1/hooks'), HookList, 'GET /v1/hooks')).hooks;
  }

  async deleteHook(name: string): Promise<void> {
    (await this.request('DELETE', `/v1/hooks/${encodeURIComponent(name)}`)).discard();
  }

  async hookDeliveries(name: string, top: number): Promise<HookDelivery[]> {
    return (await this.json(await this.request('GET', `/v1/hooks/${encodeURIComponent(name)}/deliveries?top=${top}`), HookDeliveryList, 'GET /v1/hooks/:name/deliveries')).deliveries;
  }

  async redeliverHook(name: string, delivery: string): Promise<HookDelivery> {
    return this.json(await this.request('POST', `/v1/hooks/${encodeURIComponent(name)}/deliveries/${encodeURIComponent(delivery)}/redeliver`), HookDelivery, 'POST /v1/hooks/:name/deliveries/:id/redeliver');
  }

  /** The whole log so far, as a text stream. */
  async readLog(id: string): Promise<AsyncIterable<Uint8Array>> {
    const res = await this.request('GET', `/v1/runs/${encodeURIComponent(id)}/logs`, { timeoutMs: null });
    return this.body(res);
  }

  /** The live log as an event stream, resuming after `lastEventId`. */
  async openLogStream(id: string, lastEventId: string | undefined, signal?: AbortSignal): Promise<AsyncIterable<Uint8Array>> {
    const headers: Record<string, string> = { Accept: 'text/event-stream' };
    if (lastEventId) headers['Last-Event-ID'] = lastEventId;
    const res = await this.request('GET', `/v1/runs/${encodeURIComponent(id)}/logs?follow=1`, { headers, signal, timeoutMs: null });
    return this.body(res);
  }

  private async request(method: string, path: string, opts: RequestOptions = {}): Promise<HttpResponse> {
    const timeoutMs = opts.timeoutMs === undefined ? this.callTimeoutMs : opts.timeoutMs;
    const timeout = timeoutMs === null ? undefined : AbortSignal.timeout(timeoutMs);
    const signals = [opts.signal, timeout].filter((s): s is AbortSignal => s !== undefined);
    let res: HttpResponse;
    try {
      res = await httpRequest(this.server + path, {
        method,
        headers: this.token ? { Authorization: `Bearer ${this.token}`, ...opts.headers } : opts.headers,
        body: opts.body,
        signal: signals.length > 0 ? AbortSignal.any(signals) : undefined,
      });
    } catch (err) {
      if (err instanceof BodyWriterError) throw err.cause;
      if (opts.signal?.aborted) throw opts.signal.reason;
      if (timeout?.aborted) throw new ApiUnreachableError(this.server, `no answer to ${method} ${path} within ${timeoutMs! / 1000} s`);
      throw new ApiUnreachableError(this.server, networkReason(err));
    }
    if (res.ok || opts.accept?.includes(res.status)) return res;
    throw await this.errorFrom(res, method, path);
  }

  private async errorFrom(res: HttpResponse, method: string, path: string): Promise<ApiError> {
    const text = method === 'HEAD' ? '' : await res.text().catch(() => '');
    let parsed: ReturnType<typeof ErrorBody.safeParse> | undefined;
    try {
      parsed = ErrorBody.safeParse(JSON.parse(text));
    } catch {
      parsed = undefined;
    }
    if (parsed?.success) return new ApiError(res.status, parsed.data.error.code, parsed.data.error.message);
    const what = `${method} ${path.split('?')[0]} answered ${res.status} ${res.statusText}`.trim();
    return new ApiError(res.status, `http_${res.status}`, `${what} from ${this.server}`);
  }

  private async json<T extends z.ZodMiniType>(res: HttpResponse, schema: T, what: string): Promise<z.infer<T>> {
    let body: unknown;
    try {
      body = await res.json();
    } catch (err) {
      throw new ProtocolError(`${what} at ${this.server} did not answer JSON (${networkReason(err)}); is this a Slipway API?`);
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
      throw new ProtocolError(`unexpected answer to ${what} from ${this.server} (${where}${issue?.message}); are the CLI and API the same version?`);
    }
    // The body as sent, not the parsed copy, which drops fields the schema does not name: what a newer server
    // adds survives into --json output. The contract's answers have no defaults or transforms to miss.
    return body as z.infer<T>;
  }

  private body(res: HttpResponse): AsyncIterable<Uint8Array> {
    return res.body;
  }
}

/** Waits between the attempts of a submission: about 7 s in all, past a restart of the API or of Redis. */
const SUBMIT_RETRY_DELAYS_MS = [250, 750, 2_000, 4_000];

/** An answer that may have been lost, or a service that may be back in a moment. */
function worthRetrying(err: unknown): boolean {
  if (err instanceof ApiUnreachableError) return true;
  return err instanceof ApiError && (err.status === 502 || err.status === 503 || err.status === 504 || err.code === 'idempotency_key_in_use');
}

function jsonBody(body: object): RequestOptions {
  return { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
}

function runQuery(query: RunQuery): string {
  const params = new URLSearchParams();
  if (query.status) params.set('status', query.status);
  if (query.top !== undefined) params.set('top', String(query.top));
  return params.size > 0 ? `?${params}` : '';
}

/** The most telling line of a network failure: a failed connect to every address of a name comes as an AggregateError. */
export function networkReason(err: unknown): string {
  for (const e of [err, err instanceof Error ? err.cause : undefined]) {
    if (e instanceof AggregateError && e.errors[0] instanceof Error) return e.errors[0].message;
  }
  const cause = err instanceof Error ? (err.cause as unknown) : undefined;
  if (cause instanceof Error && cause.message) return cause.message;
  return err instanceof Error ? err.message : String(err);
}
