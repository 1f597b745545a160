// A run's live log in the page: GET /v1/runs/:id/logs?follow=1 read with fetch(), since EventSource cannot send
// the Authorization header. Parsed with the CLI's SSE parser; after a dropped connection it resumes with
// Last-Event-ID from the last line shown, as `slipway runs logs --follow` does, so no line is lost or repeated.
import { END_EVENT, LOG_EVENT } from '../src/contract/logs.js';
import { Run } from '../src/contract/runs.js';
import { SseParser } from '../src/cli/sse.js';
import { ApiError, answerError, authHeaders, enc } from './api.js';

export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'ended' | 'failed';

export interface LogHandlers {
  lines(lines: string[]): void;
  state(state: StreamState, detail?: string): void;
  /** The run as the API gives it once the log ended (the end event's payload is build output's neighbour: re-read). */
  ended(run: Run): void;
}

/** The API sends a keep-alive every few seconds; a stream silent this long is taken as dropped. */
const IDLE_MS = 20_000;
const backoff = (attempt: number) => Math.min(10_000, 500 * 2 ** attempt);

/** Follows the log until its end event or until the returned function is called. */
export function followLog(runId: string, on: LogHandlers): () => void {
  const stop = new AbortController();
  void follow(runId, on, stop.signal);
  return () => stop.abort();
}

async function follow(runId: string, on: LogHandlers, stop: AbortSignal): Promise<void> {
  const parser = new SseParser();
  let failures = 0;
  on.state('connecting');
  while (!stop.aborted) {
    const before = parser.lastEventId;
    try {
      if (await readOnce(runId, parser, on, stop)) return;
      // Closed before the end event (an API restart, a proxy's timeout): resume after the last line.
    } catch (err) {
      if (stop.aborted) return;
      if (err instanceof ApiError && err.status !== 429 && err.status < 500) return on.state('failed', err.message);
    }
    // Waits grow only while no connection gets further into the log.
    if (parser.lastEventId !== before) failures = 0;
    on.state('reconnecting');
    await new Promise((resolve) => setTimeout(resolve, backoff(failures++)));
  }
}

/** One connection; true once the end event arrived. */
async function readOnce(runId: string, parser: SseParser, on: LogHandlers, stop: AbortSignal): Promise<boolean> {
  const idle = new AbortController();
  let timer = setTimeout(() => idle.abort(), IDLE_MS);
  const signal = AbortSignal.any([stop, idle.signal]);
  const resume: Record<string, string> = parser.lastEventId ? { 'last-event-id': parser.lastEventId } : {};
  try {
    const res = await fetch(`/v1/runs/${enc(runId)}/logs?follow=1`, { headers: { accept: 'text/event-stream', ...authHeaders(), ...resume }, signal, cache: 'no-store' });
    if (!res.ok || !res.body) throw await answerError(res);
    on.state('live');
    parser.end();
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return false;
      clearTimeout(timer);
      timer = setTimeout(() => idle.abort(), IDLE_MS);
      const lines: string[] = [];
      for (const event of parser.push(decoder.decode(value, { stream: true }))) {
        if (event.type === LOG_EVENT) lines.push(event.data);
        else if (event.type === END_EVENT) {
          if (lines.length) on.lines(lines);
          await reader.cancel().catch(() => undefined);
          on.ended(await finalRun(runId, signal));
          on.state('ended');
          return true;
        }
      }
      if (lines.length) on.lines(lines);
    }
  } finally {
    clearTimeout(timer);
  }
}

async function finalRun(runId: string, signal: AbortSignal): Promise<Run> {
  const res = await fetch(`/v1/runs/${enc(runId)}`, { headers: authHeaders(), signal, cache: 'no-store' });
  if (!res.ok) throw await answerError(res);
  return Run.parse(await res.json());
}
