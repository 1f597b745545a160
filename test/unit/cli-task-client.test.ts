// `slipway task` over HTTP, in process, against a small local server speaking the API's wire format: the body
// each command sends (update: only what was given), how answers and error bodies become output and exit codes,
// and `task run` following the run's log to its outcome. End-to-end tests against the real API live apart.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { CliIo } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/program.js';

interface Seen {
  method: string;
  url: string;
  contentType?: string;
  body?: unknown;
}
type Reply = { status: number; json?: unknown; sse?: string };

let server: http.Server;
let url: string;
let seen: Seen[];
let reply: (req: Seen) => Reply;

before(async () => {
  server = http.createServer(async (req, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    const entry: Seen = { method: req.method!, url: req.url!, contentType: req.headers['content-type'], body: text ? JSON.parse(text) : undefined };
    seen.push(entry);
    const r = reply(entry);
    if (r.sse !== undefined) {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' }).end(r.sse);
      return;
    }
    res.writeHead(r.status, r.json === undefined ? {} : { 'Content-Type': 'application/json' }).end(r.json === undefined ? undefined : JSON.stringify(r.json));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

beforeEach(() => {
  seen = [];
});

async function slipway(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: { write: (c) => (stdout += String(c)) }, stderr: { write: (c) => (stderr += c) } };
  const code = await runCli(['node', 'slipway', '--server', url, ...args], io);
  return { code, stdout, stderr };
}

const TOKEN = 'ghp_TOPSECRET0123456789';
const task = (over: object = {}) => ({
  name: 'web',
  context: 'https://github.com/org/app.git#main',
  dockerfile: 'Dockerfile',
  images: ['app:{{.Run.ID}}'],
  platform: 'linux/amd64',
  platforms: ['linux/amd64'],
  buildArgs: {},
  commitTrigger: true,
  prTrigger: false,
  baseImageTrigger: 'runtime',
  schedules: [],
  timeoutSeconds: 3600,
  noPush: false,
  repository: 'https://github.com/org/app',
  hasGitToken: false,
  createdAt: '2024-01-01T00:00:00.000Z',
  updatedAt: '2024-01-01T00:00:00.000Z',
  ...over,
});
const run = (status: string, over: object = {}) => ({
  id: 'r0000042',
  status,
  platform: 'linux/amd64',
  platforms: ['linux/amd64'],
  createdAt: '2024-01-01T00:00:00.000Z',
  trigger: { type: 'manual', commit: 'c'.repeat(40) },
  task: 'web',
  request: {
    git: { url: 'https://github.com/org/app.git', ref: 'refs/heads/main', commit: 'c'.repeat(40) },
    dockerfile: 'Dockerfile',
    images: ['app:r0000042'],
    buildArgs: {},
    secretBuildArgKeys: [],
    platform: 'linux/amd64',
    noPush: false,
    timeoutSeconds: 3600,
  },
  outputImages: status === 'succeeded' ? [{ registry: 'localhost:5000', repository: 'app', tag: 'r0000042', digest: `sha256:${'d'.repeat(64)}` }] : [],
  ...over,
});
const sse = (lines: string[], final: object) => lines.map((l, i) => `id: ${i + 1}-0\nevent: log\ndata: ${l}\n\n`).join('') + `event: end\ndata: ${JSON.stringify(final)}\n\n`;

describe('task create and update send what was given', () => {
  it('create: the whole definition as JSON; the token goes up and never comes back', async () => {
    reply = () => ({ status: 201, json: task({ hasGitToken: true, schedules: ['0 3 * * *'] }) });
    const r = await slipway('task', 'create', 'web', '-c', 'https://github.com/org/app.git#main', '-t', 'app:{{.Run.ID}}', '--schedule', '0 3 * * *', '--git-token', TOKEN);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(seen, [
      {
        method: 'POST',
        url: '/v1/tasks',
        contentType: 'application/json',
        body: { name: 'web', context: 'https://github.com/org/app.git#main', images: ['app:{{.Run.ID}}'], schedules: ['0 3 * * *'], noPush: false, gitToken: TOKEN },
      },
    ]);
    assert.match(r.stderr, /^Created task web$/m);
    assert.match(r.stdout, /^Git token: +set$/m);
    assert.ok(!r.stdout.includes(TOKEN) && !r.stderr.includes(TOKEN));
  });

  const updates: [string[], object][] = [
    [['--no-push'], { noPush: true }],
    [['--push'], { noPush: false }],
    [['--no-schedule'], { schedules: [] }],
    [['--schedule', '0 1 * * *', '--schedule', '0 2 * * *'], { schedules: ['0 1 * * *', '0 2 * * *'] }],
    [['--commit-trigger', 'off', '--pr-trigger', 'on', '--base-image-trigger', 'off'], { commitTrigger: false, prTrigger: true, baseImageTrigger: 'off' }],
    [['-f', 'docker/Dockerfile', '--platform', 'arm64', '--timeout', '60'], { dockerfile: 'docker/Dockerfile', platform: 'linux/arm64', timeoutSeconds: 60 }],
    [['--git-token', TOKEN], { gitToken: TOKEN }],
  ];
  for (const [args, body] of updates) {
    it(`update ${args.join(' ').replace(TOKEN, 'TOKEN')}: a PATCH of exactly ${JSON.stringify(body).replace(TOKEN, 'TOKEN')}`, async () => {
      reply = () => ({ status: 200, json: task() });
      const r = await slipway('task', 'update', 'web', ...args);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(seen, [{ method: 'PATCH', url: '/v1/tasks/web', contentType: 'application/json', body }]);
    });
  }

  it('--json prints the task as the API answered it', async () => {
    reply = () => ({ status: 200, json: task({ extra: 'kept' }) });
    const r = await slipway('task', 'update', 'web', '--no-push', '--json');
    assert.deepEqual(JSON.parse(r.stdout), task({ extra: 'kept' }));
    assert.equal(r.stderr, '');
  });
});

describe('answers and errors', () => {
  it('an existing task: exit 2 with the API message', async () => {
    reply = () => ({ status: 409, json: { error: { code: 'task_exists', message: 'task web already exists; update it or delete it first' } } });
    const r = await slipway('task', 'create', 'web', '-c', 'https://github.com/org/app.git', '-t', 'app:1');
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'slipway: task web already exists; update it or delete it first\n');
  });

  it('an unknown task: exit 2', async () => {
    reply = () => ({ status: 404, json: { error: { code: 'task_not_found', message: 'no task "nope"' } } });
    const r = await slipway('task', 'show', 'nope');
    assert.equal(r.code, 2);
    assert.deepEqual(seen.map((s) => `${s.method} ${s.url}`), ['GET /v1/tasks/nope']);
  });

  it('a server error: exit 3', async () => {
    reply = () => ({ status: 500, json: { error: { code: 'internal', message: 'internal error' } } });
    assert.equal((await slipway('task', 'list')).code, 3);
  });

  it('delete: 204, exit 0', async () => {
    reply = () => ({ status: 204 });
    const r = await slipway('task', 'delete', 'web');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Deleted task web\n');
    assert.deepEqual(seen.map((s) => `${s.method} ${s.url}`), ['DELETE /v1/tasks/web']);
  });

  it('list: a table, or "No tasks" on stderr', async () => {
    reply = () => ({ status: 200, json: { tasks: [task(), task({ name: 'api', commitTrigger: false })] } });
    const r = await slipway('task', 'list');
    assert.deepEqual(r.stdout.split('\n').map((l) => l.split(/ {2,}/)[0]), ['NAME', 'web', 'api', '']);
    reply = () => ({ status: 200, json: { tasks: [] } });
    const empty = await slipway('task', 'list');
    assert.deepEqual([empty.code, empty.stdout, empty.stderr], [0, '', 'No tasks\n']);
  });

  it('runs: the filters go in the query; a run from git is shown', async () => {
    reply = () => ({ status: 200, json: { runs: [run('failed')] } });
    const r = await slipway('task', 'runs', 'web', '--status', 'failed', '--top', '5');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(seen.map((s) => s.url), ['/v1/tasks/web/runs?status=failed&top=5']);
    assert.match(r.stdout, /^r0000042 +web +failed +manual +linux\/amd64 +.+ago +- +app:r0000042$/m);
  });
});

describe('task run', () => {
  it('starts a manual run, follows its log on stderr and prints the pushed image on stdout', async () => {
    // The outcome is the run fetched once the log ends, not the end event's copy of it.
    const follow = (final: ReturnType<typeof run>) => (req: { method?: string; url?: string }) =>
      req.method === 'POST' ? { status: 202, json: run('queued') } : req.url!.includes('/logs') ? { status: 200, sse: sse(['#1 building', '#2 done'], run('succeeded')) } : { status: 200, json: final };
    reply = follow(run('succeeded'));
    const r = await slipway('task', 'run', 'web');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(seen.map((s) => `${s.method} ${s.url}`), ['POST /v1/tasks/web/runs', 'GET /v1/runs/r0000042/logs?follow=1', 'GET /v1/runs/r0000042']);
    assert.equal(r.stdout, `localhost:5000/app:r0000042@sha256:${'d'.repeat(64)}\n`);
    assert.equal(r.stderr, 'Run ID: r0000042\n#1 building\n#2 done\nRun r0000042 succeeded\n');
  });

  it('exits 1 when the run fails', async () => {
    // The end event claims success; the run the API stores failed.
    reply = (req) =>
      req.method === 'POST' ? { status: 202, json: run('queued') } : req.url!.includes('/logs') ? { status: 200, sse: sse([], run('succeeded')) } : { status: 200, json: run('failed', { error: 'exit code 1' }) };
    const r = await slipway('task', 'run', 'web');
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'Run ID: r0000042\nslipway: run r0000042 failed: exit code 1\n');
  });

  it('--no-logs polls the run quietly', async () => {
    reply = (req) => (req.method === 'POST' ? { status: 202, json: run('queued') } : { status: 200, json: run('succeeded') });
    const r = await slipway('task', 'run', 'web', '--no-logs');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(seen.map((s) => `${s.method} ${s.url}`), ['POST /v1/tasks/web/runs', 'GET /v1/runs/r0000042']);
    assert.doesNotMatch(r.stdout, /building/);
  });

  it('--no-wait prints the run id and returns', async () => {
    reply = () => ({ status: 202, json: run('queued', { waiting: 'no worker serves linux/s390x' }) });
    const r = await slipway('task', 'run', 'web', '--no-wait');
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'Run ID: r0000042\n', 'Waiting: no worker serves linux/s390x\n']);
    assert.equal(seen.length, 1);
  });
});
