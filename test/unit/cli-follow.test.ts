// The CLI's HTTP side against a small local server speaking the API's wire format: a followed log survives a
// dropped connection (resumed with Last-Event-ID, no line lost or repeated), and uploads carry length and digest.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SlipwayApi } from '../../src/cli/api-client.js';
import { ApiError, ApiUnreachableError } from '../../src/cli/errors.js';
import { followRunLog, waitForRun } from '../../src/cli/run-follower.js';

const run = (status: string) => ({
  id: 'r0000001',
  status,
  platform: 'linux/amd64',
  platforms: ['linux/amd64'],
  createdAt: '2024-01-01T00:00:00.000Z',
  trigger: { type: 'manual' },
  request: { context: `sha256:${'a'.repeat(64)}`, dockerfile: 'Dockerfile', images: [], buildArgs: {}, secretBuildArgKeys: [], platform: 'linux/amd64', noPush: false, timeoutSeconds: 60 },
  outputImages: [],
});

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void>;
let handler: Handler;
/** What GET /v1/runs/:id answers while a log is followed; undefined hands that request to `handler`. */
let stored: ReturnType<typeof run> | undefined;
let server: http.Server;
let api: SlipwayApi;
const fast = { backoffMs: () => 10 };

before(async () => {
  server = http.createServer((req, res) => {
    if (stored && /^\/v1\/runs\/[^/?]+$/.test(req.url!)) return void res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(stored));
    void handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  api = new SlipwayApi(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});

after(() => {
  server.closeAllConnections();
  server.close();
});

const event = (id: number, line: string) => `id: ${id}-0\nevent: log\ndata: ${line}\n\n`;

describe('followRunLog', () => {
  before(() => (stored = run('failed')));
  after(() => (stored = undefined));

  it('reports the run the API stores, not the one an end event claims', async () => {
    handler = (_req, res) => void res.writeHead(200, { 'Content-Type': 'text/event-stream' }).end(`event: end\ndata: ${JSON.stringify(run('succeeded'))}\n\n`);
    const final = await followRunLog(api, 'r0000001', () => {}, fast);
    assert.equal(final.status, 'failed');
  });

  it('resumes after a dropped connection from the last whole event', async () => {
    const seen: (string | undefined)[] = [];
    handler = (req, res) => {
      seen.push(req.headers['last-event-id'] as string | undefined);
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      if (seen.length === 1) {
        // Two whole events, then half of the third, then the connection dies.
        res.write(event(1, 'one') + event(2, 'two') + 'id: 3-0\nevent: log\ndata: thr');
        setTimeout(() => req.socket.destroy(), 20);
        return;
      }
      res.end(event(3, 'three') + `event: end\ndata: ${JSON.stringify(run('failed'))}\n\n`);
    };
    const lines: string[] = [];
    const final = await followRunLog(api, 'r0000001', (l) => lines.push(l), fast);
    assert.deepEqual(lines, ['one', 'two', 'three']);
    assert.deepEqual(seen, [undefined, '2-0']);
    assert.equal(final.status, 'failed');
  });

  it('gives up after the allowed reconnects that bring nothing new', async () => {
    const seen: (string | undefined)[] = [];
    handler = (req, res) => {
      seen.push(req.headers['last-event-id'] as string | undefined);
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      // The first connection makes progress; later ones close after a keep-alive, or repeat what was sent.
      res.end(seen.length === 1 ? event(1, 'one') + event(2, 'two') : seen.length === 2 ? ': keep-alive\n\n' : event(1, 'one') + event(2, 'two'));
    };
    const lines: string[] = [];
    await assert.rejects(followRunLog(api, 'r0000001', (l) => lines.push(l), { ...fast, retries: 2 }), ApiUnreachableError);
    assert.deepEqual(seen, [undefined, '2-0', '2-0']);
  });

  it('treats a silent stream as dropped', async () => {
    let connections = 0;
    handler = (_req, res) => {
      connections++;
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      if (connections === 1) return void res.write(event(1, 'then silence'));
      res.end(`event: end\ndata: ${JSON.stringify(run('succeeded'))}\n\n`);
    };
    const lines: string[] = [];
    stored = run('succeeded');
    // Long enough that an answer delayed by a busy machine is not taken for silence.
    const final = await followRunLog(api, 'r0000001', (l) => lines.push(l), { ...fast, idleMs: 1000 });
    stored = run('failed');
    assert.equal(final.status, 'succeeded');
    assert.deepEqual(lines, ['then silence']);
    assert.equal(connections, 2);
  });

  it('does not retry an error answer to the first request', async () => {
    let requests = 0;
    handler = (_req, res) => {
      requests++;
      res.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: { code: 'run_not_found', message: 'no run r0000001' } }));
    };
    await assert.rejects(followRunLog(api, 'r0000001', () => {}, fast), (err: unknown) => {
      assert.ok(err instanceof ApiError);
      assert.equal(err.status, 404);
      assert.equal(err.message, 'no run r0000001');
      return true;
    });
    assert.equal(requests, 1);
  });

  it('stops at once when its signal is aborted', async () => {
    handler = (_req, res) => void res.writeHead(200, { 'Content-Type': 'text/event-stream' }).write(': hello\n\n');
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('ctrl-c')), 100);
    await assert.rejects(followRunLog(api, 'r0000001', () => {}, { signal: controller.signal }), /ctrl-c/);
  });
});

describe('waitForRun', () => {
  it('polls until the run ends, riding out a 503', async () => {
    const answers = [200, 503, 200, 200];
    handler = (_req, res) => {
      const status = answers.shift() ?? 200;
      if (status === 503) return void res.writeHead(503).end();
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(run(answers.length === 0 ? 'succeeded' : 'running')));
    };
    const final = await waitForRun(api, 'r0000001', { ...fast, intervalMs: 10 });
    assert.equal(final.status, 'succeeded');
  });
});

describe('SlipwayApi', () => {
  it('uploads a context with its length and digest, and reports progress', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-cli-upload-'));
    try {
      const file = path.join(dir, 'context.tar.gz');
      const bytes = Buffer.alloc(3 * 1024 * 1024, 7);
      await fs.writeFile(file, bytes);
      const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
      let received: { length?: string; digest?: string; type?: string; size: number } | undefined;
      handler = async (req, res) => {
        let size = 0;
        for await (const chunk of req) size += (chunk as Buffer).length;
        received = { length: req.headers['content-length'], digest: req.headers['x-slipway-digest'] as string, type: req.headers['content-type'], size };
        res.writeHead(201, { 'Content-Type': 'application/json' }).end(JSON.stringify({ digest, size }));
      };
      let progress = 0;
      const stored = await api.uploadContext({ path: file, size: bytes.length, digest }, { onProgress: (n) => (progress = n) });
      assert.deepEqual(stored, { digest, size: bytes.length });
      assert.deepEqual(received, { length: String(bytes.length), digest, type: 'application/gzip', size: bytes.length });
      assert.equal(progress, bytes.length);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('turns an error body into an ApiError with its status, code and message', async () => {
    handler = (_req, res) => void res.writeHead(409, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: { code: 'run_finished', message: 'run r0000001 already succeeded' } }));
    await assert.rejects(api.cancelRun('r0000001'), { name: 'ApiError', status: 409, code: 'run_finished', message: 'run r0000001 already succeeded' });
  });

  it('describes an error that is not the API format', async () => {
    handler = (_req, res) => void res.writeHead(502, { 'Content-Type': 'text/html' }).end('<html>bad gateway</html>');
    await assert.rejects(api.getRun('r0000001'), { name: 'ApiError', status: 502, message: /GET \/v1\/runs\/r0000001 answered 502/ });
  });

  it('refuses an answer of the wrong shape', async () => {
    handler = (_req, res) => void res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ id: 'r1', status: 'exploded' }));
    await assert.rejects(api.getRun('r1'), { name: 'ProtocolError', message: /unexpected answer to GET \/v1\/runs\/:id/ });
  });

  it('knows whether the server has a context', async () => {
    handler = (req, res) => void res.writeHead(req.url!.endsWith('a'.repeat(64)) ? 200 : 404).end();
    assert.equal(await api.hasContext(`sha256:${'a'.repeat(64)}`), true);
    assert.equal(await api.hasContext(`sha256:${'b'.repeat(64)}`), false);
  });
});
