// What a script gets from the commands that follow a run, as from `docker buildx build`: the result alone on
// stdout (image@digest, the run id, or JSON), the log on stderr in the --progress form asked for, and an exit
// code that is the run's outcome, `runs logs --follow` included. Against a small stand-in server speaking the
// API's wire format; the real stack is in test/e2e/cli-build.test.ts.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { parseSince } from '../../src/cli/commands/runs.js';
import type { CliIo } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/program.js';
import { buildMetadata } from '../../src/cli/run-output.js';
import type { Run } from '../../src/contract/runs.js';

const DIGEST = `sha256:${'d'.repeat(64)}`;
const run = (status: string, over: Partial<Run> = {}): Run =>
  ({
    id: 'r0000042',
    status,
    platform: 'linux/amd64',
    platforms: ['linux/amd64'],
    createdAt: new Date(Date.now() - 60_000).toISOString(),
    trigger: { type: 'manual' },
    task: 'web',
    request: { dockerfile: 'Dockerfile', images: ['localhost:5000/app:1'], buildArgs: {}, secretBuildArgKeys: [], platform: 'linux/amd64', noPush: false, timeoutSeconds: 600 },
    outputImages: status === 'succeeded' ? [{ registry: 'localhost:5000', repository: 'app', tag: '1', digest: DIGEST }] : [],
    ...over,
  }) as Run;

let server: http.Server;
let url: string;
let urls: string[] = [];
/** The run the stand-in API stores: the outcome a follower must report. */
let stored: Run;
let runs: Run[] = [];

before(async () => {
  server = http.createServer((req, res) => {
    urls.push(`${req.method} ${req.url}`);
    const json = (status: number, body: unknown) => res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    if (req.url!.includes('/logs')) {
      const lines = ['#1 [1/2] FROM base', '#2 [2/2] RUN make'].map((l, i) => `id: ${i + 1}-0\nevent: log\ndata: ${l}\n\n`).join('');
      res.writeHead(200, { 'Content-Type': 'text/event-stream' }).end(`${lines}event: end\ndata: {}\n\n`);
    } else if (req.method === 'POST') json(202, run('queued'));
    else if (req.url!.startsWith('/v1/runs/')) json(200, stored);
    else json(200, { runs });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

async function slipway(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  urls = [];
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: { write: (c) => (stdout += String(c)) }, stderr: { write: (c) => (stderr += c) } };
  const code = await runCli(['node', 'slipway', '--server', url, ...args], io);
  return { code, stdout, stderr };
}

describe('a followed run: the result on stdout, the log on stderr', () => {
  it('-q prints only the pushed image@digest, and no log', async () => {
    stored = run('succeeded');
    const r = await slipway('task', 'run', 'web', '-q');
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, `localhost:5000/app:1@${DIGEST}\n`, '']);
  });

  it('--progress rawjson writes each log line as a JSON object on stderr', async () => {
    stored = run('succeeded');
    const r = await slipway('task', 'run', 'web', '--progress', 'rawjson');
    assert.equal(r.code, 0, r.stderr);
    const objects = r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    assert.deepEqual(objects, [
      { run: 'r0000042', line: '#1 [1/2] FROM base' },
      { run: 'r0000042', line: '#2 [2/2] RUN make' },
    ]);
    assert.equal(r.stdout, `localhost:5000/app:1@${DIGEST}\n`);
  });

  it('--progress quiet leaves the log out but says how the run went', async () => {
    stored = run('succeeded');
    const r = await slipway('task', 'run', 'web', '--progress', 'quiet');
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, `localhost:5000/app:1@${DIGEST}\n`, 'Run ID: r0000042\nRun r0000042 succeeded\n']);
  });

  it('-o json prints the finished run, also when it failed (then exit 1)', async () => {
    stored = run('failed', { error: 'exit code 2' });
    const r = await slipway('task', 'run', 'web', '-o', 'json');
    assert.equal(r.code, 1);
    assert.equal(JSON.parse(r.stdout).status, 'failed');
    assert.match(r.stderr, /^slipway: run r0000042 failed: exit code 2$/m);
  });

  it('--no-wait -q prints just the run id; -o json the queued run', async () => {
    assert.deepEqual(await slipway('task', 'run', 'web', '--no-wait', '-q'), { code: 0, stdout: 'r0000042\n', stderr: '' });
    const json = await slipway('task', 'run', 'web', '--no-wait', '-o', 'json');
    assert.equal(JSON.parse(json.stdout).status, 'queued');
  });

  it('refuses a progress mode it does not have, before anything is sent', async () => {
    const r = await slipway('task', 'run', 'web', '--progress', 'fancy');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--progress <mode>' argument 'fancy' is invalid/);
    assert.deepEqual(urls, []);
  });
});

describe('runs logs --follow', () => {
  it("exits with the run's outcome: 1 when it failed, 0 when it succeeded", async () => {
    stored = run('failed', { error: 'exit code 1' });
    const failed = await slipway('runs', 'logs', 'r0000042', '--follow');
    assert.equal(failed.code, 1);
    assert.equal(failed.stdout, '#1 [1/2] FROM base\n#2 [2/2] RUN make\n');
    assert.equal(failed.stderr, 'slipway: run r0000042 failed: exit code 1\n');
    stored = run('succeeded');
    assert.equal((await slipway('runs', 'logs', 'r0000042', '--follow')).code, 0);
  });
});

describe('runs list', () => {
  const older = run('succeeded', { id: 'r0000041', createdAt: new Date(Date.now() - 3 * 3_600_000).toISOString(), trigger: { type: 'commit' } });
  const timer = run('failed', { id: 'r0000043', trigger: { type: 'timer', schedule: '0 3 * * *' }, startedAt: new Date(Date.now() - 50_000).toISOString(), finishedAt: new Date(Date.now() - 20_000).toISOString() });

  it('shows the task, trigger, platforms, duration and image of each run', async () => {
    runs = [timer];
    const r = await slipway('runs', 'list');
    const [header, row] = r.stdout.trim().split('\n').map((l) => l.split(/ {2,}/));
    assert.deepEqual(header, ['RUN ID', 'TASK', 'STATUS', 'TRIGGER', 'PLATFORMS', 'CREATED', 'DURATION', 'IMAGE']);
    assert.deepEqual(row, ['r0000043', 'web', 'failed', 'timer', 'linux/amd64', '1 minute ago', '30s', 'localhost:5000/app:1']);
  });

  it('--trigger and --since filter, reading a wider page; --task asks for the task\'s runs', async () => {
    runs = [timer, run('succeeded'), older];
    const r = await slipway('runs', 'list', '--trigger', 'timer', '--since', '2h', '-o', 'json');
    assert.deepEqual(JSON.parse(r.stdout).map((x: Run) => x.id), ['r0000043']);
    assert.deepEqual(urls, ['GET /v1/runs?top=1000']);
    const recent = await slipway('runs', 'list', '--since', '2h', '--top', '1', '--json');
    assert.deepEqual(JSON.parse(recent.stdout).map((x: Run) => x.id), ['r0000043']);
    await slipway('runs', 'list', '--task', 'web', '--status', 'failed');
    assert.deepEqual(urls, ['GET /v1/tasks/web/runs?status=failed']);
    const bad = await slipway('runs', 'list', '--trigger', 'push');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--trigger "push": expected one of manual, commit, pull_request, timer, base-image/);
  });
});

describe('parseSince and buildMetadata', () => {
  const now = Date.parse('2024-05-02T00:00:00Z');
  for (const [input, expected] of [
    ['90m', now - 90 * 60_000],
    ['2h', now - 7_200_000],
    ['7d', now - 7 * 86_400_000],
    ['2024-05-01', Date.parse('2024-05-01')],
    ['2024-05-01T12:00:00Z', Date.parse('2024-05-01T12:00:00Z')],
  ] as const) {
    it(`--since ${input}`, () => assert.equal(parseSince(input, now), expected));
  }
  for (const input of ['2 hours', '-1h', 'yesterday', '2024-13-45', '']) {
    it(`refuses --since ${JSON.stringify(input)}`, () => assert.throws(() => parseSince(input, now), /--since .*expected a duration/));
  }

  it("uses buildx's keys: containerimage.digest (the index of a multi-platform run) and image.name", () => {
    const single = run('succeeded', { outputImages: [{ registry: 'r:5000', repository: 'app', tag: '1', digest: DIGEST }, { registry: 'r:5000', repository: 'app', tag: 'latest', digest: DIGEST }] });
    assert.deepEqual(buildMetadata(single), { 'containerimage.digest': DIGEST, 'image.name': 'r:5000/app:1,r:5000/app:latest', 'slipway.run.id': 'r0000042' });
    const index = `sha256:${'e'.repeat(64)}`;
    assert.equal(buildMetadata(run('succeeded', { indexDigest: index }))['containerimage.digest'], index);
  });
});
