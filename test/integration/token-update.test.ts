// Changing a token in place (PATCH /v1/tokens/:name, `slipway token update`): its holder keeps the same secret
// and gets the new rights from its very next request; what is not named stays; hostile or malformed changes
// are refused whole and change nothing. Who may call it at all is in auth-matrix.test.ts.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { after, before, describe, it } from 'node:test';
import { contextArchive } from '../support/archives.js';
import { runSlipway } from '../support/cli.js';
import { REGISTRY, startTestStack, uniqueName, type TestStack } from '../support/stack.js';

describe('changing a token in place', () => {
  let stack: TestStack;
  const space = uniqueName('tokupd');

  before(async () => {
    stack = await startTestStack({ worker: false });
  });
  after(() => stack.close());

  async function call(token: string, method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; body: any }> {
    const res = await fetch(`${stack.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': contentType } : {}) },
      body: body === undefined ? undefined : body instanceof Buffer ? new Uint8Array(body) : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text && res.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : text };
  }
  const admin = (method: string, path: string, body?: unknown, contentType?: string) => call(stack.token, method, path, body, contentType);
  const listed = async (name: string) => (await admin('GET', '/v1/tokens')).body.tokens.find((t: { name: string }) => t.name === name);

  async function mint(role: string, repositories: string[] = []): Promise<{ name: string; token: string }> {
    const name = uniqueName('tok');
    const res = await admin('POST', '/v1/tokens', { name, role, repositories });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return { name, token: res.body.token };
  }

  /** Submits a run that would push `repository` (it stays queued: this stack has no worker). */
  async function submit(token: string, repository: string): Promise<number> {
    const up = await call(token, 'POST', '/v1/contexts', await contextArchive('FROM scratch\n', { nonce: randomBytes(8).toString('hex') }), 'application/gzip');
    if (up.status >= 300) return up.status;
    return (await call(token, 'POST', '/v1/runs', { context: up.body.digest, images: [`${REGISTRY}/${repository}:v1`] })).status;
  }

  it('takes a role away, and gives it back, from the very next request, with the same secret', async () => {
    const { name, token } = await mint('builder');
    assert.equal(await submit(token, `${space}/app`), 202);
    const demoted = await admin('PATCH', `/v1/tokens/${name}`, { role: 'reader' });
    assert.equal(demoted.status, 200, JSON.stringify(demoted.body));
    assert.equal(demoted.body.role, 'reader');
    assert.equal(demoted.body.token, undefined, 'the answer shows the secret');
    assert.equal(await submit(token, `${space}/app`), 403);
    assert.equal((await call(token, 'GET', '/v1/runs?top=1')).status, 200, 'a reader still reads');
    assert.equal((await admin('PATCH', `/v1/tokens/${name}`, { role: 'builder' })).status, 200);
    assert.equal(await submit(token, `${space}/app`), 202);
  });

  it('moves a scope, and keeps every field the change does not name', async () => {
    const { name, token } = await mint('builder', [`${space}/team-a/*`]);
    await admin('PATCH', `/v1/tokens/${name}`, { expiresInDays: 30, tasks: ['web-*'] });
    const before = await listed(name);
    assert.deepEqual(before.repositories, [`${space}/team-a/*`]);
    assert.equal(await submit(token, `${space}/team-a/app`), 202);
    assert.equal(await submit(token, `${space}/team-b/app`), 403);

    const moved = await admin('PATCH', `/v1/tokens/${name}`, { repositories: [`${space}/team-b/*`] });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    assert.deepEqual({ ...before, repositories: [`${space}/team-b/*`] }, await listed(name));
    assert.equal(await submit(token, `${space}/team-a/app`), 403);
    assert.equal(await submit(token, `${space}/team-b/app`), 202);

    // An empty list lifts the scope: any repository.
    assert.equal((await admin('PATCH', `/v1/tokens/${name}`, { repositories: [] })).status, 200);
    assert.equal(await submit(token, `${space}/team-c/app`), 202);
  });

  it('sets an expiry counted from now, and lifts it with null', async () => {
    const { name, token } = await mint('reader');
    const sent = Date.now();
    const set = await admin('PATCH', `/v1/tokens/${name}`, { expiresInDays: 2 });
    assert.equal(set.status, 200);
    const expires = Date.parse(set.body.expiresAt);
    assert.ok(Math.abs(expires - (sent + 2 * 86_400_000)) < 60_000, `expires at ${set.body.expiresAt}`);
    const lifted = await admin('PATCH', `/v1/tokens/${name}`, { expiresInDays: null });
    assert.equal(lifted.status, 200);
    assert.equal(lifted.body.expiresAt, undefined);
    assert.equal((await listed(name)).expiresAt, undefined);
    assert.equal((await call(token, 'GET', '/v1/whoami')).status, 200);
  });

  it('refuses a change it cannot read, whole, and changes nothing', async () => {
    const { name, token } = await mint('reader');
    const before = await listed(name);
    const hostile: [unknown, number, string?][] = [
      [{}, 400],
      [{ role: 'root' }, 400],
      [{ role: 'admin', hash: '0'.repeat(64) }, 400],
      [{ role: 'admin', token: 'slw_x' }, 400],
      [{ name: 'renamed' }, 400],
      [{ role: 'admin', createdAt: '2000-01-01T00:00:00Z' }, 400],
      [{ expiresInDays: 0 }, 400],
      [{ expiresInDays: 3651 }, 400],
      [{ expiresInDays: '1' }, 400],
      [{ expiresInDays: 1.5 }, 400],
      [{ repositories: ['team a/*'] }, 400],
      [{ repositories: Array.from({ length: 51 }, (_, i) => `r${i}`) }, 400],
      ['{"expiresInDays": null, "__proto__": {"role": "admin"}}', 400],
      [[{ role: 'admin' }], 400],
      ['{"role": "admin"', 400],
      ['role=admin', 415, 'application/x-www-form-urlencoded'],
      [JSON.stringify({ role: 'admin', pad: 'x'.repeat(100_000) }), 413],
    ];
    for (const [body, status, type] of hostile) {
      const res = await admin('PATCH', `/v1/tokens/${name}`, typeof body === 'string' ? body : body, type);
      assert.equal(res.status, status, `${JSON.stringify(body).slice(0, 80)} answered ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
      assert.match(res.body.error.code, /^[a-z_]+$/);
    }
    assert.deepEqual(await listed(name), before);
    assert.equal((await call(token, 'GET', '/v1/whoami')).body.role, 'reader');
  });

  it('answers 404 for a token it does not hold, whatever the name looks like', async () => {
    for (const name of ['no-such-token', '..%2Fadmin', 'a'.repeat(300), '%00']) {
      const res = await admin('PATCH', `/v1/tokens/${name}`, { role: 'reader' });
      assert.equal(res.status, 404, `${name.slice(0, 20)}: ${res.status}`);
      assert.equal(res.body.error.code, 'token_not_found');
    }
    // The admin's own token is still itself.
    assert.equal((await admin('GET', '/v1/whoami')).body.role, 'admin');
  });

  it('is `slipway token update`: only what the flags name changes, and a change with no flags is a usage error', async () => {
    const { name, token } = await mint('builder', [`${space}/team-a/*`]);
    const cli = (args: string[]) => runSlipway(args, { cwd: os.tmpdir(), env: stack.env });
    const updated = await cli(['token', 'update', name, '--role', 'reader', '--expires', '7d']);
    assert.equal(updated.code, 0, updated.stderr);
    assert.match(updated.stderr, new RegExp(`Token ${name} updated: reader, repositories ${space}/team-a/\\*, tasks \\*, expires 20`));
    assert.equal((await call(token, 'GET', '/v1/whoami')).body.role, 'reader');

    const json = await cli(['token', 'update', name, '--repositories', '', '--expires', 'never', '--json']);
    assert.equal(json.code, 0, json.stderr);
    const shown = JSON.parse(json.stdout);
    assert.deepEqual([shown.role, shown.repositories, shown.expiresAt], ['reader', [], undefined]);

    const nothing = await cli(['token', 'update', name]);
    assert.equal(nothing.code, 2);
    assert.match(nothing.stderr, /say what changes/);
    const badRole = await cli(['token', 'update', name, '--role', 'root']);
    assert.equal(badRole.code, 2);
    const missing = await cli(['token', 'update', uniqueName('none'), '--role', 'reader']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /no token named/);
    assert.equal((await listed(name)).role, 'reader');
  });
});
