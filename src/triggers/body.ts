// Reads a request body with one of express's parsers as a promise, so a webhook route can check its
// credentials first and answer every failure itself, and refuses a declared oversize body unread.
import type { Request, RequestHandler, Response } from 'express';
import { TooLargeError } from '../errors.js';

export function readBody(parser: RequestHandler, req: Request, res: Response): Promise<unknown> {
  return new Promise((resolve, reject) => {
    void parser(req, res, (err?: unknown) => (err ? reject(err) : resolve(req.body)));
  });
}

/**
 * Throws 413 when Content-Length is over the limit, and closes the connection once answered rather
 * than drain a body nobody will read.
 */
export function refuseDeclaredOversize(req: Request, res: Response, limit: number): void {
  const length = Number(req.headers['content-length'] ?? NaN);
  if (!(length > limit)) return;
  res.setHeader('Connection', 'close');
  res.on('finish', () => {
    if (!req.readableEnded) req.destroy();
  });
  throw new TooLargeError(`request body is ${length} bytes, over the limit of ${limit}`, 'body_too_large');
}
