// Sends one delivery: a POST of the stored body, signed, to the hook's URL. Redirects are not followed (a
// receiver that moved is a failed delivery, not a reason to send a signed payload elsewhere), the receiver
// has RESPONSE_TIMEOUT_MS to answer (GitHub gives 10 s), and its body is read and dropped, never stored.
// A 4xx answer other than 408 and 429 is the receiver refusing this delivery (gone, unauthorized, bad
// payload): sending the same bytes again cannot change that, so it is not retried. 5xx, 408, 429 and no
// answer at all are passing troubles, retried; a 429 or 503 may say when with Retry-After.
import http from 'node:http';
import https from 'node:https';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signBody } from './signature.js';
import { guardedLookup, hookUrlProblem, HookHostError, type HookUrlPolicy } from './url-policy.js';

const RESPONSE_TIMEOUT_MS = 10_000;
/** Read past this many bytes of a receiver's answer, the connection is dropped (the answer is discarded anyway). */
const MAX_ANSWER_BYTES = 64 * 1024;

export interface Outgoing {
  url: string;
  secret: string;
  deliveryId: string;
  event: string;
  body: string;
}

/**
 * What came of one attempt: the status when the receiver answered, else why not. `refused`: never retried.
 * `retryAfterMs`: how long the receiver asked us to wait (Retry-After on a 429 or 503), at most MAX_RETRY_AFTER_MS.
 */
export type SendResult = { ok: boolean; status?: number; error?: string; refused?: boolean; retryAfterMs?: number; durationMs: number };

/** A receiver asking for longer than this gets its next try after this long (the tries span about a day). */
export const MAX_RETRY_AFTER_MS = 60 * 60_000;

/** A 4xx answer other than Request Timeout and Too Many Requests: the receiver will not take this delivery. */
export function refusedStatus(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}

/** Retry-After (RFC 9110 §10.2.3: delay-seconds or an HTTP-date) in ms from `now`, bounded; undefined when absent or unreadable. */
export function retryAfterMs(header: string | undefined, now = Date.now()): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  // Every HTTP-date form begins with the day's name; Date.parse alone would take `-5` for a year.
  const ms = /^\d+$/.test(value) ? Number(value) * 1000 : /^[A-Za-z]{3}/.test(value) ? Date.parse(value) - now : NaN;
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(Math.max(0, ms), MAX_RETRY_AFTER_MS);
}

export function sendDelivery(out: Outgoing, policy: HookUrlPolicy, userAgent: string): Promise<SendResult> {
  const started = performance.now();
  const took = () => Math.round(performance.now() - started);
  const problem = hookUrlProblem(out.url, policy);
  if (problem) return Promise.resolve({ ok: false, error: problem, refused: true, durationMs: 0 });
  const url = new URL(out.url);
  const body = Buffer.from(out.body);
  return new Promise((resolve) => {
    const client = url.protocol === 'https:' ? https : http;
    const req = client.request(
      url,
      {
        method: 'POST',
        lookup: guardedLookup(policy),
        timeout: RESPONSE_TIMEOUT_MS,
        headers: {
          'Content-Type': 'application/json',
          'Content-Length': String(body.length),
          'User-Agent': userAgent,
          [EVENT_HEADER]: out.event,
          [DELIVERY_HEADER]: out.deliveryId,
          [SIGNATURE_HEADER]: signBody(out.secret, body),
        },
      },
      (res) => {
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          if ((read += chunk.length) > MAX_ANSWER_BYTES) res.destroy();
        });
        const status = res.statusCode ?? 0;
        const wait = status === 429 || status === 503 ? retryAfterMs(res.headers['retry-after']) : undefined;
        const done = () =>
          resolve({ ok: status >= 200 && status < 300, status, ...(refusedStatus(status) ? { refused: true } : {}), ...(wait !== undefined ? { retryAfterMs: wait } : {}), durationMs: took() });
        res.on('end', done);
        res.on('close', done);
        res.on('error', done);
      },
    );
    // The whole exchange is bounded, not only the idle time between packets.
    const deadline = setTimeout(() => req.destroy(new Error(`no answer within ${RESPONSE_TIMEOUT_MS / 1000} s`)), RESPONSE_TIMEOUT_MS);
    req.on('timeout', () => req.destroy(new Error(`no answer within ${RESPONSE_TIMEOUT_MS / 1000} s`)));
    req.on('error', (err) => {
      const refused = err instanceof HookHostError;
      resolve({ ok: false, error: refused ? err.message : describe(err), ...(refused ? { refused } : {}), durationMs: took() });
    });
    req.on('close', () => clearTimeout(deadline));
    req.end(body);
  });
}

function describe(err: Error & { code?: string }): string {
  return err.code ? `${err.code}: ${err.message}` : err.message;
}
