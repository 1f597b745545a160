// Watching a run until it ends: follow its live log (SSE, resumed with Last-Event-ID after a dropped
// connection), or poll it quietly. Both return the final Run.
import { setTimeout as delay } from 'node:timers/promises';
import { isTerminal } from '../runs/status.js';
import { networkReason, type SlipwayApi } from './api-client.js';
import { END_EVENT, LOG_EVENT } from '../contract/logs.js';
import type { Run } from '../contract/runs.js';
import { ApiError, ApiUnreachableError } from './errors.js';
import { BodyCutError } from './http.js';
import { SseParser, readSseEvents } from './sse.js';

export interface WatchOptions {
  signal?: AbortSignal;
  /** Reconnects (or failed polls) in a row before giving up. */
  retries?: number;
  /** A stream silent this long is taken as dropped; the API sends a keep-alive every few seconds. */
  idleMs?: number;
  /** Delay before the n-th retry. */
  backoffMs?: (attempt: number) => number;
}

const defaults = { retries: 5, idleMs: 30_000, backoffMs: (n: number) => Math.min(4000, 250 * 2 ** n) };

/** Worth another try: the connection dropped, or the API said it is briefly unable. */
function isTransient(err: unknown): boolean {
  if (err instanceof ApiUnreachableError) return true;
  if (err instanceof ApiError) return err.status === 429 || err.status === 502 || err.status === 503 || err.status === 504;
  return false;
}

/**
 * Streams log lines to `onLine` until the `end` event, then returns the run as GET /v1/runs/:id gives it. The
 * event's own payload is not trusted: the stream carries build output, and the outcome must not be something
 * a build could print.
 */
export async function followRunLog(api: SlipwayApi, runId: string, onLine: (line: string) => void, opts: WatchOptions = {}): Promise<Run> {
  const { retries, idleMs, backoffMs } = { ...defaults, ...opts };
  const parser = new SseParser();
  let connected = false;
  let failures = 0;
  for (let ended = false; !ended; ) {
    const resumedFrom = parser.lastEventId;
    const idle = new IdleTimer(idleMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, idle.signal]) : idle.signal;
    try {
      const body = await api.openLogStream(runId, parser.lastEventId || undefined, signal);
      connected = true;
      idle.reset();
      for await (const event of readSseEvents(body, { parser, onBytes: () => idle.reset() })) {
        if (event.type === LOG_EVENT) onLine(event.data);
        else if (event.type === END_EVENT) {
          ended = true;
          break;
        }
      }
      if (!ended) throw new ApiUnreachableError(api.server, 'the log stream closed before the run ended');
    } catch (err) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      const dropped = idle.signal.aborted
        ? new ApiUnreachableError(api.server, `the log stream was silent for ${idleMs / 1000} s`)
        : err instanceof BodyCutError
          ? new ApiUnreachableError(api.server, `the log stream broke: ${networkReason(err)}`)
          : err;
      // A first connection that fails is an answer (wrong server, unknown run); only a dropped one is retried.
      if (!connected || !isTransient(dropped)) throw dropped;
      // Tries are counted from the last connection that got further into the log.
      if (parser.lastEventId !== resumedFrom) failures = 0;
      if (++failures > retries) throw dropped;
      await delay(Math.min(parser.retryMs ?? backoffMs(failures), 30_000), undefined, { signal: opts.signal }).catch(() => undefined);
      if (opts.signal?.aborted) throw opts.signal.reason;
    } finally {
      idle.stop();
    }
  }
  return waitForRun(api, runId, opts);
}

/** Polls the run until it ends, riding out a few failed polls. */
export async function waitForRun(api: SlipwayApi, runId: string, opts: WatchOptions & { intervalMs?: number } = {}): Promise<Run> {
  const { retries, backoffMs } = { ...defaults, ...opts };
  const interval = opts.intervalMs ?? 1000;
  let failures = 0;
  for (;;) {
    try {
      const run = await api.getRun(runId, opts.signal);
      if (isTerminal(run.status)) return run;
      failures = 0;
      await delay(interval, undefined, { signal: opts.signal });
    } catch (err) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      if (!isTransient(err) || ++failures > retries) throw err;
      await delay(backoffMs(failures), undefined, { signal: opts.signal }).catch(() => undefined);
    }
  }
}

/** Aborts its signal when reset() has not been called for `ms`. */
class IdleTimer {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  readonly signal = this.controller.signal;

  constructor(private readonly ms: number) {
    this.reset();
  }

  reset(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.controller.abort(new Error('idle')), this.ms);
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}
