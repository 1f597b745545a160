// The express application: routes and error handling, given already-built services.
import { redisRoomGuard } from './redis-room.js';
import express, { type Express, type Router } from 'express';
import type { Redis } from 'ioredis';
import type { AuthFailures } from '../auth/failures.js';
import type { TokenStore } from '../auth/store.js';
import type { ContextOwners } from '../contexts/owners.js';
import type { ContextStore } from '../contexts/context-store.js';
import type { Logger } from '../log.js';
import type { IdempotencyKeys } from '../runs/idempotency.js';
import type { RunService } from '../runs/service.js';
import type { TaskService } from '../tasks/service.js';
import type { Health, Ready } from '../contract/health.js';
import type { ApiMetrics } from '../metrics/api-metrics.js';
import type { WorkerRegistry } from '../queue/worker-registry.js';
import { requestLog } from '../metrics/request-log.js';
import { NotFoundError } from '../errors.js';
import { packageVersion } from '../package-version.js';
import { errorHandler, notFound, redisGuard, sendError } from './errors.js';
import { openApiDocument } from './openapi.js';
import { contextRoutes } from './routes/contexts.js';
import { logRoutes } from './routes/logs.js';
import type { LogHub } from '../runs/log-hub.js';
import { runRoutes } from './routes/runs.js';
import { taskRoutes } from './routes/tasks.js';
import { graphRoutes, type GraphRouteDeps } from './routes/graph.js';
import { tokenRoutes } from './routes/tokens.js';
import { registryRoutes } from './routes/registries.js';
import type { RegistryCredentialStore } from '../credentials/store.js';
import type { RegistryHostPolicy } from '../registry/host-policy.js';
import { quarantineRoutes } from './routes/quarantine.js';
import type { QuarantineGate } from '../quarantine/gate.js';
import { hookRoutes } from './routes/hooks.js';
import type { HookService } from '../hooks/service.js';
import { authenticate } from './authenticate.js';
import { dashboardRoutes } from './dashboard.js';
import { workerRoutes } from './routes/workers.js';
import { whoAmIRoutes } from './routes/whoami.js';
import { OPERATIONS } from './operations.js';

export interface AppDeps {
  runs: RunService;
  tasks: TaskService;
  /** Webhook receivers; they read their raw bodies themselves, so they come before any body parser. */
  webhooks: Router[];
  graph: GraphRouteDeps;
  contexts: ContextStore;
  redis: Redis;
  /** Wakes the followers of live logs through one Redis connection for the process. */
  logHub: LogHub;
  log: Logger;
  maxContextBytes: number;
  announceCancel: (id: string) => Promise<void>;
  tokens: TokenStore;
  authFailures: AuthFailures;
  contextOwners: ContextOwners;
  /** Where image names without a registry go: repository scopes are read against it. */
  defaultRegistry: string;
  metrics: ApiMetrics;
  /** The promised platforms no live worker serves (GET /v1/ready). */
  unservedPlatforms: () => Promise<string[]>;
  /** Whether Redis answers now; without it, whether the connection is up. */
  redisAvailable?: () => boolean;
  /** Live log streams one client may hold at once (SLIPWAY_LOG_FOLLOWERS_PER_CLIENT). */
  logFollowersPerClient?: number;
  /** Whether Redis is too full for new runs; without it, never. */
  redisShort?: () => boolean;
  /** Idempotency-Key of POST /v1/runs; without it, the header is ignored. */
  idempotency?: IdempotencyKeys;
  /** Registry logins (/v1/registries), and the registries a login may name. */
  registryLogins: RegistryCredentialStore;
  registryHosts: RegistryHostPolicy;
  /** The worker pool's heartbeats (GET /v1/workers); without it, the route lists none. */
  workers?: Pick<WorkerRegistry, 'pool'>;
  /** Where the built dashboard is; without it, dist/web. */
  dashboardDir?: string;
  quarantine: QuarantineGate;
  /** Outbound webhooks (run notifications). */
  hooks: HookService;
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestLog(deps.log, (...args) => deps.metrics?.request(...args)));
  app.use(redisGuard(deps.redisAvailable ?? (() => deps.redis.status === 'ready')));
  if (deps.redisShort) app.use(redisRoomGuard(deps.redisShort));
  // Before every route: the operation table says who may call what.
  app.use(authenticate({ operations: OPERATIONS, tokens: deps.tokens, failures: deps.authFailures }));

  // Behind the guard: the queue-depth and worker gauges are read from Redis at each scrape.
  app.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.text());
  });
  app.get('/v1/ready', async (_req, res) => {
    const redis = await deps.redis.ping().then(() => true, () => false);
    const unserved = redis ? await deps.unservedPlatforms() : [];
    const ready = redis && unserved.length === 0;
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', redis, unserved } satisfies Ready);
  });
  app.get('/v1/health', async (_req, res) => {
    await deps.redis.ping();
    res.json({ status: 'ok' } satisfies Health);
  });
  // Made at the first request, not at start: nothing else needs it.
  let openapi: object | undefined;
  app.get('/v1/openapi.json', (_req, res) => {
    res.json((openapi ??= openApiDocument(packageVersion(import.meta.url))));
  });
  app.use(contextRoutes(deps.contexts, deps.maxContextBytes, deps.contextOwners));
  for (const router of deps.webhooks) app.use(router);
  for (const base of ['/v1/runs', '/v1/tasks']) {
    app.use(base, (req, res, next) => {
      // Creating and changing take JSON; actions such as /cancel take no body.
      const takesBody = (req.method === 'POST' && req.path === '/') || req.method === 'PATCH';
      if (takesBody && !req.is('application/json')) {
        return sendError(res, 415, 'unsupported_media_type', 'send the request body as JSON (Content-Type: application/json)');
      }
      next();
    });
    app.use(base, express.json({ limit: '1mb' }));
  }
  app.use(runRoutes(deps.runs, deps.announceCancel, { owners: deps.contextOwners, defaultRegistry: deps.defaultRegistry }, deps.idempotency));
  app.use(taskRoutes(deps.tasks, deps.defaultRegistry));
  app.use(logRoutes(deps.runs, deps.logHub, { followersPerClient: deps.logFollowersPerClient ?? 20 }));
  app.use(graphRoutes(deps.graph));
  app.use(tokenRoutes(deps.tokens));
  const taskExists = (name: string) => deps.tasks.get(name).then(() => true, (err: unknown) => (err instanceof NotFoundError ? false : Promise.reject(err)));
  app.use(registryRoutes(deps.registryLogins, { hostPolicy: deps.registryHosts, taskExists }));
  app.use(whoAmIRoutes());
  app.use(workerRoutes(deps.workers ?? { pool: async () => [] }, deps.runs));
  app.use(dashboardRoutes(deps.dashboardDir));
  app.use(quarantineRoutes(deps.quarantine));
  app.use(hookRoutes(deps.hooks));
  app.use(notFound);
  app.use(errorHandler(deps.log));
  return app;
}
