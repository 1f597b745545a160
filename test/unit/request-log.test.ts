// The route label each API request is logged and counted under: the pattern a route matched, a single label
// for the dashboard's static assets (one per file would grow the metrics without end), and `unmatched` for
// paths nothing serves.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { dashboardRoutes } from '../../src/api/dashboard.js';
import { createLogger } from '../../src/log.js';
import { requestLog } from '../../src/metrics/request-log.js';
import { listenOnLoopback } from '../support/listen.js';

describe('request route labels', () => {
  let dir: string;
  let base: string;
  let close: () => void;
  const seen: { route: string; status: number }[] = [];
  const waiters: (() => void)[] = [];
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-routes-'));
    await fs.mkdir(path.join(dir, 'assets'));
    await fs.writeFile(path.join(dir, 'index.html'), '<!doctype html>');
    await fs.writeFile(path.join(dir, 'assets', 'app-ABC.js'), 'export {};\n');
    const app = express()
      .use(
        requestLog(createLogger('test', 'silent'), (_method, route, status) => {
          seen.push({ route, status });
          waiters.shift()?.();
        }),
      )
      .get('/v1/runs/:id', (_req, res) => void res.json({}))
      .use(dashboardRoutes(dir));
    const { server, base: url } = await listenOnLoopback(app);
    base = url;
    close = () => server.close();
  });
  after(async () => {
    close?.();
    await fs.rm(dir, { recursive: true, force: true });
  });

  /** The label the request to `url` was counted under, once the log heard its end. */
  async function labelOf(url: string): Promise<{ route: string; status: number }> {
    const logged = new Promise<void>((resolve) => waiters.push(resolve));
    await (await fetch(`${base}${url}`)).arrayBuffer();
    await logged;
    return seen.at(-1)!;
  }

  it('counts the page as /, every asset as /assets/*, a route by its pattern, and other paths as unmatched', async () => {
    assert.deepEqual(await labelOf('/'), { route: '/', status: 200 });
    assert.deepEqual(await labelOf('/assets/app-ABC.js'), { route: '/assets/*', status: 200 });
    assert.deepEqual(await labelOf('/assets/gone-XYZ.js'), { route: '/assets/*', status: 404 });
    assert.deepEqual(await labelOf('/v1/runs/ca12345'), { route: '/v1/runs/:id', status: 200 });
    assert.deepEqual(await labelOf('/no/such/page'), { route: 'unmatched', status: 404 });
  });
});
