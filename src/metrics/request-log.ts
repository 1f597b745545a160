// One log line per API request (method, route pattern, status, duration), and the same into the request
// histogram. The route is the pattern a router matched (`/v1/runs/:id`), never the path itself, so neither
// the log's fields nor the metric's labels grow with run ids or image names.
import type { RequestHandler, Response } from 'express';
import type { Logger } from '../log.js';

const labels = new WeakMap<Response, string>();

/**
 * Names the route of a request no route pattern matched, such as static files under a mount point
 * (`/assets/*`): one label for all of them, where the path would be one per file.
 */
export function labelRoute(res: Response, label: string): void {
  labels.set(res, label);
}

export function requestLog(log: Logger, observe?: (method: string, route: string, status: number, seconds: number) => void): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('close', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const path = (req.route as { path?: unknown } | undefined)?.path;
      const route = typeof path === 'string' ? path : (labels.get(res) ?? 'unmatched');
      const status = res.headersSent ? res.statusCode : 0;
      observe?.(req.method, route, status, seconds);
      log.info({ method: req.method, route, status, ms: Math.round(seconds * 1000) }, 'request');
    });
    next();
  };
}
