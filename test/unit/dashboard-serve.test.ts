// How the API serves the dashboard: the page under a strict CSP and never cached, hashed assets cached for good,
// nothing else from the folder, and a clear 503 before `npm run build` made it.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { DASHBOARD_CSP, dashboardDir, dashboardRoutes } from '../../src/api/dashboard.js';
import { listenOnLoopback } from '../support/listen.js';

describe('the dashboard route', () => {
  let dir: string;
  let base: string;
  let close: () => void;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-web-'));
    await fs.mkdir(path.join(dir, 'assets'));
    await fs.writeFile(path.join(dir, 'assets', 'app-ABC.js'), 'export {};\n');
    await fs.writeFile(path.join(dir, 'secret.txt'), 'not served\n');
    const app = express().use(dashboardRoutes(dir)).use('/missing', dashboardRoutes(path.join(dir, 'nowhere')));
    const { server, base: url } = await listenOnLoopback(app);
    base = url;
    close = () => server.close();
  });
  after(async () => {
    close?.();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('answers 503 with what to do while the dashboard is not built', async () => {
    const res = await fetch(`${base}/missing/`);
    assert.equal(res.status, 503);
    assert.match(((await res.json()) as { error: { message: string } }).error.message, /npm run build/);
  });

  it('serves the page with the CSP and no caching, and the assets as immutable', async () => {
    await fs.writeFile(path.join(dir, 'index.html'), '<!doctype html><div id="app"></div>');
    const page = await fetch(`${base}/`);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('content-security-policy'), DASHBOARD_CSP);
    assert.equal(page.headers.get('cache-control'), 'no-cache');
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
    const asset = await fetch(`${base}/assets/app-ABC.js`);
    assert.equal(asset.status, 200);
    assert.match(asset.headers.get('content-type') ?? '', /javascript/);
    assert.match(asset.headers.get('cache-control') ?? '', /immutable/);
    assert.equal(asset.headers.get('x-content-type-options'), 'nosniff');
  });

  it('serves nothing of the folder outside assets/', async () => {
    for (const p of ['/secret.txt', '/assets/../secret.txt', '/assets/%2e%2e/secret.txt']) assert.equal((await fetch(`${base}${p}`)).status, 404, p);
  });

  it('the policy allows no inline script or style, no eval and no other origin', () => {
    assert.doesNotMatch(DASHBOARD_CSP, /unsafe|\*|https?:/);
    assert.match(DASHBOARD_CSP, /default-src 'none'/);
    assert.match(DASHBOARD_CSP, /frame-ancestors 'none'/);
  });

  it('finds dist/web from the sources and the bundled API alike', () => {
    assert.equal(dashboardDir('file:///repo/src/api/dashboard.ts'), path.join('/repo', 'dist', 'web'));
    assert.equal(dashboardDir('file:///repo/dist/server/api.js'), path.join('/repo', 'dist', 'web'));
  });
});
