// The API's OpenAPI document (GET /v1/openapi.json) is a valid OpenAPI 3.1 document, made from the contract's
// schemas, and names every route the app serves: no more, no fewer. Real answers are checked against it in
// test/integration/openapi.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { Express, Router } from 'express';
import { createApp, type AppDeps } from '../../src/api/app.js';
import { openApiDocument } from '../../src/api/openapi.js';
import { TaskPatch, TaskSpec } from '../../src/contract/requests.js';
import { createLogger } from '../../src/log.js';
import { genericGitWebhookRouter } from '../../src/triggers/generic-git.js';
import { githubWebhookRouter } from '../../src/triggers/github.js';
import { registryWebhookRouter } from '../../src/triggers/registry.js';

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle: { stack?: Layer[] };
}

/** Method and path of every route in an express router, its mounted routers' too (all are mounted at /). */
function routesOf(stack: Layer[]): string[] {
  return stack.flatMap((layer) => {
    if (layer.route) {
      const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
      return Object.keys(layer.route.methods).flatMap((m) => paths.map((p) => `${m.toUpperCase()} ${p.replace(/:(\w+)/g, '{$1}')}`));
    }
    return layer.handle.stack ? routesOf(layer.handle.stack) : [];
  });
}

/** The app as api/server.ts builds it, webhooks included; no request reaches a dependency here. */
function servedApp(): Express {
  const log = createLogger('openapi-test', 'silent');
  const trigger = { handle: async () => ({ status: 'ignored' as const, reason: 'test' }), seen: async () => false, log };
  const webhooks: Router[] = [
    githubWebhookRouter({ secrets: ['s'], ...trigger }),
    genericGitWebhookRouter({ tokens: () => ['t'], ...trigger }),
    registryWebhookRouter({ tokens: () => ['t'], pushed: async () => undefined, log }),
  ];
  return createApp({ webhooks, log, maxContextBytes: 1024 } as Partial<AppDeps> as AppDeps);
}

describe('the OpenAPI document', () => {
  const doc = openApiDocument('0.0.0-test') as { paths: Record<string, Record<string, unknown>> };

  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc));
    assert.deepEqual(result.errors ?? [], []);
    assert.equal(result.valid, true);
    assert.equal(validator.version, '3.1');
  });

  it('names every route the app serves, and no other', () => {
    const app = servedApp() as Express & { router: { stack: Layer[] } };
    const served = new Set(routesOf(app.router.stack));
    const documented = new Set(Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)));
    assert.ok(served.has('GET /v1/openapi.json') && served.has('POST /v1/webhooks/github'), `the routes were not found: ${[...served].join(', ')}`);
    assert.deepEqual([...served].filter((r) => !documented.has(r)).sort(), [], 'served but not documented');
    assert.deepEqual([...documented].filter((r) => !served.has(r)).sort(), [], 'documented but not served');
  });

  it('documents request bodies in the form a client may send: defaults optional, unknown fields refused', () => {
    const schemas = (doc as unknown as { components: { schemas: Record<string, { required?: string[]; additionalProperties?: unknown }> } }).components.schemas;
    assert.deepEqual(schemas.RunRequest!.required, ['context']);
    assert.equal(schemas.RunRequest!.additionalProperties, false);
    assert.deepEqual(schemas.TaskCreate!.required, ['name', 'context']);
    assert.equal(schemas.TaskPatch!.required, undefined);
  });
});

describe('the task contract', () => {
  it('a PATCH changes only the fields it gives: none is reset to its default', () => {
    assert.deepEqual(TaskPatch.parse({ noPush: true }), { noPush: true });
    assert.deepEqual(TaskPatch.parse({}), {});
  });

  it('a new task gets the defaults', () => {
    const spec = TaskSpec.parse({ context: 'https://example.com/app.git' });
    assert.equal(spec.dockerfile, 'Dockerfile');
    assert.equal(spec.commitTrigger, true);
    assert.equal(spec.baseImageTrigger, 'runtime');
  });
});
