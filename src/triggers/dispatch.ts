// Hands a trigger event to the handler and answers the webhook within its deadline: the outcome when
// the handler is quick, 202 "accepted" when it is not (it then finishes in the background).
import type { Response } from 'express';
import { sendError } from '../api/errors.js';
import { isSlipwayError } from '../errors.js';
import type { Logger } from '../log.js';
import type { GitTriggerEvent, TriggerHandler, TriggerOutcome } from './events.js';

/** GitHub gives up after 10 s; 8 s leaves room for the network. */
export const DEFAULT_TIMEOUT_MS = 8_000;

export type TriggerLog = Pick<Logger, 'info' | 'warn' | 'error'>;

export interface DispatchOptions {
  handle: TriggerHandler;
  /** True when the delivery was processed already (expected to record it as it answers). */
  seen: (deliveryId: string) => Promise<boolean>;
  timeoutMs: number;
  log: TriggerLog;
}

type Settled = TriggerOutcome | { status: 'duplicate' };

export async function dispatchTrigger(event: GitTriggerEvent, opts: DispatchOptions, res: Response): Promise<void> {
  const { deliveryId } = event;
  // The deadline covers seen() too: a Redis that hangs must not make GitHub time out either.
  const work: Promise<Settled> = (async () => {
    if (await opts.seen(deliveryId)) return { status: 'duplicate' };
    return opts.handle(event);
  })();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), opts.timeoutMs);
  });
  try {
    const settled = await Promise.race([work, deadline]);
    if (settled !== 'timeout') {
      res.status(200).json({ ...settled, deliveryId });
      return;
    }
  } catch (err) {
    answerFailure(res, err, opts.log, { deliveryId });
    return;
  } finally {
    clearTimeout(timer);
  }
  opts.log.warn({ deliveryId, timeoutMs: opts.timeoutMs }, 'trigger handler is slow; answered 202 and kept going');
  res.status(202).json({ status: 'accepted', deliveryId });
  work.then(
    (outcome) => opts.log.info({ deliveryId, outcome }, 'trigger handled in the background'),
    (err: unknown) => opts.log.error({ err, deliveryId }, 'trigger handler failed in the background'),
  );
}

/** Slipway errors keep their status; body-parser's 4xx are the client's fault; the rest is a logged 500. */
export function answerFailure(res: Response, err: unknown, log: TriggerLog, fields: Record<string, unknown> = {}): void {
  if (res.headersSent) return;
  if (isSlipwayError(err)) return sendError(res, err.status, err.code, err.message);
  const e = err as { type?: unknown; status?: unknown; limit?: unknown; message?: unknown } | null;
  if (e?.type === 'entity.too.large') return sendError(res, 413, 'body_too_large', `request body is larger than ${String(e.limit)} bytes`);
  if (e?.type === 'encoding.unsupported') return sendError(res, 415, 'unsupported_encoding', 'send the body uncompressed');
  if (e?.type === 'entity.parse.failed') return sendError(res, 400, 'invalid_json', 'request body is not valid JSON');
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    return sendError(res, e.status, 'bad_request', String(e.message));
  }
  log.error({ err, ...fields }, 'webhook failed');
  sendError(res, 500, 'internal', 'internal error; see the API log');
}
