// The web dashboard's static files (web/, bundled into dist/web/ by `npm run build`), served at `/`. They hold
// no data: the page signs in with an API token and reads everything from the /v1 API, so they are public.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router, type Response } from 'express';
import { sendError } from './errors.js';
import { labelRoute } from '../metrics/request-log.js';

/**
 * Only the page's own files: no inline script or style (Preact sets styles through the DOM, which CSP allows),
 * no eval, no other origin, no framing. `connect-src 'self'` is what the page's fetch() of /v1 needs.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Where `npm run build` puts the dashboard: dist/web, from src/api (tsx) and dist/server (bundled) alike, both two levels down. */
export function dashboardDir(from: string = import.meta.url): string {
  return path.join(fileURLToPath(new URL('../../', from)), 'dist', 'web');
}

function secure(res: Response): void {
  res.setHeader('Content-Security-Policy', DASHBOARD_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
}

export function dashboardRoutes(dir: string = dashboardDir()): Router {
  const router = Router();
  const index = path.join(dir, 'index.html');

  router.get('/', (_req, res) => {
    secure(res);
    if (!fs.existsSync(index)) return sendError(res, 503, 'dashboard_not_built', 'the dashboard is not built: run npm run build');
    // The page names its assets by content hash; the page itself must be read afresh after each build.
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
  router.use(
    '/assets',
    (_req, res, next) => {
      secure(res);
      labelRoute(res, '/assets/*');
      next();
    },
    express.static(path.join(dir, 'assets'), { immutable: true, maxAge: '365d', index: false, fallthrough: true, dotfiles: 'ignore' }),
  );

  return router;
}
