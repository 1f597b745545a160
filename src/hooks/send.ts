// Sends one delivery: a POST of the stored body, signed, to the hook's URL. Redirects are not followed (a
// receiver that moved is a failed delivery, not a reason to send a signed payload elsewhere), the receiver
// has RESPONSE_TIMEOUT_MS to answer (GitHub gives 10 s), and its body is read and dropped, never stored.
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

/** What came of one attempt: the status when the receiver answered, else why not. `refused`: never retried. */
export type SendResult = { ok: boolean; status?: number; error?: string; refused?: boolean; durationMs: number };

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
        const done = () => resolve({ ok: status >= 200 && status < 300, status, durationMs: took() });
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
