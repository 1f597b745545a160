// Who may do what, against a real API: every route × {no token, reader, builder, admin, scanner, revoked,
// expired, a builder scoped to another repository} answers the status its declared role and the token's scopes give,
// and a refused request changes nothing. Then the done-when: a builder scoped to team-a/* pushes
// team-a/app and is refused team-b/app with nothing queued; and the task-retarget token leak.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OPERATIONS } from '../../src/api/operations.js';
import { hashToken, newTokenSecret } from '../../src/auth/secret.js';
import { TokenStore } from '../../src/auth/store.js';
import { createRedis } from '../../src/redis.js';
import { loadKeyring } from '../../src/secrets/key-file.js';
import { TaskStore } from '../../src/tasks/store.js';
import { QuarantineStore } from '../../src/quarantine/store.js';
import { apiFetch, registryDigest, waitForRun } from '../support/api.js';
import { contextArchive } from '../support/archives.js';
import { GitServer } from '../support/git-server.js';
import { BASE_IMAGE, REGISTRY, startTestStack, uniqueName, type TestStack } from '../support/stack.js';

type Who = 'none' | 'reader' | 'builder' | 'admin' | 'scanner' | 'revoked' | 'expired' | 'scoped';
const WHO: Who[] = ['none', 'reader', 'builder', 'admin', 'scanner', 'revoked', 'expired', 'scoped'];

interface Answer {
  status: number;
  body: any;
}

describe('who may do what', () => {
  let stack: TestStack;
  let git: GitServer;
  let repoUrl: string;
  const redis = createRedis(process.env.SLIPWAY_REDIS_URL ?? 'redis://127.0.0.1:6379', 'auth-matrix-test');
  const tokens = {} as Record<Who, string | undefined>;
  const space = uniqueName('auth');

  /** A request as `who`, answered with its status and parsed body. */
  async function call(who: Who, method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<Answer> {
    const token = tokens[who];
    const res = await fetch(`${stack.url}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': contentType } : {}) },
      body: body === undefined ? undefined : body instanceof Buffer ? new Uint8Array(body) : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text && res.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : text };
  }
  const admin = (method: string, path: string, body?: unknown) => call('admin', method, path, body);

  async function upload(who: Who): Promise<string> {
    const archive = await contextArchive('FROM scratch\n', { nonce: randomBytes(8).toString('hex') });
    const res = await call(who, 'POST', '/v1/contexts', archive, 'application/gzip');
    assert.ok(res.status === 201 || res.status === 200, `upload as ${who}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.digest;
  }
  async function newTask(images = [`${REGISTRY}/${space}/team-b/app:v1`]): Promise<string> {
    const name = uniqueName('task');
    const res = await admin('POST', '/v1/tasks', { name, context: `${repoUrl}#main`, images, commitTrigger: false });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return name;
  }
  async function newRun(who: Who = 'admin'): Promise<string> {
    const res = await call(who, 'POST', '/v1/runs', { context: await upload(who), noPush: true });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return res.body.id;
  }
  const runCount = async () => (await admin('GET', '/v1/runs?top=1000')).body.runs.length as number;

  async function mint(name: string, role: string, repositories: string[] = []): Promise<string> {
    const res = await admin('POST', '/v1/tokens', { name, role, repositories });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.match(res.body.token, /^slw_/);
    return res.body.token;
  }

  before(async () => {
    [stack, git] = await Promise.all([
      startTestStack({ worker: false, env: { SLIPWAY_GIT_ALLOW_INSECURE: '1', SLIPWAY_GIT_ALLOW_PRIVATE_HOSTS: '1', SLIPWAY_AUTH_FAILURES_PER_MINUTE: '100000' } }),
      GitServer.start(),
    ]);
    await git.createRepo('app');
    await git.commit('app', { Dockerfile: `FROM ${BASE_IMAGE}\nCOPY version.txt /version.txt\n`, 'version.txt': 'one\n' });
    repoUrl = git.httpUrl('app');
    tokens.admin = stack.token;
    tokens.reader = await mint('reader', 'reader');
    tokens.builder = await mint('builder', 'builder');
    tokens.scanner = await mint('scanner', 'scanner');
    tokens.scoped = await mint('scoped', 'builder', [`${space}/team-z/*`]);
    tokens.revoked = await mint('revoked', 'builder');
    assert.equal((await admin('DELETE', '/v1/tokens/revoked')).status, 204);
    // Tokens cannot be made already expired through the API: written to the store as the API would have.
    tokens.expired = newTokenSecret();
    await new TokenStore(redis, stack.prefix).create({ name: 'expired', role: 'admin', repositories: [], tasks: [], createdAt: '2026-01-01T00:00:00Z', expiresAt: '2026-01-02T00:00:00Z', hash: hashToken(tokens.expired) });
  });
  after(async () => {
    await Promise.all([stack?.close(), git?.stop()]);
    redis.disconnect();
  });

  /**
   * Each operation: the status an allowed caller gets, a request made afresh for every caller (so one caller's
   * success cannot change the next one's answer), and what must still hold after a refusal.
   */
  interface Case {
    ok: number | ((who: Who) => number);
    request: (who: Who) => Promise<{ answer: Answer; unchanged?: () => Promise<void> }>;
  }
  const simple = (method: string, path: () => string, ok: number): Case => ({ ok, request: async (who) => ({ answer: await call(who, method, path()) }) });
  let shared: { run: string; task: string; hook: string };

  const cases: Record<string, Case> = {
    health: simple('GET', () => '/v1/health', 200),
    // No worker yet: not ready; a reader may ask, nobody without a token.
    ready: simple('GET', () => '/v1/ready', 503),
    metrics: simple('GET', () => '/metrics', 200),
    openapi: simple('GET', () => '/v1/openapi.json', 200),
    uploadContext: {
      ok: 201,
      request: async (who) => {
        const archive = await contextArchive('FROM scratch\n', { nonce: randomBytes(8).toString('hex') });
        const answer = await call(who, 'POST', '/v1/contexts', archive, 'application/gzip');
        // Not stored: the admin's upload of the same bytes is a new one.
        return { answer, unchanged: async () => assert.equal((await call('admin', 'POST', '/v1/contexts', archive, 'application/gzip')).status, 201) };
      },
    },
    hasContext: simple('HEAD', () => `/v1/contexts/sha256:${'0'.repeat(64)}`, 404),
    submitRun: {
      ok: (who) => (who === 'scoped' ? 403 : 202),
      request: async (who) => {
        const context = ['builder', 'admin', 'scoped'].includes(who) ? await upload(who) : await upload('admin');
        const before = await runCount();
        const answer = await call(who, 'POST', '/v1/runs', { context, images: [`${REGISTRY}/${space}/team-b/app:v1`] });
        return { answer, unchanged: async () => assert.equal(await runCount(), before) };
      },
    },
    listRuns: simple('GET', () => '/v1/runs', 200),
    getRun: simple('GET', () => `/v1/runs/${shared.run}`, 200),
    runLog: simple('GET', () => `/v1/runs/${shared.run}/logs`, 200),
    cancelRun: {
      // A builder cancels only the runs it started; this one the admin started.
      ok: (who) => (who === 'admin' ? 202 : 403),
      request: async (who) => {
        const id = await newRun();
        const answer = await call(who, 'POST', `/v1/runs/${id}/cancel`);
        return { answer, unchanged: async () => assert.equal((await admin('GET', `/v1/runs/${id}`)).body.status, 'queued') };
      },
    },
    createTask: {
      ok: 201,
      request: async (who) => {
        const name = uniqueName('task');
        const answer = await call(who, 'POST', '/v1/tasks', { name, context: `${repoUrl}#main`, noPush: true });
        return { answer, unchanged: async () => assert.equal((await admin('GET', `/v1/tasks/${name}`)).status, 404) };
      },
    },
    listTasks: simple('GET', () => '/v1/tasks', 200),
    getTask: simple('GET', () => `/v1/tasks/${shared.task}`, 200),
    updateTask: {
      ok: 200,
      request: async (who) => {
        const name = await newTask();
        const before = (await admin('GET', `/v1/tasks/${name}`)).body;
        const answer = await call(who, 'PATCH', `/v1/tasks/${name}`, { noPush: true });
        return { answer, unchanged: async () => assert.deepEqual((await admin('GET', `/v1/tasks/${name}`)).body, before) };
      },
    },
    deleteTask: {
      ok: 204,
      request: async (who) => {
        const name = await newTask();
        const answer = await call(who, 'DELETE', `/v1/tasks/${name}`);
        return { answer, unchanged: async () => assert.equal((await admin('GET', `/v1/tasks/${name}`)).status, 200) };
      },
    },
    runTask: {
      // The task pushes to team-b, outside the scoped token's team-z.
      ok: (who) => (who === 'scoped' ? 403 : 202),
      request: async (who) => {
        const before = await runCount();
        const answer = await call(who, 'POST', `/v1/tasks/${shared.task}/runs`);
        return { answer, unchanged: async () => assert.equal(await runCount(), before) };
      },
    },
    listTaskRuns: simple('GET', () => `/v1/tasks/${shared.task}/runs`, 200),
    // Webhooks keep their own secrets: an API token neither opens nor closes them.
    githubWebhook: simple('POST', () => '/v1/webhooks/github', 503),
    gitWebhook: simple('POST', () => '/v1/webhooks/git', 401),
    registryWebhook: simple('POST', () => '/v1/webhooks/registry', 401),
    getGraph: simple('GET', () => '/v1/graph', 200),
    dependents: simple('GET', () => `/v1/graph/dependents?image=${encodeURIComponent(BASE_IMAGE)}`, 200),
    notifyChange: {
      ok: 202,
      request: async (who) => ({ answer: await call(who, 'POST', '/v1/graph/notify', { image: BASE_IMAGE }) }),
    },
    listRebuilds: simple('GET', () => '/v1/rebuilds', 200),
    getRebuild: simple('GET', () => '/v1/rebuilds/wzzzz', 404),
    createToken: {
      ok: 201,
      request: async (who) => {
        const name = uniqueName('tok');
        const answer = await call(who, 'POST', '/v1/tokens', { name, role: 'admin' });
        return { answer, unchanged: async () => assert.ok(!(await admin('GET', '/v1/tokens')).body.tokens.some((t: { name: string }) => t.name === name)) };
      },
    },
    listTokens: simple('GET', () => '/v1/tokens', 200),
    listQuarantine: simple('GET', () => '/v1/quarantine', 200),
    getQuarantined: simple('GET', () => `/v1/quarantine/sha256:${'0'.repeat(64)}`, 404),
    // No such image: a caller allowed to approve learns so; the others are refused before it is looked up.
    approveQuarantined: simple('POST', () => `/v1/quarantine/sha256:${'0'.repeat(64)}/approve`, 404),
    rejectQuarantined: {
      ok: 200,
      request: async (who) => {
        // Written as a quarantined run's end would write it: a rejection needs nothing from the registry.
        const digest = `sha256:${randomBytes(32).toString('hex')}`;
        const quarantine = new QuarantineStore(redis, stack.prefix);
        await quarantine.put({ digest, images: [`${REGISTRY}/${space}/team-b/app:v1`], platforms: { 'linux/amd64': digest }, runId: shared.run, createdAt: new Date().toISOString(), state: 'quarantined' });
        const answer = await call(who, 'POST', `/v1/quarantine/${digest}/reject`, { reason: 'matrix' });
        return { answer, unchanged: async () => assert.equal((await quarantine.get(digest))?.state, 'quarantined') };
      },
    },
    updateToken: {
      ok: 200,
      request: async (who) => {
        const name = uniqueName('tok');
        const victim = await mint(name, 'reader');
        const answer = await call(who, 'PATCH', `/v1/tokens/${name}`, { role: 'admin' });
        const role = async () => (await (await fetch(`${stack.url}/v1/whoami`, { headers: { authorization: `Bearer ${victim}` } })).json()).role;
        return { answer, unchanged: async () => assert.equal(await role(), 'reader') };
      },
    },
    revokeToken: {
      ok: 204,
      request: async (who) => {
        const name = uniqueName('tok');
        const victim = await mint(name, 'reader');
        const answer = await call(who, 'DELETE', `/v1/tokens/${name}`);
        const works = async () => (await fetch(`${stack.url}/v1/runs?top=1`, { headers: { authorization: `Bearer ${victim}` } })).status;
        return { answer, unchanged: async () => assert.equal(await works(), 200) };
      },
    },
    loginRegistry: {
      ok: 201,
      request: async (who) => {
        const host = `${uniqueName('reg')}.example.com`;
        const answer = await call(who, 'POST', '/v1/registries', { host, username: 'bot', password: 'matrix-password' });
        return { answer, unchanged: async () => assert.ok(!(await hasLogin(host))) };
      },
    },
    listRegistries: simple('GET', () => '/v1/registries', 200),
    logoutRegistry: {
      ok: 204,
      request: async (who) => {
        const host = `${uniqueName('reg')}.example.com`;
        assert.equal((await admin('POST', '/v1/registries', { host, username: 'bot', password: 'matrix-password' })).status, 201);
        const answer = await call(who, 'DELETE', `/v1/registries/${host}`);
        return { answer, unchanged: async () => assert.ok(await hasLogin(host)) };
      },
    },
    createHook: {
      ok: 201,
      request: async (who) => {
        const name = uniqueName('hook');
        const answer = await call(who, 'POST', '/v1/hooks', { name, url: 'https://hooks.example.com/slipway' });
        return { answer, unchanged: async () => assert.ok(!(await admin('GET', '/v1/hooks')).body.hooks.some((h: { name: string }) => h.name === name)) };
      },
    },
    listHooks: simple('GET', () => '/v1/hooks', 200),
    // The dashboard's page holds no data: anyone may load it; what it shows comes from the routes here.
    dashboard: simple('GET', () => '/', 200),
    listWorkers: simple('GET', () => '/v1/workers', 200),
    whoami: simple('GET', () => '/v1/whoami', 200),
    deleteHook: {
      ok: 204,
      request: async (who) => {
        const name = uniqueName('hook');
        assert.equal((await admin('POST', '/v1/hooks', { name, url: 'https://hooks.example.com/slipway' })).status, 201);
        const answer = await call(who, 'DELETE', `/v1/hooks/${name}`);
        return { answer, unchanged: async () => assert.ok((await admin('GET', '/v1/hooks')).body.hooks.some((h: { name: string }) => h.name === name)) };
      },
    },
    listHookDeliveries: simple('GET', () => `/v1/hooks/${shared.hook}/deliveries`, 200),
    // No delivery of that id: an allowed caller gets 404, the others are refused before that is looked up.
    redeliverHookDelivery: simple('POST', () => `/v1/hooks/${shared.hook}/deliveries/00000000-0000-0000-0000-000000000000/redeliver`, 404),
  };
  const hasLogin = async (host: string) => (await admin('GET', '/v1/registries')).body.registries.some((r: { host: string }) => r.host === host);

  function expected(access: string, c: Case, who: Who): number {
    if (access === 'public' || access === 'webhook') return typeof c.ok === 'number' ? c.ok : c.ok(who);
    if (who === 'none' || who === 'revoked' || who === 'expired') return 401;
    const role = who === 'scoped' ? 'builder' : who;
    // A scanner reads and gives quarantine verdicts, as does an admin; a builder does not.
    const rank: Record<string, number> = { reader: 0, builder: 1, admin: 2 };
    const allowed = access === 'scanner' ? role === 'scanner' || role === 'admin' : role === 'scanner' ? access === 'reader' : rank[role]! >= rank[access]!;
    if (!allowed) return 403;
    return typeof c.ok === 'number' ? c.ok : c.ok(who);
  }

  it('has a case for every operation', () => {
    assert.deepEqual(OPERATIONS.map((op) => op.id).filter((id) => !(id in cases)), []);
  });

  it('answers every route for every kind of caller as its role and scopes say, and a refusal changes nothing', async () => {
    const hook = uniqueName('hook');
    assert.equal((await admin('POST', '/v1/hooks', { name: hook, url: 'https://hooks.example.com/slipway' })).status, 201);
    shared = { run: await newRun(), task: await newTask(), hook };
    const wrong: string[] = [];
    for (const op of OPERATIONS) {
      for (const who of WHO) {
        const c = cases[op.id]!;
        const want = expected(op.access, c, who);
        const { answer, unchanged } = await c.request(who);
        if (answer.status !== want) {
          wrong.push(`${op.id} as ${who}: ${answer.status}, expected ${want} ${JSON.stringify(answer.body).slice(0, 200)}`);
          continue;
        }
        if ((want === 401 || want === 403) && op.method !== 'head') {
          assert.match(answer.body.error.code, /^[a-z_]+$/, `${op.id} as ${who}: an error body`);
          if (want === 401 && op.access !== 'webhook') assert.match(answer.body.error.message, /slipway login/);
        }
        if (want === 401 || want === 403) await unchanged?.();
      }
    }
    assert.deepEqual(wrong, []);
  });

  it('judges a path spelled in another case, or with a trailing slash, as the route express serves for it', async () => {
    // Express routes case-insensitively and ignores a trailing slash; the gate must read the path the same way.
    for (const path of ['/V1/TOKENS', '/v1/Tokens', '/v1/tokens/', '/V1/tokens/']) {
      const name = uniqueName('sneak');
      const answer = await call('reader', 'POST', path, { name, role: 'admin' });
      assert.equal(answer.status, 403, `${path}: ${JSON.stringify(answer.body)}`);
      assert.ok(!(await admin('GET', '/v1/tokens')).body.tokens.some((t: { name: string }) => t.name === name), `${path} created a token`);
    }
    for (const path of ['/V1/RUNS', '/v1/Runs/', '/V1/runs']) assert.equal((await call('none', 'GET', path)).status, 401, path);
  });

  it('lets a builder scoped to team-a/* push team-a/app, and refuses team-b/app naming it, with nothing queued', async () => {
    const teamA = await mint(uniqueName('team-a'), 'builder', [`${space}/team-a/*`]);
    tokens.scoped = teamA;
    const context = await upload('scoped');
    const before = await runCount();
    const refused = await call('scoped', 'POST', '/v1/runs', { context, images: [`${space}/team-a/app:v1`, `${space}/team-b/web:v1`] });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'repository_forbidden');
    assert.match(refused.body.error.message, new RegExp(`${space}/team-b/web`));
    // A task file's push steps are read at submit too.
    const taskFile = `version: v1.1.0\nsteps:\n  - build: -t $Registry/${space}/team-b/tf:v1 .\n  - push:\n      - $Registry/${space}/team-b/tf:v1\n`;
    const archive = await contextArchive('FROM scratch\n', { 'acb.yaml': taskFile });
    const tfContext = (await call('scoped', 'POST', '/v1/contexts', archive, 'application/gzip')).body.digest;
    const tfRefused = await call('scoped', 'POST', '/v1/runs', { context: tfContext, taskFile: 'acb.yaml' });
    assert.equal(tfRefused.status, 403, JSON.stringify(tfRefused.body));
    assert.match(tfRefused.body.error.message, new RegExp(`${space}/team-b/tf`));
    assert.equal(await runCount(), before);

    // The runs the matrix queued are not this test's to build.
    for (const run of (await admin('GET', '/v1/runs?status=queued&top=1000')).body.runs) await admin('POST', `/v1/runs/${run.id}/cancel`);
    await stack.startWorker();
    const accepted = await call('scoped', 'POST', '/v1/runs', { context, images: [`${space}/team-a/app:v1`] });
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
    assert.match(accepted.body.requestedBy, /^t-team-a-/);
    const run = await waitForRun(stack.url, accepted.body.id);
    assert.equal(run.status, 'succeeded', run.error);
    assert.ok(await registryDigest(REGISTRY, `${space}/team-a/app`, 'v1'));
    assert.equal(await registryDigest(REGISTRY, `${space}/team-b/web`, 'v1'), null);
  });

  it('lets a builder cancel the runs it started, and only the uploader use a context', async () => {
    const own = await newRun('builder');
    assert.equal((await call('builder', 'POST', `/v1/runs/${own}/cancel`)).status, 202);
    const adminContext = await upload('admin');
    const borrowed = await call('builder', 'POST', '/v1/runs', { context: adminContext, noPush: true });
    assert.equal(borrowed.status, 400);
    assert.equal(borrowed.body.error.code, 'unknown_context');
    assert.equal((await call('builder', 'HEAD', `/v1/contexts/${adminContext}`)).status, 404);
    assert.equal((await call('admin', 'HEAD', `/v1/contexts/${adminContext}`)).status, 200);
  });

  it("drops a task's git token when its repository moves, unless the same request gives a new one", async () => {
    const store = new TaskStore(redis, stack.prefix, await loadKeyring({ keyFile: path.join(stack.dataDir, 'secret.key') }, { create: false }));
    const name = uniqueName('leak');
    assert.equal((await admin('POST', '/v1/tasks', { name, context: `${repoUrl}#main`, noPush: true, gitToken: 'first-secret-token' })).status, 201);
    // The same repository at another ref keeps it.
    const sameRepo = await admin('PATCH', `/v1/tasks/${name}`, { context: `${repoUrl}#other` });
    assert.equal(sameRepo.body.hasGitToken, true);
    assert.equal(await store.token(name), 'first-secret-token');
    // Elsewhere: the token would be sent there; it is dropped.
    const elsewhere = git.httpUrl('elsewhere');
    const moved = await admin('PATCH', `/v1/tasks/${name}`, { context: `${elsewhere}#main` });
    assert.equal(moved.status, 200);
    assert.equal(moved.body.hasGitToken, false);
    assert.equal(await store.token(name), undefined);
    // Moving with a new token keeps the new one.
    const back = await admin('PATCH', `/v1/tasks/${name}`, { context: `${repoUrl}#main`, gitToken: 'second-secret-token' });
    assert.equal(back.body.hasGitToken, true);
    assert.equal(await store.token(name), 'second-secret-token');
  });
});
