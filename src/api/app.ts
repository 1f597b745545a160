// The express application: routes and error handling, given already-built services.
import express, { type Express } from 'express';
import type { Redis } from 'ioredis';
import type { ContextStore } from '../contexts/store.js';
import type { Logger } from '../log.js';
import type { RunService } from '../runs/service.js';
import { errorHandler, notFound, sendError } from './errors.js';
import { contextRoutes } from './routes/contexts.js';
import { logRoutes } from './routes/logs.js';
import { runRoutes } from './routes/runs.js';

export interface AppDeps {
  runs: RunService;
  contexts: ContextStore;
  redis: Redis;
  log: Logger;
  maxContextBytes: number;
  announceCancel: (id: string) => Promise<void>;
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.get('/v1/health', async (_req, res) => {
    await deps.redis.ping();
    res.json({ status: 'ok' });
  });
  app.use(contextRoutes(deps.contexts, deps.maxContextBytes));
  app.use('/v1/runs', (req, res, next) => {
    if (req.method === 'POST' && req.path === '/' && !req.is('application/json')) {
      return sendError(res, 415, 'unsupported_media_type', 'send the run request as JSON (Content-Type: application/json)');
    }
    next();
  });
  app.use('/v1/runs', express.json({ limit: '1mb' }));
  app.use(runRoutes(deps.runs, deps.announceCancel));
  app.use(logRoutes(deps.runs, deps.redis));
  app.use(notFound);
  app.use(errorHandler(deps.log));
  return app;
}
