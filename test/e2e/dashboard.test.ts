// The web dashboard in a real browser (Debian's Chromium, through playwright-core) against a real API, worker,
// Docker Engine, registries and git server: what a person sees. Screenshots of every page at desktop and phone
// widths land in test-output/dashboard/; every page passes axe-core with no serious or critical violation, makes
// no request to another origin and trips no Content-Security-Policy refusal.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { bundleWeb } from '../../scripts/bundle-web.js';
import { apiFetch } from '../support/api.js';
import { folderWith, runSlipway, type CliResult } from '../support/cli.js';
import { GitServer } from '../support/git-server.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { BASE_IMAGE, REGISTRY, ROOT, startTestStack, uniqueName, type TestStack } from '../support/stack.js';
import { openDashboardBrowser, type DashboardBrowser } from './dashboard-browser.js';

const NOTIFY_TOKEN = 'registry-notify-token-for-dashboard-tests';
const BUILD_MS = 180_000;

describe('the dashboard in a browser', () => {
  let stack: TestStack;
  let registry: TestRegistry;
  let git: GitServer;
  let web: DashboardBrowser;
  let page: Page;
  let cacheDir: string;
  const dirs: string[] = [];

  before(async () => {
    // Sources run through tsx serve dist/web as it is: bundle it from these sources (npm test's build did already).
    if (process.env.SLIPWAY_TEST_COMPILED !== '1') await bundleWeb();
    git = await GitServer.start({ daemon: false });
    await git.createRepo('images');
    stack = await startTestStack({
      env: {
        SLIPWAY_GIT_ALLOW_INSECURE: '1',
        SLIPWAY_GIT_ALLOW_PRIVATE_HOSTS: '1',
        SLIPWAY_REGISTRY_ALLOW_PRIVATE_HOSTS: '1',
        SLIPWAY_REGISTRY_NOTIFY_TOKEN: NOTIFY_TOKEN,
        // The janitor's first pass, which measures the disk the workers page shows, comes one interval in.
        SLIPWAY_JANITOR_INTERVAL_SECONDS: '10',
      },
    });
    registry = await startRegistry({ notify: { url: stack.url, token: NOTIFY_TOKEN } });
    cacheDir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-dash-cache-'));
    dirs.push(cacheDir);
    web = await openDashboardBrowser(stack.url);
    page = web.page;
  });
  after(async () => {
    await web?.close();
    await stack?.close();
    await registry?.stop();
    await git?.stop();
    await Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true })));
  });

  const cliEnv = () => ({ ...stack.env, SLIPWAY_SERVER: stack.url, SLIPWAY_CACHE_DIR: cacheDir });
  const cli = (...args: string[]): Promise<CliResult> => runSlipway(args, { cwd: ROOT, env: cliEnv() });
  async function folder(files: Record<string, string>): Promise<string> {
    const dir = await folderWith(files, 'slipway-dash-');
    dirs.push(dir);
    return dir;
  }
  async function lookFine(name: string): Promise<void> {
    assert.deepEqual(await web.look(name), [], `axe-core on the ${name} page`);
    assert.deepEqual(web.problems, [], 'no other origin, no CSP refusal, no page error');
  }
  const heading = (text: string | RegExp) => page.getByRole('heading', { level: 1, name: text });

  it('serves a page that holds no data, under a strict CSP; a wrong token is refused and the right one signs in', async () => {
    const res = await fetch(`${stack.url}/`);
    assert.equal(res.status, 200);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe/);
    assert.match(await res.text(), /<div id="app">/, 'the page is the same for everyone: what it shows comes from /v1 with a token');

    await page.goto(stack.url);
    await lookFine('sign-in');
    await page.getByLabel('API token').fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: /not valid|token/ }).waitFor();
    await page.getByLabel('API token').fill(stack.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await heading('Runs').waitFor();
    assert.ok(!page.url().includes(stack.token), 'the token is never in the address');
    await page.getByText('admin', { exact: false }).first().waitFor();
  });

  it('a build started from the CLI appears in the list; its log streams live, resumes across an API restart without a lost or repeated line, and Cancel stops it', async () => {
    const repo = `slipway-test/${uniqueName('dash')}`;
    const marker = uniqueName('tick');
    // A RUN that prints a numbered line every second: the log must show them in order, each once.
    const dir = await folder({ Dockerfile: `FROM ${BASE_IMAGE}\nRUN i=0; while [ $i -lt 600 ]; do i=$((i+1)); echo ${marker}-$i; sleep 1; done\n` });
    // --no-wait: the CLI's own follow of the log would give up while the API restarts below; the page must not.
    const started = await cli('build', '--no-wait', '-t', `${repo}:v1`, dir);
    assert.equal(started.code, 0, started.stderr);
    const runId = /Run ID: (r[0-9a-z]+)/.exec(started.stdout + started.stderr)?.[1];
    assert.ok(runId, started.stderr);
    try {
      await page.goto(`${stack.url}/#/runs`);
      const row = page.locator('tr[data-run]', { hasText: repo });
      await row.waitFor({ timeout: 30_000 });
      assert.equal(await row.getAttribute('data-run'), runId);
      await row.getByRole('link').click();
      const log = page.locator('pre.log');
      await log.filter({ hasText: `${marker}-2` }).waitFor({ timeout: BUILD_MS });
      await heading(/running/).waitFor();
      await lookFine('run-live');

      const ticks = async () => [...(await log.innerText()).matchAll(new RegExp(`${marker}-(\\d+)`, 'g'))].map((m) => Number(m[1]));
      await stack.stopApi();
      await page.locator('.log-state[data-state="reconnecting"]').waitFor();
      const beforeRestart = Math.max(...(await ticks()));
      await stack.startApi();
      await log.filter({ hasText: `${marker}-${beforeRestart + 3}` }).waitFor({ timeout: 60_000 });
      const seen = await ticks();
      assert.deepEqual(seen, Array.from({ length: seen.length }, (_, i) => i + 1), 'every line once, in order, across the reconnect');

      // The worker building it says so on the workers page.
      await page.getByRole('link', { name: 'Workers' }).click();
      await page.locator('tbody tr', { hasText: 'live' }).getByRole('link', { name: runId }).waitFor();
      await page.goBack();
      await page.getByRole('button', { name: 'Cancel run' }).click();
      await heading(/canceled/).waitFor({ timeout: 60_000 });
      await page.locator('.log-state[data-state="ended"]').waitFor();
    } finally {
      // A failed step above must not leave the ten-minute build holding the worker for the tests after it.
      await apiFetch(`${stack.url}/v1/runs/${runId}/cancel`, { method: 'POST' }).catch(() => undefined);
    }
  });

  it('a failed task-file run shows which step failed, with its exit code', async () => {
    const dir = await folder({
      'fail.yaml': `version: v1.1.0\nsteps:\n  - id: prepare\n    cmd: ${REGISTRY}/base/busybox:latest echo ready\n  - id: checks\n    cmd: ${REGISTRY}/base/busybox:latest sh -c 'echo about-to-fail; exit 4'\n`,
    });
    const res = await cli('run', '-f', path.join(dir, 'fail.yaml'), dir);
    assert.equal(res.code, 1, res.stderr);
    const id = /Run ID: (r[0-9a-z]+)/.exec(res.stderr)?.[1];
    assert.ok(id, res.stderr);
    await page.goto(`${stack.url}/#/runs/${id}`);
    await heading(/failed/).waitFor();
    const failing = page.locator('tr.failing');
    await failing.waitFor();
    assert.equal(await failing.count(), 1, 'one step is marked as the failing one');
    assert.equal(await failing.getAttribute('data-step'), 'checks');
    assert.match(await failing.innerText(), /failed[\s\S]*4/);
    assert.match(await page.locator('tr[data-step="prepare"]').innerText(), /succeeded/);
    await page.locator('pre.log', { hasText: 'about-to-fail' }).waitFor();
    await lookFine('run-failed');
  });

  it('a task run from its page joins the graph; a selected image shows its impact, and a base push shows the rebuild wave to its end', async () => {
    const R = registry.host;
    const task = uniqueName('app');
    const base = `${R}/base:latest`;
    const pushBase = async (version: string) => {
      const res = await cli('build', '-q', '-t', base, await folder({ Dockerfile: `FROM ${BASE_IMAGE}\nCOPY v /v\n`, v: `${version}\n` }));
      assert.equal(res.code, 0, res.stderr);
    };
    await pushBase(`v1 ${task}`);
    await git.commit('images', { 'app/Dockerfile': `FROM ${base}\nCOPY app.txt /app.txt\n`, 'app/app.txt': `${task}\n` }, 'app');
    const created = await apiFetch(`${stack.url}/v1/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: task, context: `${git.httpUrl('images')}#main:app`, images: [`${R}/${task}:latest`], commitTrigger: false }),
    });
    assert.equal(created.status, 201, await created.text());

    await page.goto(`${stack.url}/#/tasks`);
    await page.getByRole('link', { name: task }).click();
    await heading(`Task ${task}`).waitFor();
    await lookFine('task');
    await page.getByRole('button', { name: 'Run now' }).click();
    await heading(/succeeded/).waitFor({ timeout: BUILD_MS });
    await page.getByRole('heading', { name: 'Base images' }).waitFor();
    await page.locator('section', { hasText: 'Base images' }).getByText(base).waitFor();

    await page.getByRole('link', { name: 'Graph' }).click();
    const node = page.locator(`a[id="task:${task}"]`);
    await node.waitFor({ timeout: 30_000 });
    const image = page.locator(`g[role="button"][id="image:${base}"]`);
    await image.focus();
    await page.keyboard.press('Enter');
    await page.locator('ol.plan li[data-task]', { hasText: task }).waitFor();
    await lookFine('graph');

    await pushBase(`v2 ${task}`);
    const entry = page.locator('article.wave', { hasText: base }).locator(`tr[data-task="${task}"]`);
    await entry.waitFor({ timeout: 60_000 });
    await lookFine('graph-wave');
    await entry.filter({ hasText: 'succeeded' }).waitFor({ timeout: BUILD_MS });
    await page.locator('article.wave', { hasText: base }).getByText('1 of 1 rebuilt or settled').waitFor();
    await page.locator(`a[id="task:${task}"][data-wave-state="succeeded"]`).waitFor({ timeout: 15_000 });
    assert.match(await entry.innerText(), /r[0-9a-z]{7}/, 'the entry links its rebuild run');
  });

  it('lists tasks and the workers, each worker with its platforms and a recent heartbeat', async () => {
    await page.getByRole('link', { name: 'Tasks' }).click();
    await heading('Tasks').waitFor();
    await page.locator('tbody tr').first().waitFor();
    await lookFine('tasks');
    await page.getByRole('link', { name: 'Workers' }).click();
    await heading('Workers').waitFor();
    const row = page.locator('tbody tr', { hasText: os.hostname() }).first();
    await row.waitFor();
    assert.match(await row.innerText(), /live[\s\S]*linux\/amd64/);
    // The janitor's first pass measured its disk.
    await row.getByText(/build cache .+ of .+, mirrors .+ of /).waitFor({ timeout: 60_000 });
    await lookFine('workers');
    await page.getByRole('link', { name: 'Runs' }).click();
    await heading('Runs').waitFor();
    await page.locator('tr[data-run]').first().waitFor();
    await lookFine('runs');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token').waitFor();
  });
});
