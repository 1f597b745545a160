// Turns any thrown error into the API's JSON error body with the right status; unknown errors are 500s
// whose details go to the log, not to the client.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { ErrorBody } from '../contract/errors.js';
import * as z from '../zod-mini.js';
import { isSlipwayError } from '../errors.js';
import type { Logger } from '../log.js';
import { isRedisUnavailableError } from '../redis.js';

const REDIS_DOWN = 'the run store (Redis) is not answering; try again in a few seconds';

/** Set on a response the guard answered 503 while its handler still waited on Redis. */
const ANSWERED_UNAVAILABLE = 'slipwayAnsweredUnavailable';

function unavailable(res: Parameters<RequestHandler>[1]): void {
  res.setHeader('retry-after', '2');
  sendError(res, 503, 'redis_unavailable', REDIS_DOWN);
}

/**
 * Answers 503 at once while Redis is away, instead of letting the request wait for it; and answers 503 to a
 * request already waiting on Redis when it went away, which would otherwise wait for it to come back.
 */
export function redisGuard(available: () => boolean, checkEveryMs = 250): RequestHandler {
  return (_req, res, next) => {
    if (!available()) return unavailable(res);
    const timer = setInterval(() => {
      if (res.headersSent) return clearInterval(timer);
      if (available()) return;
      clearInterval(timer);
      res.locals[ANSWERED_UNAVAILABLE] = true;
      unavailable(res);
    }, checkEveryMs);
    timer.unref();
    res.once('close', () => clearInterval(timer));
    next();
  };
}

export function sendError(res: Parameters<RequestHandler>[1], status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message } } satisfies ErrorBody);
}

export function describeZodError(err: z.core.$ZodError): string {
  return err.issues
    .slice(0, 5)
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
}

export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    if (res.headersSent) {
      // The handler finished after the guard answered for it: that answer stands.
      if (res.locals[ANSWERED_UNAVAILABLE]) return;
      res.destroy();
      return;
    }
    if (isSlipwayError(err)) return sendError(res, err.status, err.code, err.message);
    if (isRedisUnavailableError(err)) return sendError(res, 503, 'redis_unavailable', REDIS_DOWN);
    // The base class: the contract's schemas (zod's small build) and the full build's both throw one.
    if (err instanceof z.core.$ZodError) return sendError(res, 400, 'invalid_body', describeZodError(err));
    // body-parser's own errors (bad JSON, too large) carry a status and a type.
    const status = typeof err?.status === 'number' ? err.status : 500;
    if (err?.type === 'entity.parse.failed') return sendError(res, 400, 'invalid_json', `request body is not valid JSON: ${err.message}`);
    if (err?.type === 'entity.too.large') return sendError(res, 413, 'body_too_large', `request body is larger than ${err.limit} bytes`);
    if (status >= 400 && status < 500) return sendError(res, status, 'bad_request', String(err.message));
    log.error({ err, method: req.method, url: req.originalUrl }, 'request failed');
    sendError(res, 500, 'internal', 'internal error; see the API log');
  };
}

export const notFound: RequestHandler = (req, res) =>
  sendError(res, 404, 'route_not_found', `no route ${req.method} ${req.path}; the API lives under /v1`);
