// The generic git webhook (any git server, a post-receive hook): bearer tokens compared in constant
// time, body validation naming the wrong field, ref parsing; over real HTTP on 127.0.0.1.
import assert from 'node:assert/strict';
import { request, type Server } from 'node:http';
import { after, describe, it } from 'node:test';
import express from 'express';
import { UnavailableError } from '../../src/errors.js';
import { bearerToken, tokenMatches } from '../../src/triggers/bearer.js';
import type { GitTriggerEvent } from '../../src/triggers/events.js';
import { derivedDeliveryId, genericGitWebhookRouter, genericPushToTrigger, type GenericGitWebhookOptions } from '../../src/triggers/generic-git.js';
import { listenOnLoopback } from '../support/listen.js';

const TOKEN = 'git-hook-token-current';
const SHA = '6113728f27ae82c7b1a177c8d03f9e96e0adf246';
const REPO = 'https://git.example.test/team/app.git';

interface Hook {
  url: string;
  events: GitTriggerEvent[];
}

const servers: Server[] = [];
after(() => {
  for (const s of servers) {
    s.close();
    s.closeAllConnections();
  }
});

async function startHook(overrides: Partial<GenericGitWebhookOptions> = {}): Promise<Hook> {
  const hook: Hook = { url: '', events: [] };
  const quiet = () => {};
  const app = express();
  app.use(
    genericGitWebhookRouter({
      tokens: () => [TOKEN, 'git-hook-token-previous'],
      handle: async (event) => {
        hook.events.push(event);
        return { status: 'queued', runs: ['run-9'] };
      },
      seen: async () => false,
      log: { info: quiet, warn: quiet, error: quiet },
      ...overrides,
    }),
  );
  const { server, base } = await listenOnLoopback(app);
  servers.push(server);
  hook.url = `${base}/v1/webhooks/git`;
  return hook;
}

async function push(hook: Hook, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(hook.url, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

describe('POST /v1/webhooks/git: authentication', () => {
  it('no token, a wrong token, a non-Bearer scheme: 401 with WWW-Authenticate; nothing handled', async () => {
    const hook = await startHook();
    const body = { repository: REPO, ref: 'refs/heads/main', sha: SHA };
    for (const authorization of [undefined, '', 'Bearer', 'Bearer wrong', `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, `Basic ${TOKEN}`, TOKEN]) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (authorization !== undefined) headers.authorization = authorization;
      const res = await fetch(hook.url, { method: 'POST', headers, body: JSON.stringify(body) });
      assert.equal(res.status, 401, String(authorization));
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="slipway"');
      assert.equal(((await res.json()) as any).error.code, 'unauthorized');
    }
    assert.equal(hook.events.length, 0);
  });

  it('any configured token works, and tokens() is read per request (rotation without restart)', async () => {
    let tokens = ['first-token'];
    const hook = await startHook({ tokens: async () => tokens });
    const body = { repository: REPO, ref: 'refs/heads/main', sha: SHA };
    assert.equal((await push(hook, body, { authorization: 'Bearer first-token' })).status, 200);
    tokens = ['second-token'];
    assert.equal((await push(hook, body, { authorization: 'Bearer first-token' })).status, 401);
    assert.equal((await push(hook, body, { authorization: 'bearer second-token' })).status, 200);
  });

  it('auth is checked before the body is looked at', async () => {
    const hook = await startHook();
    const res = await push(hook, 'not json', { authorization: 'Bearer nope' });
    assert.equal(res.status, 401);
  });

  it('tokens() failing is its own error, not a 401', async () => {
    const hook = await startHook({ tokens: async () => Promise.reject(new UnavailableError('redis is down')) });
    const res = await push(hook, { repository: REPO, ref: 'refs/heads/main', sha: SHA });
    assert.equal(res.status, 503);
  });

  it('bearerToken and tokenMatches', () => {
    const headers: [string | undefined, string | undefined][] = [
      [`Bearer ${TOKEN}`, TOKEN],
      [`bearer ${TOKEN}`, TOKEN],
      [`Bearer   ${TOKEN}  `, TOKEN],
      ['Bearer a b', undefined],
      ['Bearer ', undefined],
      ['Basic abc', undefined],
      ['Bearer tök', undefined],
      [undefined, undefined],
    ];
    for (const [header, token] of headers) assert.equal(bearerToken(header), token, String(header));
    assert.equal(tokenMatches('a', ['b', 'a']), true);
    assert.equal(tokenMatches('a', []), false);
    assert.equal(tokenMatches('', ['']), false);
    assert.equal(tokenMatches('abc', ['abcd']), false);
  });
});

describe('POST /v1/webhooks/git: pushes', () => {
  it('a branch push becomes a git push event; the answer carries the outcome', async () => {
    const hook = await startHook();
    const res = await push(hook, { repository: REPO, ref: 'refs/heads/feature/x', sha: SHA, deliveryId: 'hook-42' });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { status: 'queued', runs: ['run-9'], deliveryId: 'hook-42' });
    assert.deepEqual(hook.events, [
      { source: 'git', kind: 'push', deliveryId: 'hook-42', repositoryUrls: [REPO], ref: 'refs/heads/feature/x', branch: 'feature/x', sha: SHA },
    ]);
  });

  it('ref parsing: branch, tag or neither; short names are refused', () => {
    const cases: [string, { branch?: string; tag?: string } | RegExp][] = [
      ['refs/heads/main', { branch: 'main' }],
      ['refs/heads/release/1.x', { branch: 'release/1.x' }],
      ['refs/tags/v1.2.3', { tag: 'v1.2.3' }],
      ['refs/pull/7/head', {}],
      ['main', /ref: must be a full git ref/],
      ['refs/heads/a..b', /ref: must be a full git ref/],
      ['refs/heads/', /ref: must be a full git ref/],
    ];
    for (const [ref, expected] of cases) {
      if (expected instanceof RegExp) {
        assert.throws(() => genericPushToTrigger({ repository: REPO, ref, sha: SHA }), expected);
        continue;
      }
      const mapping = genericPushToTrigger({ repository: REPO, ref, sha: SHA });
      assert.ok('event' in mapping);
      assert.equal(mapping.event.branch, expected.branch, ref);
      assert.equal(mapping.event.tag, expected.tag, ref);
    }
  });

  it('without a deliveryId the id is derived from repository, ref and sha, so a repeat is a duplicate', async () => {
    const seen = new Set<string>();
    const hook = await startHook({ seen: async (id) => seen.has(id) || (seen.add(id), false) });
    const body = { repository: REPO, ref: 'refs/heads/main', sha: SHA };
    const first = await push(hook, body);
    assert.equal(first.body.status, 'queued');
    assert.equal(first.body.deliveryId, derivedDeliveryId(body));
    assert.match(first.body.deliveryId, /^git-[0-9a-f]{40}$/);
    assert.deepEqual((await push(hook, body)).body, { status: 'duplicate', deliveryId: derivedDeliveryId(body) });
    assert.notEqual(derivedDeliveryId({ ...body, ref: 'refs/heads/other' }), derivedDeliveryId(body));
    assert.equal(hook.events.length, 1);
  });

  it('an upper-case sha is normalised; a SHA-256 commit id is accepted', () => {
    const upper = genericPushToTrigger({ repository: REPO, ref: 'refs/heads/main', sha: SHA.toUpperCase() });
    assert.ok('event' in upper && upper.event.sha === SHA);
    const long = genericPushToTrigger({ repository: REPO, ref: 'refs/heads/main', sha: 'c'.repeat(64) });
    assert.ok('event' in long && long.event.sha === 'c'.repeat(64));
  });

  it('an all-zero sha (a deleted ref) is ignored with the reason', async () => {
    const hook = await startHook();
    const res = await push(hook, { repository: REPO, ref: 'refs/tags/v1', sha: '0'.repeat(40) });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { status: 'ignored', reason: 'refs/tags/v1 was deleted; there is nothing to build' });
    assert.equal(hook.events.length, 0);
  });

  it('a slow handler gets 202 accepted at the deadline', async () => {
    const hook = await startHook({ timeoutMs: 100, handle: () => new Promise((r) => setTimeout(() => r({ status: 'queued', runs: [] }), 2000).unref()) });
    const res = await push(hook, { repository: REPO, ref: 'refs/heads/main', sha: SHA });
    assert.equal(res.status, 202);
    assert.equal(res.body.status, 'accepted');
  });
});

describe('POST /v1/webhooks/git: bad bodies', () => {
  it('400 naming the field that is wrong; nothing handled', async () => {
    const hook = await startHook();
    const ok = { repository: REPO, ref: 'refs/heads/main', sha: SHA };
    const cases: [unknown, RegExp][] = [
      [{ ...ok, repository: undefined }, /^repository: /],
      [{ ...ok, repository: '' }, /^repository: /],
      [{ ...ok, repository: 'https://x/ y' }, /^repository: must be a clone URL/],
      [{ ...ok, repository: 'a'.repeat(3000) }, /^repository: /],
      [{ ...ok, ref: 'main' }, /^ref: must be a full git ref/],
      [{ ...ok, ref: 42 }, /^ref: /],
      [{ ...ok, sha: SHA.slice(1) }, /^sha: must be a commit id/],
      [{ ...ok, sha: 'HEAD' }, /^sha: /],
      [{ ...ok, deliveryId: 'has spaces' }, /^deliveryId: /],
      [{ ...ok, deliveryId: '' }, /^deliveryId: /],
      [{}, /repository: .*ref: .*sha: /],
      [[ok], /expected object/],
    ];
    for (const [body, message] of cases) {
      const res = await push(hook, body);
      assert.equal(res.status, 400, JSON.stringify(body).slice(0, 80));
      assert.equal(res.body.error.code, 'invalid_body');
      assert.match(res.body.error.message, message);
    }
    assert.equal(hook.events.length, 0);
  });

  it('not JSON, deeply nested, empty or too large: 4xx, never 500', async () => {
    const hook = await startHook();
    const nonJson = await push(hook, 'repository=x&ref=y');
    assert.equal(nonJson.status, 400);
    assert.equal(nonJson.body.error.code, 'invalid_json');
    for (const scalar of ['null', '"refs/heads/main"', '42']) assert.equal((await push(hook, scalar)).body.error.code, 'invalid_json', scalar);
    const deep = await push(hook, '['.repeat(30_000) + ']'.repeat(30_000));
    assert.equal(deep.status, 400);
    const empty = await fetch(hook.url, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(empty.status, 400);
    const big = await chunked(hook.url, JSON.stringify({ repository: REPO, ref: 'refs/heads/main', sha: SHA, pad: 'x'.repeat(70_000) }));
    assert.equal(big, 413);
    assert.equal(hook.events.length, 0);
  });
});

/** POST with Transfer-Encoding: chunked, so the limit is enforced while reading rather than from Content-Length. */
function chunked(url: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}
