// Tokens, roles and scopes as pure rules, and the one table that says who may call each route.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Express, Router } from 'express';
import { accessFor, accessRules } from '../../src/api/authenticate.js';
import { createApp, type AppDeps } from '../../src/api/app.js';
import { OPERATIONS } from '../../src/api/operations.js';
import { roleAllows } from '../../src/auth/roles.js';
import { mayActOnTask, mayPushTo } from '../../src/auth/scopes.js';
import { hashToken, looksLikeToken, newTokenSecret, sameHash } from '../../src/auth/secret.js';
import type { TokenRecord, TokenRecords } from '../../src/auth/store.js';
import { verifyToken } from '../../src/auth/tokens.js';
import { createLogger } from '../../src/log.js';

const REGISTRY = '127.0.0.1:5000';

describe('token secrets', () => {
  it('are 256 random bits, distinct, and stored as a SHA-256 that matches only themselves', () => {
    const a = newTokenSecret();
    const b = newTokenSecret();
    assert.notEqual(a, b);
    assert.match(a, /^slw_[A-Za-z0-9_-]{43}$/);
    assert.ok(looksLikeToken(a));
    assert.ok(sameHash(hashToken(a), hashToken(a)));
    assert.ok(!sameHash(hashToken(a), hashToken(b)));
    assert.ok(!looksLikeToken('Bearer nonsense'));
  });
});

describe('verifyToken', () => {
  const secret = newTokenSecret();
  const record = (over: Partial<TokenRecord> = {}): TokenRecord => ({ name: 'ci', role: 'builder', repositories: [], tasks: [], createdAt: '2026-01-01T00:00:00Z', hash: hashToken(secret), ...over });
  const store = (r: TokenRecord | undefined): TokenRecords => ({ byHash: async (h) => (r && r.hash === h ? r : undefined) });

  it('answers who the token is', async () => {
    assert.deepEqual(await verifyToken(store(record()), secret), { name: 'ci', role: 'builder', repositories: [], tasks: [] });
  });
  it('refuses no token, an unknown one and an expired one, each telling the user to log in', async () => {
    await assert.rejects(verifyToken(store(record()), undefined), { status: 401, message: /slipway login/ });
    await assert.rejects(verifyToken(store(record()), newTokenSecret()), { status: 401, message: /slipway login/ });
    await assert.rejects(verifyToken(store(record({ expiresAt: '2026-01-02T00:00:00Z' })), secret, Date.parse('2026-01-03T00:00:00Z')), { status: 401, message: /expired/ });
  });
});

describe('roles', () => {
  it('each includes the ones below it', () => {
    assert.ok(roleAllows('admin', 'builder') && roleAllows('builder', 'reader') && roleAllows('reader', 'reader'));
    assert.ok(!roleAllows('reader', 'builder') && !roleAllows('builder', 'admin'));
  });
  it('lets a scanner read and give quarantine verdicts, and nothing else; an admin gives them too, a builder not', () => {
    assert.ok(roleAllows('scanner', 'scanner') && roleAllows('admin', 'scanner') && roleAllows('scanner', 'reader'));
    assert.ok(!roleAllows('builder', 'scanner') && !roleAllows('reader', 'scanner'));
    assert.ok(!roleAllows('scanner', 'builder') && !roleAllows('scanner', 'admin'));
  });
});

describe('repository scopes', () => {
  const cases: [string[], string, boolean][] = [
    [[], `${REGISTRY}/anything/at:all`, true],
    [['team-a/*'], `${REGISTRY}/team-a/app:v1`, true],
    [['team-a/*'], `${REGISTRY}/team-a/deep/app:v1`, true],
    [['team-a/*'], `${REGISTRY}/team-b/app:v1`, false],
    [['team-a/*'], `${REGISTRY}/team-ab/app:v1`, false],
    [['team-a/*'], `${REGISTRY}/team-a:v1`, false],
    // A pattern without a host names the default registry's repositories, not another registry's.
    [['team-a/*'], 'evil.example/team-a/app:v1', false],
    [['evil.example/team-a/*'], 'evil.example/team-a/app:v1', true],
    [['app', 'team-b/app'], `${REGISTRY}/team-b/app:latest`, true],
  ];
  for (const [patterns, image, allowed] of cases) {
    it(`${JSON.stringify(patterns)} ${allowed ? 'allows' : 'refuses'} ${image}`, () => assert.equal(mayPushTo(patterns, image, REGISTRY), allowed));
  }
  it('task patterns', () => {
    assert.ok(mayActOnTask([], 'x') && mayActOnTask(['web-*'], 'web-api') && !mayActOnTask(['web-*'], 'api-web'));
  });
});

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle: { stack?: Layer[] };
}
const routesOf = (stack: Layer[]): [string, string][] =>
  stack.flatMap((layer) => (layer.route ? Object.keys(layer.route.methods).map((m): [string, string] => [m.toUpperCase(), layer.route!.path]) : layer.handle.stack ? routesOf(layer.handle.stack) : []));

describe('the access table', () => {
  it('declares who may call every route the app serves', () => {
    const app = createApp({ webhooks: [] as Router[], log: createLogger('auth-test', 'silent'), maxContextBytes: 1 } as Partial<AppDeps> as AppDeps) as Express & { router: { stack: Layer[] } };
    const rules = accessRules(OPERATIONS);
    const routes = routesOf(app.router.stack);
    assert.ok(routes.length > 20);
    for (const [method, path] of routes) {
      const concrete = path.replace(/:\w+/g, 'x1');
      assert.ok(accessFor(rules, method, concrete), `${method} ${path} has no declared access in operations.ts`);
    }
  });
  it('matches the roles of the issue', () => {
    const access = Object.fromEntries(OPERATIONS.map((op) => [op.id, op.access]));
    assert.deepEqual(
      { health: access.health, listRuns: access.listRuns, runLog: access.runLog, submitRun: access.submitRun, uploadContext: access.uploadContext, runTask: access.runTask, cancelRun: access.cancelRun },
      { health: 'public', listRuns: 'reader', runLog: 'reader', submitRun: 'builder', uploadContext: 'builder', runTask: 'builder', cancelRun: 'builder' },
    );
    for (const id of ['createTask', 'updateTask', 'deleteTask', 'notifyChange', 'createToken', 'listTokens', 'updateToken', 'revokeToken']) assert.equal(access[id], 'admin', id);
  });
});
